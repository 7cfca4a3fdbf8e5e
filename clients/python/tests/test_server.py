"""The client against a real FaaSpot server (``node dist/src/main.js``), started once for this
module. The first class runs the user documentation's Python snippets as literally as they can
be run; the others cover errors and executions."""

import json
import os
import re
import sys
import tempfile
import textwrap
import threading
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faaspot import Faaspot, FaaspotError  # noqa: E402
from tests.support import REPO_DIR, ServerProcess  # noqa: E402

SERVER = ServerProcess()
ENV_PATCH = None
WORK_DIR = None

HELLO = textwrap.dedent("""\
    def main(args, context):
        return {"args": args, "context": context}
    """)
CONTEXT = textwrap.dedent("""\
    access_key_is = "XYZ"
    secret_access_key = "123"
    """)
FAILING = textwrap.dedent("""\
    def main(args, context):
        raise ValueError("boom: " + args.get("why", "no reason"))
    """)
SLOW = textwrap.dedent("""\
    import time

    def main(args, context):
        for _ in range(int(float(args.get("seconds", 1)) * 20)):
            time.sleep(0.05)
        return "slept"
    """)


def setUpModule():
    global ENV_PATCH, WORK_DIR
    SERVER.start()
    WORK_DIR = tempfile.TemporaryDirectory(prefix="faaspot-py-client-home-")
    config_dir = os.path.join(WORK_DIR.name, ".faaspot")
    os.makedirs(config_dir)
    with open(os.path.join(config_dir, "fasconf.yaml"), "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(f"""\
            faaspot:
              profile: default
              profiles:
                default:
                  host: 127.0.0.1
                  port: {SERVER.port}
                  protocol: http
                  token: {SERVER.token}
            """))
    # Faaspot() must find this profile: no FAASPOT_URL/TOKEN from the caller's environment, and
    # no proxy between the client and the local server.
    no_proxy = ",".join(filter(None, [os.environ.get("no_proxy"), "127.0.0.1", "localhost"]))
    ENV_PATCH = mock.patch.dict(os.environ, {"FAASPOT_DIR": config_dir, "no_proxy": no_proxy, "NO_PROXY": no_proxy})
    ENV_PATCH.start()
    for name in ("FAASPOT_URL", "FAASPOT_TOKEN", "FAASPOT_CONFIG"):
        os.environ.pop(name, None)


def tearDownModule():
    try:
        if ENV_PATCH is not None:
            ENV_PATCH.stop()
        if WORK_DIR is not None:
            WORK_DIR.cleanup()
    finally:
        SERVER.stop()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class ServerTestCase(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.faaspot = Faaspot(url=SERVER.url, token=SERVER.token)

    def write(self, name, text):
        path = os.path.join(self.folder.name, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def create(self, prefix, code, **options):
        name = unique(prefix)
        self.faaspot.functions.create(name, code=code, **options)
        return name

    def assertRaisesCode(self, expected_code, expected_status, call, /, *args, **kwargs):
        with self.assertRaises(FaaspotError) as caught:
            call(*args, **kwargs)
        error = caught.exception
        self.assertEqual((error.code, error.status), (expected_code, expected_status), str(error))
        self.assertTrue(caught.exception.message)
        return caught.exception


class SeedSnippetTests(ServerTestCase):
    """The user documentation's snippets; ``Faaspot()`` reads the profile file."""

    def test_create_and_run_blocking(self):
        FUNCTION_NAME = unique("hello")
        FILE_PATH = self.write("hello.py", HELLO)
        CONTEXT_PATH = self.write("context", CONTEXT)

        from faaspot import Faaspot
        faaspot = Faaspot()
        faaspot.functions.create(FUNCTION_NAME, file=FILE_PATH, context_file=CONTEXT_PATH)

        faaspot = Faaspot()
        output = faaspot.functions.run(FUNCTION_NAME, {'PARAMETER_1': 'VALUE_1', 'PARAMETER_2': 'VALUE_2'}, wait=True)

        self.assertEqual(output, {"args": {"PARAMETER_1": "VALUE_1", "PARAMETER_2": "VALUE_2"},
                                  "context": {"access_key_is": "XYZ", "secret_access_key": "123"}})
        function = faaspot.functions.get(FUNCTION_NAME)
        self.assertEqual(function["code"], HELLO)
        self.assertEqual(sorted(function["context_keys"]), ["access_key_is", "secret_access_key"])

    def test_basic_template_with_wait(self):
        FUNCTION_NAME = unique("template")
        FILE_PATH = self.write("template.py", "def main(args, context):\n    return ''\n")
        faaspot = Faaspot()
        created = faaspot.functions.create(FUNCTION_NAME, file=FILE_PATH, wait=True)
        self.assertEqual((created["name"], created["version"], created["context_keys"]), (FUNCTION_NAME, 1, []))
        self.assertEqual(faaspot.functions.run(FUNCTION_NAME, {'PARAMETER_1': 'VALUE_1'}, wait=True), "")

    def test_run_non_blocking_then_get_the_execution(self):
        FUNCTION_NAME = unique("hello")
        Faaspot().functions.create(FUNCTION_NAME, file=self.write("hello.py", HELLO))

        from faaspot import Faaspot as Client
        faaspot = Client()
        execution_id = faaspot.functions.run(FUNCTION_NAME, {'PARAMETER': 'VALUE'})
        execution = faaspot.executions().get(execution_id)
        print_status = execution['status']

        self.assertIsInstance(execution_id, str)
        self.assertIn(print_status, ("pending", "running", "completed"))
        self.assertEqual(execution["uuid"], execution_id)
        finished = faaspot.executions.get(execution_id, wait=True)
        self.assertEqual(finished["status"], "completed")
        self.assertEqual(finished["output"], {"args": {"PARAMETER": "VALUE"}, "context": {}})

    def test_run_bulk(self):
        FUNCTION_NAME = unique("bulk")
        Faaspot().functions.create(FUNCTION_NAME, file=self.write("hello.py", HELLO))

        faaspot = Faaspot()
        args_list = [{'k1': 'v1', 'k2': 'v2'}, {'k3': 'v3', 'k4': 'v4'}]
        id_list = faaspot.functions.run_bulk(FUNCTION_NAME, args_list)

        self.assertEqual(len(id_list), 2)
        records = [faaspot.executions.get(execution_id, wait=True) for execution_id in id_list]
        self.assertEqual([r["status"] for r in records], ["completed", "completed"])
        self.assertEqual([r["output"]["args"] for r in records], args_list)
        self.assertEqual([r["uuid"] for r in faaspot.executions.get_bulk(id_list)], id_list)

    def test_delete(self):
        FUNCTION_NAME = unique("doomed")
        Faaspot().functions.create(FUNCTION_NAME, file=self.write("hello.py", HELLO))

        faaspot = Faaspot()
        deleted = faaspot.functions.delete(FUNCTION_NAME)

        self.assertTrue(deleted["deleted"])
        self.assertNotIn(FUNCTION_NAME, [f["name"] for f in faaspot.functions.list()])
        self.assertRaisesCode("FUNCTION_NOT_FOUND", 404, faaspot.functions.get, FUNCTION_NAME)


class FunctionTests(ServerTestCase):
    def test_utf8_and_percent_signs_survive_quoting(self):
        code = 'def main(args, context):\n    return "héllo ✓ %d%%" % 3 + context["greeting"]\n'
        path = self.write("unicode.py", code)
        context = self.write("context", 'greeting = " — 世界"\n')
        name = unique("unicode")
        self.faaspot.functions.create(name, file=path, context_file=context)
        self.assertEqual(self.faaspot.functions.get(name)["code"], code)
        self.assertEqual(self.faaspot.functions.run(name, wait=True), "héllo ✓ 3% — 世界")

    def test_code_and_context_strings_and_options(self):
        name = self.create("strings", HELLO, context={"key": "value", "n": 2}, timeout=5, memory=128)
        function = self.faaspot.functions.get(name)
        self.assertEqual((function["timeout"], function["memory"], function["context_keys"]), (5, 128, ["key", "n"]))
        self.assertEqual(self.faaspot.functions.run(name, wait=True), {"args": {}, "context": {"key": "value", "n": 2}})

    def test_update_and_rename(self):
        name = self.create("update", HELLO)
        updated = self.faaspot.functions.update(name, code="def main(args, context):\n    return 2\n", timeout=7)
        self.assertEqual((updated["version"], updated["timeout"]), (2, 7))
        self.assertEqual(self.faaspot.functions.run(name, wait=True), 2)
        new_name = unique("renamed")
        renamed = self.faaspot.functions.update(name, new_name=new_name, context_file=self.write("c", "a = 1\n"))
        self.assertEqual((renamed["name"], renamed["version"], renamed["context_keys"]), (new_name, 3, ["a"]))
        self.assertRaisesCode("FUNCTION_NOT_FOUND", 404, self.faaspot.functions.get, name)
        names = [f["name"] for f in self.faaspot.functions.list()]
        self.assertIn(new_name, names)
        self.assertRaisesCode("INVALID_REQUEST", 400, self.faaspot.functions.update, new_name)

    def test_errors_carry_the_server_code(self):
        functions = self.faaspot.functions
        self.assertRaisesCode("FUNCTION_NOT_FOUND", 404, functions.get, unique("missing"))
        self.assertRaisesCode("FUNCTION_NOT_FOUND", 404, functions.run, unique("missing"), wait=True)
        error = self.assertRaisesCode("INVALID_CODE", 400, functions.create, unique("bad"),
                                      code="def main(args, context):\n    return (\n")
        self.assertIsInstance(error.details.get("line"), int)
        self.assertRaisesCode("INVALID_MAIN", 400, functions.create, unique("nomain"), code="x = 1\n")
        self.assertRaisesCode("INVALID_NAME", 400, functions.create, "bad name!", code=HELLO)
        name = self.create("taken", HELLO)
        self.assertRaisesCode("FUNCTION_EXISTS", 409, functions.create, name, code=HELLO)
        stranger = Faaspot(url=SERVER.url, token="fsp_not-a-real-token-000000")
        self.assertRaisesCode("UNAUTHENTICATED", 401, stranger.functions.list)

    def test_failing_function_raises_with_its_execution(self):
        name = self.create("failing", FAILING)
        error = self.assertRaisesCode("FUNCTION_FAILED", 502, self.faaspot.functions.run, name, {"why": "testing"}, wait=True)
        self.assertEqual(error.execution["status"], "failed")
        self.assertEqual(error.execution["error"]["type"], "ValueError")
        self.assertIn("boom: testing", error.execution["error"]["message"])
        self.assertIn("boom: testing", error.execution["error"]["traceback"])
        self.assertEqual(self.faaspot.executions.get(error.execution["uuid"])["status"], "failed")

    def test_timeout_raises_function_timeout(self):
        name = self.create("spin", "def main(args, context):\n    while True:\n        pass\n", timeout=1)
        error = self.assertRaisesCode("FUNCTION_TIMEOUT", 504, self.faaspot.functions.run, name, wait=True)
        self.assertEqual(error.execution["error"]["type"], "Timeout")


class ExecutionTests(ServerTestCase):
    def test_get_with_wait(self):
        name = self.create("slow", SLOW)
        execution_id = self.faaspot.functions.run(name, {"seconds": 1})
        early = self.faaspot.executions.get(execution_id, wait=0.2)
        self.assertIn(early["status"], ("pending", "running"))
        record = self.faaspot.executions.get(execution_id, wait=True)
        self.assertEqual((record["status"], record["output"]), ("completed", "slept"))
        self.assertIsNotNone(record["finished"])
        self.assertEqual(self.faaspot.executions.get(execution_id, wait=5), record)

    def test_failed_execution_record(self):
        name = self.create("failing", FAILING)
        record = self.faaspot.executions.get(self.faaspot.functions.run(name), wait=True)
        self.assertEqual((record["status"], record["error"]["type"]), ("failed", "ValueError"))

    def test_get_bulk_with_an_unknown_id(self):
        name = self.create("hello", HELLO)
        known = self.faaspot.functions.run(name, {"a": "b"})
        records = self.faaspot.executions.get_bulk([known, str(uuid.uuid4())])
        self.assertEqual(len(records), 2)
        self.assertEqual(records[0]["uuid"], known)
        self.assertIsNone(records[1])
        self.assertRaisesCode("EXECUTION_NOT_FOUND", 404, self.faaspot.executions.get, str(uuid.uuid4()))

    def test_cancel(self):
        name = self.create("slow", SLOW, timeout=30)
        execution_id = self.faaspot.functions.run(name, {"seconds": 20})
        self.faaspot.executions.cancel(execution_id)
        record = self.faaspot.executions.get(execution_id, wait=True)
        self.assertEqual(record["status"], "cancelled")
        self.assertEqual(record["error"]["type"], "Cancelled")
        error = self.assertRaisesCode("EXECUTION_ENDED", 409, self.faaspot.executions.cancel, execution_id)
        self.assertEqual(error.execution["uuid"], execution_id)
        self.assertRaisesCode("EXECUTION_NOT_FOUND", 404, self.faaspot.executions.cancel, str(uuid.uuid4()))

    def test_list_pages_and_iter(self):
        name = self.create("listed", HELLO)
        ids = self.faaspot.functions.run_bulk(name, [{"n": n} for n in range(3)])
        for execution_id in ids:
            self.faaspot.executions.get(execution_id, wait=True)
        first = self.faaspot.executions.list(include_completed=True, function=name, limit=2)
        self.assertEqual(len(first), 2)
        self.assertIsNotNone(first.next_cursor)
        rest = self.faaspot.executions.list(include_completed=True, function=name, limit=2, cursor=first.next_cursor)
        self.assertEqual([r["uuid"] for r in first + rest], list(reversed(ids)))
        self.assertEqual([r["uuid"] for r in self.faaspot.executions.iter(include_completed=True, function=name, page_size=2)],
                         list(reversed(ids)))
        self.assertEqual(len(self.faaspot.executions.list(function=name, status="completed")), 3)
        self.assertEqual(self.faaspot.executions.list(function=name, status=["failed", "cancelled"]), [])
        self.assertEqual(self.faaspot.executions.list(function=name), [])  # none pending or running
        self.assertIsNone(self.faaspot.executions.list(function=name).next_cursor)


def readme_function(readme, name):
    """The function ``name`` as the README at ``readme`` (relative to the repository) defines it in
    a Python code block, run as a reader would paste it."""
    text = (REPO_DIR / readme).read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if f"def {name}(" in b]
    if len(blocks) != 1:
        raise AssertionError(f"{readme} has {len(blocks)} Python blocks defining {name}, not one")
    scope = {}
    exec(compile(blocks[0], f"{readme}:{name}", "exec"), scope)
    return scope[name]


# The receiver's check of a callback's signature, exactly as both READMEs show it.
is_from_faaspot = readme_function("README.md", "is_from_faaspot")
CLIENT_README_IS_FROM_FAASPOT = readme_function("clients/python/README.md", "is_from_faaspot")


class CallbackReceiver:
    """A receiver of completion callbacks on loopback: records each POST, answers 200."""

    def __init__(self):
        self.received = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with outer.arrived:
                    outer.received.append({"path": self.path, "headers": self.headers, "body": body})
                    outer.arrived.notify_all()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, path, count=1):
        with self.arrived:
            # The bound only keeps a broken server from hanging the run; callbacks come in milliseconds.
            self.arrived.wait_for(lambda: len(self.at(path)) >= count, timeout=60)
        return self.at(path)

    def at(self, path):
        return [r for r in self.received if r["path"] == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class CallbackTests(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.receiver = CallbackReceiver()
        self.addCleanup(self.receiver.close)
        self.secret = self.faaspot.callback_secret()["secret"]

    def test_callback_secret_is_the_key_of_the_token_namespace(self):
        own = self.faaspot.callback_secret()
        self.assertEqual(own["namespace"], "default")
        self.assertRegex(own["secret"], "^[0-9a-f]{64}$")
        admin_view = self.faaspot._transport.request("GET", "/v1/admin/callback-secret")[0]
        self.assertEqual(admin_view["secret"], own["secret"])
        created = self.faaspot._transport.request("POST", "/v1/tokens/", body={"namespace": "team-py"})[0]
        team = Faaspot(url=SERVER.url, token=created["token"])
        team_key = team.callback_secret()
        self.assertEqual(team_key["namespace"], "team-py")
        self.assertNotEqual(team_key["secret"], own["secret"])
        self.assertRaisesCode("FORBIDDEN", 403, team._transport.request, "GET", "/v1/admin/callback-secret")

    def test_run_with_callback_url_posts_the_signed_record(self):
        name = self.create("hello", HELLO)
        execution_id = self.faaspot.functions.run(name, {"k": "v"}, callback_url=self.receiver.url + "/one")
        [request] = self.receiver.wait_for("/one")
        self.assertTrue(is_from_faaspot(self.secret, request["body"], request["headers"]["X-Faaspot-Signature"]))
        self.assertFalse(is_from_faaspot(self.secret, request["body"] + b" ", request["headers"]["X-Faaspot-Signature"]))
        for check in (is_from_faaspot, CLIENT_README_IS_FROM_FAASPOT):
            self.assertTrue(check(self.secret, request["body"], request["headers"]["X-Faaspot-Signature"]))
            # A forged header need not be ASCII: the check says no rather than raising.
            self.assertFalse(check(self.secret, request["body"], "sha256=é" + "0" * 63))
            self.assertFalse(check(self.secret, request["body"], "sha256=\udcff"))
            self.assertFalse(check(self.secret, request["body"], None))
        record = json.loads(request["body"])
        self.assertEqual((record["uuid"], record["status"]), (execution_id, "completed"))
        self.assertEqual(record["output"]["args"], {"k": "v"})
        self.assertEqual(record["callback"]["url"], self.receiver.url + "/one")

    def test_run_bulk_with_callback_url_calls_back_once_per_execution(self):
        name = self.create("hello", HELLO)
        ids = self.faaspot.functions.run_bulk(name, [{"n": 1}, {"n": 2}], callback_url=self.receiver.url + "/bulk")
        requests = self.receiver.wait_for("/bulk", 2)
        self.assertEqual(sorted(r["headers"]["X-Faaspot-Execution"] for r in requests), sorted(ids))
        for request in requests:
            self.assertTrue(is_from_faaspot(self.secret, request["body"], request["headers"]["X-Faaspot-Signature"]))

    def test_a_callback_url_the_server_does_not_take_is_refused(self):
        name = self.create("hello", HELLO)
        self.assertRaisesCode("CALLBACK_URL_FORBIDDEN", 403, self.faaspot.functions.run, name,
                              callback_url="http://10.0.0.1/hook")
        self.assertRaisesCode("CALLBACK_URL_INVALID", 400, self.faaspot.functions.run_bulk, name, [{}],
                              callback_url="ftp://127.0.0.1/")
        self.assertRaisesCode("CALLBACK_URL_INVALID", 400, self.faaspot.functions.run, name, wait=True,
                              callback_url=self.receiver.url + "/sync")
        self.assertEqual(self.faaspot.executions.list(function=name, include_completed=True), [])

    def test_a_retry_with_the_same_key_and_callback_url_calls_back_once(self):
        name = self.create("hello", HELLO)
        key = str(uuid.uuid4())
        url = self.receiver.url + "/keyed"
        ids = self.faaspot.functions.run_bulk(name, [{"n": 1}, {"n": 2}], idempotency_key=key, callback_url=url)
        self.receiver.wait_for("/keyed", 2)
        self.assertEqual(self.faaspot.functions.run_bulk(name, [{"n": 1}, {"n": 2}], idempotency_key=key,
                                                         callback_url=url), ids)
        # The callback URL is part of the request the key stands for.
        self.assertRaisesCode("IDEMPOTENCY_KEY_REUSED", 422, self.faaspot.functions.run_bulk, name,
                              [{"n": 1}, {"n": 2}], idempotency_key=key, callback_url=self.receiver.url + "/other")
        self.assertRaisesCode("IDEMPOTENCY_KEY_REUSED", 422, self.faaspot.functions.run_bulk, name,
                              [{"n": 1}, {"n": 2}], idempotency_key=key)
        # Awaiting the callback of a later run gives a stray second one of the bulk time to arrive.
        self.faaspot.functions.run(name, callback_url=self.receiver.url + "/after")
        self.receiver.wait_for("/after")
        self.assertEqual(len(self.receiver.at("/keyed")), 2)
        self.assertEqual(self.receiver.at("/other"), [])
        for execution_id in ids:
            self.assertEqual(self.faaspot.executions.get(execution_id)["callback"]["url"], url)
        self.assertEqual(len(self.faaspot.executions.list(include_completed=True, function=name)), 3)


class IdempotencyTests(ServerTestCase):
    def test_a_retried_bulk_returns_the_same_ids_and_runs_once(self):
        name = self.create("tally", HELLO)
        key = str(uuid.uuid4())
        args_list = [{"n": 1}, {"n": 2}]
        ids = self.faaspot.functions.run_bulk(name, args_list, idempotency_key=key)
        self.assertEqual(self.faaspot.functions.run_bulk(name, args_list, idempotency_key=key), ids)
        for execution_id in ids:
            self.assertEqual(self.faaspot.executions.get(execution_id, wait=True)["status"], "completed")
        self.assertEqual(self.faaspot.functions.run_bulk(name, args_list, idempotency_key=key), ids)
        self.assertEqual(len(self.faaspot.executions.list(include_completed=True, function=name)), 2)

        run_key = str(uuid.uuid4())
        execution_id = self.faaspot.functions.run(name, {"n": 3}, idempotency_key=run_key)
        self.assertEqual(self.faaspot.functions.run(name, {"n": 3}, idempotency_key=run_key), execution_id)
        self.assertEqual(len(self.faaspot.executions.list(include_completed=True, function=name)), 3)

    def test_the_key_with_another_request_is_refused(self):
        name = self.create("tally", HELLO)
        key = str(uuid.uuid4())
        self.faaspot.functions.run_bulk(name, [{"n": 1}], idempotency_key=key)
        error = self.assertRaisesCode("IDEMPOTENCY_KEY_REUSED", 422, self.faaspot.functions.run_bulk, name, [{"n": 2}],
                                      idempotency_key=key)
        self.assertIn(key, error.message)
        self.assertRaisesCode("IDEMPOTENCY_KEY_REUSED", 422, self.faaspot.functions.run, name, {"n": 1},
                              idempotency_key=key)
        self.assertEqual(len(self.faaspot.executions.list(include_completed=True, function=name)), 1)


if __name__ == "__main__":
    unittest.main()
