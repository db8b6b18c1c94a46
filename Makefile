# redhot: find and defuse hot keys in Redis.
#
#   make demo         the flash-sale demo on an embedded 3+3 Redis Cluster, with an HTML report
#   make demo-quick   the same story in about 15 seconds
#   make test         vet and the whole test suite, with the race detector
#   make bench        every bench-* target one after another, then bench-report
#   make bench-overhead what detection costs the server: middleware vs MONITOR, as JSON lines
#   make bench-detect detector accuracy and speed, as JSON lines
#   make bench-inspect redhot hotkeys/monitor against redis-cli, as JSON lines
#   make bench-nearcache near cache speed, local share and staleness, as JSON
#   make bench-stampede one hot key's expiries: cache-aside, lock-poll, redhot
#   make bench-split   balance of a hot counter/value, split and replica reads
#   make bench-fleet    fleet-wide detection latency with 8 instances, as JSON
#   make bench-report render docs/benchmarks.md from saved bench results
#   make test-faults  the fault suite's long version (-race); rewrites the table in docs/reliability.md
#   make test-security TLS, ACL least privilege, secrets kept out of output
#   make test-browser the dashboard in headless Chromium, keeping screenshots
#   make lint         staticcheck
#   make fuzz         fuzz every target for FUZZTIME each
#   make soak         the middleware under load and faults for SOAK_DURATION, as JSON
#
# Everything that needs redis-server installs it first when it is missing.

SHELL     := bash
.SHELLFLAGS := -o pipefail -c
GO        ?= go
FUZZTIME  ?= 30s
STATICCHECK_VERSION ?= v0.8.2

# Fuzz targets as package:Target pairs.
FUZZ_TARGETS = ./heat:FuzzObserve ./internal/workload:FuzzParseTrace ./command:FuzzKeys \
               ./inspect:FuzzParseMonitorLine ./inspect:FuzzInferPattern ./nearcache:FuzzReader \
               ./fleet:FuzzDecodeSummary ./internal/glob:FuzzMatch ./metrics:FuzzKeyLabel \
               ./stampede:FuzzDecode ./inspect:FuzzParseURL ./inspect:FuzzParseInfo \
               ./inspect:FuzzParseClusterNodes ./inspect:FuzzLFUAccesses ./inspect:FuzzParseServerReplies

.PHONY: all redis chromium test-browser demo test test-short bench-detect bench-inspect bench-nearcache bench-stampede bench-split bench-fleet bench-report lint fuzz fuzz-short build clean soak demo-quick test-security test-faults bench bench-overhead

all: build

redis:
	@scripts/ensure-redis.sh

# Debian's chromium, for the dashboard's headless-browser test.
chromium:
	@scripts/ensure-chromium.sh

build:
	$(GO) build -o bin/redhot ./cmd/redhot

demo: redis
	$(GO) run ./cmd/redhot demo $(DEMO_FLAGS)

demo-quick: redis
	$(GO) run ./cmd/redhot demo --quick $(DEMO_FLAGS)

test: redis chromium
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...
	cd bench && $(GO) test -race -count=1 -timeout 10m ./...
	@$(MAKE) --no-print-directory fuzz-short

# The dashboard's browser test alone; screenshots land under bin/artifacts.
test-browser: redis chromium
	@mkdir -p bin/artifacts
	$(GO) test -race -count=1 -run '^TestBrowser$$' -v -artifacts -outputdir $(CURDIR)/bin/artifacts ./dashboard/

# Every fault for 5 s on every layer at once (near cache, counter, lease,
# detector, CLI); rewrites the generated table in docs/reliability.md.
# A short version runs in make test.
test-faults: redis
	$(GO) test -race -count=1 -timeout 20m -run '^TestFaults$$' -v ./internal/faultsuite -args -faults.duration=5s -faults.report=$(CURDIR)/docs/reliability.md

# TLS, ACL least privilege, passwords and values kept out of output, for
# the library and every CLI command (docs/security.md).
test-security: redis
	$(GO) test -race -count=1 -run 'Security|TLS|ACL|HidePasswords|MonitorValues' . ./cmd/redhot ./inspect

# Quick unit tests: no redis-server needed.
test-short:
	$(GO) test -short -count=1 ./...

# Each bench-* target prints JSON lines and saves them, headed by the
# machine and versions, under bench/results/ for bench-report.
bench-detect:
	@mkdir -p bench/results
	@scripts/bench-meta.sh "make bench-detect" > bench/results/detect.jsonl.tmp
	cd bench && $(GO) run ./cmd/bench-detect $(BENCH_FLAGS) | tee -a results/detect.jsonl.tmp
	@mv bench/results/detect.jsonl.tmp bench/results/detect.jsonl

bench-inspect: redis
	@mkdir -p bench/results
	@scripts/bench-meta.sh "make bench-inspect" > bench/results/inspect.jsonl.tmp
	cd bench && $(GO) run ./cmd/bench-inspect $(BENCH_FLAGS) | tee -a results/inspect.jsonl.tmp
	@mv bench/results/inspect.jsonl.tmp bench/results/inspect.jsonl

bench-nearcache: redis
	@mkdir -p bench/results
	@scripts/bench-meta.sh "make bench-nearcache" > bench/results/nearcache.jsonl.tmp
	cd bench && $(GO) run ./cmd/bench-nearcache $(BENCH_FLAGS) | tee -a results/nearcache.jsonl.tmp
	@mv bench/results/nearcache.jsonl.tmp bench/results/nearcache.jsonl

# One hot key's expiries under 1,000 callers: cache-aside vs lock-and-poll
# vs redhot's stampede package, one JSON line per approach.
# What hot key detection costs a server under a fixed go-redis load (single
# commands and pipelines): no detector, redhot's middleware on the load
# client, redhot monitor and redis-cli monitor; one JSON line per detector.
bench-overhead: redis
	@mkdir -p bench/results
	@scripts/bench-meta.sh "make bench-overhead" > bench/results/overhead.jsonl.tmp
	cd bench && $(GO) run ./cmd/bench-overhead $(BENCH_FLAGS) | tee -a results/overhead.jsonl.tmp
	@mv bench/results/overhead.jsonl.tmp bench/results/overhead.jsonl

# Every benchmark, one after another (never in parallel: they time the
# machine), then the report and its plots. BENCH_FLAGS=-quick for a short run.
bench: redis
	@set -e; for t in detect inspect overhead nearcache stampede split fleet; do \
	  $(MAKE) --no-print-directory bench-$$t; \
	done
	@$(MAKE) --no-print-directory bench-report

bench-stampede: redis
	@mkdir -p bench/results
	@scripts/bench-meta.sh "make bench-stampede" > bench/results/stampede.jsonl.tmp
	cd bench && $(GO) run ./cmd/bench-stampede $(BENCH_FLAGS) | tee -a results/stampede.jsonl.tmp
	@mv bench/results/stampede.jsonl.tmp bench/results/stampede.jsonl

# Load balance of one hot counter and one hot value over a 3-primary
# cluster, plain and split, and replica reads; one JSON object.
bench-split: redis
	@mkdir -p bench/results
	@scripts/bench-meta.sh "make bench-split" > bench/results/split.jsonl.tmp
	cd bench && $(GO) run ./cmd/bench-split $(BENCH_FLAGS) | tee -a results/split.jsonl.tmp
	@mv bench/results/split.jsonl.tmp bench/results/split.jsonl

# How fast a key hot across 8 instances (warm on each) is known to all of
# them through the fleet stream; one JSON object.
bench-fleet: redis
	@mkdir -p bench/results
	@scripts/bench-meta.sh "make bench-fleet" > bench/results/fleet.jsonl.tmp
	cd bench && $(GO) run ./cmd/bench-fleet $(BENCH_FLAGS) | tee -a results/fleet.jsonl.tmp
	@mv bench/results/fleet.jsonl.tmp bench/results/fleet.jsonl

# Renders docs/benchmarks.md and its plots (docs/img/) from the saved results.
bench-report:
	cd bench && $(GO) run ./cmd/bench-report -results results -out ../docs/benchmarks.md

lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	cd bench && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 3s $$pkg; \
	done

# A few seconds per target: part of make test.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

clean:
	rm -rf bin

# The middleware under mixed load with faults (connection kills, pauses,
# restarts) for SOAK_DURATION: one JSON line per sample, then a verdict;
# exits non-zero on heap or goroutine growth or a stale read.
SOAK_DURATION ?= 10m
soak: redis
	$(GO) run ./internal/soak/cmd/soak -duration $(SOAK_DURATION) $(SOAK_FLAGS)
