#include "sim/engine/trace_equivalence.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fusesim::sim {
namespace {

using Footprint = std::vector<Access>;

// Replays a schedule, recording each step's enabled set and footprint.
class RecordingChooser : public Chooser {
 public:
  RecordingChooser(const std::vector<int>& schedule, RunEvents* out) : replay_(schedule), out_(*out) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override {
    if (step > 0) out_.fp.push_back(actors[chosen_]->footprint);
    out_.enabled.push_back(enabled);
    auto pick = replay_.Choose(step, enabled, last, actors);
    if (pick.ok()) chosen_ = *pick;
    return pick;
  }
  void Finish(int steps, const std::vector<Actor*>& actors) override {
    if (steps > 0) out_.fp.push_back(actors[chosen_]->footprint);
  }

 private:
  ReplayChooser replay_;
  RunEvents& out_;
  int chosen_ = -1;
};

// (actor, k) of every step.
std::vector<std::pair<int, int>> Events(const std::vector<int>& schedule) {
  std::map<int, int> seen;
  std::vector<std::pair<int, int>> out;
  for (int a : schedule) out.emplace_back(a, seen[a]++);
  return out;
}

}  // namespace

absl::StatusOr<RunEvents> RecordRun(Executor& program, const std::vector<int>& schedule, int64_t max_steps) {
  RunEvents out;
  RecordingChooser c(schedule, &out);
  auto run = program.Run(c, {.record_footprints = true, .max_steps = max_steps});
  if (!run.ok()) return run.status();
  out.schedule = run->schedule;
  out.enabled.resize(out.schedule.size());
  out.summary = *std::move(run);
  return out;
}

bool SameTrace(const RunEvents& a, const RunEvents& b) {
  if (a.schedule.size() != b.schedule.size()) return false;
  const auto ea = Events(a.schedule), eb = Events(b.schedule);
  // Position of each event in b, and its footprint must match a's.
  std::map<std::pair<int, int>, size_t> pos_b;
  for (size_t i = 0; i < eb.size(); ++i) pos_b[eb[i]] = i;
  for (size_t i = 0; i < ea.size(); ++i) {
    auto it = pos_b.find(ea[i]);
    if (it == pos_b.end() || b.fp[it->second] != a.fp[i]) return false;
  }
  // Every conflicting pair in the same order.
  for (size_t i = 0; i < ea.size(); ++i)
    for (size_t j = i + 1; j < ea.size(); ++j)
      if (ea[i].first != ea[j].first && Dependent(a.fp[i], a.fp[j]) && pos_b[ea[i]] > pos_b[ea[j]]) return false;
  return true;
}

absl::StatusOr<std::vector<int>> RunOnWithinTrace(Executor& program, const RunEvents& run, int64_t max_steps) {
  // `order` is a permutation of run's step indices; it changes only by
  // moving a step over steps it commutes with, so it stays one trace.
  std::vector<size_t> order(run.schedule.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto schedule_of = [&](const std::vector<size_t>& o) {
    std::vector<int> s;
    s.reserve(o.size());
    for (size_t i : o) s.push_back(run.schedule[i]);
    return s;
  };
  for (size_t at = 0; at + 1 < order.size(); ++at) {
    const int actor = run.schedule[order[at]];
    size_t next = at + 1;
    while (next < order.size() && run.schedule[order[next]] != actor) ++next;
    if (next == order.size() || next == at + 1) continue;
    bool commutes = true;
    for (size_t k = at + 1; k < next && commutes; ++k) commutes = !Dependent(run.fp[order[k]], run.fp[order[next]]);
    if (!commutes) continue;
    std::vector<size_t> moved = order;
    const size_t step = moved[next];
    moved.erase(moved.begin() + static_cast<std::ptrdiff_t>(next));
    moved.insert(moved.begin() + static_cast<std::ptrdiff_t>(at) + 1, step);
    // A step the footprints call independent may still not be runnable
    // there (a mutex release records nothing): keep the move only if the
    // program runs it and the run is still the same trace.
    auto replay = RecordRun(program, schedule_of(moved), max_steps);
    if (replay.ok() && replay->schedule == schedule_of(moved) && SameTrace(run, *replay)) order = std::move(moved);
  }
  std::vector<int> out = schedule_of(order);
  auto check = RecordRun(program, out, max_steps);
  if (!check.ok()) return check.status();
  if (!SameTrace(run, *check))
    return absl::InternalError("the run-on interleaving is not the same trace");  // cannot happen: checked per move
  return out;
}

}  // namespace fusesim::sim
