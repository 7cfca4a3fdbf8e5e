/**
 * Red team: routes from a function straight to the host without naming JavaScript: native code
 * (ctypes), processes, sockets, the host's files and environment, the server's own output.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
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
  settle,
  type Canaries,
} from './hostile.js';

/** Top-level names an interpreter's own file system may legitimately have too. */
const SHARED_ROOT_NAMES = new Set(['bin', 'dev', 'etc', 'home', 'lib', 'lib64', 'proc', 'tmp', 'usr']);

describe('security: the host is out of reach', () => {
  let s: TestServer;
  let c: Canaries;

  before(async () => {
    const env = plantEnvCanary();
    c = await makeCanaries(env);
    s = await startTestServer({ workers: 2 });
    await s.create('benign', BENIGN);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    await c.close();
  });

  test('8. ctypes: CDLL(None) and its system, emscripten_run_script, emscripten_run_script_string', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    ctypes = attempt("import ctypes", lambda: __import__("ctypes"), show=False)
    if ctypes is None:
        return FOUND
    command = ("touch " + ARGS["marker_path"]).encode()
    script = js_payload().encode()
    libraries = []
    libraries.append(("CDLL(None)", attempt("CDLL(None)", lambda: ctypes.CDLL(None), show=False)))
    libraries.append(("PyDLL(None)", attempt("PyDLL(None)", lambda: ctypes.PyDLL(None), show=False)))
    libraries.append(("cdll.LoadLibrary(None)", attempt("cdll.LoadLibrary", lambda: ctypes.cdll.LoadLibrary(None), show=False)))
    libraries.append(("pythonapi", attempt("pythonapi", lambda: ctypes.pythonapi, show=False)))
    import _ctypes
    handle = attempt("_ctypes.dlopen(None)", lambda: _ctypes.dlopen(None, 0))
    if handle is not None:
        libraries.append(("CDLL(handle)", attempt("CDLL(handle)", lambda: ctypes.CDLL(None, handle=handle), show=False)))
    for tag, lib in libraries:
        if lib is None:
            continue
        result = attempt(tag + ".system", lambda: lib.system(command))
        if result == 0:
            escaped(tag + ".system returned 0")
        attempt(tag + ".emscripten_run_script", lambda: lib.emscripten_run_script(script))

        def run_string():
            fn = lib.emscripten_run_script_string
            fn.restype = ctypes.c_char_p
            return fn(script)

        attempt(tag + ".emscripten_run_script_string", run_string)
        attempt(tag + ".emscripten_run_script_int", lambda: lib.emscripten_run_script_int(b"globalThis.process ? 1 : 0"))
    return FOUND
`);
    const outcome = await runHostile(s, 'host-ctypes', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('9. processes: os.system, posix.system, subprocess, os.popen, os.fork, os.execv, os.posix_spawn', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    import posix
    import subprocess
    marker = ARGS["marker_path"]
    touch = "touch " + marker
    attempt("os.system", lambda: os.system(touch))
    attempt("posix.system", lambda: posix.system(touch))
    attempt("subprocess.run", lambda: subprocess.run(["touch", marker], timeout=2).returncode)
    attempt("subprocess.run shell", lambda: subprocess.run(touch, shell=True, timeout=2).returncode)
    attempt("subprocess.Popen", lambda: subprocess.Popen(["/usr/bin/touch", marker]).wait(2))
    attempt("subprocess.check_output", lambda: subprocess.check_output(["cat", ARGS["canary_path"]], timeout=2))
    attempt("os.popen", lambda: os.popen("cat " + ARGS["canary_path"] + "; " + touch).read())
    attempt("os.posix_spawn", lambda: os.posix_spawn("/usr/bin/touch", ["touch", marker], {}))
    attempt("os.spawnv", lambda: os.spawnv(os.P_WAIT, "/usr/bin/touch", ["touch", marker]))

    def fork():
        pid = os.fork()
        if pid == 0:
            os.execv("/usr/bin/touch", ["touch", marker])
        return pid

    attempt("os.fork", fork)
    attempt("os.execv", lambda: os.execv("/usr/bin/touch", ["touch", marker]))
    attempt("os.execve", lambda: os.execve("/bin/sh", ["sh", "-c", touch], {}))
    attempt("os.kill", lambda: os.kill(1, 0))
    return FOUND
`);
    const outcome = await runHostile(s, 'host-processes', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('10. network: socket.connect, create_connection, urllib, http.client reach no loopback listener', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def main(args, context):
    start(args)
    import http.client
    import socket
    import urllib.request
    port = ARGS["port"]
    request = b"GET / HTTP/1.0" + bytes([13, 10, 13, 10])

    def raw():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(2)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request)
        return sock.recv(100)

    def nonblocking():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        return sock.connect_ex(("127.0.0.1", port))

    def low_level():
        import _socket
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        sock.connect(("127.0.0.1", port))
        return sock.send(request)

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/")
        return connection.getresponse().status

    def udp():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        return sock.sendto(b"x", ("127.0.0.1", port))

    def loop_connection():
        import asyncio
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2))
        finally:
            loop.close()

    attempt("socket.connect", raw)
    attempt("socket.connect_ex non-blocking", nonblocking)
    attempt("_socket.socket.connect", low_level)
    attempt("socket.create_connection", lambda: socket.create_connection(("127.0.0.1", port), timeout=2).recv(10))
    attempt("urllib.request.urlopen", lambda: urllib.request.urlopen("http://127.0.0.1:" + str(port) + "/", timeout=2).read(10))
    attempt("http.client", client)
    attempt("udp sendto", udp)
    attempt("asyncio.open_connection", loop_connection)
    return FOUND
`);
    const outcome = await runHostile(s, 'host-network', code, c.args());
    await assertNothingReached(outcome, c, t);
    await assertStillServes(s);
  });

  test('11. host files and environment: /etc/passwd, /, the canary file, /proc/self/environ, os.environ, the data dir', { timeout: 120_000 }, async (t) => {
    const code = hostile(`
def read(path, mode="r"):
    with open(path, mode) as handle:
        return handle.read(4096)


def main(args, context):
    start(args)
    attempt("open /etc/passwd", lambda: read("/etc/passwd"))
    attempt("open the canary", lambda: read(ARGS["canary_path"]))
    attempt("os.open the canary", lambda: os.read(os.open(ARGS["canary_path"], os.O_RDONLY), 4096))
    attempt("listdir the canary dir", lambda: os.listdir(ARGS["canary_dir"]))
    attempt("/proc/self/environ", lambda: read("/proc/self/environ", "rb"))
    attempt("/proc/self/cmdline", lambda: read("/proc/self/cmdline", "rb"))
    attempt("/proc/self/maps", lambda: read("/proc/self/maps"))
    attempt("/proc/1/environ", lambda: read("/proc/1/environ", "rb"))
    attempt("os.environ", lambda: dict(os.environ))
    attempt("os.getenv canary", lambda: os.getenv(ARGS["env_name"]))
    attempt("posix.environ", lambda: __import__("posix").environ)
    attempt("the server's package.json", lambda: read(ARGS["cwd"] + "/package.json"))
    attempt("the server's database", lambda: read(ARGS["data_dir"] + "/faaspot.db", "rb")[:64])
    attempt("the server's admin token", lambda: read(ARGS["data_dir"] + "/admin-token"))
    attempt("os.chdir to the server's cwd", lambda: (os.chdir(ARGS["cwd"]), os.listdir("."))[1])
    attempt("write the marker", lambda: open(ARGS["marker_path"], "w").write("x"))
    root = attempt("os.listdir('/')", lambda: sorted(os.listdir("/"))) or []
    tmp = attempt("os.listdir('/tmp')", lambda: sorted(os.listdir("/tmp"))) or []
    walked = []
    for folder, dirs, files in os.walk("/"):
        if folder.startswith("/lib") or folder.startswith("/proc") or folder.startswith("/dev"):
            dirs[:] = []
            continue
        walked.extend(folder + "/" + name for name in files)
        if len(walked) > 2000:
            break
    for path in walked:
        try:
            with open(path, "rb") as handle:
                data = handle.read(65536)
        except Exception:
            continue
        note("file " + path + ": " + data[:200].decode("utf-8", "replace"))
    return {"found": FOUND, "root": root, "tmp": tmp, "walked": walked[:500]}
`);
    const outcome = await runHostile(s, 'host-files', code, { ...c.args(), cwd: process.cwd(), data_dir: s.dataDir });
    await assertNothingReached(outcome, c, t);
    const { everything } = outcome;
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').filter((line) => line.length > 10).slice(0, 3);
    for (const line of passwd) assert.ok(!everything.includes(line), `the host's /etc/passwd reached the function (${line})`);
    assert.ok(!everything.includes('SQLite format 3'), 'the server\'s database reached the function');
    const description = (JSON.parse(readFileSync('package.json', 'utf8')) as { description: string }).description;
    assert.ok(!everything.includes(description), 'the server\'s own files reached the function');
    const hostPath = process.env.PATH ?? '';
    if (hostPath.length > 12) assert.ok(!everything.includes(hostPath), 'the host\'s PATH reached the function');

    assert.equal(outcome.reply.status, 200, outcome.reply.text.slice(0, 500));
    const seen = outcome.reply.json as { root: string[]; tmp: string[] };
    const hostOnly = readdirSync('/').filter((name) => !SHARED_ROOT_NAMES.has(name));
    const leakedRoot = seen.root.filter((name) => hostOnly.includes(name));
    assert.deepEqual(leakedRoot, [], `os.listdir('/') shows the host's root (${seen.root.join(', ')})`);
    const hostTmp = readdirSync('/tmp');
    const leakedTmp = seen.tmp.filter((name) => hostTmp.includes(name));
    assert.deepEqual(leakedTmp, [], 'os.listdir("/tmp") shows the host\'s /tmp');
    assert.ok(!seen.tmp.includes(basename(c.dir)));
    await assertStillServes(s);
  });

  test('11b. nothing a function writes reaches the server\'s own stdout or stderr', { timeout: 120_000 }, async (t) => {
    const noise = random('noise-');
    const code = hostile(`
def main(args, context):
    start(args)
    noise = ARGS["noise"]
    line = (noise + chr(10)).encode()
    attempt("os.write(1)", lambda: os.write(1, line))
    attempt("os.write(2)", lambda: os.write(2, line))
    attempt("sys.__stdout__", lambda: (sys.__stdout__.write(noise + chr(10)), sys.__stdout__.flush()))
    attempt("sys.__stderr__", lambda: (sys.__stderr__.write(noise + chr(10)), sys.__stderr__.flush()))
    attempt("open /dev/stdout", lambda: open("/dev/stdout", "w").write(noise + chr(10)))
    attempt("open /dev/tty", lambda: open("/dev/tty", "w").write(noise + chr(10)))
    attempt("fd 1 via os.fdopen", lambda: os.fdopen(os.dup(1), "w").write(noise + chr(10)))

    def via_ctypes():
        import ctypes
        return ctypes.CDLL(None).puts(line)

    attempt("ctypes puts", via_ctypes)
    return FOUND
`);
    const captured: string[] = [];
    const originalOut = process.stdout.write.bind(process.stdout);
    const originalErr = process.stderr.write.bind(process.stderr);
    const spy = (original: typeof originalOut) =>
      ((chunk: unknown, ...rest: unknown[]) => {
        captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = spy(originalOut);
    process.stderr.write = spy(originalErr);
    let outcome;
    try {
      outcome = await runHostile(s, 'host-stdout', code, { ...c.args(), noise });
      await settle();
    } finally {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    }
    await assertNothingReached(outcome, c, t);
    assert.ok(!captured.join('').includes(noise), 'a function wrote into the server\'s own output');
    await assertStillServes(s);
  });
});
