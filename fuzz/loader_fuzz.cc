// libFuzzer target: arbitrary bytes -> sim::ParseScenario with the default
// limits (sim/scenario/scenario_loader.h). The loader must reject bad input with a
// message and never crash, hang, throw or leak.
//
//   make fuzz FUZZ_SECONDS=60                  # both targets, corpus from scenarios/
//   build-fuzz/loader_fuzz CORPUS_DIR -max_total_time=600 -print_final_stats=1
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)fusesim::fuzz::LoadOnly(text);
  return 0;
}
