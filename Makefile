# smsgw: build, run the demo, test, measure.
BIN := bin/smsgw
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
export PATH := $(PATH):/usr/local/go/bin

.PHONY: build run test test-race bench bench-demo clean

build:
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN) .

# The demo: an admin login, an API key and two simulated carrier channels.
run: build
	$(BIN) serve --demo --data ./data --listen 127.0.0.1:8080

# Every test; installs Debian's chromium for browser tests when it can.
test:
	scripts/test

# The race detector on the packages with concurrency of their own (slow).
test-race:
	go test -race -count=1 ./dispatch/... ./store/...

# The throughput run of issue 5 (see BENCHMARKS.md).
bench: build
	$(BIN) bench --messages 200000 --single 0 --rate 5500

# Accept-to-delivered throughput of the demo setup (see BENCHMARKS.md).
bench-demo: build
	go run ./scripts/demo-throughput -bin $(BIN) -n 20000

clean:
	rm -rf bin
