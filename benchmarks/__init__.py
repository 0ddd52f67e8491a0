"""Benchmarks on synthetic national data (not part of the installed package)."""
