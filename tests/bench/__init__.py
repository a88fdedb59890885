"""The benchmarks' own harnesses, run briefly so that `make test` keeps them working."""
