"""Layer 5, analysis on a compiled scenario: symbolic forms (sympy), explain, solve, sweep, compare."""
