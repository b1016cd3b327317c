"""Benchmarks at national scale; run with `make bench` (prints figures, never asserts on time)."""
