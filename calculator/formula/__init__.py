"""Layer 2, the formula: the expression tree, the whitelist parser and the numeric functions formulas may call."""
