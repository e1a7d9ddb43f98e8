// Checks runs against a scenario's expectations (scenario-format.md §1
// "expect").
//
// For each variant the "all" block and the variant's own block apply. A run
// fails if any expectation fails or if it broke an invariant that the
// expectations do not name in "violations" (which lists exactly the
// invariants a run is expected to break).
#ifndef FUSESIM_SIM_SCENARIO_EXPECT_H_
#define FUSESIM_SIM_SCENARIO_EXPECT_H_

#include <string>
#include <vector>

#include "sim/report/report.h"
#include "sim/scenario/explore_scenario.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

// The expectation blocks that apply to a variant, "all" first.
std::vector<const Expectation*> ExpectationsFor(const Scenario& s, model::Variant v);

// Failures of one run, each a readable sentence; empty if it passes.
// With `every_schedule` false (single runs), "outcomes" is not checked.
std::vector<std::string> CheckRun(const Scenario& s, model::Variant v, const RunReport& r);

// Failures of an exploration: requests/results/dentries/dir_changed must hold
// in every schedule (any_of lists the acceptable alternatives), "violations"
// is the union over all schedules, "deadlock": false means no schedule
// deadlocked, "outcomes" counts distinct outcomes.
// With `whole_space` false (the exploration covered part of the space: one
// shard of `--shard I/N`, a run cut by a bound or budget, random sampling),
// only what a part can refute is checked: every schedule's fields, a
// deadlock or a broken invariant the scenario does not expect, more outcomes
// than expected. What needs the whole space (an expected violation or
// deadlock not seen, fewer outcomes) is left to the complete run, or to
// `fusesim merge --scenario` for shards.
std::vector<std::string> CheckExplore(const Scenario& s, model::Variant v, const ExploreResult& r,
                                      bool whole_space = true);

// The invariant names a report broke, sorted and unique.
std::vector<std::string> BrokenInvariants(const RunReport& r);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_EXPECT_H_
