"""Runs the integration tests against a built `tessera` binary: real SDKs, and kill -9 under load."""

import argparse
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import test_activation_crash  # noqa: E402
import test_crash  # noqa: E402
import test_sdks  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    binary = os.path.abspath(parser.parse_args().binary)

    servers = []

    def server(data=None, port=None):
        instance = harness.Server(binary, data=data, port=port)
        servers.append(instance)
        return instance

    passed = failed = 0
    for name, test in [("sdks", lambda: test_sdks.run(server().start())), ("crash", lambda: test_crash.run(server)),
                       ("activation-crash", lambda: test_activation_crash.run(server))]:
        try:
            test()
            passed += 1
        except Exception:
            failed += 1
            print(f"{name}: FAILED")
            traceback.print_exc()
        finally:
            for instance in servers:
                if instance.process and instance.process.poll() is None:
                    instance.stop()
            if not failed:
                for instance in servers:
                    instance.remove()
            servers.clear()
    print(f"integration: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
