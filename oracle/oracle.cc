#include "oracle/oracle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
  explicit Cleanup(std::string base) : base_(std::move(base)) {
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
    for (const std::string& m : mountpoints_) rmdir(m.c_str());
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
  std::vector<std::unique_ptr<FuseServer>>& servers() { return servers_; }

 private:
  std::string base_;
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
    case model::kOWronly: out = O_WRONLY; break;
    case model::kORdwr: out = O_RDWR; break;
    default: out = O_RDONLY;
  }
  if (f & model::kOCreat) out |= O_CREAT;
  if (f & model::kOExcl) out |= O_EXCL;
  if (f & model::kOTrunc) out |= O_TRUNC;
  if (f & model::kODirectory) out |= O_DIRECTORY;
  return out | O_CLOEXEC;
}

bool IsServerSide(OpKind k) {
  return k == OpKind::kServerCreate || k == OpKind::kServerUnlink || k == OpKind::kServerMkdir ||
         k == OpKind::kServerRmdir || k == OpKind::kServerRename || k == OpKind::kServerSleep;
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
    if (m.kernel != model::KernelVersion::k6_18)
      return absl::UnimplementedError(absl::StrCat("mount ", m.name, " models Linux ",
                                                   std::string(model::KernelVersionName(m.kernel)),
                                                   "; the oracle runs on 6.18 only"));
  }
  if (static_cast<int>(s.mounts.size()) > kMaxMounts)
    return absl::UnimplementedError("more mounts than the oracle handles");
  switch (s.schedule.mode) {
    case sim::ScheduleSpec::Mode::kSequential:
      break;
    case sim::ScheduleSpec::Mode::kReplay:
      return absl::UnimplementedError(
          "replay schedule: it interleaves syscalls at points a real kernel cannot be stopped at; "
          "races cannot be forced on a real kernel yet");
    default:
      return absl::UnimplementedError(
          "random/pct/explore schedule: races cannot be forced on a real kernel yet");
  }
  uint64_t sleep_us = 0;
  for (const auto& t : s.threads)
    for (const auto& op : t.ops)
      if (op.kind == OpKind::kSleep || op.kind == OpKind::kServerSleep) sleep_us += op.sleep_us;
  if (sleep_us / 1000 + 2000 > static_cast<uint64_t>(o.watchdog_ms))
    return absl::UnimplementedError(absl::StrCat("its sleeps add up to ", sleep_us / 1000,
                                                 " ms, too close to the watchdog (", o.watchdog_ms, " ms)"));
  if (!o.any_kernel) {
    const std::string rel = KernelRelease();
    if (!absl::StartsWith(rel, "6.18.") && rel != "6.18")
      return absl::UnimplementedError(absl::StrCat("this machine runs Linux ", rel,
                                                   "; the model is of 6.18 (use --any-kernel to run anyway)"));
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
    for (int g : s.threads[t].ops[next[t]].after)
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

absl::StatusOr<std::vector<int>> OrderFromTrace(const sim::Scenario& s, const sim::RunReport& r) {
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
    for (int u = 0; u < nthreads; ++u) {
      if (u != t && in_op[u] >= 0)
        return absl::UnimplementedError(absl::StrCat(
            "in the model's sequential run ", s.op(g).label, " starts while ", s.op(in_op[u]).label,
            " is in progress; races cannot be forced on a real kernel yet"));
    }
    in_op[t] = g;
    order.push_back(g);
  }
  if (order.size() != s.ops.size())
    return absl::FailedPreconditionError(absl::StrCat("the model's run started ", order.size(), " of ",
                                                      s.ops.size(), " ops"));
  return order;
}

absl::StatusOr<OracleResult> RunOnRealKernel(const sim::Scenario& s, const OracleOptions& o) {
  if (absl::Status st = CheckSupported(s, o); !st.ok()) return st;
  std::vector<int> order = o.order;
  if (order.empty()) {
    auto so = SequentialOrder(s);
    if (!so.ok()) return so.status();
    order = *so;
  }
  {
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<int>(i) || sorted.size() != s.ops.size())
        return absl::InvalidArgumentError("the op order is not a permutation of the scenario's ops");
  }
  std::lock_guard<std::mutex> run_lock(g_run_mutex);

  OracleResult res;
  res.kernel_release = KernelRelease();
  res.order = order;
  for (size_t g = 0; g < s.ops.size(); ++g) {
    res.ops.emplace_back();
    res.ops.back().label = s.op(static_cast<int>(g)).label;
  }
  for (const auto& t : s.threads) {
    res.exits.emplace_back();
    res.exits.back().label = t.name + ".exit";
  }

  char tmpl[] = "/tmp/fusesim-oracle-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    return absl::UnavailableError(absl::StrCat("mkdtemp under /tmp failed: ", strerror(errno)));
  Cleanup cleanup(tmpl);

  auto ns = std::make_shared<Namespace>(BehaviourFromConfig(s.server, s.names), static_cast<int>(s.mounts.size()));
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
    mo.debug = o.debug;
    auto server = std::make_unique<FuseServer>(ns, log, static_cast<int>(m), mo);
    FuseServer* sp = server.get();
    cleanup.Own(std::move(server));
    if (absl::Status st = sp->Mount(*mp); !st.ok()) return st;
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
      for (auto& sv : cleanup.servers()) sv->Abort();
    }
  });
  auto stop_watchdog = [&] {
    {
      std::lock_guard<std::mutex> l(wd_mu);
      wd_stop = true;
    }
    wd_cv.notify_all();
    if (watchdog.joinable()) watchdog.join();
  };
  auto sleep_us = [&](uint64_t us) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    while (!fired && std::chrono::steady_clock::now() < until) {
      const auto left = until - std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(10)));
    }
  };

  struct Fd {
    std::string label;
    int fd;
  };
  std::vector<std::vector<Fd>> fds(s.threads.size());
  std::vector<size_t> remaining(s.threads.size());
  for (size_t t = 0; t < s.threads.size(); ++t) remaining[t] = s.threads[t].ops.size();
  const int64_t t0 = log->NowUs();
  std::string aborted_at;

  for (int g : order) {
    if (fired) {
      aborted_at = s.op(g).label;
      break;
    }
    const sim::OpSpec& op = s.op(g);
    const int t = s.ops[g].first;
    const sim::ThreadSpec& ts = s.threads[t];
    const std::string& mp = mps[ts.server_side ? 0 : ts.mount];
    const std::string path = mp + op.path;
    RealOp& r = res.ops[g];
    log->SetTag(g);
    r.ran = true;
    r.start_us = log->NowUs();
    int err = 0;
    switch (op.kind) {
      case OpKind::kOpen: {
        const int fd = open(path.c_str(), OpenFlags(op.flags), op.mode);
        if (fd < 0) err = errno;
        fds[t].push_back({op.fd, fd});
        break;
      }
      case OpKind::kClose: {
        err = EBADF;
        for (Fd& f : fds[t]) {
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
        if (stat(path.c_str(), &st) != 0) err = errno;
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
        if (rename(path.c_str(), (mp + op.to).c_str()) != 0) err = errno;
        break;
      case OpKind::kSleep:
      case OpKind::kServerSleep:
        sleep_us(op.sleep_us);
        res.model_sleep_us += op.sleep_us;
        break;
      case OpKind::kDropCaches:
        err = DropCaches();
        break;
      case OpKind::kServerCreate: err = ns->RemoteCreate(Names(s, op.path_ids)); break;
      case OpKind::kServerUnlink: err = ns->RemoteUnlink(Names(s, op.path_ids)); break;
      case OpKind::kServerMkdir: err = ns->RemoteMkdir(Names(s, op.path_ids)); break;
      case OpKind::kServerRmdir: err = ns->RemoteRmdir(Names(s, op.path_ids)); break;
      case OpKind::kServerRename: err = ns->RemoteRename(Names(s, op.path_ids), Names(s, op.to_ids)); break;
    }
    r.result = ErrnoName(err);
    r.end_us = log->NowUs();
    if (!IsServerSide(op.kind) && op.kind != OpKind::kSleep) log->WaitQuiet(settle, max_settle);
    // Process exit right after the thread's last op: close what is open.
    if (--remaining[t] == 0 && !ts.server_side) {
      bool any = false;
      for (const Fd& f : fds[t]) any |= f.fd >= 0;
      if (any) {
        RealOp& x = res.exits[t];
        log->SetTag(kTagExitBase - t);
        x.ran = true;
        x.start_us = log->NowUs();
        for (Fd& f : fds[t]) {
          if (f.fd >= 0) close(f.fd);
          f.fd = -1;
        }
        x.result = "ok";
        x.end_us = log->NowUs();
        log->WaitQuiet(settle, max_settle);
      }
    }
  }
  res.elapsed_us = log->NowUs() - t0;
  log->SetTag(kTagTeardown);
  // Anything still open (an aborted run) is closed before unmounting.
  for (auto& v : fds)
    for (Fd& f : v)
      if (f.fd >= 0) close(f.fd), f.fd = -1;
  stop_watchdog();
  for (auto& sv : cleanup.servers()) {
    absl::Status st = sv->Unmount();
    if (!st.ok()) res.notes.push_back(std::string(st.message()));
  }

  res.log = log->Snapshot();
  int foreign = 0;
  for (const LoggedRequest& q : res.log) {
    if (q.foreign) {
      ++foreign;
      res.notes.push_back(absl::StrCat("ignored a request from pid ", q.pid, ": ", q.Text()));
      continue;
    }
    RealOp* target = nullptr;
    if (q.tag >= 0 && q.tag < static_cast<int>(res.ops.size())) {
      target = &res.ops[q.tag];
    } else if (q.tag <= kTagExitBase && kTagExitBase - q.tag < static_cast<int>(res.exits.size())) {
      target = &res.exits[kTagExitBase - q.tag];
    } else if (q.tag == kTagTeardown) {
      res.notes.push_back(absl::StrCat("after the last op: ", q.Text()));
    }
    if (target != nullptr) target->requests.push_back({q.name, q.Text()});
  }
  (void)foreign;
  if (fired)
    return absl::DeadlineExceededError(absl::StrCat("the watchdog aborted the scenario after ", o.watchdog_ms,
                                                    " ms", aborted_at.empty() ? "" : " before op " + aborted_at));
  return res;
}

}  // namespace fusesim::oracle
