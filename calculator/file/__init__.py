"""Layer 1, the file: a scenario's text read safely, its YAML with every key's place, `extends:` merged, and the
shapes of the format validated (pydantic, on demand).
"""
