"""The HTTP sandbox fixture of test_run_http, for the other scenarios that start real processes."""

from tests.scenarios.test_run_http import sandbox  # noqa: F401  (a fixture)
