// The real-kernel oracle: runs a scenario's ops as real syscalls on a real
// FUSE mount served by oracle/fuse_server.h, and records which requests each
// op caused and what it returned, for comparison with the model
// (`fusesim oracle`, docs/fidelity.md).
//
// What is reproduced: the server's tree and behaviour, each mount's timeouts
// (and default_permissions; parallel_dirops is patched into the INIT reply),
// the ops of every thread in the order the model's sequential schedule runs
// them, server-side ops applied to the server's namespace at their point,
// drop_caches (sync + "2" > /proc/sys/vm/drop_caches) and sleeps (real ones).
// Every request received while an op runs, and until the log has been quiet
// for `settle_ms` after it (so that the asynchronous RELEASE and FORGET land
// on the op that caused them), is attributed to that op. Files still open
// when a thread has run its last op are closed right after it, as at process
// exit ("t1.exit").
//
// What is not: schedules that interleave syscalls (replay/random/pct/explore,
// or a sequential run whose threads overlap in the model) - a race cannot be
// forced on a real kernel without gates in the server, which this oracle does
// not have yet; mounts that model another kernel than 6.18; simulated
// latencies (the real server answers at once).
//
// Safety: mounts are only made below a fresh mkdtemp directory
// (/tmp/fusesim-oracle-XXXXXX) and are unmounted on every exit path: RAII,
// a SIGINT/SIGTERM/SIGHUP handler that force-detaches them, and a watchdog
// that aborts the connections when a scenario runs longer than watchdog_ms.
#ifndef FUSESIM_ORACLE_ORACLE_H_
#define FUSESIM_ORACLE_ORACLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "oracle/fuse_server.h"
#include "sim/report.h"
#include "sim/scenario.h"

namespace fusesim::oracle {

struct OracleOptions {
  int settle_ms = 30;         // quiet time that ends an op
  int max_settle_ms = 1000;   // an op's settling never waits longer
  int watchdog_ms = 10000;    // a scenario is aborted after this
  // Global op indices in the order to run them (the model's sequential
  // order, see OrderFromTrace). Empty: SequentialOrder(s).
  std::vector<int> order;
  bool any_kernel = false;  // run even if this machine is not Linux 6.18
  bool debug = false;       // libfuse's debug log on stderr
};

struct RealRequest {
  std::string opcode;  // fusesim spelling: "LOOKUP", "BATCH_FORGET"
  std::string text;    // "LOOKUP(parent=1 name=s1) -> negative(1000ms)"
};

struct RealOp {
  std::string label;   // "t1.0", or "t1.exit" for exit-time closes
  bool ran = false;
  std::string result;  // "ok" or an errno name
  std::vector<RealRequest> requests;
  int64_t start_us = 0, end_us = 0;  // since the log started
};

struct OracleResult {
  std::string kernel_release;
  std::vector<RealOp> ops;    // by global op index
  std::vector<RealOp> exits;  // by thread index
  std::vector<LoggedRequest> log;  // every request, mount time and foreign ones too
  std::vector<int> order;          // as run
  std::vector<std::string> notes;  // anything odd worth showing
  int64_t elapsed_us = 0;          // first op to last
  uint64_t model_sleep_us = 0;     // sum of sleep ops
};

// OK if the scenario can run on a real kernel, else Unimplemented with the
// reason (the command prints it as "skipped: ...").
absl::Status CheckSupported(const sim::Scenario& s, const OracleOptions& o = {});

// The order of ops under the sequential schedule, derived from the scenario
// alone: the current thread runs on while its next op's `after` ops are
// done, else the first thread in file order that can run takes over.
absl::StatusOr<std::vector<int>> SequentialOrder(const sim::Scenario& s);

// The order in which the model's run (with ExecOptions::trace) started the
// ops. Unimplemented if an op started while another was still in progress
// (the run interleaves syscalls), FailedPrecondition if the trace does not
// cover every op (e.g. a BUG stopped a thread).
absl::StatusOr<std::vector<int>> OrderFromTrace(const sim::Scenario& s, const sim::RunReport& r);

// Mounts, runs, unmounts. Unimplemented: not supported (see CheckSupported);
// Unavailable: FUSE cannot be mounted here (no /dev/fuse, EPERM);
// DeadlineExceeded: the watchdog aborted the scenario.
absl::StatusOr<OracleResult> RunOnRealKernel(const sim::Scenario& s, const OracleOptions& o = {});

// `uname -r` of this machine.
std::string KernelRelease();

// Statuses that mean "skipped" rather than "failed".
bool IsSkip(const absl::Status& st);

}  // namespace fusesim::oracle

#endif  // FUSESIM_ORACLE_ORACLE_H_
