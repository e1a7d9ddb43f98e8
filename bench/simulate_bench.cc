// Google Benchmarks of the simulator's hot loops. Figures are stated as
// ratios in docs/performance.md; nothing here is a timed unit test.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/one_mount_races.h"
#include "benchmark/benchmark.h"
#include "sim/report/compare.h"
#include "sim/report/report.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/explore_scenario.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

// N creates (open O_CREAT + close) spread over directories of 100 files.
std::string CreateWorkload(int n) {
  std::string tree = "\"/w/\"";
  for (int d = 0; d < (n + 99) / 100; ++d) absl::StrAppend(&tree, ", \"/w/d", d, "/\"");
  std::string ops;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&ops, i ? "," : "", "{\"op\":\"open\",\"path\":\"/w/d", i / 100, "/f", i,
                    "\",\"flags\":\"O_CREAT|O_WRONLY\",\"fd\":\"f", i, "\"},{\"op\":\"close\",\"fd\":\"f", i, "\"}");
  }
  return absl::StrCat(R"({"name":"creates","mounts":[{"name":"m0","negative_timeout_ms":1000}],"server":{"tree":[)",
                      tree, R"(]},"threads":[{"name":"t1","ops":[)", ops, "]}]}");
}

void BM_Simulate100kCreates(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto s = ParseScenario(CreateWorkload(n), "bench.json");
  if (!s.ok()) {
    state.SkipWithError(std::string(s.status().message()).c_str());
    return;
  }
  const auto variant = static_cast<model::Variant>(state.range(1));
  ExecOptions eo;
  eo.report_dentries = state.range(2) != 0;
  eo.describe_ops = state.range(2) != 0;
  int64_t syscalls = 0;
  for (auto _ : state) {
    SequentialChooser c;
    auto r = Execute(**s, variant, c, eo);
    if (!r.ok() || !r->violations.empty()) state.SkipWithError("run failed");
    syscalls += static_cast<int64_t>((*s)->ops.size());
  }
  state.SetItemsProcessed(syscalls);
  state.counters["syscalls/s"] = benchmark::Counter(static_cast<double>(syscalls), benchmark::Counter::kIsRate);
  state.SetLabel(
      absl::StrCat(std::string(model::VariantName(variant)), eo.report_dentries ? ", full report" : ", counts only"));
}
// Args: creates, variant, report every path's dentry (as `run` does) or not
// (as `compare` does).
BENCHMARK(BM_Simulate100kCreates)
    ->Args({100000, static_cast<int>(model::Variant::kLookupCreate), 0})
    ->Args({100000, static_cast<int>(model::Variant::kAtomicCreate), 0})
    ->Args({100000, static_cast<int>(model::Variant::kLookupCreate), 1})
    ->Unit(benchmark::kMillisecond);

// What `fusesim run FILE --format json` does, from the scenario text to the
// JSON text: load, run with the full report, render. Three sizes, so that
// the ratios show whether it grows linearly (the report used to be
// quadratic); 1,000,000 creates is the speed issue's "1M in 10 s".
void BM_FileToJsonReport(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string text = CreateWorkload(n);
  int64_t syscalls = 0;
  for (auto _ : state) {
    auto s = ParseScenario(text, "bench.json");
    if (!s.ok()) {
      state.SkipWithError(std::string(s.status().message()).c_str());
      return;
    }
    SequentialChooser c;
    ExecOptions eo;
    eo.describe_ops = false;  // as run --format json
    auto r = Execute(**s, model::Variant::kLookupCreate, c, eo);
    if (!r.ok()) state.SkipWithError("run failed");
    // The text run writes (not ReportToJson, which parses it back into a DOM
    // whose objects find keys by linear search: quadratic in the ops).
    std::string json;
    AppendReportJson(*r, nlohmann::ordered_json::object(), &json, 0);
    benchmark::DoNotOptimize(json);
    syscalls += 2 * n;
  }
  state.counters["syscalls/s"] = benchmark::Counter(static_cast<double>(syscalls), benchmark::Counter::kIsRate);
  state.SetLabel(absl::StrCat(n, " creates, ", text.size() / 1000, " kB of scenario"));
}
BENCHMARK(BM_FileToJsonReport)->Arg(100000)->Arg(200000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1);

// `fusesim compare` over an archive extraction of 100,000 files, all five
// variants (what the report of a big workload costs).
void BM_Compare100kArchive(benchmark::State& state) {
  auto s = ParseScenario(R"({"name": "archive-100k", "mounts": [{"name": "m0", "negative_timeout_ms": 1000}],
                             "workload": {"kind": "archive", "files": 100000, "dirs": 1000}})",
                         "bench.json");
  if (!s.ok()) {
    state.SkipWithError("bad workload");
    return;
  }
  CompareOptions o;
  o.latency = *LatencyPreset("local");
  for (auto _ : state) {
    auto c = CompareScenario(**s, o);
    if (!c.ok()) state.SkipWithError("compare failed");
    benchmark::DoNotOptimize(c);
  }
  state.SetLabel("5 variants, 200,000 syscalls each");
}
BENCHMARK(BM_Compare100kArchive)->Unit(benchmark::kMillisecond);

const char* kRaces[] = {
    R"({"name": "same-name", "mounts": [{"name": "m0", "negative_timeout_ms": 1000}],
        "threads": [{"name": "t1", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]},
                    {"name": "t2", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]}]})",
    R"({"name": "two-mounts", "mounts": [{"name": "m0", "negative_timeout_ms": 1000}, {"name": "m1", "negative_timeout_ms": 1000}],
        "threads": [{"name": "a", "mount": "m0", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_EXCL|O_WRONLY"}]},
                    {"name": "b", "mount": "m1", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]}]})",
    R"({"name": "two-stats", "mounts": [{"name": "m0", "negative_timeout_ms": 1000}],
        "threads": [{"name": "s1", "ops": [{"op": "stat", "path": "/f"}]},
                    {"name": "s2", "ops": [{"op": "stat", "path": "/f"}]}]})",
};

void BM_Explore(benchmark::State& state) {
  auto s = ParseScenario(kRaces[state.range(0)], "race.json");
  if (!s.ok()) {
    state.SkipWithError("bad scenario");
    return;
  }
  ExploreOptions o;
  o.strategy = static_cast<Strategy>(state.range(1));
  o.shrink = false;
  o.max_schedules = 1000000;
  int64_t schedules = 0, per_run = 0;
  for (auto _ : state) {
    auto r = Explore(**s, model::Variant::kLookupCreate, o);
    if (!r.ok()) state.SkipWithError("explore failed");
    per_run = r->schedules;
    schedules += r->schedules;
  }
  state.counters["schedules"] = static_cast<double>(per_run);
  state.counters["schedules/s"] = benchmark::Counter(static_cast<double>(schedules), benchmark::Counter::kIsRate);
  state.SetLabel(absl::StrCat((*s)->name, " ", StrategyName(o.strategy)));
}
BENCHMARK(BM_Explore)
    ->Args({0, static_cast<int>(Strategy::kExhaustive)})
    ->Args({0, static_cast<int>(Strategy::kDpor)})
    ->Args({1, static_cast<int>(Strategy::kExhaustive)})
    ->Args({1, static_cast<int>(Strategy::kDpor)})
    ->Args({2, static_cast<int>(Strategy::kExhaustive)})
    ->Args({2, static_cast<int>(Strategy::kDpor)})
    ->Unit(benchmark::kMillisecond);

// The race the tool exists for (one_mount_races.h). dpor, complete:
// schedules (Mazurkiewicz traces up to the model's footprints), outcomes,
// schedules/s. docs/exploring.md has the figures.
void BM_ExploreOneMount(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto s = ParseScenario(n == 0 ? std::string(kTwoDirsRace) : SameNameRace(n), "race.json");
  if (!s.ok()) {
    state.SkipWithError("bad scenario");
    return;
  }
  ExploreOptions o;
  o.strategy = Strategy::kDpor;
  o.shrink = false;
  o.max_schedules = 100000000;
  int64_t schedules = 0, per_run = 0, outcomes = 0;
  for (auto _ : state) {
    auto r = Explore(**s, model::Variant::kLookupCreate, o);
    if (!r.ok() || !r->complete) {
      state.SkipWithError("explore failed or incomplete");
      return;
    }
    per_run = r->schedules;
    outcomes = static_cast<int64_t>(r->outcomes.size());
    schedules += r->schedules;
  }
  state.counters["schedules"] = static_cast<double>(per_run);
  state.counters["outcomes"] = static_cast<double>(outcomes);
  state.counters["schedules/s"] = benchmark::Counter(static_cast<double>(schedules), benchmark::Counter::kIsRate);
  state.SetLabel((*s)->name);
}
BENCHMARK(BM_ExploreOneMount)->Arg(0)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace fusesim::sim
