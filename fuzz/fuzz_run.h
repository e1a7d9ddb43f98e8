// What the fuzz targets do with one input, shared with the regression test
// (tests/fuzz_regression_test.cc), so that a crashing input replays through
// exactly the same code under GoogleTest as under libFuzzer.
//
// Header-only on purpose: the test binary is built by g++ without libFuzzer,
// the fuzz targets by clang with -fsanitize=fuzzer; both include this file.
#ifndef FUSESIM_FUZZ_FUZZ_RUN_H_
#define FUSESIM_FUZZ_FUZZ_RUN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/variant.h"
#include "nlohmann/json.hpp"
#include "sim/engine/scheduler.h"
#include "sim/report/explore_report.h"
#include "sim/report/report.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/explore_scenario.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::fuzz {

// Bounds on the scenarios the run target executes, so that one input costs
// under 100 ms under ASan+UBSan+coverage. Loading is never skipped (the loader
// must cope with anything within its own limits, but see HugeWorkload); only
// executing is:
//   * at most 8 threads and 200 ops for one sequential Execute per variant;
//   * at most 4 threads and 12 ops for the DPOR exploration of the first
//     variant: 50 schedules of at most 2000 steps, no shrinking. Measured:
//     200 schedules of a 3-thread, 2-mount, 5-12 op scenario take 90 ms in a
//     Release build and 200-480 ms in the fuzz build (every schedule
//     re-executes from the start, and DPOR also re-executes the prefixes its
//     sleep sets abandon), so 200 would miss the 100 ms budget.
inline constexpr int kMaxRunThreads = 8;
inline constexpr int kMaxRunOps = 200;
inline constexpr int kMaxExploreThreads = 4;
inline constexpr int kMaxExploreOps = 12;
inline constexpr int64_t kExploreSchedules = 50;
inline constexpr int64_t kExploreSteps = 2000;

// A "workload" block expands inside the loader before the ops limit is
// checked, at about 1 KB of JSON per op: {"workload": {"kind": "archive",
// "files": 1000000}} is 70 bytes that cost ~2.2 GB and 5 s (17 s under ASan)
// before "more than 1000000 ops" rejects it (docs/reliability.md). That is
// the documented cost of the workload limits, not a bug the fuzzer should
// keep re-finding as out-of-memory, so inputs asking for more than this many
// files + dirs x depth are skipped (real workloads/ go up to 10000 files).
inline constexpr double kMaxWorkloadSize = 20000;

inline bool HugeWorkload(const std::string& text) {
  if (text.find("workload") == std::string::npos) return false;
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object() || !root.contains("workload") || !root["workload"].is_object()) return false;
  const nlohmann::json& w = root["workload"];
  auto knob = [&](const char* key, double dflt) {
    return w.contains(key) && w[key].is_number() ? w[key].get<double>() : dflt;
  };
  // The defaults of sim/scenario/workload.cc: 100 files, 1 dir, depth 3.
  return knob("files", 100) + knob("dirs", 1) * knob("depth", 3) > kMaxWorkloadSize;
}

// What happened to one input (for the regression test's messages).
struct RunSummary {
  bool loaded = false;
  bool executed = false;
  bool explored = false;
  bool skipped = false;  // HugeWorkload
  std::string error;     // the loader's message when it did not load
  // An internal error (absl kInternal: `fusesim` would exit 3, "please
  // report") of a run or an exploration: a fault of the tool, which the
  // targets turn into a crash and the regression test into a failure.
  std::string internal_error;
};

// The loader target: bytes -> ParseScenario with the default limits.
inline RunSummary LoadOnly(const std::string& text) {
  RunSummary out;
  if (HugeWorkload(text)) {
    out.skipped = true;
    return out;
  }
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
  if (HugeWorkload(text)) {
    out.skipped = true;
    return out;
  }
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
    if (!r.ok() && r.status().code() == absl::StatusCode::kInternal)
      out.internal_error = std::string(r.status().message());
    if (!r.ok()) continue;  // a clean error is fine; a crash or an internal error is not
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
  if (!e.ok() && e.status().code() == absl::StatusCode::kInternal)
    out.internal_error = std::string(e.status().message());
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
