# smsgw: build, run the demo, test, measure.
BIN := bin/smsgw
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
export PATH := $(PATH):/usr/local/go/bin

.PHONY: build run test lint test-race bench vendor clean

build:
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN) .

# The demo: an admin login, an API key and two simulated carrier channels.
run: build
	$(BIN) serve --demo --data ./data --listen 127.0.0.1:8080

# Every test; installs Debian's chromium for browser tests when it can.
test:
	scripts/test

# gofmt, go vet and staticcheck, as CI runs them before the tests.
lint:
	scripts/lint

# The race detector on the packages with concurrency of their own (slow).
test-race:
	go test -race -count=1 -timeout 30m ./dispatch/... ./store/...

# The throughput run of issue 5 (see BENCHMARKS.md); the tool is
# scripts/bench, outside the production binary.
bench: build
	go run ./scripts/bench load --bin $(BIN) --messages 200000 --single 0 --rate 5500

# Refresh the vendored front-end packages (pinned in ui/static/vendor/VERSIONS).
vendor:
	rm -rf /tmp/smsgw-vendor && mkdir -p /tmp/smsgw-vendor
	cd /tmp/smsgw-vendor && npm pack htmx.org@2.0.11 @alpinejs/csp@3.17.4 echarts@6.1.0 >/dev/null && \
		for f in *.tgz; do mkdir -p "$${f%.tgz}" && tar xzf "$$f" -C "$${f%.tgz}"; done
	cp /tmp/smsgw-vendor/htmx.org-2.0.11/package/dist/htmx.min.js ui/static/vendor/htmx-2.0.11.min.js
	cp /tmp/smsgw-vendor/alpinejs-csp-3.17.4/package/dist/cdn.min.js ui/static/vendor/alpinejs-csp-3.17.4.min.js
	cp /tmp/smsgw-vendor/echarts-6.1.0/package/dist/echarts.min.js ui/static/vendor/echarts-6.1.0.min.js

clean:
	rm -rf bin
