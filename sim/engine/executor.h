// Executor: the program an explorer explores, seen from the engine.
//
// An executor owns a deterministic program of actors (runtime.h) and runs it
// from its initial state, once per call, letting a Chooser pick the actor of
// every step (scheduler.h). It is all the explorer knows of what it explores:
// the actors' names, and for each complete run its schedule, an outcome key
// and the invariants the run broke. What the steps touch, the explorer reads
// from the actors' footprints (Actor::footprint, recorded when asked).
//
// Contract:
//  - Run() is a pure function of the choices: the same choices give the same
//    enabled sets, footprints, outcome and violations, on any machine;
//  - an error a Chooser returns ends the run and is returned as is (the
//    explorer uses CancelledError for runs it abandons);
//  - ActorNames() is fixed for the executor's life; indices are those the
//    Chooser sees.
#ifndef FUSESIM_SIM_ENGINE_EXECUTOR_H_
#define FUSESIM_SIM_ENGINE_EXECUTOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/engine/scheduler.h"

namespace fusesim::sim {

// What one complete run left behind.
struct RunSummary {
  struct Violation {
    std::string invariant;  // runs breaking the same invariant are one finding
    std::string detail;
  };
  std::vector<int> schedule;  // actor per step: replays the run
  std::string outcome;        // runs with equal keys have the same outcome
  std::vector<Violation> violations;
  bool step_limit = false;  // stopped by the per-run step bound
};

// What one Run() is asked for.
struct RunOptions {
  // Fill each actor's footprint for the step it runs (dpor and the
  // independence check need them; they cost time).
  bool record_footprints = false;
  int64_t max_steps = 0;  // bounds the run (0: the executor's own bound)
  // Compute RunSummary::outcome (runs that only look for a violation, as
  // shrinking's replays, do without it).
  bool outcome = true;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Names of the actors, by index ("t1", "bg:m0", ...): schedules print and
  // parse as these names.
  virtual const std::vector<std::string>& ActorNames() const = 0;
  // One run from the initial state, as `o` asks.
  virtual absl::StatusOr<RunSummary> Run(Chooser& chooser, const RunOptions& o) = 0;
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_EXECUTOR_H_
