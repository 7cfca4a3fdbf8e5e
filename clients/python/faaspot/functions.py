"""``faaspot.functions``: create, update, read, delete and run functions."""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from ._transport import NO_TIMEOUT, Transport, quote_segment
from .errors import INVALID_RESPONSE, FaaspotError

__all__ = ["Functions"]

PathLike = Union[str, "os.PathLike[str]"]


def _require_name(name: Any, what: str = "name") -> str:
    if not isinstance(name, str):
        raise TypeError(f"the function {what} must be a string, not {type(name).__name__}")
    if name == "":
        raise ValueError(f"the function {what} must not be empty")
    return name


def _read_text(path: PathLike, what: str) -> str:
    """A file's text, read as UTF-8 (a leading byte-order mark is dropped)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"the {what} file {os.fspath(path)!r} is not UTF-8 text "
                         f"(byte {error.start}: {raw[error.start:error.start + 1]!r})") from error


def _quote(text: str) -> str:
    """Quotes text as the original clients did; the server decodes it back exactly."""
    return urllib.parse.quote(text.encode("utf-8"))


def _source(file: Optional[PathLike], text: Optional[str], what: str, required: bool) -> Optional[str]:
    """The quoted code or context from a file or a string (not both)."""
    if file is not None and text is not None:
        raise ValueError(f"give the {what} either as a file or as a string, not both")
    if file is not None:
        return _quote(_read_text(file, what))
    if text is not None:
        if not isinstance(text, str):
            raise TypeError(f"the {what} must be a string, not {type(text).__name__}")
        return _quote(text)
    if required:
        raise ValueError(f"the {what} is required: pass file=PATH or code=TEXT")
    return None


def _context(file: Optional[PathLike], context: Union[str, Mapping[str, Any], None]) -> Any:
    """The context to send: quoted context-file text, or a JSON object for a mapping."""
    if isinstance(context, Mapping):
        if file is not None:
            raise ValueError("give the context either as a file or as a value, not both")
        return dict(context)
    return _source(file, context, "context", required=False)


def _optional_fields(body: Dict[str, Any], timeout: Optional[float], memory: Optional[int]) -> Dict[str, Any]:
    if timeout is not None:
        body["timeout"] = timeout
    if memory is not None:
        body["memory"] = memory
    return body


_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")


def _idempotency_headers(key: Optional[str]) -> Dict[str, str]:
    """The request header of an idempotency key (none for ``None``), checked as the server checks it."""
    if key is None:
        return {}
    if not isinstance(key, str):
        raise TypeError(f"idempotency_key must be a string, not {type(key).__name__}")
    if not _IDEMPOTENCY_KEY.fullmatch(key) or key.strip(" ") != key:
        raise ValueError("idempotency_key must be 1 to 255 printable ASCII characters, without spaces at either "
                         f"end (a random UUID makes a good key, such as str(uuid.uuid4())); got {key!r}")
    return {"Idempotency-Key": key}


def _callback_headers(callback_url: Optional[str]) -> Dict[str, str]:
    """The ``X-Callback-Url`` header of a run, if it has a callback URL."""
    if callback_url is None:
        return {}
    if not isinstance(callback_url, str):
        raise TypeError(f"callback_url must be a string, not {type(callback_url).__name__}")
    return {"X-Callback-Url": callback_url}


def _args(args: Optional[Mapping[str, Any]], where: str = "args") -> Dict[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise TypeError(f"{where} must be a dict of arguments, not {type(args).__name__}")
    return dict(args)


class Functions:
    """The functions of the token's namespace. ``faaspot.functions()`` returns this same object,
    so both ``faaspot.functions.run(...)`` and ``faaspot.functions().run(...)`` work."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __call__(self) -> "Functions":
        """Returns this object (the original client's ``faaspot.functions()`` spelling)."""
        return self

    def _path(self, name: str) -> str:
        return "/v1/functions/" + quote_segment(_require_name(name))

    def create(
        self,
        name: str,
        file: Optional[PathLike] = None,
        context_file: Optional[PathLike] = None,
        wait: bool = False,
        timeout: Optional[float] = None,
        memory: Optional[int] = None,
        code: Optional[str] = None,
        context: Union[str, Mapping[str, Any], None] = None,
    ) -> Dict[str, Any]:
        """Creates a function (``PUT /v1/functions/``).

        Args:
            name: the function's name (letters, digits, ``_``, ``.``, ``-``; at most 64).
            file: path of the Python source, which defines ``main(args, context)``; read as UTF-8.
            context_file: optional path of the context file (``KEY = VALUE`` lines); read as UTF-8.
            wait: accepted for compatibility with the original client; creation is complete when
                this returns, so there is nothing to wait for.
            timeout: optional run timeout in seconds (server default 60).
            memory: optional memory cap in MiB (server default 256).
            code: the source as a string, instead of ``file``.
            context: the context as a string in the context-file format or as a dict, instead of
                ``context_file``.

        Returns:
            The function as the server shows it: ``name``, ``version``, ``code``,
            ``context_keys``, ``timeout``, ``memory``, ``created``, ``updated``.

        Raises:
            FaaspotError: ``FUNCTION_EXISTS`` (409) if the name is taken, ``INVALID_CODE`` (400,
                with ``details['line']``) if the code does not compile, ``INVALID_MAIN``,
                ``INVALID_CONTEXT``, ``INVALID_NAME``, ...
        """
        body: Dict[str, Any] = {"name": _require_name(name), "code": _source(file, code, "code", required=True)}
        context_value = _context(context_file, context)
        if context_value is not None:
            body["context"] = context_value
        value, _ = self._transport.request("PUT", "/v1/functions/", _optional_fields(body, timeout, memory))
        return value

    def update(
        self,
        name: str,
        file: Optional[PathLike] = None,
        context_file: Optional[PathLike] = None,
        new_name: Optional[str] = None,
        timeout: Optional[float] = None,
        memory: Optional[int] = None,
        wait: bool = False,
        code: Optional[str] = None,
        context: Union[str, Mapping[str, Any], None] = None,
    ) -> Dict[str, Any]:
        """Updates a function (``PATCH /v1/functions/<name>``); only what is given changes.

        Args:
            name: the function to update.
            file: path of new source code (or ``code=`` the source as a string).
            context_file: path of a new context file (or ``context=`` a string or a dict).
            new_name: renames the function.
            timeout: new run timeout in seconds.
            memory: new memory cap in MiB.
            wait: accepted for compatibility; the update is complete when this returns.

        Returns:
            The updated function; its ``version`` has grown by one.

        Raises:
            FaaspotError: ``FUNCTION_NOT_FOUND`` (404), ``FUNCTION_EXISTS`` (409) when renaming to
                a taken name, ``INVALID_REQUEST`` when nothing is given to change, code errors.
        """
        body: Dict[str, Any] = {}
        code_value = _source(file, code, "code", required=False)
        if code_value is not None:
            body["code"] = code_value
        context_value = _context(context_file, context)
        if context_value is not None:
            body["context"] = context_value
        if new_name is not None:
            body["name"] = _require_name(new_name, "new name")
        value, _ = self._transport.request("PATCH", self._path(name), _optional_fields(body, timeout, memory))
        return value

    def get(self, name: str) -> Dict[str, Any]:
        """Returns one function with its code and its context's keys (never the values).

        Raises:
            FaaspotError: ``FUNCTION_NOT_FOUND`` (404).
        """
        value, _ = self._transport.request("GET", self._path(name))
        return value

    def list(self) -> List[Dict[str, Any]]:
        """Returns the namespace's functions, without their code."""
        value, _ = self._transport.request("GET", "/v1/functions/")
        return value

    def delete(self, name: str) -> Dict[str, Any]:
        """Deletes a function; its pending executions become ``cancelled``.

        Returns:
            The deleted function, with ``deleted: True`` and ``cancelled_executions`` (a count).

        Raises:
            FaaspotError: ``FUNCTION_NOT_FOUND`` (404).
        """
        value, _ = self._transport.request("DELETE", self._path(name))
        return value

    def run(
        self,
        name: str,
        args: Optional[Mapping[str, Any]] = None,
        wait: bool = False,
        idempotency_key: Optional[str] = None,
        callback_url: Optional[str] = None,
    ) -> Any:
        """Runs a function with a dict of arguments.

        Without ``wait`` the run is queued (``POST /v1/functions/<name>/rpc/``) and its execution
        id is returned at once; read the outcome with ``faaspot.executions.get(id)``, or give
        ``callback_url`` to have the server POST the final record there when the run ends,
        signed with ``X-Faaspot-Signature`` (sent as the ``X-Callback-Url`` header).
        With ``wait=True`` the call blocks (``POST /v1/sync/functions/<name>/rpc/``) and returns
        main's return value. A blocking run waits as long as the function's own timeout allows;
        it takes no ``callback_url``.

        Args:
            idempotency_key: makes a run without ``wait`` safe to send again: 1 to 255 printable
                ASCII characters chosen for this run (``str(uuid.uuid4())``) and sent unchanged with
                every retry of it. The same run with the key, within the server's
                ``FAASPOT_IDEMPOTENCY_TTL`` (24 hours by default), returns the first one's id and
                runs nothing again. Blocking runs take no key.
            callback_url: where the server POSTs the final record once the run ends (not with
                ``wait=True``). With an ``idempotency_key`` it is part of the request the key
                stands for: a retry must send the same URL, or it is ``IDEMPOTENCY_KEY_REUSED``.

        Returns:
            The execution id (a string), or with ``wait=True`` main's return value.

        Raises:
            FaaspotError: ``FUNCTION_NOT_FOUND`` (404); ``IDEMPOTENCY_KEY_REUSED`` (422) for a key
                first sent with another request; for a blocking run ``FUNCTION_FAILED``
                (502: main raised, returned something JSON cannot hold, or the run was
                cancelled) or ``FUNCTION_TIMEOUT`` (504), with the execution record in
                ``error.execution`` (its ``error`` holds ``type``, ``message``, ``traceback``);
                ``CALLBACK_URL_INVALID`` (400) or ``CALLBACK_URL_FORBIDDEN`` (403) for a
                ``callback_url`` the server does not take (nothing runs).
            ValueError: an ``idempotency_key`` with ``wait=True``, or one the server would refuse.
        """
        body = _args(args)
        segment = quote_segment(_require_name(name))
        headers = {**_idempotency_headers(idempotency_key), **_callback_headers(callback_url)}
        if wait:
            if idempotency_key is not None:
                raise ValueError("blocking runs (wait=True) take no idempotency_key: a retried blocking run runs "
                                 "again. Run without wait, with the key, then use executions.get(id, wait=True)")
            value, _ = self._transport.request("POST", f"/v1/sync/functions/{segment}/rpc/", body, timeout=NO_TIMEOUT,
                                               headers=headers)
            return value
        value, _ = self._transport.request("POST", f"/v1/functions/{segment}/rpc/", body, headers=headers)
        if not isinstance(value, str):
            raise FaaspotError(INVALID_RESPONSE, f"expected an execution id, got {value!r}")
        return value

    def run_bulk(
        self,
        name: str,
        args_list: Iterable[Mapping[str, Any]],
        idempotency_key: Optional[str] = None,
        callback_url: Optional[str] = None,
    ) -> List[str]:
        """Queues one run per dict of arguments, all or none (``POST .../bulk_rpc/``).

        Bulk runs never block; read their outcomes with ``faaspot.executions.get_bulk(ids)`` or
        ``faaspot.executions.get(id, wait=True)``, or give ``callback_url`` to have each
        execution's final record POSTed there when it ends.

        Args:
            idempotency_key: makes the bulk safe to send again: 1 to 255 printable ASCII
                characters chosen for this bulk (``str(uuid.uuid4())``) and sent unchanged with
                every retry of it. The same bulk with the key, within the server's
                ``FAASPOT_IDEMPOTENCY_TTL`` (24 hours by default), returns the first one's ids and
                runs nothing again.
            callback_url: where the server POSTs each execution's final record once it ends. With
                an ``idempotency_key`` it is part of the request the key stands for: a retry must
                send the same URL, or it is ``IDEMPOTENCY_KEY_REUSED``.

        Returns:
            The execution ids, in the order of ``args_list``.

        Raises:
            FaaspotError: ``FUNCTION_NOT_FOUND`` (404), ``INVALID_REQUEST`` (400) for an empty
                list or one over the server's ``FAASPOT_MAX_BULK``, ``IDEMPOTENCY_KEY_REUSED``
                (422) for a key first sent with another request, ``CALLBACK_URL_INVALID`` or
                ``CALLBACK_URL_FORBIDDEN`` for a ``callback_url`` the server does not take.
        """
        headers = {**_idempotency_headers(idempotency_key), **_callback_headers(callback_url)}
        if isinstance(args_list, (str, bytes, Mapping)):
            raise TypeError("args_list must be a list of dicts of arguments")
        items = []
        for index, item in enumerate(args_list):
            if not isinstance(item, Mapping):
                raise TypeError(f"item {index} of args_list must be a dict of arguments, not {type(item).__name__}")
            items.append(dict(item))
        segment = quote_segment(_require_name(name))
        value, _ = self._transport.request("POST", f"/v1/functions/{segment}/bulk_rpc/", items, headers=headers)
        if not isinstance(value, list):
            raise FaaspotError(INVALID_RESPONSE, f"expected a list of execution ids, got {value!r}")
        return value
