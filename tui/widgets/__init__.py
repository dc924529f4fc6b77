"""The TUI's widgets, one area each: scenario list, inputs, derived values, budgets, latency, details."""
