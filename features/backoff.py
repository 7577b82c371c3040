"""Retry with exponential backoff: the one schedule every background sender uses.

A failed attempt is tried again after `first * factor ** (attempts - 1)`, until `max_attempts`
attempts have failed; then the sender gives up and records why. Notifications and webhooks each
name their own numbers here, so a change to how retries grow happens in one place.
"""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    first: timedelta
    factor: int
    max_attempts: int

    def delay(self, attempts):
        """How long to wait after the `attempts`-th failed attempt (1 for the first failure)."""
        return self.first * self.factor ** max(attempts - 1, 0)

    def exhausted(self, attempts):
        """True once `attempts` failed attempts mean: give up."""
        return attempts >= self.max_attempts
