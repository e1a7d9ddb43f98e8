// The step loop: runs actors one scheduling point at a time, letting a
// Chooser pick which enabled actor takes the next step.
//
// A schedule is the list of actor indices that took each step; replaying the
// same list against the same scenario reproduces the run exactly.
#ifndef FUSESIM_SIM_ENGINE_SCHEDULER_H_
#define FUSESIM_SIM_ENGINE_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/engine/random.h"
#include "sim/engine/runtime.h"

namespace fusesim::sim {

class Chooser {
 public:
  virtual ~Chooser() = default;
  // Picks the actor for step `step` among `enabled` (ascending indices,
  // never empty). `last` ran the previous step (-1 before the first).
  // An error (e.g. a replay that names a blocked actor) ends the run.
  virtual absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                                     const std::vector<Actor*>& actors) = 0;
  // Called once when no actor can run any more (or the step limit is hit),
  // with the footprint of the last step still in its actor.
  virtual void Finish(int steps, const std::vector<Actor*>& actors) {
    (void)steps;
    (void)actors;
  }
};

// "sequential": each thread to completion in file order; a blocked thread
// yields to the next one that can run. Background queues are served first,
// whenever they have something (a prompt server).
class SequentialChooser : public Chooser {
 public:
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override;
};

// "replay": follows a fixed list of actor indices, then continues
// sequentially. Naming an actor that cannot run is an error that says why.
class ReplayChooser : public Chooser {
 public:
  explicit ReplayChooser(std::vector<int> steps) : steps_(std::move(steps)) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override;

 private:
  std::vector<int> steps_;
  SequentialChooser then_;
};

// "random": uniform choices from a seeded generator (random.h), with at
// most `max_preemptions` switches away from a runnable actor (-1: no bound).
class RandomChooser : public Chooser {
 public:
  explicit RandomChooser(uint64_t seed, int max_preemptions = -1) : rng_(seed), bound_(max_preemptions) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override;

 private:
  Random rng_;
  int bound_;
  int preemptions_ = 0;
};

struct LoopResult {
  std::vector<int> schedule;  // actor index per step
  bool step_limit = false;    // stopped at max_steps
};

// Starts every actor (each runs to its first scheduling point) and steps
// until no actor is enabled or max_steps is reached. A step is recorded
// before the actor runs, so the schedule always replays.
// Told when an actor starts waiting (blocked = true: it cannot run, and waits
// for something) and when it runs again after waiting.
using WaitObserver = std::function<void(const Actor& a, bool blocked)>;

// Called after every step (model consistency checks in tests).
using StepHook = std::function<void(int step)>;

absl::StatusOr<LoopResult> RunLoop(const std::vector<Actor*>& actors, Chooser& chooser, int64_t max_steps,
                                   const WaitObserver& observer = nullptr, const StepHook& after_step = nullptr);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_SCHEDULER_H_
