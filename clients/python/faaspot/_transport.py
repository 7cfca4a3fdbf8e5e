"""HTTP over urllib: JSON in, JSON out, every failure a FaaspotError."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Mapping, Optional, Tuple

from ._version import __version__
from .errors import CONNECTION_ERROR, INVALID_RESPONSE, FaaspotError

_NO_BODY = object()
#: Passed as ``timeout`` to wait as long as the server takes (blocking runs).
NO_TIMEOUT = None


def quote_segment(value: str) -> str:
    """Quotes one path segment (a function name or an execution id)."""
    return urllib.parse.quote(value, safe="")


class Transport:
    """Sends requests to one server with one token."""

    def __init__(self, base_url: str, token: str, request_timeout: Optional[float]) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.request_timeout = request_timeout
        self._opener = urllib.request.build_opener()

    def request(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        query: Optional[Mapping[str, Any]] = None,
        timeout: Any = "default",
        headers: Optional[Mapping[str, str]] = None,
    ) -> Tuple[Any, Dict[str, str]]:
        """Sends one request; returns the decoded JSON body (``None`` if empty) and the headers.

        ``timeout`` is the socket timeout in seconds: ``"default"`` uses the client's
        ``request_timeout``, ``None`` waits as long as the server takes. ``headers`` are sent
        besides the client's own (``Authorization``, ``Accept``, ...), which they cannot replace.

        Raises:
            FaaspotError: the server's error (its ``code``, ``message``, status and other fields),
                ``CONNECTION_ERROR`` when the server cannot be reached, ``INVALID_RESPONSE``
                when a successful answer is not JSON.
        """
        url = self.base_url + path
        if query:
            pairs = [(key, _query_value(value)) for key, value in query.items() if value is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        sent_headers = {
            **(headers or {}),
            "Authorization": f"Token {self._token}",
            "Accept": "application/json",
            "User-Agent": f"faaspot-python/{__version__}",
        }
        data = None
        if body is not _NO_BODY:
            try:
                data = json.dumps(body, allow_nan=False, ensure_ascii=False).encode("utf-8")
            except (TypeError, ValueError) as error:
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"the request body cannot be sent as JSON: {error}") from error
            sent_headers["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(url, data=data, headers=sent_headers, method=method)
        seconds = self.request_timeout if timeout == "default" else timeout
        try:
            with self._opener.open(request, timeout=seconds) as response:
                status = response.status
                raw = response.read()
                response_headers = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as error:
            raise _http_error(error, method, url) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise _connection_error(error, method, url) from error
        if not 200 <= status < 300:
            raise FaaspotError(INVALID_RESPONSE, f"{method} {url} answered HTTP {status}", status)
        return _decode(raw, status, method, url), response_headers


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode(raw: bytes, status: int, method: str, url: str) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        preview = raw[:200].decode("utf-8", "replace")
        raise FaaspotError(INVALID_RESPONSE, f"{method} {url} answered something that is not JSON: {preview!r}",
                           status) from error


def _http_error(error: urllib.error.HTTPError, method: str, url: str) -> FaaspotError:
    """The FaaspotError for an HTTP error answer: the server's JSON error, or a description."""
    try:
        raw = error.read()
    except (OSError, http.client.HTTPException):
        raw = b""
    finally:
        error.close()
    body: Any = None
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        details = {key: value for key, value in body.items() if key not in ("code", "message")}
        message = body.get("message")
        return FaaspotError(body["code"], message if isinstance(message, str) else body["code"], error.code, details)
    preview = raw[:200].decode("utf-8", "replace").strip()
    reason = error.reason if isinstance(error.reason, str) else ""
    text = f"{method} {url} answered HTTP {error.code} {reason}".rstrip()
    return FaaspotError(f"HTTP_{error.code}", text + (f": {preview}" if preview else ""), error.code)


def _connection_error(error: BaseException, method: str, url: str) -> FaaspotError:
    """CONNECTION_ERROR for a server that could not be reached or dropped the connection."""
    reason: Any = getattr(error, "reason", None) if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, (socket.timeout, TimeoutError)):
        text = "timed out waiting for the server"
    elif isinstance(reason, OSError) and reason.strerror:
        text = reason.strerror
    else:
        text = str(reason) or type(reason).__name__
    return FaaspotError(
        CONNECTION_ERROR,
        f"cannot reach the FaaSpot server ({method} {url}): {text}. Check that it is running and "
        "that the URL (FAASPOT_URL or the profile's host, port and protocol) is right",
        None,
        {"url": url},
    )
