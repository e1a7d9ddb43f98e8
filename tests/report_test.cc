// The text report's schedule token (sim/report/report.h): built from the
// run's steps without a copy of the schedule, and cut once it is long.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/report/report.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

RunReport WithSteps(const std::vector<int>& steps) {
  RunReport r;
  r.actor_names = {"t1", "t2", "bg:m0"};
  r.steps = steps;
  return r;
}

TEST(ScheduleTokenOf, EqualsTheTokenOfTheSchedule) {
  for (const std::vector<int>& steps : std::vector<std::vector<int>>{
           {}, {0}, {0, 0, 0}, {0, 1, 1, 2, 0, 0}, {2, 2, 1, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}}) {
    const RunReport r = WithSteps(steps);
    bool cut = true;
    EXPECT_EQ(ScheduleTokenOf(r, 0, &cut), ScheduleToken(r.schedule()));
    EXPECT_FALSE(cut);
  }
  bool cut = false;
  EXPECT_EQ(ScheduleTokenOf(WithSteps({0, 1, 1, 2, 0, 0}), 0, &cut), "t1,t2*2,bg:m0,t1*2");
}

TEST(ScheduleTokenOf, StopsSoonAfterTheLimitWithTheSamePrefix) {
  std::vector<int> steps;
  for (int i = 0; i < 100000; ++i) steps.push_back(i % 2);  // "t1,t2,t1,t2,..."
  const RunReport r = WithSteps(steps);
  bool cut = false;
  const std::string token = ScheduleTokenOf(r, 160, &cut);
  EXPECT_TRUE(cut);
  EXPECT_GT(token.size(), 160u);
  EXPECT_LT(token.size(), 200u);  // not the whole 300,000-character token
  EXPECT_EQ(token, ScheduleToken(r.schedule()).substr(0, token.size()));
  // Short enough: not cut.
  cut = true;
  EXPECT_EQ(ScheduleTokenOf(WithSteps({0, 0, 1}), 160, &cut), "t1*2,t2");
  EXPECT_FALSE(cut);
}

}  // namespace
}  // namespace fusesim::sim

namespace fusesim::sim {
namespace {

// The dentries report is sorted by key whatever the order of the mounts
// ("mb" before "ma", and "m" + "a2" sorting before "ma:" since '2' < ':'),
// and DentryState finds a key in it, "absent" for one it does not list.
TEST(Dentries, SortedByKeyWhateverTheMountOrder) {
  auto s = ParseScenario(R"({"name": "d", "mounts": [{"name": "mb"}, {"name": "ma"}, {"name": "ma2"}],
    "server": {"tree": ["/e"]},
    "threads": [{"name": "t1", "mount": "mb", "ops": [{"op": "stat", "path": "/e"}, {"op": "stat", "path": "/f"}]}]})",
                         "d.json");
  ASSERT_TRUE(s.ok()) << s.status();
  SequentialChooser c;
  auto r = Execute(**s, model::Variant::kLookupCreate, c);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> keys;
  for (const auto& [k, v] : r->dentries) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"ma2:/e", "ma2:/f", "ma:/e", "ma:/f", "mb:/e", "mb:/f"}));
  EXPECT_EQ(DentryState(*r, "mb:/e"), "positive");
  EXPECT_EQ(DentryState(*r, "mb:/f"), "negative");
  EXPECT_EQ(DentryState(*r, "ma:/e"), "absent");  // listed: never looked up there
  EXPECT_EQ(DentryState(*r, "mz:/e"), "absent");  // not listed
}

}  // namespace
}  // namespace fusesim::sim
