"""The FaaSpot runtime inside one interpreter.

An interpreter serves a single function version: `run` loads it on the first call (its module top
level runs once), then calls `main(args, context)` for each execution. Results go back to the worker
as a tuple of plain values, so nothing but strings and numbers crosses into JavaScript.
"""

import ast
import asyncio
import io
import json
import linecache
import sys
import time
import traceback
import types

# Frames of this file are the runtime's, not the user's: they are cut from tracebacks.
_RUNTIME_FILE = (lambda: None).__code__.co_filename

_FAILED = "failed"
_COMPLETED = "completed"


class _Capture(io.TextIOBase):
    """Collects stdout and stderr of one execution, keeping at most `cap` UTF-8 bytes of its start.

    Writes past the cap are counted as written and dropped, so a flood of output costs no memory.
    """

    def __init__(self, cap):
        self._parts = []
        self._size = 0
        self._cap = cap
        self.truncated = False

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.truncated:
            return len(text)
        data = text.encode("utf-8", "surrogatepass")
        room = self._cap - self._size
        if len(data) <= room:
            self._parts.append(text)
            self._size += len(data)
        else:
            self._parts.append(data[:room].decode("utf-8", "ignore"))
            self._size = self._cap
            self.truncated = True
        return len(text)

    def getvalue(self):
        return "".join(self._parts)


class _SleepSelector:
    """A selector with no file descriptors: waiting means sleeping until the next timer is due."""

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("async main is waiting for something that can never happen: no timer is pending")
        if timeout > 0:
            time.sleep(timeout)
        return []

    def close(self):
        pass

    def get_map(self):
        return {}


class _EventLoop(asyncio.BaseEventLoop):
    """A pure-Python event loop for `async def main`: timers and tasks, no I/O.

    Pyodide's own loop is driven by JavaScript timers, which would leave a JavaScript object
    reachable from Python; this one needs nothing but time.sleep.
    """

    def __init__(self):
        super().__init__()
        self._selector = _SleepSelector()

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass


class _Function:
    def __init__(self, main, context_json, is_async):
        self.main = main
        self.context_json = context_json
        self.is_async = is_async


_loaded = None


def _safe_str(value):
    try:
        return str(value)
    except BaseException:  # a hostile __str__ must not take the runtime down
        return f"<{type(value).__name__} object>"


# The error types the engine gives to its own outcomes (Timeout, WorkerCrashed…): set by the worker
# before this file runs, from the engine's one list (src/engine/error-types.ts).
_RESERVED_ERROR_TYPES = globals().get("_RESERVED_ERROR_TYPES", frozenset())


def _type_name(error):
    """The class name of a function's exception, qualified when it is empty or an engine type's.

    `class Timeout(Exception)` in hello.py is reported as `hello.Timeout`, so that it cannot pass for
    the engine's timeout; a class with an empty name is `<unnamed>`.
    """
    cls = type(error)
    # Read through type itself: a metaclass may redefine the attributes a class shows.
    name = type.__dict__["__name__"].__get__(cls)
    if name and name not in _RESERVED_ERROR_TYPES:
        return name
    if not name:
        return "<unnamed>"
    try:
        module = type.__dict__["__module__"].__get__(cls)
    except BaseException:  # a __module__ that is not a string, or a hostile descriptor
        module = None
    module = module if isinstance(module, str) and module else "<unknown>"
    qualname = type.__dict__["__qualname__"].__get__(cls) or name
    return f"{module}.{qualname}"


def _describe(error):
    """The error as (type, message, traceback) with the runtime's own frames removed."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _RUNTIME_FILE:
        tb = tb.tb_next
    try:
        text = "".join(traceback.format_exception(type(error), error, tb))
    except BaseException:
        text = None
    return (_type_name(error), _safe_str(error), text)


def _load(code, context_json, filename):
    """Executes the function's module once; returns an error triple or None."""
    global _loaded
    try:
        compiled = compile(code, filename, "exec", dont_inherit=True)
    except BaseException as error:
        return _describe(error)
    # Tracebacks show the user's source lines although the code never touched a file.
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    module_name = filename[:-3] if filename.endswith(".py") else filename
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules[module_name] = module
    try:
        exec(compiled, module.__dict__)
    except BaseException as error:
        return _describe(error)
    main = module.__dict__.get("main")
    if not callable(main):
        return ("InvalidMain", "the module defines no callable `main(args, context)`", None)
    import inspect

    _loaded = _Function(main, context_json, inspect.iscoroutinefunction(main))
    return None


def _end(capture, saved, status, output, error, duration_ms):
    sys.stdout, sys.stderr = saved
    kind, message, text = error if error is not None else (None, None, None)
    return (status, output, kind, message, text, capture.getvalue(), capture.truncated, duration_ms)


def _serialise(result, capture, saved, duration_ms, output_cap):
    try:
        output = json.dumps(result, allow_nan=False)
    except BaseException as error:
        described = (
            "ResultNotSerializable",
            f"main returned a value that JSON cannot represent: {_safe_str(error)}",
            None,
        )
        return _end(capture, saved, _FAILED, None, described, duration_ms)
    # json.dumps escapes non-ASCII, so its length is its size in bytes.
    if len(output) > output_cap:
        described = (
            "OutputTooLarge",
            f"main returned {len(output)} bytes of JSON; the limit is {output_cap} bytes",
            None,
        )
        return _end(capture, saved, _FAILED, None, described, duration_ms)
    return _end(capture, saved, _COMPLETED, output, None, duration_ms)


def _call_async(main, args, context):
    loop = _EventLoop()
    try:
        return loop.run_until_complete(main(args, context))
    finally:
        loop.close()


def run(args_json, log_cap, output_cap, code=None, context_json=None, filename=None):
    """Runs main once and returns the result tuple; `async def main` is run to completion.

    When `code` is given the function is loaded first, in this same execution (its top-level output
    belongs to this execution's logs).
    """
    capture = _Capture(log_cap)
    saved = (sys.stdout, sys.stderr)
    sys.stdout = sys.stderr = capture
    try:
        if code is not None:
            error = _load(code, context_json, filename)
            if error is not None:
                return _end(capture, saved, _FAILED, None, error, None)
        function = _loaded
        args = json.loads(args_json)
        context = json.loads(function.context_json)
        started = time.perf_counter()
        try:
            if function.is_async:
                result = _call_async(function.main, args, context)
            else:
                result = function.main(args, context)
        except BaseException as error:
            return _end(capture, saved, _FAILED, None, _describe(error), (time.perf_counter() - started) * 1000)
        return _serialise(result, capture, saved, (time.perf_counter() - started) * 1000, output_cap)
    except BaseException as error:
        return _end(capture, saved, _FAILED, None, _describe(error), None)


def _accepts_two_positional(arguments):
    positional = len(arguments.posonlyargs) + len(arguments.args)
    required = positional - len(arguments.defaults)
    keyword_only_required = any(default is None for default in arguments.kw_defaults)
    return (positional >= 2 or arguments.vararg is not None) and required <= 2 and not keyword_only_required


def validate(code, filename):
    """Checks code without running it: returns None, or (problem, message, line, column)."""
    try:
        compile(code, filename, "exec", dont_inherit=True)
        tree = ast.parse(code, filename)
    except SyntaxError as error:
        return ("syntax", f"{type(error).__name__}: {error.msg}", error.lineno, error.offset)
    except (ValueError, RecursionError, MemoryError) as error:
        return ("syntax", f"{type(error).__name__}: {_safe_str(error)}", None, None)
    main = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "main":
            main = node
    if main is None:
        return (
            "main",
            "the code has no top-level `def main(args, context)`: define one that takes two positional parameters",
            None,
            None,
        )
    if not _accepts_two_positional(main.args):
        return (
            "main",
            f"`main` must take two positional parameters (args, context); line {main.lineno} defines "
            f"main({ast.unparse(main.args)})",
            main.lineno,
            main.col_offset + 1,
        )
    return None
