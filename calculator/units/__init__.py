"""Layer 3, units: pint's definitions with envelope's changes on top, dimensions, and the unit names a scenario may use.

The definition files (*.txt) beside this module are data.
"""
