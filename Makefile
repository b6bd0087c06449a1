# A thin wrapper over Meson. The two commands that matter:
#   make run    install what is missing, build, run the demo
#               (LINGER=60 keeps the cluster up 60 s after its story, to open the Observers)
#   make test   install what is missing, build, run every test
# Both are idempotent and incremental: a second run rebuilds only what changed.

BUILD ?= build
MESON_OPTS ?=
N_SCALE ?= 1
LINGER ?= 0

.PHONY: all run test deps build bench compare test-asan test-tsan clean

all: build

deps:
	@sh scripts/ensure-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@python3 scripts/cluster-demo.py --linger $(LINGER) $(BUILD)/examples

test: build
	@meson test -C $(BUILD) --print-errorlogs; status=$$?; \
	  python3 scripts/test-summary.py $(BUILD)/meson-logs/testlog.json || status=1; exit $$status

# Benchmarks: one workload at a time (`$(BUILD)/bench/snow_bench WORKLOAD [N]`), or all
# of them side by side with CAF, Erlang/OTP and Go (installs libcaf-dev, erlang-nox and
# golang-go), the table also written to bench/compare/RESULTS.md.
bench: build
	@for w in spawn pingpong fanin ring selective; do $(BUILD)/bench/snow_bench $$w; done

compare: build
	@sh scripts/ensure-deps.sh bench-peers
	python3 bench/compare/compare.py --snow $(BUILD)/bench/snow_bench --n-scale $(N_SCALE) --results bench/compare/RESULTS.md

# Under AddressSanitizer + UndefinedBehaviorSanitizer: the runtime, supervisor,
# distribution (simulated network), DNS discovery (its parsers read what the network
# sends) and Snow value suites. Under ThreadSanitizer (which works because the runtime's
# locks are std::mutex: Debian's Abseil is not instrumented, so TSan could not see
# through absl::Mutex): the runtime, supervisor and Snow value suites, where threads meet;
# not the distribution suite, whose simulated network runs every node on one thread (one
# case of it starts real nodes; the hardening suite runs real ones), so TSan would pay
# to compile it for next to nothing. Both at -O1: a sanitized -O2
# build of the suites took most of CI's time (a sanitized test file compiles in 60% of
# the time at -O1), and -O1 is what both sanitizers recommend.
test-asan: deps
	@[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false -Dexamples=false -Doptimization=1
	@ninja -C build-asan tests/runtime_tests tests/supervisor_tests tests/dist_tests tests/discovery_tests dsl/snow_lang_tests
	@meson test -C build-asan --no-rebuild --print-errorlogs --suite runtime --suite supervisor --suite dist --suite discovery --suite lang; status=$$?; \
	  python3 scripts/test-summary.py build-asan/meson-logs/testlog.json || status=1; exit $$status

test-tsan: deps
	@[ -f build-tsan/build.ninja ] || meson setup build-tsan -Db_sanitize=thread -Dbenchmarks=false -Dexamples=false -Doptimization=1
	@ninja -C build-tsan tests/runtime_tests tests/supervisor_tests dsl/snow_lang_tests
	@meson test -C build-tsan --no-rebuild --print-errorlogs --suite runtime --suite supervisor --suite lang; status=$$?; \
	  python3 scripts/test-summary.py build-tsan/meson-logs/testlog.json || status=1; exit $$status

# The fault-injection scenarios of the simulated network (tests/dist/fault_sim_test.cpp)
# over FAULT_SEEDS seeds each instead of the 50 of `make test`. A failure prints its seed;
# SNOW_SIM_SEED=N build/tests/dist_tests --test-suite=fault replays it.
FAULT_SEEDS ?= 1000
.PHONY: test-faults
test-faults: build
	SNOW_SIM_SEEDS=$(FAULT_SEEDS) $(BUILD)/tests/dist_tests --test-suite=fault

clean:
	rm -rf $(BUILD) build-asan build-tsan

# Fuzzes with libFuzzer, FUZZ_SECONDS for each target in turn (built with clang 14 outside
# the Meson build; new inputs, crash-* files, logs and summary.txt land in build-fuzz/):
# the STF decoder, the frame layer and the handshake of a real node, snowc's front end, and
# DNS discovery's SRV answer reader.
# Fails if any target finds a crash. See tests/fuzz/run.sh.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= stf frame handshake snowc dns
.PHONY: fuzz
fuzz: deps
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) build-fuzz $(FUZZ_TARGETS)

# Three nodes, mixed traffic, one killed (SIGKILL) and restarted every 10 s, for
# SOAK_SECONDS; checks ordering, delivery, global names and memory (tests/hardening/).
SOAK_SECONDS ?= 60
.PHONY: soak
soak: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) tests/hardening/hardening_peer
	python3 tests/hardening/soak_test.py $(BUILD)/tests/hardening/hardening_peer --seconds $(SOAK_SECONDS)
