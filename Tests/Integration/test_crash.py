"""kill -9 under load loses no acknowledged record and, after retries, stores none twice."""

import http.client
import base64
import json
import threading
import time
import uuid

CLIENTS = 6
BATCH = 50


def client(server, key, acknowledged, pending, stop, lock):
    """Sends batches until told to stop; remembers which were acknowledged and which were not."""
    auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
    while not stop.is_set():
        batch = [{"type": "track", "userId": f"crash-{n % 97}", "event": "Load Test",
                  "messageId": str(uuid.uuid4()), "properties": {"n": n}} for n in range(BATCH)]
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            connection.request("POST", "/v1/batch", body=json.dumps({"batch": batch}),
                               headers={"Authorization": auth, "Content-Type": "application/json"})
            status = connection.getresponse().status
            connection.close()
        except OSError:
            status = None
        with lock:
            if status == 200:
                acknowledged.extend(message["messageId"] for message in batch)
            else:
                pending.append(batch)
                time.sleep(0.01)


def run(server_factory):
    first = server_factory().start()
    key = first.write_key
    acknowledged, pending, lock, stop = [], [], threading.Lock(), threading.Event()
    threads = [threading.Thread(target=client, args=(first, key, acknowledged, pending, stop, lock))
               for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    first.kill()
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join()
    acked_before_crash = len(acknowledged)
    assert acked_before_crash > 0, "the clients got nothing acknowledged before the crash"

    second = server_factory(data=first.data, port=first.port).start()
    for batch in pending:  # the clients retry everything they did not see acknowledged
        status, body = second.request("POST", "/v1/batch", {"batch": batch})
        assert status == 200, (status, body)
        acknowledged.extend(message["messageId"] for message in batch)

    stored = [event["messageId"] for event in second.events()]
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged records were lost"
    assert len(stored) == len(set(stored)), "a record was stored twice"
    print(f"crash: {acked_before_crash} records acknowledged before kill -9, "
          f"{len(pending)} unacknowledged batches retried, {len(stored)} stored, none lost, none twice")
    return second
