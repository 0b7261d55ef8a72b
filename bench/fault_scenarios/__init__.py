"""Fault scenarios for bench/faults.py: each module has NAME and run(workdir) -> figures."""
