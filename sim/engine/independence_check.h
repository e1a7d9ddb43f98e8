// Independence check: catches a wrong footprint instead of trusting it.
//
// dpor skips the reordering of two steps whose footprints do not conflict
// (runtime.h, Conflict()): that is sound only if those steps really commute.
// The check tests that claim on a run. For each pair of adjacent steps of
// two actors that were both enabled and whose footprints do not conflict, it
// replays the run with the pair swapped: the world after the pair must be
// the same, so the rest of the schedule must replay, every later step must
// touch the same keys, and the run must end with the same outcome and
// violations. Anything else is reported with the step and the two actors.
//
// Steps that are never enabled together (a release and the acquire it
// enables) are not swapped: dpor never needs to reorder them.
#ifndef FUSESIM_SIM_ENGINE_INDEPENDENCE_CHECK_H_
#define FUSESIM_SIM_ENGINE_INDEPENDENCE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/engine/executor.h"

namespace fusesim::sim {

struct IndependenceReport {
  int64_t pairs_checked = 0;  // independent adjacent pairs swapped
  // One line per pair that did not commute: "step 7 (t1, t2): ...".
  std::vector<std::string> errors;
};

// Checks every independent adjacent pair of `schedule` (actor indices, a
// complete run of `program`). An error status only if the schedule itself
// does not replay.
absl::StatusOr<IndependenceReport> CheckIndependence(Executor& program, const std::vector<int>& schedule,
                                                     int64_t max_steps = 0);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_INDEPENDENCE_CHECK_H_
