"""Layer 4, the engine: resolve names, check dimensions, compile, evaluate (points and Monte Carlo), judge budgets.

`pipeline` runs the stages in order.
"""
