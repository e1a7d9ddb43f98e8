#include "sim/engine/scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fusesim::sim {

absl::StatusOr<int> SequentialChooser::Choose(int, const std::vector<int>& enabled, int last,
                                              const std::vector<Actor*>& actors) {
  for (int i : enabled)
    if (actors[i]->daemon) return i;
  if (last >= 0 && std::find(enabled.begin(), enabled.end(), last) != enabled.end()) return last;
  return enabled.front();
}

absl::StatusOr<int> ReplayChooser::Choose(int step, const std::vector<int>& enabled, int last,
                                          const std::vector<Actor*>& actors) {
  if (step >= static_cast<int>(steps_.size())) return then_.Choose(step, enabled, last, actors);
  const int want = steps_[step];
  if (std::find(enabled.begin(), enabled.end(), want) != enabled.end()) return want;
  const Actor& a = *actors[want];
  std::string why = a.finished ? "it has finished"
                    : a.bugged ? "it was stopped by a kernel BUG"
                               : absl::StrCat("it is blocked (", a.wait.what, ")");
  std::vector<std::string> names;
  for (int i : enabled) names.push_back(actors[i]->name);
  return absl::FailedPreconditionError(
      absl::StrCat("the schedule diverges at step ", step + 1, ": ", a.name, " cannot run because ", why,
                   "; runnable: ", names.empty() ? std::string("none") : absl::StrJoin(names, ", ")));
}

absl::StatusOr<int> RandomChooser::Choose(int, const std::vector<int>& enabled, int last, const std::vector<Actor*>&) {
  const bool last_enabled = last >= 0 && std::find(enabled.begin(), enabled.end(), last) != enabled.end();
  if (bound_ >= 0 && last_enabled && preemptions_ >= bound_) return last;
  int pick = enabled[rng_.Uniform(enabled.size())];
  if (last_enabled && pick != last) ++preemptions_;
  return pick;
}

absl::StatusOr<LoopResult> RunLoop(const std::vector<Actor*>& actors, Chooser& chooser, int64_t max_steps,
                                   const WaitObserver& observer, const StepHook& after_step) {
  std::vector<char> blocked(actors.size(), 0);
  LoopResult out;
  for (Actor* a : actors) {
    a->resume = a->root.handle();
    a->started = true;
    a->resume.resume();  // runs to the first scheduling point
    if (a->root.done()) a->finished = true;
  }
  std::vector<int> enabled;
  int last = -1;
  for (;;) {
    enabled.clear();
    for (size_t i = 0; i < actors.size(); ++i)
      if (Enabled(*actors[i])) enabled.push_back(static_cast<int>(i));
    if (observer) {
      for (size_t i = 0; i < actors.size(); ++i) {
        const Actor& a = *actors[i];
        if (!blocked[i] && !a.daemon && !a.finished && !a.bugged && a.wait.kind != WaitKind::kNone && !Enabled(a)) {
          blocked[i] = 1;
          observer(a, true);
        }
      }
    }
    if (enabled.empty()) break;
    if (static_cast<int64_t>(out.schedule.size()) >= max_steps) {
      out.step_limit = true;
      break;
    }
    auto pick = chooser.Choose(static_cast<int>(out.schedule.size()), enabled, last, actors);
    if (!pick.ok()) return pick.status();
    Actor* a = actors[*pick];
    if (observer && blocked[*pick]) {
      blocked[*pick] = 0;
      observer(*a, false);
    }
    out.schedule.push_back(*pick);
    a->footprint.clear();
    if ((a->wait.kind == WaitKind::kRwsemRead || a->wait.kind == WaitKind::kRwsemWrite) &&
        !static_cast<const RwSem*>(a->wait.obj)->Available(a->wait.kind == WaitKind::kRwsemWrite)) {
      // Arrives at a contended rwsem: joins its queue; resumed once handed the lock.
      Enqueue(*a, *const_cast<RwSem*>(static_cast<const RwSem*>(a->wait.obj)));
    } else {
      running_actor = a;
      a->resume.resume();
      running_actor = nullptr;
    }
    if (a->root.done()) a->finished = true;
    last = *pick;
    if (after_step) after_step(static_cast<int>(out.schedule.size()));
  }
  chooser.Finish(static_cast<int>(out.schedule.size()), actors);
  return out;
}

}  // namespace fusesim::sim
