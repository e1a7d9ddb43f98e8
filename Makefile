# fusesim: two commands do all the set-up on a fresh Debian machine.
#   make demo   install missing packages, build, run the demo report
#   make test   install missing packages, build (Release; a Debug fusesim for the
#               cross-build determinism check), run ctest
BUILD ?= build
BUILD_DEBUG ?= build-debug
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

BUILD_ASAN ?= build-asan
FUZZ_SECONDS ?= 60

.PHONY: deps build build-debug demo test bench clean asan fuzz tidy

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-debug: deps
	@cmake -S . -B $(BUILD_DEBUG) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFUSESIM_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DEBUG) -j $(JOBS) --target fusesim

# Only the fusesim binary (not the tests and benchmarks): about 2 minutes on
# 2 cores from a clean tree, then a few seconds for the report.
demo: deps
	@echo "demo: building build/fusesim only (about 2 minutes on 2 cores the first time)"
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target fusesim
	@scripts/demo.sh $(BUILD)/fusesim

test: build build-debug
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@scripts/cross-build-determinism.sh $(BUILD)/fusesim $(BUILD_DEBUG)/fusesim

bench: build
	@$(BUILD)/fusesim_bench --benchmark_min_time=0.5

# The browser test (no C++ of ours runs in it) and the explorer's soundness
# sweeps (the same code the suite runs, minutes under ASan; run in `make test`)
# are left out of the sanitized run to keep CI within its 30 minutes.
ASAN_SKIP ?= report_browser|Litmus\.(Bounded|Deepening)|Explore\.(Golden|Deepening)
# docs/reliability.md: one clang build, -O1 -g1 (line tables for the
# reports), serves both: the whole suite under AddressSanitizer + UBSan, and
# the libFuzzer targets (every object has the fuzzer's coverage
# instrumentation, which the tests run with, unused). One build instead of
# two is the longest part of CI saved.
SAN_CMAKE = CC=clang CXX=clang++ cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DFUSESIM_FUZZ=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DFUSESIM_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
asan:
	@scripts/install-deps.sh --clang
	@$(SAN_CMAKE)
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -E '$(ASAN_SKIP)'

# libFuzzer targets (clang), FUZZ_SECONDS each, seeded from scenarios/; built
# in the sanitized tree (nothing to build after `make asan`).
fuzz:
	@scripts/install-deps.sh --clang
	@$(SAN_CMAKE)
	@cmake --build $(BUILD_ASAN) -j $(JOBS) --target loader_fuzz run_fuzz
	@scripts/fuzz.sh $(BUILD_ASAN) $(FUZZ_SECONDS)

# clang-tidy (.clang-tidy) on model/ and sim/, with build/'s compile commands,
# and clang-format (.clang-format) on every C++ file.
tidy: build
	@scripts/install-deps.sh --clang
	@run-clang-tidy -p $(BUILD) -quiet -j $(JOBS) '/(model|sim/[a-z]+)/[^/]*\.cc$$' >$(BUILD)/tidy.log 2>&1 \
	  || { sed 's/\x1b\[[0-9;]*m//g' $(BUILD)/tidy.log | grep -E 'warning:|error:' | sort -u; \
	       echo "tidy: failed (log: $(BUILD)/tidy.log)"; exit 1; }
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror 2>$(BUILD)/format.log \
	  || { head -n 20 $(BUILD)/format.log; echo "tidy: not formatted (.clang-format; run clang-format -i)"; exit 1; }
	@echo "tidy: clean"

clean:
	rm -rf $(BUILD) $(BUILD_DEBUG) $(BUILD_ASAN)
