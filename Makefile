# fusesim: two commands do all the set-up on a fresh Debian machine.
#   make demo   install missing packages, build, run the demo report
#   make test   install missing packages, build (Release and Debug), run ctest
BUILD ?= build
BUILD_DEBUG ?= build-debug
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps build build-debug demo test bench clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-debug: deps
	@cmake -S . -B $(BUILD_DEBUG) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFUSESIM_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DEBUG) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/fusesim

test: build build-debug
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cd $(BUILD_DEBUG) && ctest --output-on-failure -j $(JOBS) -R '^(Dcache|Server|Loader|Determinism|Cli|Scheduler|Runtime|JsonPositions|Explore)'

bench: build
	@$(BUILD)/fusesim_bench --benchmark_min_time=0.5

clean:
	rm -rf $(BUILD) $(BUILD_DEBUG)
