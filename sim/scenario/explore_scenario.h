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

struct ExploreResult {
  std::string scenario, variant, strategy;
  std::string file;                     // the scenario's path, for replay lines ("" for a
                                        // scenario parsed from text); not in the JSON
  int64_t schedules = 0;                // complete schedules explored
  int64_t sleep_blocked = 0;            // dpor: redundant prefixes abandoned
  bool complete = true;                 // the space was covered within the bounds
  std::vector<std::string> bounds_hit;  // "max-schedules", "time-budget", "interrupted", ...
  std::vector<Outcome> outcomes;        // sorted by key
  std::vector<Finding> findings;        // one per invariant, shortest schedule
  int max_preemptions = -1;
  int64_t max_schedules = 0;
  std::string shard;      // "I/N" or ""
  int64_t prefixes = 0;   // subtrees of the split (sharded runs)
  nlohmann::json resume;  // see Exploration::resume
  bool deepened = false;
  int deepened_to = -1;
  int covered_preemptions = -1;
};

// The key that makes two runs the same outcome: results (with the created
// flag), request counts, dentries, broken invariant names, deadlock.
std::string OutcomeKey(const RunReport& r);

absl::StatusOr<ExploreResult> Explore(const Scenario& s, model::Variant v, const ExploreOptions& o);

// The options a scenario's "schedule" block asks for.
absl::StatusOr<ExploreOptions> ExploreOptionsFor(const Scenario& s);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_EXPLORE_SCENARIO_H_
