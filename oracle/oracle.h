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
// Replay schedules (gated replay): one real thread per scenario thread, and
// a gate in the server that holds every request of those threads until the
// model's trace of the same schedule says it is its turn. A coordinator walks
// that trace: "syscall" lets a thread start its op, "request" checks that the
// thread's request is waiting at the gate, "reply" releases it, "wait" checks
// that the thread is blocked in the kernel without a request (a VFS lock),
// and the end of a syscall checks that the real one has returned. Between
// steps it waits until every thread is quiescent (waiting at the gate,
// blocked in the kernel for a while, or done). Where the real kernel does
// not do what the next step needs (within gate_timeout_ms), the schedule
// "diverges": the gate opens, the rest runs freely, and the divergence is
// reported.
//
// What is not reproduced: random/pct/explore schedules (no single schedule to
// follow); mounts that model another kernel than 6.18; simulated latencies
// (the real server answers at once).
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
#include "sim/report/report.h"
#include "sim/scenario/scenario.h"

namespace fusesim::oracle {

// One step of the model's trace, as the gated replay follows it.
struct ScriptEvent {
  // kStart: the thread starts op `op`; kEnd: op `op` returns; kRequest: the
  // thread sends `opcode`; kHandle: the server handles it; kReply: the
  // thread takes the reply; kWait: the thread blocks in the kernel (a lock);
  // kReleaseAnswered: the server answers the RELEASE or RELEASEDIR of handle
  // `fh` (the kernel sends those on its own, pid 0; the gate holds them
  // until this step, since the reply drops the inode reference the request
  // held: fuse_release_end()).
  enum Kind { kStart, kEnd, kRequest, kHandle, kReply, kWait, kReleaseAnswered } kind = kStart;
  int thread = 0;      // not used by kReleaseAnswered
  int op = -1;         // kStart, kEnd: global op index
  uint64_t fh = 0;     // kReleaseAnswered
  std::string opcode;  // kRequest, kHandle, kReply
  std::string text;    // the trace line, for messages
};

struct OracleOptions {
  int settle_ms = 30;        // quiet time that ends an op
  int max_settle_ms = 1000;  // an op's settling never waits longer
  int watchdog_ms = 10000;   // a scenario is aborted after this
  // Global op indices in the order to run them (the model's sequential
  // order, see OrderFromTrace). Empty: SequentialOrder(s).
  std::vector<int> order;
  bool any_kernel = false;  // run even if this machine is not Linux 6.18
  bool debug = false;       // libfuse's debug log on stderr
  // Gated replay (see above): the steps to follow, from ScriptFromModel().
  bool gated = false;
  std::vector<ScriptEvent> script;
  int gate_timeout_ms = 1000;
};

struct RealRequest {
  std::string opcode;  // fusesim spelling: "LOOKUP", "BATCH_FORGET"
  std::string text;    // "LOOKUP(parent=1 name=s1) -> negative(1000ms)"
};

struct RealOp {
  std::string label;  // "t1.0", or "t1.exit" for exit-time closes
  bool ran = false;
  std::string result;  // "ok" or an errno name
  std::vector<RealRequest> requests;
  int64_t start_us = 0, end_us = 0;  // since the log started
};

struct OracleResult {
  std::string kernel_release;
  std::vector<RealOp> ops;         // by global op index
  std::vector<RealOp> exits;       // by thread index
  std::vector<LoggedRequest> log;  // every request, mount time and foreign ones too
  std::vector<int> order;          // as run
  std::vector<std::string> notes;  // anything odd worth showing
  int64_t elapsed_us = 0;          // first op to last
  uint64_t model_sleep_us = 0;     // sum of sleep ops
  bool gated = false;              // ran as a gated replay
  // Gated replay: where the real kernel stopped following the model's
  // schedule ("" = followed to the end).
  std::string schedule_divergence;
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
absl::StatusOr<std::vector<int>> OrderFromTrace(const sim::Scenario& s, const sim::RunReport& r,
                                                bool allow_overlap = false);

// The steps a gated replay follows: the trace of the model's run
// (lookup-create) under the replay schedule `steps` (then sequential),
// without the background queues' events, plus a kHandle step where the
// model's server handles each request (the actor's next step after sending
// it; the trace does not show it, so it is found by re-running the model
// with one more step at a time).
absl::StatusOr<std::vector<ScriptEvent>> ScriptFromModel(const sim::Scenario& s, const std::vector<int>& steps);

// An interleaving the gate can hold, derived from the replay schedule
// `steps` (lookup-create): the same order of gate-visible events, but a
// thread that the schedule pauses between two of them (at d_lookup, or at a
// lock it gets at once) runs on to its next request, its next block or the
// end of its op, as the real thread does while the gate holds nobody. The
// result is that model run, traced (its `steps` are the whole schedule; they
// equal the run of `steps` when the schedule pauses threads only where the
// gate can).
absl::StatusOr<sim::RunReport> RunOnSchedule(const sim::Scenario& s, const std::vector<int>& steps);

// The interleaving of the same Mazurkiewicz trace as the replay of `steps`
// (lookup-create) in which each thread runs on as far as its steps commute
// with the other threads' (sim::RunOnWithinTrace, by the model's
// footprints): what a released real thread does, without changing which
// conflicting step comes first. The result is that model run, traced.
absl::StatusOr<sim::RunReport> TraceRunOnSchedule(const sim::Scenario& s, const std::vector<int>& steps);

// Whether the replays of two schedules (lookup-create) are one Mazurkiewicz
// trace of the model (sim::SameTrace).
absl::StatusOr<bool> SameModelTrace(const sim::Scenario& s, const std::vector<int>& a, const std::vector<int>& b);

// The other interleaving the gate can hold, derived from the run of the
// replay schedule `steps` (lookup-create): a real thread, once the gate lets
// it go at a visible point (its op's start, a request, a reply), runs on
// until the next one; here each such stretch of a thread is moved *later*,
// to where its last step was in the run (RunOnSchedule moves it earlier, to
// where its first step was). Forces "B holds the lock, A waits" orders that
// the run-on interleaving turns round: the gate holds A at the start of its
// op until B has taken the lock. The result is that model run, traced.
absl::StatusOr<sim::RunReport> DeferredSchedule(const sim::Scenario& s, const std::vector<int>& steps);

// Between the two: the run-on interleaving moves every split stretch of a
// thread (a thread paused between two points the gate holds, with other
// threads' steps in between) to where it began, the deferred one every
// stretch to where it ended. These are the mixed placements: some split
// stretches early, the others late, fewest early first (the deferred
// interleaving with one stretch brought forward: a thread the schedule
// pauses at a lock it is about to take takes it first, the others wait at
// the gate). Moving a stretch can change the run after it, so each
// placement is then settled: split stretches of the new run deferred until
// none is left (the deferred interleaving is settled the same way). Only
// distinct placements that settle are returned, at most `max`; none when
// fewer than two stretches are split. Up to six split stretches are varied,
// later ones stay late.
struct MixedPlacement {
  std::string early;     // "t1 at step 4, t2 at step 9": the stretches run where they began
  sim::RunReport model;  // that model run, traced
};
absl::StatusOr<std::vector<MixedPlacement>> MixedSchedules(const sim::Scenario& s, const std::vector<int>& steps,
                                                           int max);

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
