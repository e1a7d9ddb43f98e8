// What the fuzz targets do with one input, shared with the regression test
// (tests/fuzz_regression_test.cc), so that a crashing input replays through
// exactly the same code under GoogleTest as under libFuzzer.
//
// Header-only on purpose: the test binary is built by g++ without libFuzzer,
// the fuzz targets by clang with -fsanitize=fuzzer; both include this file.
#ifndef FUSESIM_FUZZ_FUZZ_RUN_H_
#define FUSESIM_FUZZ_FUZZ_RUN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/variant.h"
#include "sim/execution.h"
#include "sim/expect.h"
#include "sim/explore.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/scenario_loader.h"
#include "sim/scheduler.h"

namespace fusesim::fuzz {

// Bounds on the scenarios the run target executes, so that one input costs
// well under 100 ms even under ASan+UBSan. Loading is never skipped (the loader
// must cope with anything within its own limits); only executing is.
//   * at most 8 threads and 200 ops for one sequential Execute per variant;
//   * at most 4 threads and 16 ops for the DPOR exploration (200 schedules,
//     2000 steps each, no shrinking): the number of interleavings grows
//     exponentially with the ops, and 200 schedules of 200 ops would take
//     seconds under the sanitizers.
inline constexpr int kMaxRunThreads = 8;
inline constexpr int kMaxRunOps = 200;
inline constexpr int kMaxExploreThreads = 4;
inline constexpr int kMaxExploreOps = 16;
inline constexpr int64_t kExploreSchedules = 200;
inline constexpr int64_t kExploreSteps = 2000;

// What happened to one input (for the regression test's messages).
struct RunSummary {
  bool loaded = false;
  bool executed = false;
  bool explored = false;
  std::string error;  // the loader's message when it did not load
};

// The loader target: bytes -> ParseScenario with the default limits.
inline RunSummary LoadOnly(const std::string& text) {
  RunSummary out;
  auto s = sim::ParseScenario(text, "fuzz.json");
  out.loaded = s.ok();
  if (!s.ok()) out.error = std::string(s.status().message());
  return out;
}

// The run target: ParseScenario, then, within the bounds above, Execute with
// a SequentialChooser for every variant (rendering the report and checking the
// expectations), and Explore (DPOR) for the first variant.
inline RunSummary LoadAndRun(const std::string& text) {
  RunSummary out;
  auto loaded = sim::ParseScenario(text, "fuzz.json");
  if (!loaded.ok()) {
    out.error = std::string(loaded.status().message());
    return out;
  }
  out.loaded = true;
  const sim::Scenario& s = **loaded;
  const int threads = static_cast<int>(s.threads.size());
  const int ops = static_cast<int>(s.ops.size());
  if (threads > kMaxRunThreads || ops > kMaxRunOps || s.variants.empty()) return out;

  for (model::Variant v : s.variants) {
    sim::SequentialChooser chooser;
    absl::StatusOr<sim::RunReport> r = sim::Execute(s, v, chooser);
    if (!r.ok()) continue;  // a clean error is fine; a crash is not
    (void)sim::ReportToJson(*r).dump();
    (void)sim::ReportToText(*r);
    (void)sim::CheckRun(s, v, *r);
  }
  out.executed = true;

  if (threads > kMaxExploreThreads || ops > kMaxExploreOps) return out;
  sim::ExploreOptions o;
  o.strategy = sim::Strategy::kDpor;
  o.max_schedules = kExploreSchedules;
  o.max_steps = kExploreSteps;
  o.shrink = false;
  absl::StatusOr<sim::ExploreResult> e = sim::Explore(s, s.variants.front(), o);
  if (e.ok()) {
    (void)sim::ExploreToJson(*e).dump();
    (void)sim::ExploreToText(*e);
    (void)sim::CheckExplore(s, s.variants.front(), *e);
  }
  out.explored = true;
  return out;
}

}  // namespace fusesim::fuzz

#endif  // FUSESIM_FUZZ_FUZZ_RUN_H_
