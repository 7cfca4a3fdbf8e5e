"""``faaspot.executions``: read, wait for, list and cancel execution records."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from ._transport import Transport, quote_segment
from .errors import INVALID_RESPONSE, FaaspotError

__all__ = ["Executions", "ExecutionPage", "TERMINAL_STATUSES"]

#: Statuses after which an execution never changes.
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
#: The longest ``?wait=`` the server accepts, in seconds.
MAX_SERVER_WAIT = 60.0


class ExecutionPage(list):
    """A list of execution records, newest first, with the cursor of the next page.

    ``next_cursor`` is ``None`` when the page was not full (there is nothing more to read);
    otherwise pass it as ``cursor=`` to ``faaspot.executions.list`` to read on.
    """

    def __init__(self, records: Iterable[Dict[str, Any]], next_cursor: Optional[str]) -> None:
        super().__init__(records)
        self.next_cursor = next_cursor


def _require_id(execution_id: Any) -> str:
    if not isinstance(execution_id, str):
        raise TypeError(f"an execution id must be a string, not {type(execution_id).__name__}")
    if execution_id == "":
        raise ValueError("an execution id must not be empty")
    return execution_id


def _wait_seconds(seconds: float) -> str:
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return text or "0"


class Executions:
    """Execution records of the token's namespace. ``faaspot.executions()`` returns this same
    object, so both ``faaspot.executions.get(id)`` and ``faaspot.executions().get(id)`` work."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __call__(self) -> "Executions":
        """Returns this object (the original client's ``faaspot.executions()`` spelling)."""
        return self

    def _fetch(self, execution_id: str, wait: float = 0) -> Dict[str, Any]:
        path = "/v1/executions/" + quote_segment(execution_id)
        if wait <= 0:
            value, _ = self._transport.request("GET", path)
        else:
            extra = self._transport.request_timeout
            value, _ = self._transport.request(
                "GET", path, query={"wait": _wait_seconds(wait)}, timeout=None if extra is None else wait + extra)
        if not isinstance(value, dict):
            raise FaaspotError(INVALID_RESPONSE, f"expected an execution record, got {value!r}")
        return value

    def get(self, execution_id: str, wait: Union[bool, float] = False) -> Dict[str, Any]:
        """Returns an execution record.

        Args:
            execution_id: the id that ``functions.run`` or ``functions.run_bulk`` returned.
            wait: ``False`` answers at once. ``True`` waits until the execution has ended
                (``completed``, ``failed`` or ``cancelled``), however long that takes, by
                long-polling the server 60 s at a time. A number waits at most that many seconds
                in all, then returns the record as it is (check its ``status``).

        Returns:
            The record: ``uuid``, ``name``, ``function_version``, ``status``, ``args``,
            ``output``, ``error`` (``None`` or ``{type, message, traceback}``), ``logs``,
            ``logs_truncated``, ``created``, ``started``, ``finished``, ``duration_ms``.

        Raises:
            FaaspotError: ``EXECUTION_NOT_FOUND`` (404).
        """
        _require_id(execution_id)
        if wait is False or wait is None:
            return self._fetch(execution_id)
        if wait is True:
            deadline = None
        else:
            if not isinstance(wait, (int, float)):
                raise TypeError(f"wait must be True, False or a number of seconds, not {type(wait).__name__}")
            if wait < 0:
                raise ValueError("wait must not be negative")
            if wait == 0:
                return self._fetch(execution_id)
            deadline = time.monotonic() + wait
        record: Optional[Dict[str, Any]] = None
        while True:
            if deadline is None:
                seconds = MAX_SERVER_WAIT
            else:
                seconds = min(MAX_SERVER_WAIT, deadline - time.monotonic())
                if seconds < 0.001:
                    break
            record = self._fetch(execution_id, seconds)
            if record.get("status") in TERMINAL_STATUSES:
                return record
        return record if record is not None else self._fetch(execution_id)

    def get_bulk(self, execution_ids: Iterable[str]) -> List[Optional[Dict[str, Any]]]:
        """Returns the records of several executions (``POST /v1/executions/bulk``), in order;
        ``None`` in the place of an id the namespace does not know. Records that hold more than the
        server's ``FAASPOT_MAX_RESPONSE`` together raise ``RESPONSE_TOO_LARGE``: ask for fewer."""
        if isinstance(execution_ids, (str, bytes)):
            raise TypeError("execution_ids must be a list of ids, not a single string")
        ids = [_require_id(execution_id) for execution_id in execution_ids]
        value, _ = self._transport.request("POST", "/v1/executions/bulk", ids)
        if not isinstance(value, list):
            raise FaaspotError(INVALID_RESPONSE, f"expected a list of execution records, got {value!r}")
        return value

    def list(
        self,
        include_completed: bool = False,
        function: Optional[str] = None,
        status: Union[str, Iterable[str], None] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> ExecutionPage:
        """Returns one page of execution records, newest first.

        Args:
            include_completed: also ended executions; by default only pending and running ones.
            function: only the executions of the function of that name.
            status: only those of this status, or any of these statuses (overrides
                ``include_completed``).
            limit: page size (server default 100, at most 1000).
            cursor: the ``next_cursor`` of the previous page.

        Returns:
            An ``ExecutionPage``: a list of records whose ``next_cursor`` is the cursor of the
            next page, or ``None`` when there is none. ``iter()`` follows the pages for you.
        """
        if status is not None and not isinstance(status, str):
            status = ",".join(status)
        query = {
            "include_completed": True if include_completed else None,
            "function": function,
            "status": status,
            "limit": limit,
            "cursor": cursor,
        }
        value, headers = self._transport.request("GET", "/v1/executions/", query=query)
        if not isinstance(value, list):
            raise FaaspotError(INVALID_RESPONSE, f"expected a list of execution records, got {value!r}")
        return ExecutionPage(value, headers.get("x-next-cursor") or None)

    def iter(
        self,
        include_completed: bool = False,
        function: Optional[str] = None,
        status: Union[str, Iterable[str], None] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[Dict[str, Any]]:
        """Yields every matching execution record, newest first, reading page after page
        (the same filters as ``list``; ``page_size`` is each request's ``limit``)."""
        if status is not None and not isinstance(status, str):
            status = ",".join(status)
        cursor: Optional[str] = None
        while True:
            page = self.list(include_completed, function, status, page_size, cursor)
            yield from page
            if page.next_cursor is None or not page:
                return
            cursor = page.next_cursor

    def cancel(self, execution_id: str) -> Dict[str, Any]:
        """Cancels an execution (``DELETE /v1/executions/<id>``): a pending one at once, a
        running one is stopped.

        Returns:
            The execution record after cancelling.

        Raises:
            FaaspotError: ``EXECUTION_NOT_FOUND`` (404); ``EXECUTION_ENDED`` (409) if it had already
                ended, with the record in ``error.execution``.
        """
        value, _ = self._transport.request("DELETE", "/v1/executions/" + quote_segment(_require_id(execution_id)))
        return value
