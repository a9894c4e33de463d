"""Benchmarks, each measured beside its baseline in the same run. `python -m bench` runs them all."""
