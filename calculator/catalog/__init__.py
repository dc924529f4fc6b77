"""Layer 3, the catalog: hardware, prices and reference numbers, each with its source and as-of date.

The entries are data (*.yaml beside this module); `entries` reads and checks them.
"""
