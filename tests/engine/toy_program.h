// A toy program for the engine's tests: threads of instructions on shared
// cells and mutexes, run through the Executor interface (no model, no
// scenario). Every instruction is one step; the outcome is the final cells
// and every thread's reads.
#ifndef FUSESIM_TESTS_ENGINE_TOY_PROGRAM_H_
#define FUSESIM_TESTS_ENGINE_TOY_PROGRAM_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/engine/executor.h"
#include "sim/engine/runtime.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/task.h"

namespace fusesim::sim::toy {

struct Instr {
  // kAdd: adds 1 to a cell (commutes with other additions); kLyingWrite:
  // a write whose footprint is missing (for the independence check's tests).
  enum Kind { kWrite, kRead, kLock, kUnlock, kAdd, kLyingWrite } kind;
  int target;     // cell or mutex
  int value = 0;  // kWrite
};
inline Instr W(int cell, int v) { return {Instr::kWrite, cell, v}; }
inline Instr R(int cell) { return {Instr::kRead, cell}; }
inline Instr L(int m) { return {Instr::kLock, m}; }
inline Instr U(int m) { return {Instr::kUnlock, m}; }
inline Instr Add(int cell) { return {Instr::kAdd, cell}; }
inline Instr LyingW(int cell, int v) { return {Instr::kLyingWrite, cell, v}; }

using Code = std::vector<std::vector<Instr>>;  // per thread

class ToyProgram : public Executor {
 public:
  explicit ToyProgram(Code code) : code_(std::move(code)) {
    for (size_t t = 0; t < code_.size(); ++t) names_.push_back(absl::StrCat("t", t));
  }
  const std::vector<std::string>& ActorNames() const override { return names_; }

  absl::StatusOr<RunSummary> Run(Chooser& chooser, const RunOptions& o) override {
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
      a.record = o.record_footprints;
      ptrs.push_back(&a);
    }
    for (size_t t = 0; t < code_.size(); ++t) actors[t]->root = Thread(*actors[t], code_[t], st, st.reads[t]);
    auto loop = RunLoop(ptrs, chooser, o.max_steps > 0 ? o.max_steps : 1000);
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
        case Instr::kAdd:
          co_await Point(a, "add");
          a.Touch(static_cast<uint64_t>(i.target) + 1, AccessMode::kAdd);
          st.cells[i.target]++;
          break;
        case Instr::kLyingWrite:
          co_await Point(a, "write");
          st.cells[i.target] = i.value;
          break;
      }
    }
  }

  Code code_;
  std::vector<std::string> names_;
};

}  // namespace fusesim::sim::toy

#endif  // FUSESIM_TESTS_ENGINE_TOY_PROGRAM_H_
