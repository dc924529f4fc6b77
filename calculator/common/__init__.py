"""Shared by every layer: errors with their places, the user cache, safe file reads and writes, number formatting.

Imports nothing else of envelope.
"""
