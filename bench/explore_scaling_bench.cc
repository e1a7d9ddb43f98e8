// Exploration as the race grows: n threads O_CREAT one name on one mount
// (default timeouts, lookup-create), n = 2..6, with this engine's footprints
// and, side by side in the same run, with the granularity it replaced
// (before 2026-12-03 every step of a mount also wrote the mount's "home"
// key, so DPOR ordered every pair of steps of one mount).
//
// Each case runs plain DPOR under a time budget; when that does not finish,
// it runs iterative deepening (--deepen) under the same budget, which
// reports the largest preemption bound whose every interleaving it covered.
// Counters: schedules, outcomes, complete (1/0), covered_preemptions (-1:
// complete without deepening; else the bound deepening covered).
// docs/exploring.md ("Figures") has a run's table.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/one_mount_races.h"
#include "benchmark/benchmark.h"
#include "sim/engine/executor.h"
#include "sim/engine/explore.h"
#include "sim/scenario/scenario_executor.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

constexpr double kBudgetSeconds = 30;

// The replaced granularity: every step also writes one key (one mount: all
// actors are that mount's).
class HomeKeyChooser : public Chooser {
 public:
  explicit HomeKeyChooser(Chooser& inner) : inner_(inner) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override {
    if (last >= 0) Mark(*actors[last]);
    auto c = inner_.Choose(step, enabled, last, actors);
    if (c.ok()) last_ = *c;
    return c;
  }
  void Finish(int steps, const std::vector<Actor*>& actors) override {
    if (last_ >= 0) Mark(*actors[last_]);
    inner_.Finish(steps, actors);
  }

 private:
  static void Mark(Actor& a) {
    if (a.record) a.footprint.push_back({kHomeKey, AccessMode::kWrite});
  }
  static constexpr uint64_t kHomeKey = ~uint64_t{0};
  Chooser& inner_;
  int last_ = -1;
};

class HomeKeyExecutor : public Executor {
 public:
  explicit HomeKeyExecutor(Executor& inner) : inner_(inner) {}
  const std::vector<std::string>& ActorNames() const override { return inner_.ActorNames(); }
  absl::StatusOr<RunSummary> Run(Chooser& chooser, const RunOptions& o) override {
    HomeKeyChooser c(chooser);
    return inner_.Run(c, o);
  }

 private:
  Executor& inner_;
};

// range(0): threads; range(1): 0 this engine's footprints, 1 the home key.
void BM_SameNameThreads(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const bool home = state.range(1) == 1;
  auto s = ParseScenario(SameNameRace(n), "race.json");
  if (!s.ok()) {
    state.SkipWithError("bad scenario");
    return;
  }
  Exploration r;
  for (auto _ : state) {
    ScenarioExecutor fine(**s, model::Variant::kLookupCreate);
    HomeKeyExecutor coarse(fine);
    Executor& program = home ? static_cast<Executor&>(coarse) : fine;
    ExploreOptions o;
    o.shrink = false;
    o.max_schedules = int64_t{1} << 40;
    o.time_budget_s = kBudgetSeconds;
    // Plain DPOR; if the budget cuts it, iterative deepening.
    for (bool deepen : {false, true}) {
      o.deepen = deepen;
      auto e = Explore(program, o);
      if (!e.ok()) {
        state.SkipWithError(deepen ? "explore --deepen failed" : "explore failed");
        return;
      }
      r = *std::move(e);
      if (r.complete) break;
    }
  }
  state.counters["schedules"] = static_cast<double>(r.schedules);
  state.counters["outcomes"] = static_cast<double>(r.outcomes.size());
  state.counters["complete"] = r.complete ? 1 : 0;
  state.counters["covered_preemptions"] = r.deepened ? r.covered_preemptions : -1;
  state.SetLabel(absl::StrCat(n, " threads, ", home ? "home key (before)" : "per-access footprints"));
}
BENCHMARK(BM_SameNameThreads)
    ->ArgsProduct({{2, 3, 4, 5, 6}, {0, 1}})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace
}  // namespace fusesim::sim
