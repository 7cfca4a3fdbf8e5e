"""The ``Faaspot`` client object."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ._transport import Transport
from .config import resolve_connection
from .executions import Executions
from .functions import Functions

__all__ = ["Faaspot"]


class Faaspot:
    """A client of one FaaSpot server, acting with one token.

    ``Faaspot()`` finds the server and token as the original client did: the environment
    variables ``FAASPOT_URL`` and ``FAASPOT_TOKEN`` first, then the selected profile of
    ``~/.faaspot/fasconf.yaml`` (directory from ``FAASPOT_DIR``, file name from
    ``FAASPOT_CONFIG``). ``Faaspot(url=..., token=...)`` needs neither.

    Attributes:
        functions: create, update, get, list, delete, run and run_bulk functions.
        executions: get (optionally waiting), get_bulk, list, iter and cancel executions.
        url: the server's base URL.

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8080``.
        token: the API token, sent as ``Authorization: Token <token>``.
        profile: the profile of the profile file to use instead of its ``faaspot.profile``.
        request_timeout: seconds to wait for an answer to an ordinary request (``None``: no
            limit). Blocking runs wait as long as the function's timeout allows, and
            ``executions.get(id, wait=...)`` as long as asked, whatever this is.

    Raises:
        FaaspotConfigError: (a ``FaaspotError`` with code ``CONFIG_ERROR``, and a ``ValueError``)
            if the profile file is malformed or names a missing profile, or no token is configured.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        profile: Optional[str] = None,
        request_timeout: Optional[float] = 60.0,
    ) -> None:
        self.url, self.token = resolve_connection(url, token, profile)
        self._transport = Transport(self.url, self.token, request_timeout)
        self.functions = Functions(self._transport)
        self.executions = Executions(self._transport)

    def callback_secret(self) -> Dict[str, Any]:
        """Returns the key that signs the completion callbacks of this token's namespace
        (``GET /v1/callback-secret``): ``{"namespace": ..., "secret": ...}``. Each namespace has a
        key of its own; a receiver checks ``X-Faaspot-Signature`` with it (see ``is_from_faaspot``
        in the README)."""
        value, _ = self._transport.request("GET", "/v1/callback-secret")
        return value

    def health(self) -> Dict[str, Any]:
        """Returns the server's ``GET /healthz`` answer: ``status``, ``warm`` (interpreters
        ready), ``workers``, ``running``, ``queued``. Needs no valid token."""
        value, _ = self._transport.request("GET", "/healthz")
        return value

    def __repr__(self) -> str:
        return f"Faaspot(url={self.url!r})"
