# Two set-up commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-deps dns-deps web-assets lint bench venv clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP) dns-deps web-assets
	$(BIN)/registry certs init
	$(BIN)/registry demo
	REGISTRY_DNS_ENABLED=true REGISTRY_ADMIN_ENABLED=true REGISTRY_CONSOLE_ENABLED=true REGISTRY_SHOP_ENABLED=true \
		REGISTRY_MAIL_CATCHER=127.0.0.1:2525 REGISTRY_MAIL_RELAY_HOST=127.0.0.1 \
		REGISTRY_MAIL_RELAY_PORT=2525 REGISTRY_MAIL_TLS=none $(BIN)/registry serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# System packages the tests use (Debian packages): haproxy (tests/ops/test_haproxy.py skips without
# it), redis-server (tests/ops/test_shared_limits.py skips without it) and chromium (the browser
# tests in tests/web drive it through Playwright; Playwright's own browser download is never used),
# and node with npm (tests/web/test_sso.py installs the npm package oidc-provider into var/oidc).
# Idempotent, and never fails the build: without root or apt-get it only prints a warning.
test-deps: dns-deps
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy; } || \
		echo "warning: could not install haproxy (needs root and apt-get); the haproxy tests will be skipped" >&2
	@command -v redis-server >/dev/null 2>&1 || test -x /usr/bin/redis-server || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server; } || \
		echo "warning: could not install redis-server (needs root and apt-get); the redis tests will be skipped" >&2
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; } || \
		echo "warning: could not install nodejs and npm; the single sign-on tests (oidc-provider) will be skipped" >&2
	@command -v chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } || \
		echo "warning: could not install chromium (needs root and apt-get); the browser tests will be skipped" >&2

# Browser code the consoles use (htmx), pinned and checked against its npm integrity, into
# var/web-assets/; the consoles work as plain forms without it. Never fails the build.
web-assets: $(STAMP)
	$(BIN)/python -m protocols.web.assets fetch

# DNS servers (Debian packages): Knot is the hidden primary of `make run` (without it, serve warns
# and runs the rest); NSD, BIND and ldns-verify-zone are the secondaries and checks of tests/dns,
# which skip naming the package. Our instances use their own config, directories and loopback
# ports; the system daemons these packages ship are never used. Idempotent, never fails the build.
DNS_PROGRAMS := knotd:knot kdig:knot-dnsutils dig:bind9-dnsutils nsd:nsd named:bind9 rndc:bind9-utils ldns-verify-zone:ldnsutils
dns-deps:
	@missing=$$(for pair in $(DNS_PROGRAMS); do prog=$${pair%%:*}; \
		command -v $$prog >/dev/null 2>&1 || test -x /usr/sbin/$$prog || echo $${pair#*:}; done); \
	test -z "$$missing" || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } || \
		echo "warning: could not install $$missing (needs root and apt-get); make run serves without DNS, the DNS tests skip" >&2

test: lint test-deps web-assets
	$(BIN)/pytest -q

bench: $(STAMP) dns-deps
	BENCH_WORKERS=1 $(BIN)/python -m tests.bench
	BENCH_WORKERS=2 $(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_public
	BENCH_SCALE_KEEP=1 $(BIN)/python -m tests.bench_scale
	BENCH_SCALE_KEEP=1 $(BIN)/python -m tests.bench_console
	$(BIN)/python -m tests.bench_dns
	$(BIN)/python -m tests.bench_notify_ceiling
	$(BIN)/python -m tests.bench_notify
	$(BIN)/python -m tests.bench_storefront
	$(BIN)/python -m tests.bench_risk
	$(BIN)/python -m tests.bench_escrow

clean:
	rm -rf $(VENV) var *.egg-info
