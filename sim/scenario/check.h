// Checks one scenario under one variant the way its schedule asks:
// "sequential"/"replay" run once; "explore"/"random"/"pct" explore the
// interleavings and require the expectations of every schedule found.
#ifndef FUSESIM_SIM_SCENARIO_CHECK_H_
#define FUSESIM_SIM_SCENARIO_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/variant.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

struct Verdict {
  model::Variant variant;
  bool passed = true;
  std::vector<std::string> failures;
  std::string summary;  // "1 run" / "explored 36 schedules, 2 outcomes"
};

// Bad input (e.g. a replay schedule that diverges) is an error.
absl::StatusOr<Verdict> CheckScenario(const Scenario& s, model::Variant v);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_CHECK_H_
