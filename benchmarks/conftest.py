# benchmarks/floors/ holds scripts that the benchmarks run in a fresh interpreter or a terminal: they are
# not tests, and importing one (as --doctest-modules would) runs it.
collect_ignore = ["floors"]
