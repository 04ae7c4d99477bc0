"""The service's errors: each knows its HTTP status and how its body reads.

Every layer raises these; `api` turns them into responses, room hosts carry them back to the
front across Ray as they are (they pickle), so a caller never sees a Ray traceback.

    GatekeeperError                  500 {"error": "Internal Server Error"}
    ├── InvalidRequestError          400 {"error": <message>}
    ├── UnauthorizedError            401 {"error": <message>}
    ├── ForbiddenError               403 {"error": <message>}
    ├── NotFoundError                404 {"error": <message>}
    │   └── ResourceNotFoundError    404 {"error": "Not Found", "message": <message>}
    ├── ConflictError                409 {"error": "Conflict", "message": <message>}
    ├── ServiceUnavailableError      503 {"error": <message>}
    ├── UpstreamError                502 {"error": <message>}  an outside service failed
    ├── ConfigurationError           start-up only: a setting is missing or malformed
    └── SignedFetchError             4xx/503 {"ok": false, "message": <message>}
        └── InvalidBodyError         400 {"ok": false, "message": ..., "data": [...]}

Room hosts add `RoomNotOwnedError` and `RoomMovingError` (in `actors`), which never reach
an HTTP client: the front retries on them.
"""

from __future__ import annotations

from typing import Any


class GatekeeperError(Exception):
    """Base of every error the service raises on purpose."""

    status: int = 500
    public_message: str | None = "Internal Server Error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else (self.public_message or "")
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The JSON body of the response for this error."""
        if self.status >= 500 and self.public_message is not None:
            return {"error": self.public_message}
        return {"error": self.message}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[GatekeeperError], message: str, state: dict[str, Any]) -> GatekeeperError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidRequestError(GatekeeperError):
    status = 400
    public_message = None


class UnauthorizedError(GatekeeperError):
    status = 401
    public_message = None


class ForbiddenError(GatekeeperError):
    status = 403
    public_message = None


class NotFoundError(GatekeeperError):
    status = 404
    public_message = None


class ResourceNotFoundError(NotFoundError):
    """A named thing that is not there, in the moderation endpoints' two-field shape."""

    def body(self) -> dict[str, Any]:
        return {"error": "Not Found", "message": self.message}


class ConflictError(GatekeeperError):
    status = 409
    public_message = None

    def body(self) -> dict[str, Any]:
        return {"error": "Conflict", "message": self.message}


class ServiceUnavailableError(GatekeeperError):
    """A part we depend on (database, room hosts, an outside service) cannot answer now."""

    status = 503
    public_message = None


class UpstreamError(GatekeeperError):
    """An outside service answered with something we cannot use."""

    status = 502
    public_message = None


class ConfigurationError(GatekeeperError):
    """A setting is missing or malformed; raised at start-up, naming the variable."""


class SignedFetchError(GatekeeperError):
    """A signed-fetch failure, in the `{"ok": false, "message": ...}` shape of the middleware."""

    public_message = None

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def body(self) -> dict[str, Any]:
        if self.status >= 500:
            return {"ok": False, "message": "Internal error"}
        return {"ok": False, "message": self.message}


class InvalidBodyError(SignedFetchError):
    """A request body that is not JSON or fails its schema."""

    def __init__(self, message: str, data: list[dict[str, Any]] | None = None) -> None:
        super().__init__(400, message)
        self.data = data

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        return body
