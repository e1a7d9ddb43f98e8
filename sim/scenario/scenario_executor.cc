#include "sim/scenario/scenario_executor.h"

#include <utility>

#include "sim/scenario/explore_scenario.h"

namespace fusesim::sim {

ScenarioExecutor::ScenarioExecutor(const Scenario& s, model::Variant v, const ExecOptions& opts)
    : s_(s), v_(v), opts_(opts), names_(sim::ActorNames(s)) {}

absl::StatusOr<RunSummary> ScenarioExecutor::Run(Chooser& chooser, const RunOptions& o) {
  ExecOptions eo = opts_;
  eo.record_footprints = o.record_footprints;
  if (o.max_steps != 0) eo.max_steps = o.max_steps;
  auto r = Execute(s_, v_, chooser, eo);
  if (!r.ok()) return r.status();
  last_ = *std::move(r);
  RunSummary out;
  out.schedule = last_.steps;
  if (o.outcome) out.outcome = OutcomeKey(last_);
  out.step_limit = last_.step_limit;
  out.violations.reserve(last_.violations.size());
  for (const auto& v : last_.violations) out.violations.push_back({v.invariant, v.detail});
  return out;
}

}  // namespace fusesim::sim
