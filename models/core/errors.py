"""Domain errors. Each carries the HTTP status and a stable code the API layer renders."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds after which a client may try again (503s)

    def __init__(self, message: str, details: Any = None, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code
        if status:
            self.status = status


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class NotReady(DomainError):
    status = 503
    code = "not_ready"
    retry_after = 5


class DatabaseUnavailable(DomainError):
    """The database did not answer (server down, connection lost, SQLite locked past its busy
    timeout). Whatever the request was writing rolled back; it can be sent again."""

    status = 503
    code = "database_unavailable"
    retry_after = 5


class StorageError(DomainError):
    """The database refused a write that passed validation; nothing of it was written."""

    status = 500
    code = "storage_failed"
