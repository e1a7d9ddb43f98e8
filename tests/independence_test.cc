// The model's footprints, checked rather than trusted: on sampled runs of
// every bundled scenario with more than one thread, under each of its
// variants, every pair of adjacent steps that the footprints call
// independent is swapped, and the run must reach the same world (the rest
// of the schedule replays touching the same keys, same outcome, same
// violations). See sim/engine/independence_check.h.
#include "sim/engine/independence_check.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/scheduler.h"
#include "sim/scenario/scenario_executor.h"
#include "sim/scenario/scenario_loader.h"
#include "tests/bundled_scenarios.h"

namespace fusesim::sim {
namespace {

TEST(Independence, BundledScenariosCommuteWhereTheFootprintsSaySo) {
  int64_t pairs = 0, scenarios = 0;
  for (const std::filesystem::path path : testing::BundledScenarios()) {
    auto s = LoadScenario(path.string());
    ASSERT_TRUE(s.ok()) << s.status();
    if ((*s)->threads.size() < 2) continue;
    ++scenarios;
    for (model::Variant v : (*s)->variants) {
      ScenarioExecutor ex(**s, v);
      for (uint64_t seed = 1; seed <= 8; ++seed) {
        RandomChooser c(seed);
        auto run = ex.Run(c, {});
        ASSERT_TRUE(run.ok()) << path << ": " << run.status();
        if (run->step_limit) continue;
        auto report = CheckIndependence(ex, run->schedule);
        ASSERT_TRUE(report.ok()) << path << ": " << report.status();
        pairs += report->pairs_checked;
        for (const std::string& e : report->errors)
          ADD_FAILURE() << path.filename().string() << " [" << model::VariantName(v) << "] seed " << seed << ": " << e;
      }
    }
  }
  EXPECT_GE(scenarios, 40);
  EXPECT_GE(pairs, 5000);  // the check swapped steps, many
  RecordProperty("pairs_checked", static_cast<int>(pairs));
}

}  // namespace
}  // namespace fusesim::sim

namespace fusesim::sim {
namespace {

// The races the exploration figures are about, beyond the corpus: three
// threads creating one name, two creating in two directories, and
// drop_caches racing a close (FORGET batching).
TEST(Independence, TheMeasuredRacesCommuteWhereTheFootprintsSaySo) {
  const char* races[] = {
      R"({"name": "same-name-3", "mounts": [{"name": "m0"}], "threads": [
          {"name": "t1", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]},
          {"name": "t2", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]},
          {"name": "t3", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]}]})",
      R"({"name": "two-dirs", "mounts": [{"name": "m0"}], "server": {"tree": ["/d/", "/e/"]}, "threads": [
          {"name": "a", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY"}]},
          {"name": "b", "ops": [{"op": "open", "path": "/e/f", "flags": "O_CREAT|O_WRONLY"}]}]})",
      R"({"name": "forget-batch-probe", "server": {"tree": ["/a", "/b", "/c"]}, "threads": [
          {"name": "t1", "ops": [{"op": "stat", "path": "/a"}, {"op": "stat", "path": "/b"}, {"op": "drop_caches"}]},
          {"name": "t2", "ops": [{"op": "open", "path": "/c", "fd": "x"}, {"op": "close", "fd": "x"}]}]})",
  };
  int64_t pairs = 0;
  for (const char* text : races) {
    auto s = ParseScenario(text, "race.json");
    ASSERT_TRUE(s.ok()) << s.status();
    for (model::Variant v : model::AllVariants()) {
      ScenarioExecutor ex(**s, v);
      for (uint64_t seed = 1; seed <= 20; ++seed) {
        RandomChooser c(seed);
        auto run = ex.Run(c, {});
        ASSERT_TRUE(run.ok()) << run.status();
        auto report = CheckIndependence(ex, run->schedule);
        ASSERT_TRUE(report.ok()) << report.status();
        pairs += report->pairs_checked;
        for (const std::string& e : report->errors)
          ADD_FAILURE() << (*s)->name << " [" << model::VariantName(v) << "] seed " << seed << ": " << e;
      }
    }
  }
  EXPECT_GE(pairs, 1000);
}

}  // namespace
}  // namespace fusesim::sim
