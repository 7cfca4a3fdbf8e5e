"""Seals an interpreter before any function code runs in it.

Run once, right after boot. It removes the bridges to JavaScript from the module system and installs
an audit hook, which cannot be removed, refusing what a function must never do: spawn processes,
open sockets, load native libraries, or walk the garbage collector to objects it was not given.
This is one layer of several: the worker also stubs the WebAssembly imports behind processes and
sockets, removes the host file system driver, and forbids JavaScript code generation from strings.
"""

import os
import sys

_BRIDGE_PREFIXES = ("js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "micropip")

# Builtin modules that read or write raw memory, or whose fresh copy would hold the import system's
# original functions; with the bridges and any `_test...` module, no function may create them.
_REFUSED_BUILTINS = frozenset({"_ctypes", "_imp", "_remote_debugging", "_posixsubprocess", "_xxtestfuzz", "xxsubtype"})

# The audit event through which the import system has a builtin module created, once sealed.
_CREATE_BUILTIN_EVENT = "faaspot.create_builtin"

_REFUSED_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.startfile",
        "os.kill",
        "os.killpg",
        "pty.spawn",
        "subprocess.Popen",
        "socket.__new__",
        "socket.connect",
        "socket.bind",
        "socket.getaddrinfo",
        "socket.sendto",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.addressof",
        "ctypes.cdata",
        "ctypes.call_function",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sys._current_frames",
        "sys.setprofile",
        "sys.settrace",
        "sys.monitoring.register_callback",
        "cpython.PyInterpreterState_Clear",
        "cpython._PySys_ClearAuditHooks",
        "cpython.run_interactivehook",
        "webbrowser.open",
    }
)


def _is_bridge(name):
    return any(name == prefix or name.startswith(prefix + ".") for prefix in _BRIDGE_PREFIXES)


def _from_bridge(obj):
    """Whether an import-system object (such as Pyodide's JsFinder) comes from a bridge module."""
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "")
    return isinstance(module, str) and _is_bridge(module)


def _make_audit_hook():
    """The hook reads no global name: everything it uses is bound as a default argument.

    A function that catches the PermissionError can reach the hook's frame through the traceback,
    and from it the module globals; rebinding a global there must not disarm the hook. Defaults live
    on the function object, which no frame exposes.
    """

    def audit(
        event,
        args,
        refused=_REFUSED_EVENTS,
        prefixes=tuple(prefix + "." for prefix in _BRIDGE_PREFIXES),
        exact=frozenset(_BRIDGE_PREFIXES),
        join="".join,
        permission_error=PermissionError,
        import_error=ImportError,
        str_type=str,
        isinstance=isinstance,
    ):
        if event in refused:
            raise permission_error(event + " is not permitted in a FaaSpot function")
        if event == "import" and args and isinstance(args[0], str_type):
            # join copies the characters: a str subclass cannot lie through __eq__ or startswith.
            name = join((args[0],))
            if name in exact or str_type.startswith(name, prefixes):
                raise import_error("module '" + name + "' is not available in a FaaSpot function")

    return audit


def seal(environment):
    """Removes the JavaScript bridges, fixes the environment, then installs the audit hook."""
    import asyncio
    import time

    # Pyodide wraps time.sleep and asyncio.run with versions that reach JavaScript; put back CPython's.
    for owner, attribute in ((time, "sleep"), (asyncio, "run")):
        current = getattr(owner, attribute)
        if hasattr(current, "__wrapped__"):
            setattr(owner, attribute, current.__wrapped__)
    for name in list(sys.modules):
        if _is_bridge(name):
            module = sys.modules.pop(name)
            # Functions defined in these modules keep their globals alive; empty them so no
            # JavaScript object stays reachable through a function's __globals__.
            try:
                module.__dict__.clear()
            except Exception:
                pass
    sys.meta_path[:] = [finder for finder in sys.meta_path if not _from_bridge(finder)]
    sys.path_hooks[:] = [hook for hook in sys.path_hooks if not _from_bridge(hook)]
    sys.path_importer_cache.clear()
    # Pyodide's event loop is driven by JavaScript timers and is always "running"; drop it and its
    # policy. The runtime runs `async def main` on a pure-Python loop of its own.
    import asyncio.events

    asyncio.events._set_running_loop(None)
    if hasattr(asyncio.events, "_event_loop_policy"):
        asyncio.events._event_loop_policy = None
    os.environ.clear()
    os.environ.update(environment)
    # Interpreters restored from one memory snapshot would otherwise share random's state.
    random = sys.modules.get("random")
    if random is not None:
        random.seed()
    sys.executable = ""
    sys.argv = [""]
    sys.addaudithook(_make_audit_hook())
    _route_builtin_creation()


def _make_builtin_creator():
    """An audit hook that creates builtin modules, for the import system, after checking the name.

    `_imp.create_builtin` creates a builtin module without the "import" audit event, and a function
    can call it (`_frozen_importlib._load(BuiltinImporter.find_spec(name))`), so it is replaced by a
    function that raises this hook's event. The original lives only among this hook's defaults. The
    hook never raises: its frame (and with it those defaults, as locals) never ends up in a traceback
    that a function could walk. The refusing hook, which may raise, holds nothing of the sort.
    """
    import _imp
    from _frozen_importlib import BuiltinImporter, ModuleSpec

    def create(
        event,
        args,
        create_event=_CREATE_BUILTIN_EVENT,
        create_builtin=_imp.create_builtin,
        module_spec=ModuleSpec,
        builtin_importer=BuiltinImporter,
        prefixes=tuple(prefix + "." for prefix in _BRIDGE_PREFIXES),
        exact=frozenset(_BRIDGE_PREFIXES),
        refused=_REFUSED_BUILTINS,
        join="".join,
        str_type=str,
        list_type=list,
        type=type,
        len=len,
        base_exception=BaseException,
    ):
        if event != create_event:
            return
        try:
            # (name, box): nothing the caller passed is read twice; the spec is made here.
            if len(args) != 2 or type(args[0]) is not str_type or type(args[1]) is not list_type:
                return
            name = join((args[0],))
            if name in exact or str_type.startswith(name, prefixes) or name in refused or str_type.startswith(name, "_test"):
                return
            list_type.append(args[1], create_builtin(module_spec(name, builtin_importer, origin="built-in")))
        except base_exception:
            return

    return create


def _route_builtin_creation():
    """From now on the import system creates builtin modules through `_make_builtin_creator`."""
    import _imp

    sys.addaudithook(_make_builtin_creator())

    def create_builtin(spec, audit=sys.audit, event=_CREATE_BUILTIN_EVENT, str_type=str, import_error=ImportError):
        name = str_type(spec.name)
        box = []
        audit(event, name, box)
        if not box:
            raise import_error("module '" + name + "' is not available in a FaaSpot function", name=name)
        return box[0]

    _imp.create_builtin = create_builtin
