// Reports of an exploration (explore_scenario.h): JSON, text, and merging
// the JSON of shards and of interrupted runs with their continuations.
#ifndef FUSESIM_SIM_REPORT_EXPLORE_REPORT_H_
#define FUSESIM_SIM_REPORT_EXPLORE_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/scenario/explore_scenario.h"

namespace fusesim::sim {

// Outcomes sorted by key and findings by invariant, so that results of
// shards merge (MergeExploreJson) into exactly what one process reports.
nlohmann::ordered_json ExploreToJson(const ExploreResult& r);
// Checks that `part` (a file of `fusesim explore --format json`: one run or
// an array of runs) has the fields, of the types, that merging and judging
// read; the error names the first bad value's JSON pointer.
absl::Status CheckExploreJsonShape(const nlohmann::ordered_json& part);
// Merges the JSON of explorations of the same scenarios and variants by
// shards 0..N-1 of N (each an object or an array of objects). Errors on
// missing or repeated shards and on mismatched runs.
absl::StatusOr<nlohmann::ordered_json> MergeExploreJson(const std::vector<nlohmann::ordered_json>& parts);
// Combines an interrupted run's JSON with the JSON of its continuation
// (explore --resume) into what one uninterrupted run reports.
absl::StatusOr<nlohmann::ordered_json> MergeContinuation(const nlohmann::ordered_json& partial,
                                                         const nlohmann::ordered_json& rest);
// Judges the JSON of one variant's exploration that no single process
// explored whole (merged shards, or an interrupted run with its
// continuation) against the scenario's expectations, as CheckExplore()
// judges a run (whole_space as there). Each outcome's schedule is replayed
// for the report the expectations read; an outcome whose schedule does not
// replay to its key (another scenario or another fusesim) is an error.
absl::StatusOr<std::vector<std::string>> JudgeExploreJson(const Scenario& s, model::Variant v,
                                                          const nlohmann::ordered_json& run, bool whole_space = true);
// The "expectations" object of an exploration's JSON: "passed" (nothing in
// `fails`), "proven" (passed, and `whole_space` was covered: what the text
// calls "expectations: ok"), "failures".
nlohmann::ordered_json ExpectationsJson(const std::vector<std::string>& fails, bool whole_space);
std::string ExploreToText(const ExploreResult& r);
// Why an exploration is incomplete, for people ("max-schedules 100 reached,
// preemption bound 2 excluded schedules", "interrupted", "random sampling
// does not prove coverage"); "" when complete.
std::string IncompleteReason(const ExploreResult& r);
// Whether a budget or bound (max-schedules, max-preemptions, time-budget)
// stopped the exploration short of the whole space.
bool CutByBound(const ExploreResult& r);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_REPORT_EXPLORE_REPORT_H_
