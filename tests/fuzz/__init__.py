"""Hypothesis fuzz targets for envelope's public surface (see conftest.py for the profiles)."""
