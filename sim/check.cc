#include "sim/check.h"

#include "absl/strings/str_cat.h"
#include "sim/execution.h"
#include "sim/expect.h"

namespace fusesim::sim {

absl::StatusOr<Verdict> CheckScenario(const Scenario& s, model::Variant v) {
  Verdict out;
  out.variant = v;
  std::vector<int> steps;
  if (s.schedule.mode == ScheduleSpec::Mode::kReplay) {
    auto st = ScheduleIndices(s, s.schedule.steps);
    if (!st.ok()) return st.status();
    steps = *st;
  }
  ReplayChooser chooser(steps);
  auto report = Execute(s, v, chooser, {});
  if (!report.ok()) return report.status();
  out.failures = CheckRun(s, v, *report);
  out.passed = out.failures.empty();
  out.summary = "1 run";
  return out;
}

}  // namespace fusesim::sim
