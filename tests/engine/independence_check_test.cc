// The independence check on toy programs: correct footprints pass on every
// sampled run; a write that hides its footprint, or an addition declared on
// what is not a counter, is caught.
#include "sim/engine/independence_check.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/explore.h"
#include "sim/engine/scheduler.h"
#include "tests/engine/toy_program.h"

namespace fusesim::sim {
namespace {

using toy::Add;
using toy::Code;
using toy::L;
using toy::LyingW;
using toy::R;
using toy::ToyProgram;
using toy::U;
using toy::W;

// Checks `runs` sampled runs; returns every error, counting swapped pairs.
std::vector<std::string> CheckSampled(ToyProgram& p, int runs, int64_t* pairs) {
  std::vector<std::string> errors;
  for (int seed = 1; seed <= runs; ++seed) {
    RandomChooser c(static_cast<uint64_t>(seed));
    auto run = p.Run(c, {});
    EXPECT_TRUE(run.ok());
    auto report = CheckIndependence(p, run->schedule);
    EXPECT_TRUE(report.ok()) << report.status();
    *pairs += report->pairs_checked;
    errors.insert(errors.end(), report->errors.begin(), report->errors.end());
  }
  return errors;
}

TEST(IndependenceCheck, CorrectFootprintsPass) {
  const Code programs[] = {
      {{W(0, 1), W(0, 2)}, {W(1, 1), R(1)}, {W(2, 1), R(2)}},
      {{L(0), W(0, 1), U(0)}, {L(0), W(0, 2), U(0)}, {L(0), R(0), U(0)}},
      {{W(0, 1), W(1, 1)}, {R(1), R(0)}},
      {{W(0, 1), R(1)}, {W(1, 1), R(0)}},
      {{R(0)}, {R(0)}, {W(0, 1)}},
      {{Add(0), Add(0)}, {Add(0), R(1)}, {W(1, 1), Add(0)}},
  };
  int64_t pairs = 0;
  for (const Code& code : programs) {
    ToyProgram p(code);
    EXPECT_TRUE(CheckSampled(p, 40, &pairs).empty());
  }
  EXPECT_GT(pairs, 100);  // the check did swap steps
}

TEST(IndependenceCheck, AHiddenWriteIsCaught) {
  // t0 writes cell 0 without saying so; t1 reads it: swapping the two
  // changes what t1 reads.
  ToyProgram p({{LyingW(0, 1)}, {R(0)}});
  int64_t pairs = 0;
  std::vector<std::string> errors = CheckSampled(p, 20, &pairs);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("the outcome differs"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("step 1 (t"), std::string::npos) << errors[0];
}

TEST(IndependenceCheck, AnAdditionThatDoesNotCommuteIsCaught) {
  // Additions commute with each other, not with a write: a write of the
  // cell that claims to be an addition is caught against a real one.
  ToyProgram p({{W(0, 5)}, {Add(0)}});
  int64_t pairs = 0;
  EXPECT_TRUE(CheckSampled(p, 20, &pairs).empty());  // declared: write vs add conflict
  EXPECT_EQ(pairs, 0);
  ToyProgram lying({{LyingW(0, 5)}, {Add(0)}});
  pairs = 0;
  EXPECT_FALSE(CheckSampled(lying, 20, &pairs).empty());
}

TEST(IndependenceCheck, AdditionsCommuteInDpor) {
  // Three threads adding to one counter: one Mazurkiewicz trace.
  ToyProgram p({{Add(0)}, {Add(0)}, {Add(0)}});
  ExploreOptions o;
  o.strategy = Strategy::kDpor;
  o.shrink = false;
  auto e = Explore(p, o);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->complete);
  EXPECT_EQ(e->schedules, 1);
}

TEST(IndependenceCheck, AScheduleThatIsNotACompleteRunIsAnError) {
  ToyProgram p({{W(0, 1)}, {R(0)}});
  EXPECT_FALSE(CheckIndependence(p, {0}).ok());
}

}  // namespace
}  // namespace fusesim::sim
