"""Fault scenarios: each module has NAME and run(workdir) -> figures (sent, answered ...)."""
