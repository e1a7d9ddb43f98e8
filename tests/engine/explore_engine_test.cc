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

namespace fusesim::sim {
namespace {

struct Instr {
  enum Kind { kWrite, kRead, kLock, kUnlock } kind;
  int target;     // cell or mutex
  int value = 0;  // kWrite
};
Instr W(int cell, int v) { return {Instr::kWrite, cell, v}; }
Instr R(int cell) { return {Instr::kRead, cell}; }
Instr L(int m) { return {Instr::kLock, m}; }
Instr U(int m) { return {Instr::kUnlock, m}; }

using Code = std::vector<std::vector<Instr>>;  // per thread

// Runs a Code: every instruction is one step; the outcome is the final
// cells and every thread's reads.
class ToyProgram : public Executor {
 public:
  explicit ToyProgram(Code code) : code_(std::move(code)) {
    for (size_t t = 0; t < code_.size(); ++t) names_.push_back(absl::StrCat("t", t));
  }
  const std::vector<std::string>& ActorNames() const override { return names_; }

  absl::StatusOr<RunSummary> Run(Chooser& chooser, bool record, int64_t max_steps) override {
    State st;
    for (int i = 0; i < 8; ++i) st.mutexes[i].key = 1000 + i;
    std::vector<std::unique_ptr<Actor>> actors;
    std::vector<Actor*> ptrs;
    st.reads.resize(code_.size());
    for (size_t t = 0; t < code_.size(); ++t) {
      actors.push_back(std::make_unique<Actor>());
      Actor& a = *actors.back();
      a.index = static_cast<int>(t);
      a.name = names_[t];
      a.record = record;
      ptrs.push_back(&a);
    }
    for (size_t t = 0; t < code_.size(); ++t) actors[t]->root = Thread(*actors[t], code_[t], st, st.reads[t]);
    auto loop = RunLoop(ptrs, chooser, max_steps > 0 ? max_steps : 1000);
    if (!loop.ok()) return loop.status();
    RunSummary out;
    out.schedule = loop->schedule;
    out.step_limit = loop->step_limit;
    out.outcome = absl::StrCat("cells");
    for (const auto& [c, v] : st.cells) absl::StrAppend(&out.outcome, " ", c, "=", v);
    for (size_t t = 0; t < st.reads.size(); ++t) {
      absl::StrAppend(&out.outcome, " | t", t, ":");
      for (int v : st.reads[t]) absl::StrAppend(&out.outcome, " ", v);
    }
    for (const auto& a : actors)
      if (!a->finished) out.outcome += " deadlock";
    return out;
  }

 private:
  struct State {
    std::map<int, int> cells;
    Mutex mutexes[8];
    std::vector<std::vector<int>> reads;
  };

  static Task<void> Thread(Actor& a, const std::vector<Instr>& code, State& st, std::vector<int>& reads) {
    for (const Instr& i : code) {
      switch (i.kind) {
        case Instr::kWrite:
          co_await Point(a, "write");
          a.Touch(static_cast<uint64_t>(i.target) + 1, true);
          st.cells[i.target] = i.value;
          break;
        case Instr::kRead:
          co_await Point(a, "read");
          a.Touch(static_cast<uint64_t>(i.target) + 1, false);
          reads.push_back(st.cells.count(i.target) ? st.cells[i.target] : 0);
          break;
        case Instr::kLock:
          co_await MutexLock(a, st.mutexes[i.target], "lock");
          break;
        case Instr::kUnlock:
          co_await Point(a, "unlock");
          MutexUnlock(a, st.mutexes[i.target]);
          break;
      }
    }
  }

  Code code_;
  std::vector<std::string> names_;
};

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
