"""Domain errors. Each carries the API's error code and HTTP status (SPEC §6)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "DomainError",
    "Forbidden",
    "IdempotencyKeyReused",
    "InvalidJson",
    "NoRunningTimer",
    "NotFound",
    "Throttled",
    "Unauthenticated",
    "ValidationFailed",
    "VersionConflict",
]


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


class InvalidJson(DomainError):
    code, status = "invalid_json", 400


class ValidationFailed(DomainError):
    code, status = "validation_failed", 422

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls(f"{name}: {message}", fields={name: message})


class IdempotencyKeyReused(DomainError):
    code, status = "idempotency_key_reused", 422


class Unauthenticated(DomainError):
    code, status = "unauthenticated", 401

    def __init__(self, message: str = "Sign in first.") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    code, status = "forbidden", 403

    def __init__(self, message: str = "Your role may not do this.") -> None:
        super().__init__(message)


class NotFound(DomainError):
    """Also raised for an id outside the caller's scope: the two must be indistinguishable."""

    code, status = "not_found", 404

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"No such {what}.")


class VersionConflict(DomainError):
    code, status = "version_conflict", 409

    def __init__(self, message: str, *, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.current = current

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        if self.current is not None:
            body["error"]["current"] = self.current
        return body


class NoRunningTimer(DomainError):
    code, status = "no_running_timer", 409

    def __init__(self, message: str = "No timer is running.") -> None:
        super().__init__(message)


class Throttled(DomainError):
    code, status = "throttled", 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
