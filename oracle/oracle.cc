#include "oracle/oracle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "oracle/isolation.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace_equivalence.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_executor.h"

namespace fusesim::oracle {
namespace {

using sim::OpKind;

// ------------------------------------------------ emergency unmounting ----
// A signal handler can only use what is already in memory: fixed buffers.

constexpr int kMaxMounts = 16;
char g_mounts[kMaxMounts][PATH_MAX];
char g_base[PATH_MAX];
std::atomic<int> g_num_mounts{0};
std::atomic<bool> g_base_set{false};
struct sigaction g_old_actions[3];
constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
std::mutex g_run_mutex;  // one RunOnRealKernel at a time (the globals above)

void EmergencyCleanup() {
  const int n = g_num_mounts.load();
  for (int i = 0; i < n; ++i) {
    umount2(g_mounts[i], MNT_FORCE | MNT_DETACH);
    rmdir(g_mounts[i]);
  }
  if (g_base_set.load()) rmdir(g_base);
}

void OnSignal(int sig) {
  EmergencyCleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

// Registers the temp dir and mountpoints for the signal handler, installs it,
// and on destruction unmounts, removes the directories and restores the old
// handlers.
class Cleanup {
 public:
  explicit Cleanup(std::string base) : base_(std::move(base)), lock_fd_(LockRunDirectory(base_)) {
    snprintf(g_base, sizeof(g_base), "%s", base_.c_str());
    g_num_mounts = 0;
    g_base_set = true;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &g_old_actions[i]);
  }
  ~Cleanup() {
    for (auto& s : servers_) (void)s->Unmount();
    servers_.clear();
    for (const std::string& id : connections_) UnwatchConnection(id);
    for (const std::string& m : mountpoints_) rmdir(m.c_str());
    unlink(absl::StrCat(base_, "/.lock").c_str());
    if (lock_fd_ >= 0) close(lock_fd_);
    rmdir(base_.c_str());
    g_num_mounts = 0;
    g_base_set = false;
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_old_actions[i], nullptr);
  }
  // A mountpoint below the temp dir.
  absl::StatusOr<std::string> AddMountpoint(const std::string& name) {
    std::string mp = absl::StrCat(base_, "/", name);
    if (mkdir(mp.c_str(), 0755) != 0)
      return absl::UnavailableError(absl::StrCat("cannot create ", mp, ": ", strerror(errno)));
    mountpoints_.push_back(mp);
    const int i = g_num_mounts.load();
    if (i < kMaxMounts) {
      snprintf(g_mounts[i], sizeof(g_mounts[i]), "%s", mp.c_str());
      g_num_mounts = i + 1;
    }
    return mp;
  }
  void Own(std::unique_ptr<FuseServer> s) { servers_.push_back(std::move(s)); }
  void Watch(std::string connection) { connections_.push_back(std::move(connection)); }
  std::vector<std::unique_ptr<FuseServer>>& servers() { return servers_; }

 private:
  std::string base_;
  int lock_fd_;                           // flock held while the run lives (oracle/isolation.h)
  std::vector<std::string> connections_;  // watched by the reaper
  std::vector<std::string> mountpoints_;
  std::vector<std::unique_ptr<FuseServer>> servers_;
};

// --------------------------------------------------------------- helpers ----

std::vector<std::string> Names(const sim::Scenario& s, const std::vector<model::NameId>& ids) {
  std::vector<std::string> out;
  for (model::NameId id : ids) out.push_back(s.names.Name(id));
  return out;
}

int OpenFlags(uint32_t f) {
  int out = 0;
  switch (f & model::kOAccMode) {
    case model::kOWronly:
      out = O_WRONLY;
      break;
    case model::kORdwr:
      out = O_RDWR;
      break;
    default:
      out = O_RDONLY;
  }
  if (f & model::kOCreat) out |= O_CREAT;
  if (f & model::kOExcl) out |= O_EXCL;
  if (f & model::kOTrunc) out |= O_TRUNC;
  if (f & model::kODirectory) out |= O_DIRECTORY;
  if (f & model::kONofollow) out |= O_NOFOLLOW;
  if (f & model::kOAppend) out |= O_APPEND;
  return out | O_CLOEXEC;
}

bool IsServerSide(OpKind k) {
  return k == OpKind::kServerCreate || k == OpKind::kServerUnlink || k == OpKind::kServerMkdir ||
         k == OpKind::kServerRmdir || k == OpKind::kServerRename || k == OpKind::kServerSleep ||
         k == OpKind::kServerSymlink || k == OpKind::kServerLink || k == OpKind::kServerChmod ||
         k == OpKind::kNotifyInvalEntry || k == OpKind::kNotifyInvalInode || k == OpKind::kNotifyDelete ||
         k == OpKind::kNotifyIncEpoch;
}

bool IsNotify(OpKind k) {
  return k == OpKind::kNotifyInvalEntry || k == OpKind::kNotifyInvalInode || k == OpKind::kNotifyDelete ||
         k == OpKind::kNotifyIncEpoch;
}

int DropCaches() {
  sync();
  const int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = 0;
  if (write(fd, "2", 1) != 1) err = errno;
  close(fd);
  return err;
}

}  // namespace

std::string KernelRelease() {
  struct utsname u;
  if (uname(&u) != 0) return "unknown";
  return u.release;
}

bool IsSkip(const absl::Status& st) {
  return st.code() == absl::StatusCode::kUnimplemented || st.code() == absl::StatusCode::kUnavailable;
}

absl::Status CheckSupported(const sim::Scenario& s, const OracleOptions& o) {
  for (const auto& m : s.mounts) {
    if (m.io_uring)
      return absl::UnimplementedError(
          absl::StrCat("mount ", m.name, " uses FUSE over io_uring; the oracle's server reads /dev/fuse"));
    if (m.kernel != model::KernelVersion::k6_18)
      return absl::UnimplementedError(absl::StrCat("mount ", m.name, " models Linux ",
                                                   std::string(model::KernelVersionName(m.kernel)),
                                                   "; the oracle runs on 6.18 only"));
  }
  if (static_cast<int>(s.mounts.size()) > kMaxMounts)
    return absl::UnimplementedError("more mounts than the oracle handles");
  switch (s.schedule.mode) {
    case sim::ScheduleSpec::Mode::kSequential:
    case sim::ScheduleSpec::Mode::kReplay:  // gated replay
      break;
    default:
      return absl::UnimplementedError(
          "random/pct/explore schedule: no single schedule to follow; races cannot be forced on a real "
          "kernel beyond a replay schedule");
  }
  // `..` of the root is the root in the model (the process as if chrooted
  // into the mount); on the real mount it would leave the file system.
  for (const auto& t : s.threads) {
    if (t.server_side) continue;
    std::map<std::string, int> fd_depth;  // depth of the path each fd label opened
    for (const auto& op : t.ops) {
      // openat(): the walk starts at the depth of the directory `at` opened.
      const int start = op.relative ? fd_depth[op.at()] : 0;
      for (const std::vector<model::NameId>* ids : {&op.path_ids, &op.to_ids()}) {
        int depth = ids == &op.path_ids ? start : 0;
        for (model::NameId id : *ids) {
          const std::string& n = s.names.Name(id);
          if (n == "..") {
            if (depth == 0)
              return absl::UnimplementedError(absl::StrCat(op.label(),
                                                           ": its path climbs above the mount's root with ..,"
                                                           " which leaves the mount on a real kernel"));
            --depth;
          } else if (n != ".") {
            ++depth;
          }
        }
        if (ids == &op.path_ids && op.kind == OpKind::kOpen && !op.fd.empty()) fd_depth[op.fd] = depth;
      }
    }
  }
  uint64_t sleep_us = 0;
  for (const auto& t : s.threads)
    for (const auto& op : t.ops)
      if (op.kind == OpKind::kSleep || op.kind == OpKind::kServerSleep) sleep_us += op.sleep_us();
  if (sleep_us / 1000 + 2000 > static_cast<uint64_t>(o.watchdog_ms))
    return absl::UnimplementedError(absl::StrCat("its sleeps add up to ", sleep_us / 1000,
                                                 " ms, too close to the watchdog (", o.watchdog_ms, " ms)"));
  if (!o.any_kernel) {
    const std::string rel = KernelRelease();
    if (!absl::StartsWith(rel, "6.18.") && rel != "6.18")
      return absl::UnimplementedError(
          absl::StrCat("this machine runs Linux ", rel, "; the model is of 6.18 (use --any-kernel to run anyway)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> SequentialOrder(const sim::Scenario& s) {
  const int nthreads = static_cast<int>(s.threads.size());
  std::vector<size_t> next(nthreads, 0);
  std::vector<bool> done(s.ops.size(), false);
  std::vector<int> order;
  auto ready = [&](int t) {
    if (next[t] >= s.threads[t].ops.size()) return false;
    for (int g : s.threads[t].ops[next[t]].after())
      if (!done[g]) return false;
    return true;
  };
  int cur = -1;
  while (order.size() < s.ops.size()) {
    if (cur < 0 || !ready(cur)) {
      cur = -1;
      for (int t = 0; t < nthreads && cur < 0; ++t)
        if (ready(t)) cur = t;
      if (cur < 0) return absl::FailedPreconditionError("the ops' \"after\" constraints leave no op to run");
    }
    const int g = s.threads[cur].ops[next[cur]].global;
    order.push_back(g);
    done[g] = true;
    ++next[cur];
  }
  return order;
}

absl::StatusOr<std::vector<int>> OrderFromTrace(const sim::Scenario& s, const sim::RunReport& r, bool allow_overlap) {
  const int nthreads = static_cast<int>(s.threads.size());
  std::vector<size_t> next(nthreads, 0);
  std::vector<int> in_op(nthreads, -1);  // global index of the op in progress
  std::vector<int> order;
  for (const model::TraceEvent& e : r.trace) {
    if (e.kind != "syscall" || e.actor < 0 || e.actor >= nthreads) continue;
    const int t = e.actor;
    if (in_op[t] >= 0) {  // the op's end
      in_op[t] = -1;
      continue;
    }
    if (next[t] >= s.threads[t].ops.size())
      return absl::FailedPreconditionError("the model's trace has more syscalls than the scenario has ops");
    const int g = s.threads[t].ops[next[t]++].global;
    for (int u = 0; u < nthreads && !allow_overlap; ++u) {
      if (u != t && in_op[u] >= 0)
        return absl::UnimplementedError(
            absl::StrCat("in the model's sequential run ", s.op(g).label(), " starts while ", s.op(in_op[u]).label(),
                         " is in progress; races cannot be forced on a real kernel without a replay schedule"));
    }
    in_op[t] = g;
    order.push_back(g);
  }
  if (order.size() != s.ops.size())
    return absl::FailedPreconditionError(
        absl::StrCat("the model's run started ", order.size(), " of ", s.ops.size(), " ops"));
  return order;
}

namespace {

// Whether an actor's next point is one the gate cannot hold a real thread
// at: not a request being handled or replied, not the start of an op.
bool GateInvisible(const sim::Actor& a) {
  const std::string_view what = a.wait.what;
  if (a.wait.kind == sim::WaitKind::kAfter) return false;
  if (what.starts_with("server handles ") || what.ends_with(" reply")) return false;
  return what != "syscall entry" && what != "server-side op" && what != "exit: close";
}

// Follows `steps`, except that the thread that ran last keeps running while
// it stands at a gate-invisible point (each such step uses up that thread's
// next step in `steps`).
class RunOnChooser : public sim::Chooser {
 public:
  explicit RunOnChooser(const std::vector<int>& steps) : steps_(steps), used_(steps.size(), false) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<sim::Actor*>& actors) override {
    auto runnable = [&](int a) { return std::find(enabled.begin(), enabled.end(), a) != enabled.end(); };
    if (last >= 0 && !actors[last]->daemon && runnable(last) && GateInvisible(*actors[last])) {
      for (size_t j = next_; j < steps_.size(); ++j) {
        if (!used_[j] && steps_[j] == last) {
          used_[j] = true;
          break;
        }
      }
      return last;
    }
    while (next_ < steps_.size() && used_[next_]) ++next_;
    if (next_ < steps_.size() && runnable(steps_[next_])) {
      used_[next_] = true;
      return steps_[next_++];
    }
    // The schedule's next actor cannot run (or the schedule has ended):
    // sequential from here, as a replay's tail is.
    next_ = steps_.size();
    return then_.Choose(step, enabled, last, actors);
  }

 private:
  const std::vector<int>& steps_;
  std::vector<bool> used_;
  size_t next_ = 0;
  sim::SequentialChooser then_;
};

// Follows `steps` while the actor they name can run, then sequential (as a
// replay's tail is); records for every step whether its actor stood at a
// gate-invisible point.
class RecordingChooser : public sim::Chooser {
 public:
  explicit RecordingChooser(const std::vector<int>& steps) : steps_(steps) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<sim::Actor*>& actors) override {
    int c;
    if (next_ < steps_.size() && std::find(enabled.begin(), enabled.end(), steps_[next_]) != enabled.end()) {
      c = steps_[next_++];
    } else {
      next_ = steps_.size();
      absl::StatusOr<int> t = then_.Choose(step, enabled, last, actors);
      if (!t.ok()) return t.status();
      c = *t;
    }
    // A daemon's step (the server's threads, the background queues) is
    // never moved: it counts as visible.
    invisible.push_back(!actors[c]->daemon && GateInvisible(*actors[c]));
    return c;
  }
  std::vector<bool> invisible;  // per step taken

 private:
  const std::vector<int>& steps_;
  size_t next_ = 0;
  sim::SequentialChooser then_;
};

}  // namespace

namespace {

// The run of `steps` cut into stretches: a step from a gate-visible point and
// the steps of the same actor from gate-invisible points after it, up to its
// next visible one. A stretch is split when other actors' steps fall between
// its first and its last step: the gate cannot hold that.
struct Stretches {
  std::vector<std::vector<int>> steps;  // the actor's steps of each stretch
  std::vector<size_t> first, last;      // index in the run of its first / last step
  std::vector<size_t> split;            // the split stretches, in run order
};

absl::StatusOr<Stretches> StretchesOf(const sim::Scenario& s, const std::vector<int>& steps) {
  RecordingChooser rec(steps);
  sim::ExecOptions eo;
  eo.trace = false;
  auto first = sim::Execute(s, model::Variant::kLookupCreate, rec, eo);
  if (!first.ok()) return first.status();
  const std::vector<int>& run = first->steps;
  Stretches st;
  std::map<int, size_t> open;  // actor -> its stretch being built
  for (size_t j = 0; j < run.size(); ++j) {
    const int a = run[j];
    auto it = open.find(a);
    if (j < rec.invisible.size() && rec.invisible[j] && it != open.end()) {
      st.steps[it->second].push_back(a);
      st.last[it->second] = j;
      continue;
    }
    open[a] = st.steps.size();
    st.steps.push_back({a});
    st.first.push_back(j);
    st.last.push_back(j);
  }
  for (size_t i = 0; i < st.steps.size(); ++i)
    if (st.last[i] - st.first[i] + 1 > st.steps[i].size()) st.split.push_back(i);
  return st;
}

// The model run, traced, of the stretches placed each where its first step
// was, or (late[i]) where its last step was.
absl::StatusOr<sim::RunReport> Place(const sim::Scenario& s, const Stretches& st, const std::vector<bool>& late) {
  std::vector<size_t> order(st.steps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto anchor = [&](size_t i) { return late[i] ? st.last[i] : st.first[i]; };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return anchor(x) < anchor(y); });
  std::vector<int> placed;
  for (size_t i : order) placed.insert(placed.end(), st.steps[i].begin(), st.steps[i].end());
  RecordingChooser follow(placed);
  sim::ExecOptions eo;
  eo.trace = true;
  return sim::Execute(s, model::Variant::kLookupCreate, follow, eo);
}

// Moving stretches changes the run: a thread placed elsewhere may take
// another path (a dentry now cached, a lock now free) and stop at other
// points. So the placement is repeated, every split stretch of the new run
// deferred, until no stretch is split: an interleaving the gate can hold.
// Returns nullopt when that takes more than kRounds rounds.
absl::StatusOr<std::optional<sim::RunReport>> Settle(const sim::Scenario& s, sim::RunReport run) {
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    auto st = StretchesOf(s, run.steps);
    if (!st.ok()) return st.status();
    if (st->split.empty()) return std::optional<sim::RunReport>(std::move(run));
    auto next = Place(s, *st, std::vector<bool>(st->steps.size(), true));
    if (!next.ok()) return next.status();
    run = *std::move(next);
  }
  return std::optional<sim::RunReport>();
}

}  // namespace

absl::StatusOr<sim::RunReport> TraceRunOnSchedule(const sim::Scenario& s, const std::vector<int>& steps) {
  sim::ScenarioExecutor ex(s, model::Variant::kLookupCreate);
  auto run = sim::RecordRun(ex, steps);
  if (!run.ok()) return run.status();
  auto on = sim::RunOnWithinTrace(ex, *run);
  if (!on.ok()) return on.status();
  sim::ReplayChooser chooser(*on);
  sim::ExecOptions eo;
  eo.trace = true;
  return sim::Execute(s, model::Variant::kLookupCreate, chooser, eo);
}

absl::StatusOr<bool> SameModelTrace(const sim::Scenario& s, const std::vector<int>& a, const std::vector<int>& b) {
  sim::ScenarioExecutor ex(s, model::Variant::kLookupCreate);
  auto ra = sim::RecordRun(ex, a);
  if (!ra.ok()) return ra.status();
  auto rb = sim::RecordRun(ex, b);
  if (!rb.ok()) return rb.status();
  return sim::SameTrace(*ra, *rb);
}

absl::StatusOr<sim::RunReport> DeferredSchedule(const sim::Scenario& s, const std::vector<int>& steps) {
  auto st = StretchesOf(s, steps);
  if (!st.ok()) return st.status();
  auto first = Place(s, *st, std::vector<bool>(st->steps.size(), true));
  if (!first.ok()) return first.status();
  auto settled = Settle(s, *first);
  if (!settled.ok()) return settled.status();
  return settled->has_value() ? **std::move(settled) : *std::move(first);
}

absl::StatusOr<std::vector<MixedPlacement>> MixedSchedules(const sim::Scenario& s, const std::vector<int>& steps,
                                                           int max) {
  auto st = StretchesOf(s, steps);
  if (!st.ok()) return st.status();
  std::vector<MixedPlacement> out;
  auto deferred = DeferredSchedule(s, steps);  // not repeated among the mixed ones
  if (!deferred.ok()) return deferred.status();
  // Split stretches beyond the first kMaxSplit stay late, as in the
  // deferred interleaving.
  constexpr size_t kMaxSplit = 6;
  const size_t k = std::min(st->split.size(), kMaxSplit);
  if (k < 2) return out;        // one split stretch: early or late is run-on or deferred
  std::vector<uint32_t> masks;  // bit b: split stretch b runs early
  for (uint32_t m = 1; m + 1 < (1u << k); ++m) masks.push_back(m);
  // Fewest stretches moved early first (the deferred interleaving with one
  // stretch brought forward), then in run order.
  std::stable_sort(masks.begin(), masks.end(),
                   [](uint32_t x, uint32_t y) { return std::popcount(x) < std::popcount(y); });
  for (uint32_t m : masks) {
    if (static_cast<int>(out.size()) >= max) break;
    std::vector<bool> late(st->steps.size(), true);
    std::vector<std::string> early;
    for (size_t b = 0; b < k; ++b) {
      if ((m >> b & 1u) == 0) continue;
      const size_t i = st->split[b];
      late[i] = false;
      const int actor = st->steps[i][0];
      early.push_back(absl::StrCat(actor < static_cast<int>(s.threads.size()) ? s.threads[actor].name : "?",
                                   " at step ", st->first[i] + 1));
    }
    auto run = Place(s, *st, late);
    if (!run.ok()) return run.status();
    auto settled = Settle(s, *std::move(run));
    if (!settled.ok()) return settled.status();
    if (!settled->has_value()) continue;
    const bool repeated = (*settled)->steps == deferred->steps ||
                          std::any_of(out.begin(), out.end(),
                                      [&](const MixedPlacement& p) { return p.model.steps == (*settled)->steps; });
    if (!repeated) out.push_back({absl::StrJoin(early, ", "), **std::move(settled)});
  }
  return out;
}

absl::StatusOr<sim::RunReport> RunOnSchedule(const sim::Scenario& s, const std::vector<int>& steps) {
  RunOnChooser chooser(steps);
  sim::ExecOptions eo;
  eo.trace = true;
  return sim::Execute(s, model::Variant::kLookupCreate, chooser, eo);
}

absl::StatusOr<std::vector<ScriptEvent>> ScriptFromModel(const sim::Scenario& s, const std::vector<int>& steps) {
  sim::ExecOptions eo;
  eo.trace = true;
  sim::ReplayChooser chooser(steps);
  auto full = sim::Execute(s, model::Variant::kLookupCreate, chooser, eo);
  if (!full.ok()) return full.status();
  const std::vector<model::TraceEvent>& trace = full->trace;
  const size_t n = full->steps.size();
  // len[k]: how much of the trace the first k steps emit (the common prefix
  // with the full run: a shortened run appends its own end-of-run findings).
  // Before the first step every actor only runs to its first scheduling
  // point, which comes before anything is traced: len[0] = 0.
  std::vector<size_t> len(n + 1, 0);
  for (size_t k = 1; k <= n; ++k) {
    sim::ReplayChooser c(steps);
    sim::ExecOptions ek = eo;
    ek.max_steps = static_cast<int64_t>(k);
    auto part = sim::Execute(s, model::Variant::kLookupCreate, c, ek);
    if (!part.ok()) return part.status();
    size_t m = 0;
    while (m < part->trace.size() && m < trace.size() && part->trace[m].actor == trace[m].actor &&
           part->trace[m].kind == trace[m].kind && part->trace[m].text == trace[m].text)
      ++m;
    len[k] = std::max(m, k > 0 ? len[k - 1] : size_t{0});
  }

  const int nthreads = static_cast<int>(s.threads.size());
  std::vector<size_t> next(nthreads, 0);
  std::vector<int> in_op(nthreads, -1);
  std::vector<std::string> sent(nthreads);  // opcode sent at the thread's last step
  std::vector<ScriptEvent> out;
  auto opcode_of = [](const std::string& text) { return text.substr(0, text.find('(')); };
  auto add = [&](const model::TraceEvent& e) -> absl::Status {
    if (e.actor >= nthreads && e.kind == "async" &&
        (opcode_of(e.text) == "RELEASE" || opcode_of(e.text) == "RELEASEDIR")) {
      ScriptEvent ev;
      ev.kind = ScriptEvent::kReleaseAnswered;
      ev.opcode = opcode_of(e.text);
      const size_t at = e.text.find("fh=");
      if (at == std::string::npos || !absl::SimpleAtoi(e.text.substr(at + 3, e.text.find(')', at) - at - 3), &ev.fh))
        return absl::InternalError(absl::StrCat("no handle in the model's trace line ", e.text));
      ev.text = absl::StrCat("server answers ", e.text);
      out.push_back(std::move(ev));
      return absl::OkStatus();
    }
    if (e.actor < 0 || e.actor >= nthreads) return absl::OkStatus();  // forgets, violations
    const int t = e.actor;
    ScriptEvent ev;
    ev.thread = t;
    ev.text = absl::StrCat(s.threads[t].name, " ", e.kind, " ", e.text);
    if (e.kind == "syscall") {
      if (in_op[t] >= 0) {
        ev.kind = ScriptEvent::kEnd;
        ev.op = in_op[t];
        in_op[t] = -1;
      } else {
        if (next[t] >= s.threads[t].ops.size())
          return absl::FailedPreconditionError("the model's trace has more syscalls than the scenario has ops");
        ev.kind = ScriptEvent::kStart;
        ev.op = s.threads[t].ops[next[t]++].global;
        in_op[t] = ev.op;
      }
    } else if (e.kind == "request") {
      ev.kind = ScriptEvent::kRequest;
      ev.opcode = opcode_of(e.text);
    } else if (e.kind == "reply") {
      ev.kind = ScriptEvent::kReply;
      ev.opcode = opcode_of(e.text);
    } else if (e.kind == "wait" && e.text.find("\"after\"") == std::string::npos) {
      ev.kind = ScriptEvent::kWait;  // a lock, not an "after" constraint
    } else {
      return absl::OkStatus();  // dentry, wake, async: nothing to do or check
    }
    out.push_back(std::move(ev));
    return absl::OkStatus();
  };
  for (size_t i = 0; i < len[0]; ++i)
    if (absl::Status st = add(trace[i]); !st.ok()) return st;
  for (size_t k = 1; k <= n; ++k) {
    const int a = full->steps[k - 1];  // actor index: threads first
    if (a >= 0 && a < nthreads && !sent[a].empty()) {
      // The step after sending a request is the server handling it.
      ScriptEvent h;
      h.kind = ScriptEvent::kHandle;
      h.thread = a;
      h.opcode = sent[a];
      h.text = absl::StrCat(s.threads[a].name, " server handles ", sent[a]);
      out.push_back(std::move(h));
      sent[a].clear();
    }
    for (size_t i = len[k - 1]; i < len[k]; ++i)
      if (absl::Status st = add(trace[i]); !st.ok()) return st;
    if (a >= 0 && a < nthreads && len[k] > len[k - 1]) {
      const model::TraceEvent& last = trace[len[k] - 1];
      if (last.actor == a && last.kind == "request") sent[a] = opcode_of(last.text);
    }
  }
  return out;
}

namespace {

struct Fd {
  std::string label;
  int fd;
};

// What every op needs: the scenario, the server's namespace and log, the
// mountpoints, and the watchdog's flag.
struct Runner {
  const sim::Scenario& s;
  Namespace& ns;
  RequestLog& log;
  const std::vector<std::string>& mps;
  const std::atomic<bool>& fired;
  std::vector<FuseServer*> servers;  // by mount, for notifications

  void Sleep(uint64_t us) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    while (!fired && std::chrono::steady_clock::now() < until) {
      const auto left = until - std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(10)));
    }
  }

  // Runs op g of thread t (its open files in fds); the errno, 0 on success.
  int Do(int g, std::vector<Fd>& fds) const {
    const sim::OpSpec& op = s.op(g);
    const sim::ThreadSpec& ts = s.threads[s.ops[g].first];
    const std::string& mp = mps[ts.server_side ? 0 : ts.mount];
    const std::string path = mp + op.path;
    int err = 0;
    switch (op.kind) {
      case OpKind::kOpen: {
        int dirfd = AT_FDCWD;
        if (op.relative) {
          dirfd = -1;  // EBADF if that open failed
          for (const Fd& f : fds)
            if (f.label == op.at()) dirfd = f.fd;
        }
        const int fd = op.relative ? openat(dirfd, op.path.c_str(), OpenFlags(op.flags), op.mode)
                                   : open(path.c_str(), OpenFlags(op.flags), op.mode);
        if (fd < 0) err = errno;
        fds.push_back({op.fd, fd});
        break;
      }
      case OpKind::kClose: {
        err = EBADF;
        for (Fd& f : fds) {
          if (f.label == op.fd && f.fd >= 0) {
            err = close(f.fd) == 0 ? 0 : errno;
            f.fd = -1;
            break;
          }
        }
        break;
      }
      case OpKind::kStat: {
        struct stat st;
        if ((op.nofollow ? lstat(path.c_str(), &st) : stat(path.c_str(), &st)) != 0) err = errno;
        break;
      }
      case OpKind::kSymlink:
        if (symlink(op.target().c_str(), path.c_str()) != 0) err = errno;
        break;
      case OpKind::kReaddir: {
        // What ls does: opendir() (open + fstat), readdir() to the end, closedir().
        DIR* d = opendir(path.c_str());
        if (d == nullptr) {
          err = errno;
          break;
        }
        errno = 0;
        while (readdir(d) != nullptr) {
        }
        err = errno;
        closedir(d);
        break;
      }
      case OpKind::kReadlink: {
        char buf[4096];
        if (readlink(path.c_str(), buf, sizeof(buf)) < 0) err = errno;
        break;
      }
      case OpKind::kLink:
        if (link(path.c_str(), (mp + op.to()).c_str()) != 0) err = errno;
        break;
      case OpKind::kChmod:
        if (chmod(path.c_str(), op.mode) != 0) err = errno;
        break;
      case OpKind::kTruncate:
        if (truncate(path.c_str(), static_cast<off_t>(op.size())) != 0) err = errno;
        break;
      case OpKind::kServerSymlink:
        err = ns.RemoteSymlink(Names(s, op.path_ids), op.target());
        break;
      case OpKind::kServerLink:
        err = ns.RemoteLink(Names(s, op.path_ids), Names(s, op.to_ids()));
        break;
      case OpKind::kServerChmod:
        err = ns.RemoteChmod(Names(s, op.path_ids), op.mode);
        break;
      case OpKind::kNotifyIncEpoch:
        err = servers[op.mount]->NotifyIncEpoch();
        break;
      case OpKind::kNotifyInvalInode: {
        uint64_t parent = 0, ino = uint64_t{1};
        if (!op.path_ids.empty() && !ns.NotifyTarget(Names(s, op.path_ids), &parent, &ino)) ino = 0;
        err = ino == 0 ? ENOENT : servers[op.mount]->NotifyInvalInode(ino);
        break;
      }
      case OpKind::kNotifyInvalEntry:
      case OpKind::kNotifyDelete: {
        uint64_t parent = 0, child = 0;
        const std::vector<std::string> names = Names(s, op.path_ids);
        if (!ns.NotifyTarget(names, &parent, &child) || (op.kind == OpKind::kNotifyDelete && child == 0)) {
          err = ENOENT;  // the server has nothing to say
        } else {
          err = op.kind == OpKind::kNotifyDelete ? servers[op.mount]->NotifyDelete(parent, child, names.back())
                                                 : servers[op.mount]->NotifyInvalEntry(parent, names.back());
        }
        break;
      }
      case OpKind::kUnlink:
        if (unlink(path.c_str()) != 0) err = errno;
        break;
      case OpKind::kMkdir:
        if (mkdir(path.c_str(), 0755) != 0) err = errno;
        break;
      case OpKind::kRmdir:
        if (rmdir(path.c_str()) != 0) err = errno;
        break;
      case OpKind::kRename:
        if (rename(path.c_str(), (mp + op.to()).c_str()) != 0) err = errno;
        break;
      case OpKind::kSleep:
      case OpKind::kServerSleep:
        Sleep(op.sleep_us());
        break;
      case OpKind::kDropCaches:
        err = DropCaches();
        break;
      case OpKind::kServerCreate:
        err = ns.RemoteCreate(Names(s, op.path_ids));
        break;
      case OpKind::kServerUnlink:
        err = ns.RemoteUnlink(Names(s, op.path_ids));
        break;
      case OpKind::kServerMkdir:
        err = ns.RemoteMkdir(Names(s, op.path_ids));
        break;
      case OpKind::kServerRmdir:
        err = ns.RemoteRmdir(Names(s, op.path_ids));
        break;
      case OpKind::kServerRename:
        err = ns.RemoteRename(Names(s, op.path_ids), Names(s, op.to_ids()));
        break;
    }
    return err;
  }
};

bool AnyOpen(const std::vector<Fd>& fds) {
  for (const Fd& f : fds)
    if (f.fd >= 0) return true;
  return false;
}

void CloseAll(std::vector<Fd>& fds) {
  for (Fd& f : fds) {
    if (f.fd >= 0) close(f.fd);
    f.fd = -1;
  }
}

// Sequential: one thread runs every op in `order`, waiting for quiet after
// each, and attributes requests by the log's global tag.
void RunSequential(const Runner& run, const std::vector<int>& order, const OracleOptions& o, OracleResult* res,
                   std::vector<std::vector<Fd>>& fds, std::string* aborted_at) {
  const sim::Scenario& s = run.s;
  const auto settle = std::chrono::milliseconds(o.settle_ms);
  const auto max_settle = std::chrono::milliseconds(std::max(o.max_settle_ms, o.settle_ms));
  std::vector<size_t> remaining(s.threads.size());
  for (size_t t = 0; t < s.threads.size(); ++t) remaining[t] = s.threads[t].ops.size();
  for (int g : order) {
    if (run.fired) {
      *aborted_at = s.op(g).label();
      return;
    }
    const sim::OpSpec& op = s.op(g);
    const int t = s.ops[g].first;
    RealOp& r = res->ops[g];
    run.log.SetTag(g);
    r.ran = true;
    r.start_us = run.log.NowUs();
    r.result = ErrnoName(run.Do(g, fds[t]));
    r.end_us = run.log.NowUs();
    // A notification makes the kernel act (FORGETs of what it invalidated):
    // settle after it as after a syscall.
    if ((!IsServerSide(op.kind) || IsNotify(op.kind)) && op.kind != OpKind::kSleep)
      run.log.WaitQuiet(settle, max_settle);
    // Process exit right after the thread's last op: close what is open.
    if (--remaining[t] == 0 && !s.threads[t].server_side && AnyOpen(fds[t])) {
      RealOp& x = res->exits[t];
      run.log.SetTag(kTagExitBase - t);
      x.ran = true;
      x.start_us = run.log.NowUs();
      CloseAll(fds[t]);
      x.result = "ok";
      x.end_us = run.log.NowUs();
      run.log.WaitQuiet(settle, max_settle);
    }
  }
}

// ------------------------------------------------------- gated replay ----

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Where a thread of ours is in the kernel, from /proc/self/task/TID/.
enum class KernelWait : uint8_t {
  kNone,   // running, runnable, in user space, or in a futex (our own locks)
  kLock,   // asleep in a syscall, at a lock the model has: i_rwsem
           // (rwsem_down_{read,write}_slowpath), a mutex (__mutex_lock:
           // fuse_lock_inode(), the rename mutex), an in-lookup dentry
           // (d_wait_lookup), an inode being freed (__wait_on_freeing_inode)
  kOther,  // asleep in a syscall somewhere else (or the stack is unreadable)
};

KernelWait WaitOf(pid_t tid, bool* stack_readable) {
  *stack_readable = false;
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
  FILE* f = fopen(path, "re");
  if (f == nullptr) return KernelWait::kNone;
  char buf[4096];
  const size_t n = fread(buf, 1, 511, f);
  fclose(f);
  buf[n] = 0;
  const char* rp = strrchr(buf, ')');
  if (rp == nullptr || rp[1] != ' ') return KernelWait::kNone;
  const char state = rp[2];
  if (state != 'S' && state != 'D') return KernelWait::kNone;
  snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
  f = fopen(path, "re");
  if (f == nullptr) return KernelWait::kNone;
  const size_t m = fread(buf, 1, 511, f);
  fclose(f);
  buf[m] = 0;
  if (strncmp(buf, "running", 7) == 0) return KernelWait::kNone;
  long nr = -1;
  if (sscanf(buf, "%ld", &nr) != 1 || nr < 0 || nr == SYS_futex) return KernelWait::kNone;
  // The kernel stack (root only): which lock, if any.
  snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
  f = fopen(path, "re");
  if (f == nullptr) return KernelWait::kOther;
  const size_t k = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[k] = 0;
  if (k == 0) return KernelWait::kOther;
  *stack_readable = true;
  for (const char* fn : {"rwsem_down_read_slowpath", "rwsem_down_write_slowpath", "__mutex_lock", "d_wait_lookup",
                         "__wait_on_freeing_inode"}) {
    if (strstr(buf, fn) != nullptr) return KernelWait::kLock;
  }
  return KernelWait::kOther;
}

class GatedReplay {
 public:
  GatedReplay(const Runner& run, const OracleOptions& o, OracleResult* res, std::vector<std::vector<Fd>>& fds)
      : run_(run),
        s_(run.s),
        o_(o),
        res_(res),
        fds_(fds),
        n_(static_cast<int>(s_.threads.size())),
        allowed_(s_.ops.size(), false),
        started_(s_.ops.size(), false),
        finished_(s_.ops.size(), false),
        idle_(n_, false),
        done_(n_, false),
        tids_(n_, 0) {}

  void Run() {
    run_.log.SetTag(kTagUnattributed);
    run_.log.EnableGate(true);
    std::vector<std::thread> threads;
    for (int t = 0; t < n_; ++t) threads.emplace_back([this, t] { Thread(t); });
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] {
        for (int t = 0; t < n_; ++t)
          if (tids_[t] == 0) return false;
        return true;
      });
    }
    for (size_t i = 0; i < o_.script.size() && res_->schedule_divergence.empty(); ++i) {
      if (run_.fired) break;
      std::string why = Step(o_.script[i]);
      if (!why.empty()) res_->schedule_divergence = absl::StrCat("step ", i + 1, " (", o_.script[i].text, "): ", why);
    }
    // The rest runs freely (all of it if the schedule diverged).
    run_.log.EnableGate(false);
    {
      std::lock_guard<std::mutex> l(mu_);
      free_run_ = true;
    }
    cv_.notify_all();
    for (auto& th : threads) th.join();
  }

 private:
  static constexpr int kTagUnattributed = -3;

  std::chrono::milliseconds Timeout() const { return std::chrono::milliseconds(o_.gate_timeout_ms); }

  bool AfterDone(int g) const {
    for (int a : s_.op(g).after())
      if (!finished_[a]) return false;
    return true;
  }

  void Thread(int t) {
    const pid_t tid = Gettid();
    run_.log.SetThreadTag(tid, kTagUnattributed);
    {
      std::lock_guard<std::mutex> l(mu_);
      tids_[t] = tid;
    }
    cv_.notify_all();
    for (const sim::OpSpec& op : s_.threads[t].ops) {
      const int g = op.global;
      {
        std::unique_lock<std::mutex> l(mu_);
        idle_[t] = true;
        cv_.notify_all();
        cv_.wait(l, [&] { return run_.fired || allowed_[g] || (free_run_ && AfterDone(g)); });
        idle_[t] = false;
        if (run_.fired) break;
        started_[g] = true;
      }
      cv_.notify_all();
      run_.log.SetThreadTag(tid, g);
      RealOp& r = res_->ops[g];
      r.ran = true;
      r.start_us = run_.log.NowUs();
      const int err = run_.Do(g, fds_[t]);
      r.result = ErrnoName(err);
      r.end_us = run_.log.NowUs();
      {
        std::lock_guard<std::mutex> l(mu_);
        finished_[g] = true;
      }
      cv_.notify_all();
    }
    if (!s_.threads[t].server_side && AnyOpen(fds_[t])) {  // process exit
      run_.log.SetThreadTag(tid, kTagExitBase - t);
      RealOp& x = res_->exits[t];
      x.ran = true;
      x.start_us = run_.log.NowUs();
      CloseAll(fds_[t]);
      x.result = "ok";
      x.end_us = run_.log.NowUs();
    }
    run_.log.SetThreadTag(tid, kTagUnattributed);
    {
      std::lock_guard<std::mutex> l(mu_);
      done_[t] = true;
      idle_[t] = true;
    }
    cv_.notify_all();
  }

  // Waiting for its next op, done, waiting at the gate, or blocked in the
  // kernel at a lock (3 polls of 1 ms in a row). A thread asleep elsewhere in
  // the kernel (a page fault, disk I/O on the way to the mount) is not yet
  // where the model has it: it is given until the gate timeout to get
  // there, and then taken as blocked. Where the kernel stack cannot be read
  // (not root), asleep in a syscall for 10 polls in a row counts.
  bool Quiescent(int t) {
    const auto deadline = std::chrono::steady_clock::now() + Timeout();
    int lock_polls = 0, asleep_polls = 0;
    bool elsewhere = false;
    while (std::chrono::steady_clock::now() < deadline && !run_.fired) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (idle_[t] || done_[t]) return true;
      }
      if (run_.log.HeldFrom(tids_[t])) return true;
      bool stack_readable = false;
      const KernelWait w = WaitOf(tids_[t], &stack_readable);
      lock_polls = w == KernelWait::kLock ? lock_polls + 1 : 0;
      asleep_polls = w != KernelWait::kNone ? asleep_polls + 1 : 0;
      elsewhere = w == KernelWait::kOther;
      if (lock_polls >= 3) return true;
      if (!stack_readable && asleep_polls >= 10) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return elsewhere && !run_.fired;
  }

  std::string Describe(int t) {
    if (auto h = run_.log.HeldFrom(tids_[t])) return absl::StrCat("it sent ", run_.log.Get(*h).Text());
    std::lock_guard<std::mutex> l(mu_);
    if (done_[t]) return "it has finished";
    if (idle_[t]) return "its op has returned";
    return "it is blocked in the kernel without a request";
  }

  // One step; "" if the real kernel followed it, else why not.
  std::string Step(const ScriptEvent& ev) {
    if (ev.kind == ScriptEvent::kReleaseAnswered) {
      // Not a divergence if the real kernel never sends it: the request
      // rows will show the missing RELEASE as a difference.
      auto h = run_.log.ReleaseHeldRelease(ev.fh, Timeout());
      if (!h) return "";
      if (!run_.log.WaitReplied(*h, Timeout()))
        return absl::StrCat("the server did not answer ", run_.log.Get(*h).Text());
      return "";
    }
    const int t = ev.thread;
    const std::string& name = s_.threads[t].name;
    switch (ev.kind) {
      case ScriptEvent::kStart: {
        {
          std::lock_guard<std::mutex> l(mu_);
          allowed_[ev.op] = true;
        }
        cv_.notify_all();
        std::unique_lock<std::mutex> l(mu_);
        if (!cv_.wait_for(l, Timeout(), [&] { return started_[ev.op] || run_.fired; }))
          return absl::StrCat(name, " cannot start ", s_.op(ev.op).label(), ": its previous op has not returned");
        l.unlock();
        if (!Quiescent(t)) return absl::StrCat(name, " keeps running");
        return "";
      }
      case ScriptEvent::kEnd: {
        std::unique_lock<std::mutex> l(mu_);
        if (!cv_.wait_for(l, Timeout(), [&] { return finished_[ev.op] || run_.fired; })) {
          l.unlock();
          return absl::StrCat("the model's ", s_.op(ev.op).label(),
                              " returns here; the real one does not: ", Describe(t));
        }
        return "";
      }
      case ScriptEvent::kRequest: {
        auto h = run_.log.WaitHeld(tids_[t], Timeout());
        if (!h)
          return absl::StrCat("the model's ", name, " sends ", ev.opcode, "; the real one does not: ", Describe(t));
        const LoggedRequest q = run_.log.Get(*h);
        if (q.name != ev.opcode)
          return absl::StrCat("the model's ", name, " sends ", ev.opcode, "; the real one sent ", q.Text());
        return "";
      }
      case ScriptEvent::kHandle: {
        auto h = run_.log.HeldFrom(tids_[t]);
        if (!h) return absl::StrCat("no request of ", name, " is waiting to be handled (", ev.opcode, ")");
        run_.log.Release(*h);
        // The handler has run once its reply waits at the gate.
        if (!run_.log.WaitReplyHeld(*h, Timeout()))
          return absl::StrCat("the server did not answer ", run_.log.Get(*h).Text());
        pending_reply_[t] = *h;
        return "";
      }
      case ScriptEvent::kReply: {
        auto it = pending_reply_.find(t);
        if (it == pending_reply_.end())
          return absl::StrCat("no reply of ", name, " is waiting to be taken (", ev.opcode, ")");
        const size_t h = it->second;
        pending_reply_.erase(it);
        run_.log.ReleaseReply(h);
        if (!run_.log.WaitReplied(h, Timeout()))
          return absl::StrCat("the reply to ", run_.log.Get(h).Text(), " was not delivered");
        if (!Quiescent(t)) return absl::StrCat(name, " keeps running");
        return "";
      }
      case ScriptEvent::kWait: {
        if (!Quiescent(t)) return absl::StrCat(name, " keeps running");
        std::string what = Describe(t);
        if (what != "it is blocked in the kernel without a request")
          return absl::StrCat("the model's ", name, " blocks (", ev.text, "); the real one does not: ", what);
        return "";
      }
      case ScriptEvent::kReleaseAnswered:
        return "";  // above
    }
    return "";
  }

  const Runner& run_;
  const sim::Scenario& s_;
  const OracleOptions& o_;
  OracleResult* res_;
  std::vector<std::vector<Fd>>& fds_;
  const int n_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> allowed_, started_, finished_;
  std::vector<bool> idle_, done_;
  std::vector<pid_t> tids_;
  std::map<int, size_t> pending_reply_;  // thread -> request handled, reply held
  bool free_run_ = false;
};

// Requests the kernel sent on its own (pid 0) in a gated replay: RELEASE
// and RELEASEDIR belong to the op that closed the file their handle came
// from (or the thread's exit); forget messages to the op (or exit-time
// closes) of the same mount in progress when they arrived (the latest
// started), else to the one that returned last before.
int AttributeAsync(const sim::Scenario& s, const OracleResult& res, const std::vector<LoggedRequest>& log,
                   const LoggedRequest& q) {
  if (q.opcode == 18 || q.opcode == 29) {  // RELEASE, RELEASEDIR
    for (const LoggedRequest& o : log) {
      if (o.mount != q.mount || o.fh != q.fh || o.tag < 0) continue;
      if (o.opcode != 14 && o.opcode != 27 && o.opcode != 35) continue;  // OPEN, OPENDIR, CREATE
      const int t = s.ops[o.tag].first;
      const std::string& label = s.op(o.tag).fd;
      for (const sim::OpSpec& c : s.threads[t].ops)
        if (c.kind == OpKind::kClose && c.fd == label) return c.global;
      return kTagExitBase - t;
    }
  }
  // Candidates: every op of the mount and every thread's exit-time closes
  // (a close at exit drops the last reference of an inode: its FORGET).
  int best = kTagTeardown;
  int64_t best_key = -1;
  auto consider = [&](const RealOp& r, const sim::ThreadSpec& ts, int tag) {
    if (!r.ran || ts.server_side || ts.mount != q.mount || r.start_us > q.at_us) return;
    // In progress: keyed above any finished op, by start; else by end.
    const int64_t key = r.end_us >= q.at_us ? (int64_t{1} << 60) + r.start_us : r.end_us;
    if (key > best_key) {
      best_key = key;
      best = tag;
    }
  };
  for (size_t g = 0; g < res.ops.size(); ++g) consider(res.ops[g], s.threads[s.ops[g].first], static_cast<int>(g));
  for (size_t t = 0; t < res.exits.size() && t < s.threads.size(); ++t)
    consider(res.exits[t], s.threads[t], kTagExitBase - static_cast<int>(t));
  return best;
}

}  // namespace

absl::StatusOr<OracleResult> RunOnRealKernel(const sim::Scenario& s, const OracleOptions& o) {
  if (absl::Status st = CheckSupported(s, o); !st.ok()) return st;
  const bool gated = o.gated || s.schedule.mode == sim::ScheduleSpec::Mode::kReplay;
  if (gated && o.script.empty())
    return absl::InvalidArgumentError("a gated replay needs the model's trace (OracleOptions::script)");
  std::vector<int> order = o.order;
  if (order.empty() && !gated) {
    auto so = SequentialOrder(s);
    if (!so.ok()) return so.status();
    order = *so;
  }
  if (gated && order.empty()) {
    for (const ScriptEvent& ev : o.script)
      if (ev.kind == ScriptEvent::kStart) order.push_back(ev.op);
    for (size_t g = 0; g < s.ops.size(); ++g)
      if (std::find(order.begin(), order.end(), static_cast<int>(g)) == order.end())
        order.push_back(static_cast<int>(g));
  }
  {
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<int>(i) || sorted.size() != s.ops.size())
        return absl::InvalidArgumentError("the op order is not a permutation of the scenario's ops");
  }
  std::lock_guard<std::mutex> run_lock(g_run_mutex);
  // Other oracle runs on this machine must not drop caches under this one
  // (oracle/isolation.h), nor this one under theirs.
  bool drops_caches = false;
  for (size_t g = 0; g < s.ops.size(); ++g) drops_caches |= s.op(static_cast<int>(g)).kind == OpKind::kDropCaches;
  MachineLock machine_lock(drops_caches);

  OracleResult res;
  res.kernel_release = KernelRelease();
  res.order = order;
  res.gated = gated;
  for (size_t g = 0; g < s.ops.size(); ++g) {
    res.ops.emplace_back();
    res.ops.back().label = s.op(static_cast<int>(g)).label();
    const sim::OpSpec& op = s.op(static_cast<int>(g));
    if (op.kind == OpKind::kSleep || op.kind == OpKind::kServerSleep) res.model_sleep_us += op.sleep_us();
  }
  for (const auto& t : s.threads) {
    res.exits.emplace_back();
    res.exits.back().label = t.name + ".exit";
  }

  std::string tmpl_text = absl::StrCat(kTempPrefix, "XXXXXX");
  std::vector<char> tmpl(tmpl_text.begin(), tmpl_text.end());
  tmpl.push_back('\0');
  if (mkdtemp(tmpl.data()) == nullptr)
    return absl::UnavailableError(absl::StrCat("mkdtemp under /tmp failed: ", strerror(errno)));
  Cleanup cleanup(tmpl.data());

  auto ns = std::make_shared<Namespace>(s.server, s.names, static_cast<int>(s.mounts.size()));
  for (const auto& e : s.tree) ns->AddPath(Names(s, e.ids), e.is_dir);
  auto log = std::make_shared<RequestLog>();
  std::vector<std::string> mps;
  for (size_t m = 0; m < s.mounts.size(); ++m) {
    auto mp = cleanup.AddMountpoint(absl::StrCat("m", m));
    if (!mp.ok()) return mp.status();
    MountOptions mo;
    mo.timeouts = s.mounts[m].timeouts;
    mo.default_permissions = s.mounts[m].default_permissions;
    mo.parallel_dirops = s.mounts[m].parallel_dirops;
    mo.cache_symlinks = s.mounts[m].cache_symlinks;
    mo.readdirplus = s.mounts[m].readdirplus;
    mo.debug = o.debug;
    mo.gated = gated;
    auto server = std::make_unique<FuseServer>(ns, log, static_cast<int>(m), mo);
    FuseServer* sp = server.get();
    cleanup.Own(std::move(server));
    if (absl::Status st = sp->Mount(*mp); !st.ok()) return st;
    cleanup.Watch(WatchConnection(*mp));
    mps.push_back(*mp);
  }
  const auto settle = std::chrono::milliseconds(o.settle_ms);
  const auto max_settle = std::chrono::milliseconds(std::max(o.max_settle_ms, o.settle_ms));
  log->WaitQuiet(settle, max_settle);

  // Watchdog: aborts every connection when the scenario takes too long.
  std::mutex wd_mu;
  std::condition_variable wd_cv;
  bool wd_stop = false;
  std::atomic<bool> fired{false};
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> l(wd_mu);
    if (!wd_cv.wait_for(l, std::chrono::milliseconds(o.watchdog_ms), [&] { return wd_stop; })) {
      fired = true;
      log->EnableGate(false);
      for (auto& sv : cleanup.servers()) sv->Abort();
    }
  });

  std::vector<std::vector<Fd>> fds(s.threads.size());
  Runner run{s, *ns, *log, mps, fired, {}};
  for (auto& sv : cleanup.servers()) run.servers.push_back(sv.get());
  const int64_t t0 = log->NowUs();
  std::string aborted_at;
  if (gated) {
    GatedReplay replay(run, o, &res, fds);
    replay.Run();
    log->WaitQuiet(settle, max_settle);
  } else {
    RunSequential(run, order, o, &res, fds, &aborted_at);
  }
  res.elapsed_us = log->NowUs() - t0;
  log->SetTag(kTagTeardown);
  // Anything still open (an aborted run) is closed before unmounting.
  for (auto& v : fds) CloseAll(v);
  {
    std::lock_guard<std::mutex> l(wd_mu);
    wd_stop = true;
  }
  wd_cv.notify_all();
  watchdog.join();
  for (auto& sv : cleanup.servers()) {
    absl::Status st = sv->Unmount();
    if (!st.ok()) res.notes.push_back(std::string(st.message()));
  }

  res.log = log->Snapshot();
  for (const LoggedRequest& q : res.log) {
    if (q.foreign) {
      res.notes.push_back(absl::StrCat("ignored a request from pid ", q.pid, ": ", q.Text()));
      continue;
    }
    int tag = q.tag;
    if (gated && q.pid == 0 && tag != kTagMount && tag != kTagTeardown) tag = AttributeAsync(s, res, res.log, q);
    RealOp* target = nullptr;
    if (tag >= 0 && tag < static_cast<int>(res.ops.size())) {
      target = &res.ops[tag];
    } else if (tag <= kTagExitBase && kTagExitBase - tag < static_cast<int>(res.exits.size())) {
      target = &res.exits[kTagExitBase - tag];
    } else if (tag == kTagTeardown) {
      res.notes.push_back(absl::StrCat("after the last op: ", q.Text()));
    } else if (tag != kTagMount) {
      res.notes.push_back(absl::StrCat("not attributed to any op: ", q.Text()));
    }
    if (target != nullptr) target->requests.push_back({q.name, q.Text()});
  }
  if (fired)
    return absl::DeadlineExceededError(absl::StrCat("the watchdog aborted the scenario after ", o.watchdog_ms, " ms",
                                                    aborted_at.empty() ? "" : " before op " + aborted_at));
  return res;
}

}  // namespace fusesim::oracle
