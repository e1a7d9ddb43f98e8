// Mazurkiewicz trace equivalence and the run-on interleaving of a trace, on
// toy programs whose traces are known by hand.
#include "sim/engine/trace_equivalence.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/toy_program.h"

namespace fusesim::sim {
namespace {

using toy::L;
using toy::R;
using toy::ToyProgram;
using toy::U;
using toy::W;

RunEvents Record(ToyProgram& p, const std::vector<int>& schedule) {
  auto r = RecordRun(p, schedule);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->schedule, schedule);
  return *r;
}

TEST(TraceEquivalence, IndependentStepsInAnyOrderAreOneTrace) {
  ToyProgram p({{W(0, 1), W(1, 1)}, {W(2, 1)}});
  const RunEvents a = Record(p, {0, 0, 1}), b = Record(p, {0, 1, 0}), c = Record(p, {1, 0, 0});
  EXPECT_TRUE(SameTrace(a, b));
  EXPECT_TRUE(SameTrace(a, c));
  EXPECT_TRUE(SameTrace(c, b));
}

TEST(TraceEquivalence, ConflictingStepsInTheOtherOrderAreAnotherTrace) {
  ToyProgram p({{W(0, 1)}, {R(0)}});
  EXPECT_FALSE(SameTrace(Record(p, {0, 1}), Record(p, {1, 0})));
  // Readers commute.
  ToyProgram readers({{R(0)}, {R(0)}});
  EXPECT_TRUE(SameTrace(Record(readers, {0, 1}), Record(readers, {1, 0})));
}

TEST(TraceEquivalence, RunOnMovesEachActorsNextStepUpWhileItCommutes) {
  ToyProgram p({{W(0, 1), W(1, 1)}, {W(2, 1), R(3)}});
  const RunEvents run = Record(p, {0, 1, 0, 1});
  auto on = RunOnWithinTrace(p, run);
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(*on, (std::vector<int>{0, 0, 1, 1}));
  // t0's second step reads what t1 wrote before it: it cannot move.
  ToyProgram dep({{W(0, 1), R(1)}, {W(1, 1)}});
  auto kept = RunOnWithinTrace(dep, Record(dep, {0, 1, 0}));
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, (std::vector<int>{0, 1, 0}));
}

TEST(TraceEquivalence, RunOnNeverMovesAStepWhereItCannotRun) {
  // t1's lock commutes, by footprints, with t0's read and unlock (an unlock
  // records nothing), but cannot run while t0 holds the lock: the move is
  // refused and the schedule stays as it was.
  ToyProgram p({{L(0), R(2), U(0)}, {W(2, 1), L(0), U(0)}});
  const std::vector<int> schedule = {0, 1, 0, 0, 1, 1};
  auto on = RunOnWithinTrace(p, Record(p, schedule));
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(*on, schedule);
}

}  // namespace
}  // namespace fusesim::sim
