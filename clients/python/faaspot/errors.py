"""The one exception class of the FaaSpot client."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

__all__ = ["FaaspotError", "FaaspotConfigError", "CONNECTION_ERROR", "CONFIG_ERROR", "INVALID_RESPONSE"]

#: Code of an error raised when the server could not be reached or the connection failed.
CONNECTION_ERROR = "CONNECTION_ERROR"
#: Code of an error raised when the client configuration (profile file, environment) is unusable.
CONFIG_ERROR = "CONFIG_ERROR"
#: Code of an error raised when the server answered something that is not the expected JSON.
INVALID_RESPONSE = "INVALID_RESPONSE"


class FaaspotError(Exception):
    """An error answered by the FaaSpot server, or a failure to reach it.

    Attributes:
        code: the server's stable error code (``FUNCTION_NOT_FOUND``, ``FUNCTION_FAILED``, ...),
            or one of the client's own: ``CONNECTION_ERROR``, ``CONFIG_ERROR``, ``INVALID_RESPONSE``.
        message: the server's explanation, meant for people.
        status: the HTTP status (``None`` when there was no HTTP answer).
        details: every other field of the error body (``line`` and ``column`` of a code error,
            ``execution`` of a failed run, ...); an empty dict when there are none.
        execution: the execution record carried by the error (a failed or timed-out blocking run,
            cancelling an execution that had ended), else ``None``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: Optional[int] = None,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(code, message, status, details)
        self.code = code
        self.message = message
        self.status = status
        self.details: Dict[str, Any] = dict(details or {})

    @property
    def execution(self) -> Optional[Dict[str, Any]]:
        """The execution record the server attached to this error, if any."""
        execution = self.details.get("execution")
        return execution if isinstance(execution, dict) else None

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.code}{where}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.status!r})"


class FaaspotConfigError(FaaspotError, ValueError):
    """The client configuration cannot be used: a malformed profile file, or nothing configured.

    ``code`` is ``CONFIG_ERROR``; ``path`` and ``line`` locate the problem in the profile file
    when it comes from one (either may be ``None``).
    """

    def __init__(self, message: str, path: Optional[str] = None, line: Optional[int] = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(CONFIG_ERROR, where + message, None, {"path": path, "line": line})
        self.problem = message
        self.path = path
        self.line = line

    def __reduce__(self):  # picklable despite the constructor differing from FaaspotError's
        return (type(self), (self.problem, self.path, self.line))
