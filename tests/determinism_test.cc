// Same scenario + same schedule -> byte-identical output.
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/report/explore_report.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/explore_scenario.h"
#include "sim/scenario/scenario_loader.h"
#include "tests/bundled_scenarios.h"

namespace fusesim::sim {
namespace {

using testing::BundledScenarios;

TEST(Determinism, EveryBundledScenarioRendersIdenticallyTwice) {
  const auto files = BundledScenarios();
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) {
    auto s = LoadScenario(f);
    ASSERT_TRUE(s.ok()) << s.status();
    for (model::Variant v : (*s)->variants) {
      std::string first;
      for (int i = 0; i < 2; ++i) {
        SequentialChooser c;
        ExecOptions o;
        o.trace = true;
        auto r = Execute(**s, v, c, o);
        ASSERT_TRUE(r.ok()) << f << ": " << r.status();
        std::string json = ReportToJson(*r).dump(2);
        if (i == 0)
          first = json;
        else
          EXPECT_EQ(json, first) << f << " [" << model::VariantName(v) << "]";
      }
    }
  }
}

TEST(Determinism, ExplorationIsIdenticalTwice) {
  const auto files = BundledScenarios();
  int explored = 0;
  for (const std::string& f : files) {
    auto s = LoadScenario(f);
    ASSERT_TRUE(s.ok());
    if ((*s)->schedule.mode != ScheduleSpec::Mode::kExplore) continue;
    ExploreOptions o = *ExploreOptionsFor(**s);
    o.max_schedules = std::min<int64_t>(o.max_schedules, 2000);
    auto a = Explore(**s, (*s)->variants.front(), o);
    auto b = Explore(**s, (*s)->variants.front(), o);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(ExploreToJson(*a).dump(), ExploreToJson(*b).dump()) << f;
    ++explored;
  }
  SUCCEED() << explored << " explored scenarios";
}

}  // namespace
}  // namespace fusesim::sim

namespace fusesim::sim {
namespace {

// The model stays consistent with itself after every step of every bundled
// scenario, and of a sample of explored schedules.
TEST(Consistency, HoldsAfterEveryStepOfTheCorpus) {
  for (const std::string& f : BundledScenarios()) {
    auto s = LoadScenario(f);
    ASSERT_TRUE(s.ok());
    for (model::Variant v : (*s)->variants) {
      std::vector<int> steps;
      if ((*s)->schedule.mode == ScheduleSpec::Mode::kReplay) steps = *ScheduleIndices(**s, (*s)->schedule.steps);
      ReplayChooser c(steps);
      ExecOptions o;
      o.check_consistency = true;
      auto r = Execute(**s, v, c, o);
      ASSERT_TRUE(r.ok()) << f;
      EXPECT_TRUE(r->internal_errors.empty())
          << f << " [" << model::VariantName(v) << "]: " << r->internal_errors.front();
    }
  }
}

TEST(Consistency, HoldsOnRandomSchedulesOfTheRaces) {
  for (const std::string& f : BundledScenarios()) {
    auto s = LoadScenario(f);
    ASSERT_TRUE(s.ok());
    if ((*s)->threads.size() < 2) continue;
    for (model::Variant v : (*s)->variants) {
      for (uint64_t seed = 1; seed <= 20; ++seed) {
        // A random schedule, replayed with the check on.
        ExploreOptions eo;
        eo.strategy = Strategy::kRandom;
        eo.runs = 1;
        eo.seed = seed;
        eo.shrink = false;
        auto e = Explore(**s, v, eo);
        ASSERT_TRUE(e.ok());
        const RunReport& rep = e->outcomes.front().report;
        ReplayChooser c(rep.steps);
        ExecOptions o;
        o.check_consistency = true;
        auto r = Execute(**s, v, c, o);
        ASSERT_TRUE(r.ok());
        EXPECT_TRUE(r->internal_errors.empty())
            << f << " [" << model::VariantName(v) << "] seed " << seed << ": " << r->internal_errors.front();
      }
    }
  }
}

}  // namespace
}  // namespace fusesim::sim
