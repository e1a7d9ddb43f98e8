// One execution of a scenario under one variant and one schedule.
//
// Builds a fresh World (server tree, mounts with their root dentries), one
// actor per scenario thread and one background-queue actor per mount
// ("bg:MOUNT"), runs the step loop with the given Chooser, then checks the
// end-of-run invariants (in-lookup-leak, nlookup-balance, handle-leak,
// deadlock) and renders a RunReport. Per-op invariants (fmode-created,
// o-excl, posix-errno) are judged as each op completes; BUGs as they happen.
//
// Deterministic: the report depends only on (scenario, variant, choices).
#ifndef FUSESIM_SIM_SCENARIO_EXECUTION_H_
#define FUSESIM_SIM_SCENARIO_EXECUTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/variant.h"
#include "sim/engine/scheduler.h"
#include "sim/report/report.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

struct ExecOptions {
  // Per schedule; hitting it is "step-limit". 0: 1000 steps per op (the model
  // has no unbounded loops, so only a livelock gets there).
  int64_t max_steps = 0;
  bool trace = false;  // record a message trace in the report
  bool record_footprints = false;
  // Report the dentry of every path the scenario names (compare needs only
  // counts and turns this off: it is most of a big workload's report cost).
  bool report_dentries = true;
  // Run model/consistency.h after every step; what it finds goes to
  // RunReport::internal_errors (a bug in fusesim, not in the kernel).
  bool check_consistency = false;
  // Fill RunReport::op_texts ("open /d/f O_CREAT|O_WRONLY") for every op.
  bool describe_ops = true;
  // The server to run with instead of the scenario's own (compare's latency
  // model), so that no copy of a big scenario is needed for it. Must
  // outlive the call.
  const model::ServerConfig* server = nullptr;
};

// "open /d/f O_CREAT|O_WRONLY": an op as text reports show it.
std::string DescribeOp(const OpSpec& op);

absl::StatusOr<RunReport> Execute(const Scenario& s, model::Variant v, Chooser& chooser, const ExecOptions& opts = {});

// Actor names in index order: the threads, then "bg:MOUNT" per mount.
std::vector<std::string> ActorNames(const Scenario& s);
// Parses "t1,t1,t2" or "t1*2,t2" into actor indices.
absl::StatusOr<std::vector<int>> ParseScheduleToken(const Scenario& s, const std::string& token);
// Names of a replay schedule's steps as actor indices.
absl::StatusOr<std::vector<int>> ScheduleIndices(const Scenario& s, const std::vector<std::string>& steps);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_EXECUTION_H_
