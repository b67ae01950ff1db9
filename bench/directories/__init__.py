"""Data generators for the sample directory and the benchmarks (not in the wheel)."""
