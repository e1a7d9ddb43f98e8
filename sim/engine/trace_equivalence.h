// Mazurkiewicz traces of runs: when two schedules are the same run up to
// the order of steps that commute, and the interleaving of a trace where
// each actor runs on as far as its steps commute.
//
// A run's steps are its events: the k-th step of actor p is event (p, k),
// with the footprint it recorded. Two schedules are the same trace when they
// have the same events (same actors, same number of steps each, same
// footprints) and order every pair of conflicting events alike (runtime.h,
// Conflict). The footprints are the model's claim, which the independence
// check (independence_check.h) tests.
#ifndef FUSESIM_SIM_ENGINE_TRACE_EQUIVALENCE_H_
#define FUSESIM_SIM_ENGINE_TRACE_EQUIVALENCE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/engine/executor.h"

namespace fusesim::sim {

// One run, step by step.
struct RunEvents {
  std::vector<int> schedule;              // actor per step
  std::vector<std::vector<Access>> fp;    // footprint per step
  std::vector<std::vector<int>> enabled;  // enabled actors before each step
  RunSummary summary;                     // the run's outcome and violations
};

// Replays `schedule` (then the executor's sequential continuation, if it is
// a prefix) with footprints on.
absl::StatusOr<RunEvents> RecordRun(Executor& program, const std::vector<int>& schedule, int64_t max_steps = 0);

// Whether two runs are one Mazurkiewicz trace.
bool SameTrace(const RunEvents& a, const RunEvents& b);

// The interleaving of `run`'s trace in which, after each step, its actor's
// next step is moved up to follow it whenever it commutes with every step
// it would pass, as far as the program lets it run there (each move is
// checked by replaying). The result is the same trace as `run` (checked);
// it is `run`'s own schedule when nothing can move.
absl::StatusOr<std::vector<int>> RunOnWithinTrace(Executor& program, const RunEvents& run, int64_t max_steps = 0);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_TRACE_EQUIVALENCE_H_
