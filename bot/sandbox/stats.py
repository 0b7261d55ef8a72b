"""Counters about what the emulator was asked and how it answered."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EmulatorStats:
    """Request and outcome counters, for tests and benchmarks."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    rate_limited: int = 0
    injected_failures: int = 0
    spec_violations: int = 0
    updates_created: int = 0
    updates_returned: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly snapshot."""
        return {
            "requests": dict(self.requests),
            "total_requests": sum(self.requests.values()),
            "errors": {str(status): count for status, count in self.errors.items()},
            "rate_limited": self.rate_limited,
            "injected_failures": self.injected_failures,
            "spec_violations": self.spec_violations,
            "updates_created": self.updates_created,
            "updates_returned": self.updates_returned,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
        }
