"""kill -9 in the middle of an audience's deliveries: after a restart every delivery arrives at least
once, and no idempotency key arrives more than twice (once before the crash, once after)."""

import collections
import http.server
import json
import threading
import time

PEOPLE = 3000


class Receiver:
    """A webhook receiver on loopback that counts every idempotency key it is sent, slowly enough
    (5 ms a request) that a crash finds deliveries in flight."""

    def __init__(self):
        self.keys = collections.Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(0.005)
                with receiver.lock:
                    for delivery in json.loads(body):
                        receiver.keys[delivery["idempotencyKey"]] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # connections cut by kill -9 are expected

        self.server = Quiet(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def distinct(self):
        with self.lock:
            return len(self.keys)

    def stop(self):
        self.server.shutdown()


def load_people(server):
    for first in range(0, PEOPLE, 500):
        # Email marketing denies unless the person said yes: each one opts in.
        batch = [{"type": "identify", "userId": f"member-{n}", "messageId": f"member-{n}",
                  "traits": {"email": f"member{n}@example.com", "crashTest": True},
                  "context": {"consent": {"categoryPreferences": {"Email": True}}}}
                 for n in range(first, min(first + 500, PEOPLE))]
        status, body = server.request("POST", "/v1/batch", {"batch": batch})
        assert status == 200, (status, body)


def run(server_factory):
    receiver = Receiver()
    try:
        first = server_factory().start()
        status, audience = first.request(
            "POST", "/v1/audiences", {"name": "Crash test", "rule": "attribute crashTest = true"}, auth="admin")
        assert status == 201, (status, audience)
        load_people(first)
        status, destination = first.request("POST", "/v1/destinations", {
            "name": "crash-hook", "kind": "webhook", "url": f"http://127.0.0.1:{receiver.port}/hook",
            "marketingActions": ["email-targeting"], "mapping": [{"field": "email", "path": "identities.email"}],
            "batchSize": 10, "lingerMs": 0, "concurrency": 2}, auth="admin")
        assert status == 201, (status, destination)
        status, activation = first.request(
            "POST", f"/v1/audiences/{audience['id']}/activations",
            {"destinationId": destination["id"], "onEnter": False}, auth="admin")
        assert status == 201 and activation["queued"] == PEOPLE, (status, activation)

        deadline = time.time() + 30
        while receiver.distinct() < PEOPLE // 10 and time.time() < deadline:
            time.sleep(0.01)
        first.kill()
        before = receiver.distinct()
        assert 0 < before < PEOPLE, f"the crash came too late to test anything ({before} of {PEOPLE} arrived)"

        second = server_factory(data=first.data, port=first.port).start()
        deadline = time.time() + 120
        while receiver.distinct() < PEOPLE and time.time() < deadline:
            time.sleep(0.05)
        status, shown = second.request("GET", f"/v1/destinations/{destination['id']}", auth="admin")
        assert status == 200, (status, shown)
        with receiver.lock:
            keys = dict(receiver.keys)
        assert len(keys) == PEOPLE, f"{PEOPLE - len(keys)} deliveries never arrived"
        most = max(keys.values())
        assert most <= 2, f"an idempotency key arrived {most} times"
        assert shown["deliveries"]["delivered"] == PEOPLE, shown["deliveries"]
        twice = sum(1 for count in keys.values() if count == 2)
        print(f"activation crash: {before} of {PEOPLE} deliveries arrived before kill -9, all {PEOPLE} after "
              f"the restart; {twice} sent twice (same key), none more")
        return second
    finally:
        receiver.stop()
