"""Starts and stops a real `tessera serve` process for integration tests."""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ADMIN_TOKEN = "adm_integration-test"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A tessera process on a free loopback port over its own data directory."""

    def __init__(self, binary, data=None, port=None):
        self.binary = binary
        self.data = data or tempfile.mkdtemp(prefix="tessera-it-")
        self.port = port or free_port()
        self.process = None

    def start(self):
        env = dict(os.environ, TESSERA_ADMIN_TOKEN=ADMIN_TOKEN)
        self.log = open(os.path.join(self.data, "server.log"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tessera exited with {self.process.returncode}; see {self.data}/server.log")
            try:
                if self.request("GET", "/ready", auth=None)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("tessera did not become ready in 30 s")

    @property
    def write_key(self):
        with open(os.path.join(self.data, "default-write-key")) as handle:
            return handle.read().strip()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, auth="write", timeout=10):
        """Sends one request; returns (status, parsed JSON or text)."""
        headers = {"Content-Type": "application/json"}
        if auth == "write":
            token = base64.b64encode((self.write_key + ":").encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        elif auth == "admin":
            headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            try:
                return response.status, json.loads(raw)
            except ValueError:
                return response.status, raw.decode(errors="replace")
        finally:
            connection.close()

    def events(self):
        """Every stored event, in order."""
        events, after = [], None
        while True:
            path = "/v1/events?limit=1000" + (f"&after={after}" if after is not None else "")
            status, page = self.request("GET", path, auth="admin", timeout=60)
            assert status == 200, (status, page)
            events += page["events"]
            if len(page["events"]) < 1000:
                return events
            after = page["next"]

    def kill(self):
        """Kills the process with SIGKILL: no shutdown, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """Stops the process with SIGTERM and checks that it shut down cleanly."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            code = self.process.wait(timeout=30)
            assert code == 0, f"tessera exited with {code} after SIGTERM"

    def remove(self):
        shutil.rmtree(self.data, ignore_errors=True)
