#include "sim/scenario/explore_scenario.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "sim/scenario/scenario_executor.h"

namespace fusesim::sim {

std::string OutcomeKey(const RunReport& r) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json res = nlohmann::ordered_json::object();
  for (const OpOutcome& o : r.results) res[o.label] = ResultWithCreated(o);
  j["results"] = res;
  j["requests"] = r.requests;
  nlohmann::ordered_json dentries = nlohmann::ordered_json::object();
  for (const auto& [key, state] : r.dentries) dentries[key] = std::string(state);  // sorted, as a map's
  j["dentries"] = std::move(dentries);
  std::set<std::string> inv;
  for (const auto& v : r.violations) inv.insert(v.invariant);
  j["violations"] = inv;
  j["deadlock"] = r.deadlock;
  return j.dump();
}

absl::StatusOr<ExploreResult> Explore(const Scenario& s, model::Variant v, const ExploreOptions& o) {
  ScenarioExecutor program(s, v);
  auto e = Explore(program, o);
  if (!e.ok()) return e.status();
  ExploreResult r;
  static_cast<ExplorationSummary&>(r) = std::move(static_cast<ExplorationSummary&>(*e));
  r.scenario = s.name;
  r.variant = std::string(model::VariantName(v));
  r.file = s.file;
  // Each outcome's report is its representative's replay (deterministic:
  // the same run the explorer counted).
  for (ExploredOutcome& x : e->outcomes) {
    ReplayChooser replay(x.schedule);
    auto run = program.Run(replay, {.max_steps = o.max_steps});
    if (!run.ok())
      return absl::InternalError(
          absl::StrCat("an outcome's representative schedule does not replay: ", run.status().message()));
    if (run->outcome != x.key || run->schedule != x.schedule)
      return absl::InternalError("replay is not deterministic: an outcome's representative gives another outcome");
    r.outcomes.push_back({std::move(x.key), x.count, program.last_report()});
  }
  return r;
}

}  // namespace fusesim::sim
