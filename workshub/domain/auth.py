"""Passwords (argon2), API tokens (32 random bytes, stored as SHA-256) and sign-in throttling."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workshub.clock import Clock
from workshub.domain.errors import Throttled

__all__ = [
    "SignInThrottle",
    "hash_password",
    "hash_token",
    "new_token",
    "password_needs_rehash",
    "verify_password",
]

_hasher = PasswordHasher()
# A hash to verify against when the account does not exist, so timing tells nothing.
_DUMMY_HASH = _hasher.hash("workshub-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> tuple[str, str]:
    """A fresh API token and its SHA-256 (tokens are random, so a fast hash is right)."""
    token = "wh_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInThrottle:
    """At most 5 failures per account and 20 per address within 15 minutes (SPEC §6)."""

    WINDOW_S = 15 * 60
    PER_ACCOUNT = 5
    PER_ADDRESS = 20

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] >= self.WINDOW_S:
            times.popleft()
        return times

    def check(self, *, email: str, address: str) -> None:
        """Raise `Throttled` when either limit has been reached."""
        now = self._clock.monotonic()
        with self._lock:
            for key, limit in (
                (f"a:{email.lower()}", self.PER_ACCOUNT),
                (f"ip:{address}", self.PER_ADDRESS),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    retry = max(1, int(self.WINDOW_S - (now - times[0])) + 1)
                    raise Throttled("Too many failed sign-ins; try again later.", retry_after=retry)

    def failed(self, *, email: str, address: str) -> None:
        now = self._clock.monotonic()
        with self._lock:
            self._recent(f"a:{email.lower()}", now).append(now)
            self._recent(f"ip:{address}", now).append(now)

    def succeeded(self, *, email: str) -> None:
        with self._lock:
            self._failures.pop(f"a:{email.lower()}", None)
