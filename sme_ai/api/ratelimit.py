"""Rate limits per API key: a token bucket (`burst` requests at once, refilled at `per_minute`)."""

from __future__ import annotations

import threading
import time

from sme_ai.api.errors import RateLimitedError


class TokenBuckets:
    def __init__(self, per_minute: float, burst: int, clock=time.monotonic):
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id → (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key_id: str) -> None:
        """Spend one token of `key_id`'s bucket, or raise RateLimitedError with the seconds until one is back."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                raise RateLimitedError(key_id, (1.0 - tokens) / self.rate)
            self._buckets[key_id] = (tokens - 1.0, now)
