// libFuzzer target: runs what it loads.
//
// Two modes, chosen by the first byte:
//   * '{' or whitespace: the input is scenario JSON (the seed corpus is
//     scenarios/*.json). fuzz::LoadAndRun parses it and, for scenarios within
//     the bounds in fuzz/fuzz_run.h (<= 8 threads and <= 200 ops to execute,
//     <= 4 threads and <= 16 ops to explore), runs Execute with a
//     SequentialChooser per variant and Explore (dpor, 200 schedules, no
//     shrinking) for the first variant, so that one input stays well under
//     100 ms;
//   * anything else: the rest of the bytes drive fuzz::BuildScenario
//     (fuzz/scenario_builder.h), a small random scenario over a fixed
//     vocabulary, which then goes through the same LoadAndRun.
// With FUSESIM_FUZZ_PRINT=1 in the environment the scenario text is printed
// to stderr first: that JSON is what a regression file holds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "fuzz/fuzz_run.h"
#include "fuzz/scenario_builder.h"

namespace {

bool PrintScenarios() {
  static const bool print = std::getenv("FUSESIM_FUZZ_PRINT") != nullptr;
  return print;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text;
  const char first = static_cast<char>(data[0]);
  if (first == '{' || first == ' ' || first == '\n' || first == '\t' || first == '\r') {
    text.assign(reinterpret_cast<const char*>(data), size);
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    text = fusesim::fuzz::BuildScenario(in);
  }
  if (PrintScenarios()) std::cerr << text << "\n";
  const fusesim::fuzz::RunSummary run = fusesim::fuzz::LoadAndRun(text);
  if (!run.internal_error.empty()) {  // `fusesim` would say "internal error, please report"
    std::cerr << "internal error: " << run.internal_error << "\n";
    std::abort();
  }
  return 0;
}
