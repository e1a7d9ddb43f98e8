// The explorer on toy programs, through the Executor interface alone: no
// model, no scenario (this binary links only the engine library).
//
// Each program is threads of instructions on shared cells and mutexes; its
// Mazurkiewicz trace count (interleavings up to swapping independent
// adjacent steps) is known by hand. dpor must explore each trace once and
// find the outcomes exhaustive finds.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/engine/executor.h"
#include "sim/engine/explore.h"
#include "sim/engine/runtime.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/task.h"
#include "tests/engine/toy_program.h"

namespace fusesim::sim {
namespace {

using toy::Code;
using toy::L;
using toy::R;
using toy::ToyProgram;
using toy::U;
using toy::W;

struct Litmus {
  const char* name;
  Code code;
  int64_t traces;  // Mazurkiewicz traces, counted by hand
};

std::vector<Litmus> Programs() {
  std::vector<Litmus> v;
  // Independent threads: one trace, however many threads.
  v.push_back({"independent-3", {{W(0, 1), W(0, 2)}, {W(1, 1), R(1)}, {W(2, 1), R(2)}}, 1});
  // n threads serialised by one lock: n! orders of the critical sections.
  v.push_back({"one-lock-3", {{L(0), W(0, 1), U(0)}, {L(0), W(0, 2), U(0)}, {L(0), R(0), U(0)}}, 6});
  // Message passing: data then flag; the reader reads flag then data.
  // (flag read 1, data read 0) is impossible: 3 traces.
  v.push_back({"message-passing", {{W(0, 1), W(1, 1)}, {R(1), R(0)}}, 3});
  // Store buffering on shared cells under interleaving semantics: both
  // reads 0 is impossible: 3 traces.
  v.push_back({"store-buffering", {{W(0, 1), R(1)}, {W(1, 1), R(0)}}, 3});
  // Two writers and a reader of one cell: every pair dependent, 3! traces.
  v.push_back({"write-write-read", {{W(0, 1)}, {W(0, 2)}, {R(0)}}, 6});
  // Readers commute: two readers and a writer, 4 traces (the writer
  // before both, between them either way, after both).
  v.push_back({"readers-commute", {{R(0)}, {R(0)}, {W(0, 1)}}, 4});
  return v;
}

std::set<std::string> Keys(const Exploration& e) {
  std::set<std::string> k;
  for (const auto& o : e.outcomes) k.insert(o.key);
  return k;
}

TEST(EngineExplore, DporExploresEachTraceOnceWithTheOutcomesOfExhaustive) {
  for (const Litmus& l : Programs()) {
    SCOPED_TRACE(l.name);
    ToyProgram p(l.code);
    ExploreOptions o;
    o.strategy = Strategy::kExhaustive;
    o.shrink = false;
    auto ex = Explore(p, o);
    ASSERT_TRUE(ex.ok()) << ex.status();
    o.strategy = Strategy::kDpor;
    auto dp = Explore(p, o);
    ASSERT_TRUE(dp.ok()) << dp.status();
    EXPECT_TRUE(ex->complete && dp->complete);
    EXPECT_EQ(Keys(*dp), Keys(*ex));
    EXPECT_EQ(dp->schedules, l.traces) << "sleep-blocked: " << dp->sleep_blocked;
    EXPECT_GE(ex->schedules, dp->schedules);
  }
}

TEST(EngineExplore, IndependentThreadsAreOneScheduleForAnyCount) {
  for (int n = 1; n <= 6; ++n) {
    Code code;
    for (int t = 0; t < n; ++t) code.push_back({W(t, 1), R(t), W(t, 2)});
    ToyProgram p(code);
    ExploreOptions o;
    o.shrink = false;
    auto dp = Explore(p, o);
    ASSERT_TRUE(dp.ok()) << dp.status();
    EXPECT_EQ(dp->schedules, 1) << n << " threads";
    EXPECT_EQ(dp->sleep_blocked, 0) << n << " threads";
  }
}

TEST(EngineExplore, ABudgetIsReportedAndResumes) {
  ToyProgram p({{L(0), W(0, 1), U(0)}, {L(0), W(0, 2), U(0)}, {L(0), R(0), U(0)}});
  ExploreOptions o;
  o.shrink = false;
  o.max_schedules = 2;
  auto part = Explore(p, o);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_FALSE(part->complete);
  EXPECT_EQ(part->bounds_hit, std::vector<std::string>{"max-schedules"});
  ASSERT_FALSE(part->resume.is_null());
  ExploreOptions rest = o;
  rest.max_schedules = 100;
  rest.resume = &part->resume;
  auto done = Explore(p, rest);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->complete);
  EXPECT_EQ(part->schedules + done->schedules, 6);
}

}  // namespace
}  // namespace fusesim::sim
