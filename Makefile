# Tessera: `make run` starts the server on the embedded store; `make test` runs every test.

SWIFT ?= swift
DATA ?= ./tessera-data
LISTEN ?= 127.0.0.1:8080
VENV := .venv

# Debian packages the build, the tests and the benchmarks need; installed only when missing.
BUILD_PACKAGES := pkgconf libsqlite3-dev libmicrohttpd-dev libsimdjson-dev zlib1g-dev libssl-dev libphonenumber-dev \
	libroaring-dev libnats-dev libcurl4-openssl-dev
TEST_PACKAGES := python3-venv curl nats-server openssl
BENCH_PACKAGES := wrk redis-server

.PHONY: run build release test unit-tests integration-tests lint bench deps test-deps bench-deps clean

run: release
	.build/release/tessera serve --data $(DATA) --listen $(LISTEN)

release: deps
	$(SWIFT) build -c release --product tessera

build: deps
	$(SWIFT) build --build-tests

test: lint unit-tests integration-tests

unit-tests: deps
	@scripts/install-packages $(TEST_PACKAGES)
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest

integration-tests: test-deps release
	$(VENV)/bin/python Tests/Integration/run.py --binary .build/release/tessera

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Benchmarks

bench: bench-deps release
	$(SWIFT) build -c release --product tessera-bench
	PYTHON=$(VENV)/bin/python Benchmarks/run.sh

deps:
	@scripts/install-packages $(BUILD_PACKAGES)

test-deps: deps
	@scripts/install-packages $(TEST_PACKAGES)
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r Tests/Integration/requirements.txt

bench-deps: test-deps
	@scripts/install-packages $(BENCH_PACKAGES)
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r Benchmarks/identity/requirements.txt
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r Benchmarks/audiences/requirements.txt

clean:
	rm -rf .build $(VENV)
