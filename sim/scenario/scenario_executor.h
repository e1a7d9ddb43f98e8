// ScenarioExecutor: a scenario under one variant as the engine's Executor.
//
// Each Run() is one Execute() (execution.h) with a fresh World; the summary
// carries the report's OutcomeKey and violations. The last run's full
// RunReport stays available (last_report()).
#ifndef FUSESIM_SIM_SCENARIO_SCENARIO_EXECUTOR_H_
#define FUSESIM_SIM_SCENARIO_SCENARIO_EXECUTOR_H_

#include <string>
#include <vector>

#include "model/variant.h"
#include "sim/engine/executor.h"
#include "sim/report/report.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

class ScenarioExecutor : public Executor {
 public:
  ScenarioExecutor(const Scenario& s, model::Variant v, const ExecOptions& opts = {});
  const std::vector<std::string>& ActorNames() const override { return names_; }
  absl::StatusOr<RunSummary> Run(Chooser& chooser, const RunOptions& o) override;
  // The report of the last successful Run().
  const RunReport& last_report() const { return last_; }

 private:
  const Scenario& s_;
  model::Variant v_;
  ExecOptions opts_;
  std::vector<std::string> names_;
  RunReport last_;
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_SCENARIO_EXECUTOR_H_
