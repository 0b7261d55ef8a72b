"""监管工作台: the staff web console and the public result pages (Starlette, same database)."""
