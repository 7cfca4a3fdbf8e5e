"""What the client sends and how it reads answers, against a scripted local HTTP server, plus
argument checks and connection errors. No FaaSpot server needed."""

import json
import os
import pickle
import sys
import tempfile
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faaspot import Faaspot, FaaspotConfigError, FaaspotError  # noqa: E402
from tests.support import free_port  # noqa: E402


class ScriptedServer:
    """Answers each request with the next scripted (status, headers, body) and records it."""

    def __init__(self):
        self.requests = []
        self.replies = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append({"method": self.command, "path": self.path,
                                       "headers": dict(self.headers), "body": body})
                status, headers, payload = outer.replies.pop(0) if outer.replies else (200, {}, b"null")
                if not isinstance(payload, bytes):
                    payload = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class WireTests(unittest.TestCase):
    def setUp(self):
        self.server = ScriptedServer()
        self.addCleanup(self.server.close)
        self.faaspot = Faaspot(url=self.server.url + "/", token="fsp_secret")

    def reply(self, status=200, body=None, headers=None):
        self.server.replies.append((status, headers or {}, body))

    def test_create_sends_quoted_utf8_code_and_context(self):
        code = 'def main(args, context):\n    return "héllo ✓ %d" % 3\n'
        context = 'greeting = "héllo"\n'
        with tempfile.TemporaryDirectory() as folder:
            code_path = os.path.join(folder, "f.py")
            context_path = os.path.join(folder, "ctx")
            Path(code_path).write_bytes(b"\xef\xbb\xbf" + code.encode("utf-8"))  # a byte-order mark is dropped
            Path(context_path).write_text(context, encoding="utf-8")
            self.reply(body={"name": "f", "version": 1})
            result = self.faaspot.functions.create("f", file=code_path, context_file=context_path, wait=True,
                                                   timeout=5, memory=128)
        self.assertEqual(result, {"name": "f", "version": 1})
        request = self.server.requests[0]
        self.assertEqual((request["method"], request["path"]), ("PUT", "/v1/functions/"))
        self.assertEqual(request["headers"]["Authorization"], "Token fsp_secret")
        self.assertTrue(request["headers"]["Content-Type"].startswith("application/json"))
        body = json.loads(request["body"])
        self.assertEqual(body, {"name": "f", "code": urllib.parse.quote(code.encode("utf-8")),
                                "context": urllib.parse.quote(context.encode("utf-8")), "timeout": 5, "memory": 128})
        self.assertEqual(urllib.parse.unquote(body["code"]), code)

    def test_update_sends_only_what_changes(self):
        self.reply(body={"name": "g", "version": 2})
        self.faaspot.functions.update("f", new_name="g", context={"k": 1})
        request = self.server.requests[0]
        self.assertEqual((request["method"], request["path"]), ("PATCH", "/v1/functions/f"))
        self.assertEqual(json.loads(request["body"]), {"name": "g", "context": {"k": 1}})

    def test_run_paths_and_bodies(self):
        self.reply(body="exec-1")
        self.assertEqual(self.faaspot.functions.run("f", {"a": 1}), "exec-1")
        self.reply(body={"out": True})
        self.assertEqual(self.faaspot.functions.run("f", wait=True), {"out": True})
        self.reply(body=["e1", "e2"])
        self.assertEqual(self.faaspot.functions.run_bulk("f", [{"k1": "v1"}, {"k3": "v3"}]), ["e1", "e2"])
        calls = [(r["method"], r["path"], json.loads(r["body"])) for r in self.server.requests]
        self.assertEqual(calls, [
            ("POST", "/v1/functions/f/rpc/", {"a": 1}),
            ("POST", "/v1/sync/functions/f/rpc/", {}),
            ("POST", "/v1/functions/f/bulk_rpc/", [{"k1": "v1"}, {"k3": "v3"}]),
        ])

    def test_runs_send_the_callback_url_as_a_header_only_when_given(self):
        self.reply(body="exec-1")
        self.faaspot.functions.run("f", {"a": 1}, callback_url="https://hooks.example.com/f?x=1")
        self.reply(body=["e1", "e2"])
        self.faaspot.functions.run_bulk("f", [{}, {}], callback_url="https://hooks.example.com/bulk")
        self.reply(body="exec-2")
        self.faaspot.functions.run("f")
        sent = [{k.lower(): v for k, v in r["headers"].items()}.get("x-callback-url") for r in self.server.requests]
        self.assertEqual(sent, ["https://hooks.example.com/f?x=1", "https://hooks.example.com/bulk", None])
        with self.assertRaises(TypeError):
            self.faaspot.functions.run("f", callback_url=b"https://hooks.example.com/")
        self.assertEqual(len(self.server.requests), 3)

    def test_idempotency_key_is_sent_as_a_header(self):
        self.reply(body="exec-1")
        self.assertEqual(self.faaspot.functions.run("f", {"a": 1}, idempotency_key="run-key-1"), "exec-1")
        self.reply(body=["e1", "e2"])
        self.assertEqual(self.faaspot.functions.run_bulk("f", [{}, {}], idempotency_key="bulk key ~ 2"), ["e1", "e2"])
        self.reply(body="exec-2")
        self.faaspot.functions.run("f")
        sent = [{name.lower(): value for name, value in r["headers"].items()} for r in self.server.requests]
        self.assertEqual([h.get("idempotency-key") for h in sent], ["run-key-1", "bulk key ~ 2", None])
        self.assertEqual([h["authorization"] for h in sent], ["Token fsp_secret"] * 3)

    def test_a_run_with_both_a_key_and_a_callback_url_sends_both_headers(self):
        self.reply(body="exec-1")
        self.faaspot.functions.run("f", {"a": 1}, idempotency_key="both-1", callback_url="https://hooks.example.com/one")
        self.reply(body=["e1"])
        self.faaspot.functions.run_bulk("f", [{}], idempotency_key="both-2", callback_url="https://hooks.example.com/bulk")
        sent = [{name.lower(): value for name, value in r["headers"].items()} for r in self.server.requests]
        self.assertEqual([(h.get("idempotency-key"), h.get("x-callback-url")) for h in sent], [
            ("both-1", "https://hooks.example.com/one"),
            ("both-2", "https://hooks.example.com/bulk"),
        ])

    def test_execution_list_query_and_cursor(self):
        self.reply(body=[{"uuid": "a"}], headers={"X-Next-Cursor": "42"})
        page = self.faaspot.executions.list(include_completed=True, function="f", status=["failed", "cancelled"], limit=1)
        self.assertEqual(page, [{"uuid": "a"}])
        self.assertEqual(page.next_cursor, "42")
        path = urllib.parse.urlsplit(self.server.requests[0]["path"])
        self.assertEqual(path.path, "/v1/executions/")
        self.assertEqual(urllib.parse.parse_qs(path.query),
                         {"include_completed": ["true"], "function": ["f"], "status": ["failed,cancelled"], "limit": ["1"]})

    def test_long_poll_repeats_until_the_end(self):
        self.reply(body={"uuid": "x", "status": "running"})
        self.reply(body={"uuid": "x", "status": "completed"})
        self.assertEqual(self.faaspot.executions.get("x", wait=True)["status"], "completed")
        self.assertEqual([r["path"] for r in self.server.requests], ["/v1/executions/x?wait=60"] * 2)

    def test_server_error_body_becomes_faaspot_error(self):
        execution = {"uuid": "x", "status": "failed", "error": {"type": "ValueError", "message": "boom", "traceback": "..."}}
        self.reply(502, {"code": "FUNCTION_FAILED", "message": "f failed: ValueError: boom", "execution": execution})
        with self.assertRaises(FaaspotError) as caught:
            self.faaspot.functions.run("f", wait=True)
        error = caught.exception
        self.assertEqual((error.code, error.status, error.message), ("FUNCTION_FAILED", 502, "f failed: ValueError: boom"))
        self.assertEqual(error.execution, execution)
        self.assertEqual(error.details, {"execution": execution})
        self.assertEqual(str(error), "FUNCTION_FAILED (HTTP 502): f failed: ValueError: boom")
        copy = pickle.loads(pickle.dumps(error))
        self.assertEqual((copy.code, copy.status, copy.execution), ("FUNCTION_FAILED", 502, execution))

    def test_foreign_answers(self):
        self.reply(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"})
        with self.assertRaises(FaaspotError) as caught:
            self.faaspot.functions.list()
        self.assertEqual((caught.exception.code, caught.exception.status), ("HTTP_502", 502))
        self.assertIn("Bad Gateway", caught.exception.message)
        self.reply(200, b"not json", {"Content-Type": "text/plain"})
        with self.assertRaises(FaaspotError) as caught:
            self.faaspot.functions.list()
        self.assertEqual(caught.exception.code, "INVALID_RESPONSE")

    def test_names_and_ids_are_quoted_in_paths(self):
        self.reply(body={"uuid": "a/b"})
        self.faaspot.executions.get("a/b?c")
        self.assertEqual(self.server.requests[0]["path"], "/v1/executions/a%2Fb%3Fc")


class LocalChecksTests(unittest.TestCase):
    def setUp(self):
        self.faaspot = Faaspot(url="http://127.0.0.1:9", token="t")

    def test_connection_error(self):
        client = Faaspot(url=f"http://127.0.0.1:{free_port()}", token="t")
        for call in (client.functions.list, lambda: client.functions.run("f", wait=True),
                     lambda: client.executions.get("x", wait=True)):
            with self.assertRaises(FaaspotError) as caught:
                call()
            self.assertEqual(caught.exception.code, "CONNECTION_ERROR")
            self.assertIsNone(caught.exception.status)
            self.assertIn("cannot reach the FaaSpot server", str(caught.exception))

    def test_argument_mistakes_are_python_errors(self):
        functions, executions = self.faaspot.functions, self.faaspot.executions
        with self.assertRaises(TypeError):
            functions.run("f", ["not", "a", "dict"])
        with self.assertRaises(TypeError):
            functions.run_bulk("f", [{"ok": 1}, "no"])
        with self.assertRaises(TypeError):
            functions.run("f", {"x": object()})
        with self.assertRaises(ValueError):
            functions.get("")
        with self.assertRaises(ValueError):
            functions.create("f")
        with self.assertRaises(ValueError):
            functions.create("f", file="x.py", code="def main(a, c): pass")
        with self.assertRaises(ValueError):
            functions.run("f", {"x": float("nan")})
        with self.assertRaises(ValueError):
            executions.get("x", wait=-1)
        with self.assertRaises(TypeError):
            executions.get_bulk("single-id")

    def test_idempotency_key_mistakes_are_python_errors(self):
        functions = self.faaspot.functions
        with self.assertRaises(TypeError):
            functions.run_bulk("f", [{}], idempotency_key=42)
        for key in ("", " padded", "padded ", "k" * 256, "caf\u00e9", "tab\there", "line\n"):
            with self.assertRaises(ValueError, msg=repr(key)):
                functions.run_bulk("f", [{}], idempotency_key=key)
            with self.assertRaises(ValueError, msg=repr(key)):
                functions.run("f", idempotency_key=key)
        with self.assertRaises(ValueError) as caught:
            functions.run("f", wait=True, idempotency_key="fine")
        self.assertIn("blocking runs", str(caught.exception))

    def test_callable_namespaces(self):
        self.assertIs(self.faaspot.functions(), self.faaspot.functions)
        self.assertIs(self.faaspot.executions(), self.faaspot.executions)

    def test_config_error_is_picklable(self):
        error = FaaspotConfigError("bad", "/f.yaml", 3)
        copy = pickle.loads(pickle.dumps(error))
        self.assertEqual((str(copy), copy.path, copy.line, copy.code), (str(error), "/f.yaml", 3, "CONFIG_ERROR"))


if __name__ == "__main__":
    unittest.main()
