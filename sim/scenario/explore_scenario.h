// Exploring a scenario: the engine's explorer (sim/engine/explore.h) over
// the model, run by a ScenarioExecutor.
//
// The engine returns each outcome's representative schedule; this layer
// replays it once to give the outcome its RunReport (results, requests,
// dentries, violations), which reports show. Outcome keys are OutcomeKey()
// of a run's report: results (with the created flag), request counts,
// dentries, broken invariant names and deadlock.
#ifndef FUSESIM_SIM_SCENARIO_EXPLORE_SCENARIO_H_
#define FUSESIM_SIM_SCENARIO_EXPLORE_SCENARIO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/variant.h"
#include "sim/engine/explore.h"
#include "sim/report/report.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

struct Outcome {
  std::string key;  // OutcomeKey of its runs
  int64_t count = 0;
  RunReport report;  // its representative run (shortest schedule, then smallest token)
};

// The engine's exploration of a scenario (ExplorationSummary: counts,
// bounds, findings), named, with each outcome's report.
struct ExploreResult : ExplorationSummary {
  std::string scenario, variant;
  std::string file;               // the scenario's path, for replay lines ("" for a
                                  // scenario parsed from text); not in the JSON
  std::vector<Outcome> outcomes;  // sorted by key
};

// The key that makes two runs the same outcome: results (with the created
// flag), request counts, dentries, broken invariant names, deadlock.
std::string OutcomeKey(const RunReport& r);

absl::StatusOr<ExploreResult> Explore(const Scenario& s, model::Variant v, const ExploreOptions& o);

// The options a scenario's "schedule" block asks for.
absl::StatusOr<ExploreOptions> ExploreOptionsFor(const Scenario& s);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_EXPLORE_SCENARIO_H_
