#include "sim/scenario/check.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/explore_scenario.h"

namespace fusesim::sim {

absl::StatusOr<Verdict> CheckScenario(const Scenario& s, model::Variant v) {
  Verdict out;
  out.variant = v;
  const auto mode = s.schedule.mode;
  if (mode == ScheduleSpec::Mode::kExplore || mode == ScheduleSpec::Mode::kRandom || mode == ScheduleSpec::Mode::kPct) {
    auto o = ExploreOptionsFor(s);
    if (!o.ok()) return o.status();
    o->shrink = false;  // check prints no schedules
    auto r = Explore(s, v, *o);
    if (!r.ok()) return r.status();
    out.failures = CheckExplore(s, v, *r);
    out.passed = out.failures.empty();
    out.summary = absl::StrCat(r->strategy, ": ", r->schedules, " schedules, ", r->outcomes.size(), " outcomes",
                               r->complete ? "" : absl::StrCat(", incomplete: ", absl::StrJoin(r->bounds_hit, ", ")));
    return out;
  }
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
