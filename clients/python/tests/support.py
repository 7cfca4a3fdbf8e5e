"""A real FaaSpot server for the tests: started from the built ``dist/``, stopped afterwards."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

CLIENT_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = CLIENT_DIR.parents[1]
SERVER_MAIN = REPO_DIR / "dist" / "src" / "main.js"
ADMIN_TOKEN = "py-client-admin-token-0123"
WARM_TIMEOUT = 120.0


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``node dist/src/main.js`` on a free port with a fresh data directory."""

    def __init__(self) -> None:
        self.process: Optional[subprocess.Popen] = None
        self.data_dir: Optional[str] = None
        self.port: Optional[int] = None
        self.url: Optional[str] = None
        self.token = ADMIN_TOKEN
        self._log = None

    def start(self) -> "ServerProcess":
        if not SERVER_MAIN.is_file():
            raise RuntimeError(
                f"{SERVER_MAIN} is missing: build the server first with `npm run build` "
                f"(or `npm test`) in {REPO_DIR}")
        last_error = None
        for _attempt in range(3):  # the free port may be taken between choosing and binding it
            try:
                self._start_once()
                return self
            except _ExitedEarly as error:
                last_error = error
                self.stop()
        raise RuntimeError(f"the FaaSpot server did not start: {last_error}")

    def _start_once(self) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="faaspot-py-client-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "FAASPOT_PORT": str(self.port),
            "FAASPOT_HOST": "127.0.0.1",
            "FAASPOT_DATA_DIR": self.data_dir,
            # One interpreter snapshot for every test server, shared with the Node tests.
            "FAASPOT_SNAPSHOT_DIR": os.path.join(tempfile.gettempdir(), "faaspot-test-snapshots"),
            "FAASPOT_ADMIN_TOKEN": ADMIN_TOKEN,
            "FAASPOT_WORKERS": "2",
            # Completion callbacks to receivers that the tests run on loopback.
            "FAASPOT_CALLBACK_ALLOWLIST": "127.0.0.1",
        }
        self._log = open(os.path.join(self.data_dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            ["node", str(SERVER_MAIN)], cwd=str(REPO_DIR), env=env,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WARM_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise _ExitedEarly(f"exit status {self.process.returncode}; its output:\n{self.log_text()}")
            health = self._health()
            if health is not None and health.get("warm") is True:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the FaaSpot server was not warm after {WARM_TIMEOUT:.0f} s")

    def _health(self) -> Optional[dict]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.url}/healthz", timeout=2) as response:
                return json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def log_text(self) -> str:
        if not self.data_dir:
            return ""
        try:
            return Path(self.data_dir, "server.log").read_text("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within 10 s; removes the data directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None


class _ExitedEarly(Exception):
    pass
