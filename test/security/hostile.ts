/**
 * Shared pieces of the red-team suite: host-side canaries whose contact the tests check, a Python
 * prelude the hostile functions share, and the assertions every test makes.
 *
 * Every hostile function is plain Python source sent through the HTTP API. It gets the canaries'
 * coordinates as arguments (never their secret values), tries its route, and returns the list of
 * what it managed to do. Anything that got arbitrary JavaScript or a `process` object writes the
 * marker `ESCAPED:` into that list; the Python source spells it as "ESC" + "APED:" so that an echo
 * of the source (a traceback, an error message) is never mistaken for an escape.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Reply, TestServer } from '../integration/harness.js';

export const ESCAPED = 'ESC' + 'APED:';

/** Host-side things a hostile function must never touch. */
export interface Canaries {
  /** A directory under the host's tmpdir holding the canary file. */
  dir: string;
  /** A host file with random content. */
  canaryPath: string;
  canaryContent: string;
  /** A host path that must not exist after any test. */
  markerPath: string;
  /** The canary environment variable, set in the server's process before it started. */
  envName: string;
  envValue: string;
  /** A loopback TCP listener that must never be connected to. */
  port: number;
  connections(): number;
  /** The number of connections so far, then zero again. */
  resetConnections(): number;
  /** What a hostile function gets as its arguments. */
  args(): Record<string, unknown>;
  close(): Promise<void>;
}

export function random(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/**
 * Sets a canary environment variable in this process. Call it before starting the server, so its
 * worker threads inherit it.
 */
export function plantEnvCanary(): { name: string; value: string } {
  const name = `FAASPOT_CANARY_${randomBytes(6).toString('hex').toUpperCase()}`;
  const value = random('envcanary-');
  process.env[name] = value;
  return { name, value };
}

export async function makeCanaries(env: { name: string; value: string }): Promise<Canaries> {
  const dir = mkdtempSync(join(tmpdir(), 'faaspot-sec-'));
  const canaryPath = join(dir, 'canary.txt');
  const canaryContent = random('filecanary-');
  writeFileSync(canaryPath, canaryContent);
  const markerPath = join(dir, 'marker-must-not-exist');
  let count = 0;
  const sockets = new Set<Socket>();
  const listener: Server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('the canary listener has no port');
  const port = address.port;
  return {
    dir,
    canaryPath,
    canaryContent,
    markerPath,
    envName: env.name,
    envValue: env.value,
    port,
    connections: () => count,
    resetConnections: () => {
      const was = count;
      count = 0;
      return was;
    },
    args: () => ({ canary_path: canaryPath, canary_dir: dir, marker_path: markerPath, env_name: env.name, port }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Outcome {
  reply: Reply;
  /** The execution record (from the reply, or fetched by the X-Execution-Id header). */
  record: any;
  /** Everything the function could have put anywhere we can read: the reply and the record. */
  everything: string;
}

/** Creates `name` with `code` (timeout 5 s unless `extra` says otherwise) and runs it once, blocking. */
export async function runHostile(
  s: TestServer,
  name: string,
  code: string,
  args: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  token?: string,
): Promise<Outcome> {
  await s.create(name, code, { timeout: 5, ...extra }, token);
  return call(s, name, args, token);
}

/** Runs an existing function once, blocking, and gathers its reply and execution record. */
export async function call(s: TestServer, name: string, args: Record<string, unknown> = {}, token?: string): Promise<Outcome> {
  const reply = await s.call('POST', `/v1/sync/functions/${name}/rpc`, args, token);
  let record: any = reply.json?.execution ?? null;
  const id = reply.headers.get('x-execution-id');
  if (id) {
    const fetched = await s.call('GET', `/v1/executions/${id}`, undefined, token);
    if (fetched.status === 200) record = fetched.json;
  }
  return { reply, record, everything: reply.text + '\n' + JSON.stringify(record) };
}

/** Lets asynchronous JavaScript a function might have started (a socket connect) reach the host. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/**
 * The common assertion: no escape marker, no canary value, no marker file, no connection. The
 * marker file and the connection count are reset first, so one test's escape does not fail the next.
 */
export async function assertNothingReached(outcome: Outcome, c: Canaries, t?: TestContext): Promise<void> {
  if (t && process.env.FAASPOT_SECURITY_VERBOSE) t.diagnostic(`${outcome.reply.status} ${outcome.everything.slice(0, 6000)}`);
  await settle();
  const { everything } = outcome;
  const markerExisted = existsSync(c.markerPath);
  rmSync(c.markerPath, { force: true });
  const connections = c.resetConnections();
  const escapes = everything.split(ESCAPED).slice(1).map((rest) => rest.slice(0, 120));
  assert.deepEqual(escapes, [], `the function reached the JavaScript realm or the host: ${escapes.join(' ; ')}`);
  assert.ok(!everything.includes(c.canaryContent), 'the content of a host file reached the function');
  assert.ok(!everything.includes(c.envValue), 'the value of a host environment variable reached the function');
  assert.equal(markerExisted, false, `the function created a host file (${c.markerPath})`);
  assert.equal(connections, 0, 'the function opened a connection to a loopback listener of the host');
}

/** A benign function still answers, so the server survived. */
export async function assertStillServes(s: TestServer): Promise<void> {
  const health = await s.call('GET', '/healthz', undefined, null);
  assert.equal(health.status, 200, 'the server no longer answers /healthz');
  const reply = await s.call('GET', '/v1/sync/functions/benign/rpc?x=1');
  assert.equal(reply.status, 200, `a benign function no longer answers: ${reply.status} ${reply.text.slice(0, 300)}`);
  assert.deepEqual(reply.json, { benign: '1' });
}

/**
 * Every worker still serves: fresh functions run concurrently need a pristine interpreter each, so
 * they spread over the worker threads (one execution per thread at a time).
 */
export async function assertEveryWorkerServes(s: TestServer, workers = 2): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    const names = Array.from({ length: workers }, () => random('fresh-'));
    for (const name of names) await s.create(name, BENIGN, { timeout: 10 });
    const replies = await Promise.all(names.map((name) => s.call('GET', `/v1/sync/functions/${name}/rpc?x=1`)));
    for (const reply of replies) {
      assert.equal(reply.status, 200, `a worker no longer serves: ${reply.status} ${reply.text.slice(0, 300)}`);
    }
  }
  await assertStillServes(s);
}

export const BENIGN = 'def main(args, context):\n    return {"benign": args.get("x")}\n';

/**
 * Python shared by the hostile functions. `ARGS` holds main's arguments once `start(args)` ran;
 * `attempt` runs one try and records its outcome; `js_escape` tries to turn any JavaScript object
 * into code execution in the worker (which would read the canaries, create the marker and connect).
 */
export const PRELUDE = `
import builtins
import json
import os
import sys
import types

ESC = "ESC" + "APED:"
FOUND = []
ARGS = {}


def start(args):
    FOUND.clear()
    ARGS.clear()
    ARGS.update(args)


def short(value):
    try:
        text = repr(value)
    except BaseException as error:
        text = "<unrepresentable " + type(error).__name__ + ">"
    return text[:3000]


def note(text):
    FOUND.append(str(text)[:3000])


def escaped(what):
    FOUND.append(ESC + what)


def attempt(tag, fn, show=True):
    try:
        value = fn()
    except (Exception, SystemExit) as error:
        FOUND.append("refused " + tag + ": " + type(error).__name__ + ": " + str(error)[:200])
        return None
    if show:
        FOUND.append("ok " + tag + " -> " + short(value))
    else:
        FOUND.append("ok " + tag + " -> " + type(value).__name__)
    return value


def js_payload():
    """A JavaScript expression that, if it ever runs, reports itself and touches every canary."""
    return (
        "(() => { const out = ['ESC' + 'APED:js-code-ran'];"
        " const p = globalThis.process;"
        " if (p) {"
        "  out.push('ESC' + 'APED:process-object');"
        "  try { out.push('env=' + p.env[" + json.dumps(ARGS["env_name"]) + "]); } catch (e) { out.push(String(e)); }"
        "  try { const fs = p.getBuiltinModule('node:fs');"
        "    out.push('file=' + fs.readFileSync(" + json.dumps(ARGS["canary_path"]) + ", 'utf8'));"
        "    fs.writeFileSync(" + json.dumps(ARGS["marker_path"]) + ", 'x'); } catch (e) { out.push(String(e)); }"
        "  try { const net = p.getBuiltinModule('node:net');"
        "    net.connect(" + str(int(ARGS["port"])) + ", '127.0.0.1').on('error', () => {}); } catch (e) { out.push(String(e)); }"
        " }"
        " return out.join(' | '); })()"
    )


def is_js(value):
    """Whether value is a Pyodide JsProxy (of any flavour) rather than a Python object."""
    try:
        kind = type(value)
        if isinstance(value, type):
            return False
        return any(k.__name__ in ("JsProxy", "JsCallable", "JsDoubleProxy") for k in kind.__mro__)
    except Exception:
        return False


def js_escape(tag, obj):
    """Tries to run JavaScript through obj: its Function constructor, eval, process."""
    if obj is None:
        return
    note("trying JavaScript object " + tag + " of type " + type(obj).__name__)
    for name in ("process", "require", "eval", "Function"):
        value = attempt(tag + "." + name, lambda: getattr(obj, name), show=False)
        if value is not None and name == "process":
            escaped(tag + ".process")
        if value is not None and name == "require":
            escaped(tag + ".require")

    def via_function():
        return obj.constructor.constructor("return " + js_payload())()

    result = attempt(tag + ".constructor.constructor(payload)()", via_function)
    if result is not None:
        escaped(tag + " ran JavaScript through its Function constructor")

    def via_eval():
        return obj.eval(js_payload())

    if attempt(tag + ".eval(payload)", via_eval) is not None:
        escaped(tag + " ran JavaScript through eval")


def all_classes():
    seen = set()
    out = []
    stack = [object]
    while stack:
        cls = stack.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        out.append(cls)
        try:
            stack.extend(type.__subclasses__(cls))
        except Exception:
            pass
    return out


def hunt(needle=None, limit=300000):
    """Walks everything plain attribute access reaches from every class, module and frame.

    Returns (JsProxy instances found, strings containing needle, objects visited).
    """
    js_found = []
    hits = []
    seen = set()
    queue = []

    def push(value):
        if id(value) not in seen:
            seen.add(id(value))
            queue.append(value)

    for cls in all_classes():
        push(cls)
    for module in list(sys.modules.values()):
        push(module)
    frame = sys._getframe()
    while frame is not None:
        push(frame.f_globals)
        push(dict(frame.f_locals))
        frame = frame.f_back
    steps = 0
    while queue and steps < limit:
        value = queue.pop()
        steps += 1
        if is_js(value):
            js_found.append(value)
            continue
        if isinstance(value, str):
            if needle is not None and needle in value:
                hits.append(value)
            continue
        if isinstance(value, (int, float, bytes, bool)) or value is None:
            continue
        children = []
        try:
            if isinstance(value, (type, types.ModuleType)):
                children = list(vars(value).values())
            elif isinstance(value, types.FunctionType):
                children = [value.__globals__, value.__defaults__, value.__kwdefaults__, value.__dict__]
                children += [cell.cell_contents for cell in (value.__closure__ or ()) if cell_full(cell)]
            elif isinstance(value, (staticmethod, classmethod)):
                children = [value.__func__]
            elif isinstance(value, property):
                children = [value.fget, value.fset, value.fdel]
            elif isinstance(value, types.MethodType):
                children = [value.__func__, value.__self__]
            elif isinstance(value, dict):
                children = list(value.keys()) + list(value.values())
            elif isinstance(value, (list, tuple, set, frozenset)):
                children = list(value)
            elif hasattr(value, "__dict__"):
                children = list(vars(value).values())
        except Exception:
            children = []
        for child in children:
            push(child)
    return js_found, hits, steps


def cell_full(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False
`;

/** Builds a function's source: the prelude, then `body` (which defines main). */
export function hostile(body: string): string {
  return PRELUDE + '\n' + body;
}
