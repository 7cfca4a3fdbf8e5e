/**
 * Red team: routes from a function's Python to the worker's JavaScript realm (and through it to the
 * host). Each function tries its route, uses whatever JavaScript it reaches to read the canaries,
 * create the marker file and connect to the listener, and returns what it managed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';
import {
  BENIGN,
  assertNothingReached,
  assertStillServes,
  hostile,
  makeCanaries,
  plantEnvCanary,
  random,
  runHostile,
  type Canaries,
} from './hostile.js';

describe('security: the JavaScript realm is out of reach', () => {
  let s: TestServer;
  let c: Canaries;
  const secret = random('sekrit-');

  before(async () => {
    const env = plantEnvCanary();
    c = await makeCanaries(env);
    s = await startTestServer({ workers: 2 });
    await s.create('benign', BENIGN);
    // A neighbour whose secret is in its interpreter's memory while the hostile functions run.
    await s.create('holder', 'def main(args, context):\n    global kept\n    kept = context["secret"]\n    return len(kept)\n', {
      context: `secret = "${secret}"\n`,
    });
    assert.equal((await s.call('GET', '/v1/sync/functions/holder/rpc')).status, 200);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    await c.close();
  });

  test('1. import js: js.process, js.require, js.globalThis, the Function constructor', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    import importlib
    candidates = []
    candidates.append(("import js", attempt("import js", lambda: __import__("js"), show=False)))
    candidates.append(("importlib js", attempt("importlib.import_module('js')", lambda: importlib.import_module("js"), show=False)))
    candidates.append(("sys.modules js", sys.modules.get("js")))
    for tag, js in candidates:
        if js is None:
            continue
        if attempt(tag + ".process", lambda: js.process, show=False) is not None:
            escaped(tag + ".process")
        if attempt(tag + ".require", lambda: js.require, show=False) is not None:
            escaped(tag + ".require")
        g = attempt(tag + ".globalThis", lambda: js.globalThis, show=False)
        js_escape(tag + ".globalThis", g)
        js_escape(tag + ".Object", attempt(tag + ".Object", lambda: js.Object, show=False))
        attempt(tag + ".Object.constructor.constructor('return process')()",
                lambda: js.Object.constructor.constructor("return process")(), show=False)
        js_escape(tag, js)
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-js', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('2. import pyodide_js: FS.mount(NODEFS), mountNodeFS, _module, FS.readFile', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    pj = attempt("import pyodide_js", lambda: __import__("pyodide_js"), show=False)
    if pj is None:
        pj = sys.modules.get("pyodide_js")
    if pj is None:
        return FOUND
    path = ARGS["canary_path"]
    folder = ARGS["canary_dir"]
    js_escape("pyodide_js", pj)
    module = attempt("pyodide_js._module", lambda: pj._module, show=False)
    js_escape("pyodide_js._module", module)
    fs = attempt("pyodide_js.FS", lambda: pj.FS, show=False)
    attempt("mountNodeFS", lambda: pj.mountNodeFS("/hostdir", folder))
    attempt("read through mountNodeFS", lambda: open("/hostdir/canary.txt").read())
    if fs is not None:
        attempt("FS.filesystems", lambda: list(pj.constructor.keys(fs.filesystems)))
        attempt("FS.readFile(canary)", lambda: fs.readFile(path, pj.constructor.fromEntries([["encoding", "utf8"]])))
        opts = attempt("options object", lambda: module.JSON.parse('{"root": "/"}'), show=False)
        if opts is None:
            try:
                from pyodide.ffi import to_js
                opts = to_js({"root": "/"}, dict_converter=pj.constructor.fromEntries)
            except Exception as error:
                note("no options object: " + type(error).__name__)
        attempt("FS.mkdir", lambda: fs.mkdir("/hostroot"))
        attempt("FS.mount(NODEFS)", lambda: fs.mount(fs.filesystems.NODEFS, opts, "/hostroot"))
        attempt("FS.mount(NODERAWFS)", lambda: fs.mount(fs.filesystems.NODERAWFS, opts, "/hostroot"))
        attempt("read through NODEFS", lambda: open("/hostroot" + path).read())
        attempt("write through NODEFS", lambda: open("/hostroot" + ARGS["marker_path"], "w").write("x"))
        attempt("FS.readFile through NODEFS", lambda: fs.readFile("/hostroot" + path, pj.constructor.fromEntries([["encoding", "utf8"]])))
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-pyodide-js', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('3. pyodide.code.run_js and the constructors of pyodide.ffi results (to_js, create_proxy)', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    import importlib
    code = attempt("import pyodide.code", lambda: importlib.import_module("pyodide.code"), show=False)
    if code is not None:
        attempt("run_js(payload)", lambda: code.run_js(js_payload()))
    runner = attempt("import pyodide._run_js", lambda: importlib.import_module("pyodide._run_js"), show=False)
    if runner is not None:
        attempt("_run_js.run_js(payload)", lambda: runner.run_js(js_payload()))
    ffi = attempt("import pyodide.ffi", lambda: importlib.import_module("pyodide.ffi"), show=False)
    if ffi is not None:
        js_escape("to_js([1, 2])", attempt("to_js([1, 2])", lambda: ffi.to_js([1, 2]), show=False))
        js_escape("to_js(dict)", attempt("to_js(dict)", lambda: ffi.to_js({"a": 1}), show=False))
        js_escape("create_proxy", attempt("create_proxy", lambda: ffi.create_proxy(lambda: 0), show=False))
        js_escape("create_once_callable", attempt("create_once_callable", lambda: ffi.create_once_callable(lambda: 0), show=False))
        attempt("run_sync", lambda: ffi.run_sync(None))
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-run-js', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('4. _pyodide_core and _pyodide: import, and _load of a builtin ModuleSpec behind the import hook', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def callsite_walk(tag, core):
    """Without eval: Error.prepareStackTrace hands over CallSite objects, whose getThis() and
    getFunction() may reach objects of the worker's realm that hold process."""
    array = core.to_js([1])
    error_class = None
    try:
        array.constructor.constructor("")
    except Exception as error:
        js_error = getattr(error, "js_error", None)
        if js_error is not None:
            error_class = getattr(array.constructor.prototype, "__proto__").constructor.getPrototypeOf(js_error.constructor)
    if error_class is None:
        return
    reached = []

    def prepare(error, frames):
        for frame in frames:
            for getter in ("getThis", "getFunction"):
                try:
                    value = getattr(frame, getter)()
                except Exception:
                    continue
                if value is not None:
                    reached.append((str(frame.getFileName()), getter, value))
        return "prepared"

    attempt(tag + " Error.stackTraceLimit", lambda: setattr(error_class, "stackTraceLimit", 200))
    attempt(tag + " Error.prepareStackTrace", lambda: setattr(error_class, "prepareStackTrace", core.create_proxy(prepare)))
    attempt(tag + " new Error().stack", lambda: error_class.new("x").stack)
    attempt(tag + " reset prepareStackTrace", lambda: setattr(error_class, "prepareStackTrace", None))
    note(tag + " CallSite values: " + short([(f, g, type(v).__name__) for f, g, v in reached][:40]))
    for filename, getter, value in reached:
        for name in ("process", "require", "module", "exports"):
            try:
                found = getattr(value, name)
            except Exception:
                continue
            if found is not None and name in ("process", "require"):
                escaped(tag + " CallSite." + getter + "() of " + filename + " reaches " + name)


def use_core(tag, core):
    if core is None:
        return
    if getattr(core, "to_js", None) is not None or getattr(core, "create_proxy", None) is not None:
        escaped(tag + " loaded _pyodide_core, which makes JavaScript objects from Python")
        attempt(tag + " CallSite walk", lambda: callsite_walk(tag, core))
    names = attempt(tag + " names", lambda: sorted(dir(core)))
    for name in names or []:
        value = getattr(core, name, None)
        if is_js(value):
            escaped(tag + "." + name + " is a JsProxy")
            js_escape(tag + "." + name, value)
    for name in ("to_js", "create_proxy", "create_once_callable"):
        fn = getattr(core, name, None)
        if fn is None:
            continue
        js_escape(tag + "." + name + "([1])", attempt(tag + "." + name, lambda: fn([1]) if name == "to_js" else fn(lambda: 0), show=False))
    run_js = getattr(core, "run_js", None)
    if run_js is not None:
        attempt(tag + ".run_js(payload)", lambda: run_js(js_payload()))


def main(args, context):
    start(args)
    import _frozen_importlib
    import _imp
    import importlib
    import importlib._bootstrap
    import importlib.machinery
    import importlib.util
    use_core("import _pyodide_core", attempt("import _pyodide_core", lambda: __import__("_pyodide_core"), show=False))
    for name in ("_pyodide", "_pyodide._base", "_pyodide._core_docs", "_pyodide._importhook", "_pyodide.jsbind"):
        module = attempt("import " + name, lambda: importlib.import_module(name), show=False)
        if module is not None:
            escaped("imported " + name)
    note("builtin modules: " + ", ".join(n for n in sys.builtin_module_names if "pyodide" in n or n.startswith("js")))
    spec = attempt("BuiltinImporter.find_spec", lambda: importlib.machinery.BuiltinImporter.find_spec("_pyodide_core"))
    if spec is None:
        spec = attempt("ModuleSpec by hand", lambda: importlib.machinery.ModuleSpec("_pyodide_core", importlib.machinery.BuiltinImporter, origin="built-in"))
    if spec is not None:
        use_core("_frozen_importlib._load", attempt("_frozen_importlib._load", lambda: _frozen_importlib._load(spec), show=False))
        use_core("importlib._bootstrap._load", attempt("importlib._bootstrap._load", lambda: importlib._bootstrap._load(spec), show=False))
        use_core("BuiltinImporter.create_module", attempt("BuiltinImporter.create_module", lambda: importlib.machinery.BuiltinImporter.create_module(spec), show=False))
        use_core("_imp.create_builtin", attempt("_imp.create_builtin", lambda: _imp.create_builtin(spec), show=False))
        use_core("module_from_spec", attempt("module_from_spec", lambda: importlib.util.module_from_spec(spec), show=False))
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-core', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('5. the JsFinder of sys.meta_path and its jsproxies', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def look_at_finder(tag, finder):
    proxies = getattr(finder, "jsproxies", None)
    if proxies:
        escaped(tag + " holds jsproxies " + short(list(proxies)))
        for key, value in list(proxies.items()):
            js_escape(tag + ".jsproxies[" + repr(key) + "]", value)


def main(args, context):
    start(args)
    note("meta_path: " + short([type(f).__name__ for f in sys.meta_path]))
    note("path_hooks: " + short(sys.path_hooks))
    for finder in list(sys.meta_path) + list(sys.path_importer_cache.values()):
        look_at_finder("finder " + type(finder).__name__, finder)
    for cls in all_classes():
        if "JsFinder" not in cls.__name__:
            continue
        note("class " + cls.__name__ + " still reachable")
        for attr, value in list(vars(cls).items()):
            g = getattr(value, "__globals__", None)
            if not g:
                continue
            for gname, gvalue in list(g.items()):
                if isinstance(gvalue, cls):
                    look_at_finder(cls.__name__ + " method globals " + gname, gvalue)
                if is_js(gvalue):
                    escaped("JsProxy in JsFinder globals: " + gname)
                    js_escape("JsFinder globals " + gname, gvalue)
        fresh = attempt("new " + cls.__name__, lambda: cls(), show=False)
        if fresh is not None:
            look_at_finder("new " + cls.__name__, fresh)
            spec = attempt("fresh finder find_spec('js')", lambda: fresh.find_spec("js", None))
            if spec is not None:
                escaped("a fresh JsFinder still finds js")
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-jsfinder', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('6. no JsProxy is reachable by walking object.__subclasses__(), globals, closures and frames', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    js_found, _, steps = hunt()
    note("visited " + str(steps) + " objects")
    for value in js_found[:30]:
        escaped("reachable JsProxy of type " + type(value).__name__)
    for index, value in enumerate(js_found[:30]):
        js_escape("walked JsProxy #" + str(index), value)
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-walk', code, c.args(), { timeout: 30 });
    assert.notEqual(outcome.reply.status, 504, 'the walk must finish for this test to mean anything');
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('7. gc.get_objects, get_referrers and get_referents find no JsProxy and no neighbour\'s secret', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def scan(tag, objects):
    if objects is None:
        return
    prefix = "sek" + "rit-"
    js = [o for o in objects if is_js(o)]
    strings = [o for o in objects if isinstance(o, str) and prefix in o]
    for value in js[:20]:
        escaped(tag + " gave a JsProxy of type " + type(value).__name__)
    for value in js[:20]:
        js_escape(tag + " JsProxy", value)
    note(tag + " strings: " + short(strings[:50]))


def main(args, context):
    start(args)
    import gc
    scan("gc.get_objects()", attempt("gc.get_objects()", lambda: gc.get_objects(), show=False))
    for generation in (0, 1, 2):
        scan("gc.get_objects(" + str(generation) + ")", attempt("gc.get_objects(g)", lambda: gc.get_objects(generation), show=False))
    scan("gc.get_referrers", attempt("gc.get_referrers", lambda: gc.get_referrers(object, type, sys, builtins), show=False))
    scan("gc.get_referents", attempt("gc.get_referents", lambda: gc.get_referents(sys.modules, *sys.modules.values()), show=False))
    scan("gc.garbage", attempt("gc.garbage", lambda: (gc.collect(), list(gc.garbage))[1], show=False))
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-gc', code, c.args(), { timeout: 30 });
    await assertNothingReached(outcome, c, t);
    assert.ok(!outcome.everything.includes(secret), 'the garbage collector handed over another function\'s secret');
    await assertStillServes(s);
  });

  test('14a. no bridge module is left in sys.modules, and importlib, pyodide.http and __main__ give none back', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    import importlib
    import importlib.machinery
    import importlib.util
    bridges = sorted(n for n in sys.modules if n.split(".")[0] in ("js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "micropip"))
    for name in bridges:
        escaped("sys.modules still holds " + name)
        module = sys.modules[name]
        for key, value in list(vars(module).items()):
            if is_js(value):
                js_escape(name + "." + key, value)
    for name in ("pyodide", "pyodide.http", "pyodide.webloop", "pyodide.console", "pyodide._core", "micropip"):
        module = attempt("import_module(" + name + ")", lambda: importlib.import_module(name), show=False)
        if module is not None:
            escaped("imported " + name)
    http = sys.modules.get("pyodide.http")
    if http is None:
        http = attempt("__import__ pyodide.http", lambda: builtins.__import__("pyodide.http", fromlist=["pyfetch"]), show=False)
    if http is not None:
        attempt("open_url", lambda: http.open_url("http://127.0.0.1:" + str(ARGS["port"]) + "/").read())
    main_module = sys.modules.get("__main__")
    if main_module is not None:
        for key, value in list(vars(main_module).items()):
            if is_js(value):
                escaped("__main__." + key + " is a JsProxy")
                js_escape("__main__." + key, value)
    for key, value in list(vars(builtins).items()):
        if is_js(value):
            escaped("builtins." + key + " is a JsProxy")
    spec = attempt("PathFinder.find_spec('pyodide')", lambda: importlib.machinery.PathFinder.find_spec("pyodide"))
    if spec is not None and spec.loader is not None:
        def load_renamed():
            renamed = importlib.util.spec_from_loader("renamed_pyodide", spec.loader, origin=spec.origin, is_package=True)
            module = importlib.util.module_from_spec(renamed)
            spec.loader.exec_module(module)
            return module
        renamed = attempt("exec the pyodide package under another name", load_renamed, show=False)
        if renamed is not None:
            escaped("loaded the pyodide package under another name")
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-modules', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('14b. the audit hook cannot be disarmed through the globals of its own frames', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def disarm(error):
    tb = error.__traceback__
    while tb is not None:
        g = tb.tb_frame.f_globals
        if g is not globals():
            note("frame of " + tb.tb_frame.f_code.co_filename + " exposes " + short(sorted(g)[:40]))
            for key, value in list(g.items()):
                if isinstance(value, (set, frozenset)):
                    g[key] = frozenset()
                elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                    g[key] = ()
            if "_audit" in g or "_refuse" in g:
                g["_refuse"] = lambda what: None
        tb = tb.tb_next


def main(args, context):
    start(args)
    import gc
    for trigger in (lambda: os.system("true"), lambda: gc.get_objects(), lambda: __import__("js")):
        try:
            trigger()
        except BaseException as error:
            disarm(error)
    objects = attempt("gc.get_objects() after disarming", lambda: gc.get_objects(), show=False)
    if objects is not None:
        escaped("gc.get_objects() works after disarming the audit hook")
        js = [o for o in objects if is_js(o)]
        for index, value in enumerate(js[:20]):
            js_escape("gc JsProxy #" + str(index), value)
    attempt("os.system after disarming", lambda: os.system("touch " + ARGS["marker_path"]))
    import importlib.machinery
    import importlib._bootstrap
    spec = importlib.machinery.BuiltinImporter.find_spec("_pyodide_core")
    if spec is not None:
        core = attempt("_load(_pyodide_core) after disarming", lambda: importlib._bootstrap._load(spec), show=False)
        if core is not None and getattr(core, "to_js", None) is not None:
            js_escape("_pyodide_core.to_js after disarming", attempt("to_js", lambda: core.to_js([1]), show=False))
    js = attempt("import js after disarming", lambda: __import__("js"), show=False)
    if js is not None:
        js_escape("js after disarming", js)
    return FOUND
`);
    const outcome = await runHostile(s, 'realm-audit', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('raw-memory and bridge builtins cannot be created, by import or behind the import hook; ordinary builtins load', { timeout: 120_000 }, async () => {
    const code = [
      'import _frozen_importlib, _imp, importlib.machinery, sys',
      '',
      'def main(args, context):',
      '    out = {}',
      '    for name in ["_ctypes", "_testcapi", "_testinternalcapi", "_pyodide_core", "_imp", "ctypes"]:',
      '        sys.modules.pop(name, None)',
      '        ways = []',
      '        for way in (lambda: __import__(name),',
      '                    lambda: _frozen_importlib._load(importlib.machinery.BuiltinImporter.find_spec(name)),',
      '                    lambda: _imp.create_builtin(importlib.machinery.ModuleSpec(name, None)),',
      '                    lambda: sys.audit("faaspot.create_builtin", name, [])):',
      '            try:',
      '                result = way()',
      '                ways.append("none" if result is None else "loaded")',
      '            except ImportError:',
      '                ways.append("refused")',
      '            except Exception as error:',
      '                ways.append(type(error).__name__)',
      '        out[name] = ways',
      '    import _decimal, _csv, _sqlite3',
      '    out["ordinary"] = [m.__name__ for m in (_decimal, _csv, _sqlite3)]',
      '    return out',
    ].join('\n');
    const outcome = await runHostile(s, 'builtin-routes', code, {});
    assert.equal(outcome.reply.status, 200, outcome.reply.text.slice(0, 500));
    const out = outcome.reply.json as Record<string, string[]>;
    // ctypes is pure Python: it fails where it imports _ctypes. sys.audit itself returns None.
    for (const name of ['_ctypes', '_testcapi', '_testinternalcapi', '_pyodide_core', '_imp']) {
      assert.deepEqual(out[name], ['refused', 'refused', 'refused', 'none'], `${name}: ${JSON.stringify(out[name])}`);
    }
    assert.equal(out.ctypes?.[0], 'refused');
    assert.deepEqual(out.ordinary, ['_decimal', '_csv', '_sqlite3']);
    await assertStillServes(s);
  });
});
