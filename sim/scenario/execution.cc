#include "sim/scenario/execution.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "model/consistency.h"
#include "model/file.h"
#include "model/fuse_conn.h"
#include "model/fuse_dir.h"
#include "model/keys.h"
#include "model/namei.h"
#include "model/world.h"

namespace fusesim::sim {
namespace {

using model::Err;
using model::Kctx;

}  // namespace

std::string DescribeOp(const OpSpec& op) {
  switch (op.kind) {
    case OpKind::kOpen:
      return op.relative ? absl::StrCat("openat ", op.at(), " ", op.path, " ", op.flags_text())
                         : absl::StrCat("open ", op.path, " ", op.flags_text());
    case OpKind::kClose:
      return absl::StrCat("close ", op.fd);
    case OpKind::kStat:
      return absl::StrCat(op.nofollow ? "lstat " : "stat ", op.path);
    case OpKind::kSymlink:
      return absl::StrCat("symlink ", op.target(), " ", op.path);
    case OpKind::kReadlink:
      return absl::StrCat("readlink ", op.path);
    case OpKind::kReaddir:
      return absl::StrCat("readdir ", op.path);
    case OpKind::kLink:
      return absl::StrCat("link ", op.path, " ", op.to());
    case OpKind::kChmod:
      return absl::StrFormat("chmod %s 0%o", op.path, op.mode);
    case OpKind::kTruncate:
      return absl::StrCat("truncate ", op.path, " ", op.size());
    case OpKind::kServerSymlink:
      return absl::StrCat("server symlink ", op.target(), " ", op.path);
    case OpKind::kServerLink:
      return absl::StrCat("server link ", op.path, " ", op.to());
    case OpKind::kServerChmod:
      return absl::StrFormat("server chmod %s 0%o", op.path, op.mode);
    case OpKind::kNotifyInvalEntry:
      return absl::StrCat("server notify_inval_entry ", op.path);
    case OpKind::kNotifyInvalInode:
      return absl::StrCat("server notify_inval_inode ", op.path);
    case OpKind::kNotifyDelete:
      return absl::StrCat("server notify_delete ", op.path);
    case OpKind::kNotifyIncEpoch:
      return "server notify_inc_epoch";
    case OpKind::kUnlink:
      return absl::StrCat("unlink ", op.path);
    case OpKind::kMkdir:
      return absl::StrCat("mkdir ", op.path);
    case OpKind::kRmdir:
      return absl::StrCat("rmdir ", op.path);
    case OpKind::kRename:
      return absl::StrCat("rename ", op.path, " ", op.to());
    case OpKind::kSleep:
    case OpKind::kServerSleep:
      return absl::StrCat("sleep ", op.sleep_us() / 1000.0, "ms");
    case OpKind::kDropCaches:
      return "drop_caches";
    case OpKind::kServerCreate:
      return absl::StrCat("server create ", op.path);
    case OpKind::kServerUnlink:
      return absl::StrCat("server unlink ", op.path);
    case OpKind::kServerMkdir:
      return absl::StrCat("server mkdir ", op.path);
    case OpKind::kServerRmdir:
      return absl::StrCat("server rmdir ", op.path);
    case OpKind::kServerRename:
      return absl::StrCat("server rename ", op.path, " ", op.to());
  }
  return "?";
}

namespace {

std::string Describe(const OpSpec& op) { return DescribeOp(op); }

// Notes how long the trace is when each step is chosen, so that every trace
// event can be given the step it happened in (RunReport::trace_steps).
class StepMarker : public Chooser {
 public:
  StepMarker(Chooser& inner, const std::vector<model::TraceEvent>& trace, std::vector<size_t>* starts)
      : inner_(inner), trace_(trace), starts_(*starts) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override {
    starts_.push_back(trace_.size());
    return inner_.Choose(step, enabled, last, actors);
  }
  void Finish(int steps, const std::vector<Actor*>& actors) override { inner_.Finish(steps, actors); }

 private:
  Chooser& inner_;
  const std::vector<model::TraceEvent>& trace_;
  std::vector<size_t>& starts_;
};

class Execution {
 public:
  Execution(const Scenario& s, model::Variant v, const ExecOptions& opts)
      : s_(s),
        opts_(opts),
        w_(&s.names, opts.server != nullptr ? *opts.server : s.server, static_cast<int>(s.mounts.size()), v) {
    w_.tracing = opts.trace;
    for (const auto& mc : s.mounts) {
      model::Mount& m = w_.AddMount(mc);
      // Mount time: INIT and the root's GETATTR (not counted) at time 0.
      model::InodeId root = m.inodes.MakeRoot(model::ValidUntil(0, mc.timeouts.attr_us));
      m.dcache.MakeRoot(root);
      m.pending.key = model::MakeKey(model::KeyKind::kAsyncQueue, m.index, 0);
      m.forgets.key = m.requests.key = m.pending.key;
      m.inodes.SetOwnForgetChannel(mc.io_uring);
      m.rename_mutex.key = model::MakeKey(model::KeyKind::kLock, m.index, ~0ull);
    }
    for (const auto& e : s.tree) w_.server.AddPath(e.ids, e.is_dir);
    for (size_t g = 0; g < s.ops.size(); ++g) {
      model::OpRecord& rec = w_.ops.emplace_back();
      rec.actor = s.ops[g].first;
      rec.completion.key = model::MakeKey(model::KeyKind::kOp, g, 0);
    }
    for (size_t t = 0; t < s.threads.size(); ++t) w_.ops.emplace_back();  // process exit of each thread
    w_.op_label = [&s](int g) {
      const int n = static_cast<int>(s.ops.size());
      return g < n ? s.op(g).label() : s.threads[g - n].name + ".exit";
    };
    for (size_t t = 0; t < s.threads.size(); ++t) {
      auto a = std::make_unique<Actor>();
      a->index = static_cast<int>(t);
      a->name = s.threads[t].name;
      a->kind = s.threads[t].server_side ? ActorKind::kServerThread : ActorKind::kThread;
      a->record = opts.record_footprints;
      actors_.push_back(std::move(a));
    }
    // The daemon's readers of each mount's asynchronous requests: "bg:M"
    // (all of them over /dev/fuse; the ring's over io_uring), then, for
    // io_uring mounts, "forget:M" (the FORGETs, still on /dev/fuse). Names
    // and order as ActorNames().
    const std::vector<std::string> names = ActorNames(s);
    auto add_daemon = [&](int m, model::AsyncChannel channel) {
      auto a = std::make_unique<Actor>();
      a->index = static_cast<int>(actors_.size());
      a->name = names[a->index];
      a->kind = ActorKind::kAsyncQueue;
      a->daemon = true;
      a->record = opts.record_footprints;
      a->root = model::AsyncDelivery(w_, *w_.mounts[m], *a, channel);
      actors_.push_back(std::move(a));
    };
    for (size_t m = 0; m < s.mounts.size(); ++m)
      add_daemon(static_cast<int>(m), s.mounts[m].io_uring ? model::AsyncChannel::kRing : model::AsyncChannel::kAll);
    for (size_t m = 0; m < s.mounts.size(); ++m)
      if (s.mounts[m].io_uring) add_daemon(static_cast<int>(m), model::AsyncChannel::kForgets);
    for (size_t t = 0; t < s.threads.size(); ++t) actors_[t]->root = RunThread(static_cast<int>(t));
  }

  // actors_ is declared after w_, so coroutine frames die before the world.

  absl::StatusOr<RunReport> Run(Chooser& chooser) {
    std::vector<Actor*> actors;
    for (auto& a : actors_) actors.push_back(a.get());
    WaitObserver observer;
    if (opts_.trace) {
      observer = [this](const Actor& a, bool blocked) {
        w_.Trace(a.index, blocked ? "wait" : "wake",
                 blocked ? absl::StrCat("waits: ", a.wait.what) : absl::StrCat("wakes: ", a.wait.what));
      };
    }
    StepHook hook;
    if (opts_.check_consistency) {
      hook = [this](int step) {
        if (internal_errors_.size() > 20) return;
        // After an oops the dead task's half-done state is the BUG's finding.
        for (const auto& a : actors_)
          if (a->bugged) return;
        for (const std::string& e : model::CheckConsistency(w_))
          internal_errors_.push_back(absl::StrCat("after step ", step, ": ", e));
      };
    }
    StepMarker marker(chooser, w_.trace, &step_starts_);
    auto loop = RunLoop(actors, opts_.trace ? static_cast<Chooser&>(marker) : chooser, MaxSteps(), observer, hook);
    if (!loop.ok()) return loop.status();
    return Finish(*std::move(loop));
  }

 private:
  sim::Task<void> RunThread(int t) {
    const ThreadSpec& ts = s_.threads[t];
    Actor& a = *actors_[t];
    model::Mount& m = *w_.mounts[ts.mount];
    // The thread's open files by the order they were opened (the order the
    // exit closes them in), and the labelled ones by label (the ops' own,
    // which outlive the run). Only what is open: a thread of a million
    // open+close pairs holds one at a time.
    std::map<uint64_t, model::File> fds;
    uint64_t opened = 0;
    absl::flat_hash_map<std::string_view, uint64_t> open_by_label;  // label -> key in fds
    for (const OpSpec& op : ts.ops) {
      if (!op.after().empty()) {
        a.after.clear();
        for (int g : op.after()) a.after.push_back(&w_.ops[g].completion);
        co_await sim::WaitAfter(a, "waits for \"after\" ops");
      } else {
        co_await sim::Point(a, ts.server_side ? "server-side op" : "syscall entry");
      }
      model::OpRecord& rec = w_.ops[op.global];
      rec.started = true;
      w_.current_op = op.global;
      if (w_.tracing) w_.Trace(a.index, "syscall", Describe(op));
      Kctx k{w_, m, a, op.global};
      Err err = Err::kOk;
      switch (op.kind) {
        case OpKind::kOpen: {
          model::File f;
          model::OpenOutcome o;
          if (op.relative) {  // openat(): from the directory the `at` fd names
            auto at = open_by_label.find(op.at());
            if (at == open_by_label.end()) {
              // That open failed: EBADF from path_init(), after the flag checks.
              o.err = model::BuildOpenFlags(k, op.flags);
              if (o.err == Err::kOk) o.err = Err::kEBADF;
            } else {
              o = co_await model::SysOpenAt(k, fds.at(at->second), op.path_ids, op.flags, &f);
            }
          } else {
            o = co_await model::SysOpen(k, op.path_ids, op.flags, &f);
          }
          err = o.err;
          rec.is_open = true;
          rec.created = o.created;
          if (err == Err::kOk) {
            if (!op.fd.empty()) open_by_label[op.fd] = opened;
            fds.emplace(opened++, f);
          }
          break;
        }
        case OpKind::kClose: {
          err = Err::kEBADF;
          auto it = open_by_label.find(op.fd);
          if (it != open_by_label.end()) {
            auto fd = fds.find(it->second);
            model::File file = fd->second;
            open_by_label.erase(it);
            fds.erase(fd);
            err = co_await model::SysClose(k, file);
          }
          break;
        }
        case OpKind::kStat:
          err = co_await model::SysStat(k, op.path_ids, !op.nofollow);
          break;
        case OpKind::kSymlink:
          err = co_await model::SysSymlink(k, op.target_ids(), op.target_abs, op.path_ids);
          break;
        case OpKind::kReadlink:
          err = co_await model::SysReadlink(k, op.path_ids);
          break;
        case OpKind::kReaddir:
          err = co_await model::SysReaddir(k, op.path_ids);
          break;
        case OpKind::kLink:
          err = co_await model::SysLink(k, op.path_ids, op.to_ids());
          break;
        case OpKind::kChmod:
          err = co_await model::SysChmod(k, op.path_ids, op.mode);
          break;
        case OpKind::kTruncate:
          err = co_await model::SysTruncate(k, op.path_ids, op.size());
          break;
        case OpKind::kServerSymlink:
          err = ServerOp(a, op, w_.server.RemoteSymlink(op.path_ids, op.target_ids(), op.target_abs));
          break;
        case OpKind::kServerLink:
          err = ServerOp(a, op, w_.server.RemoteLink(op.path_ids, op.to_ids()));
          break;
        case OpKind::kServerChmod:
          err = ServerOp(a, op, w_.server.RemoteChmod(op.path_ids, op.mode));
          break;
        case OpKind::kNotifyInvalEntry:
        case OpKind::kNotifyInvalInode:
        case OpKind::kNotifyDelete:
        case OpKind::kNotifyIncEpoch:
          err = co_await Notify(a, op);
          break;
        case OpKind::kUnlink:
          err = co_await model::SysUnlink(k, op.path_ids);
          break;
        case OpKind::kMkdir:
          err = co_await model::SysMkdir(k, op.path_ids);
          break;
        case OpKind::kRmdir:
          err = co_await model::SysRmdir(k, op.path_ids);
          break;
        case OpKind::kRename:
          err = co_await model::SysRename(k, op.path_ids, op.to_ids());
          break;
        case OpKind::kSleep:
        case OpKind::kServerSleep:
          a.clock += op.sleep_us();
          break;
        case OpKind::kDropCaches:
          model::SysDropCaches(k);
          break;
        case OpKind::kServerCreate:
          err = ServerOp(a, op, w_.server.RemoteCreate(op.path_ids));
          break;
        case OpKind::kServerUnlink:
          err = ServerOp(a, op, w_.server.RemoteUnlink(op.path_ids));
          break;
        case OpKind::kServerMkdir:
          err = ServerOp(a, op, w_.server.RemoteMkdir(op.path_ids));
          break;
        case OpKind::kServerRmdir:
          err = ServerOp(a, op, w_.server.RemoteRmdir(op.path_ids));
          break;
        case OpKind::kServerRename:
          err = ServerOp(a, op, w_.server.RemoteRename(op.path_ids, op.to_ids()));
          break;
      }
      rec.err = err;
      rec.done = true;
      sim::Complete(a, rec.completion);
      if (w_.tracing)
        w_.Trace(a.index, "syscall",
                 absl::StrCat(Describe(op), " = ", std::string(model::ErrName(err)),
                              rec.is_open && err == Err::kOk ? (rec.created ? " (created)" : "") : ""));
      if (op.kind == OpKind::kOpen) JudgeOpen(op, rec, m);
    }
    // Process exit: close what is still open, in the order it was opened.
    const int exit_op = static_cast<int>(s_.ops.size()) + t;
    while (!fds.empty()) {
      co_await sim::Point(a, "exit: close");
      w_.current_op = exit_op;
      Kctx k{w_, m, a, exit_op};
      model::File file = fds.begin()->second;
      fds.erase(fds.begin());
      (void)co_await model::SysClose(k, file);
    }
  }

  int64_t MaxSteps() const {
    return opts_.max_steps > 0 ? opts_.max_steps : 1000 * (static_cast<int64_t>(s_.ops.size()) + 1);
  }

  Err ServerOp(Actor& a, const OpSpec& op, Err e) {
    a.Touch(model::Server::GlobalKey(), true);  // the namespace as a whole
    (void)op;
    return e;
  }

  // A notification a server thread writes to /dev/fuse for op.mount: the
  // kernel handles it in that thread (fuse_notify()); the result is what
  // the write returns. A path the server cannot resolve sends nothing.
  sim::Task<Err> Notify(Actor& a, const OpSpec& op) {
    a.Touch(model::Server::GlobalKey(), false);
    Kctx nk{w_, *w_.mounts[op.mount], a, op.global};
    switch (op.kind) {
      case OpKind::kNotifyIncEpoch:
        model::fuse_notify_inc_epoch(nk);
        co_return Err::kOk;
      case OpKind::kNotifyInvalInode: {
        model::NodeId parent = 0, id = model::kRootNodeId;
        if (!op.path_ids.empty() && !w_.server.NotifyTarget(op.path_ids, &parent, &id)) co_return Err::kENOENT;
        if (id == 0) co_return Err::kENOENT;
        co_return model::fuse_reverse_inval_inode(nk, id);
      }
      default: {
        model::NodeId parent, child;
        if (!w_.server.NotifyTarget(op.path_ids, &parent, &child)) co_return Err::kENOENT;
        if (op.kind == OpKind::kNotifyDelete && child == 0) co_return Err::kENOENT;
        co_return co_await model::fuse_reverse_inval_entry(nk, parent, op.path_ids.back(),
                                                           op.kind == OpKind::kNotifyDelete ? child : 0);
      }
    }
  }

  // fmode-created, o-excl and posix-errno for an open that completed.
  void JudgeOpen(const OpSpec& op, const model::OpRecord& rec, const model::Mount& m) {
    (void)m;
    const bool creat = (op.flags & model::kOCreat) != 0;
    const bool excl = (op.flags & model::kOExcl) != 0;
    if (rec.err == Err::kOk) {
      if (rec.created != rec.server_created) {
        w_.AddViolation(
            "fmode-created",
            absl::StrFormat("%s on %s: FMODE_CREATED is %s but the server %s the file in this call", op.label(),
                            op.path, rec.created ? "set" : "clear", rec.server_created ? "created" : "did not create"),
            op.global);
      }
      if (creat && excl && !rec.server_created) {
        w_.AddViolation(
            "o-excl",
            absl::StrFormat("%s: open(%s, O_CREAT|O_EXCL) succeeded on a file it did not create", op.label(), op.path),
            op.global);
      }
      return;
    }
    if (!creat) return;
    if (rec.err == Err::kEEXIST && !excl) {
      w_.AddViolation("posix-errno",
                      absl::StrFormat("%s: open(%s, O_CREAT) without O_EXCL failed with EEXIST", op.label(), op.path),
                      op.global);
    }
    if (op.relative) return;  // the server cannot resolve a path relative to a descriptor
    const model::NodeId target = w_.server.Resolve(op.path_ids);
    const model::Server::Node* tn = w_.server.Find(target);
    if (rec.err == Err::kEIO && tn != nullptr && tn->is_dir) {
      w_.AddViolation(
          "posix-errno",
          absl::StrFormat("%s: open(%s, O_CREAT) of a directory failed with EIO, not EISDIR", op.label(), op.path),
          op.global);
    }
    if (rec.err == Err::kENOENT && !op.path_ids.empty()) {
      std::vector<model::NameId> parent(op.path_ids.begin(), op.path_ids.end() - 1);
      const model::Server::Node* pn = w_.server.Find(w_.server.Resolve(parent));
      // A (dangling) symlink sends the create elsewhere: not this directory.
      const model::Server::Node* last = w_.server.Find(w_.server.Resolve(op.path_ids));
      if (pn != nullptr && pn->is_dir && (last == nullptr || !last->is_symlink)) {
        w_.AddViolation("posix-errno",
                        absl::StrFormat("%s: open(%s, O_CREAT) failed with ENOENT although the directory exists",
                                        op.label(), op.path),
                        op.global);
      }
    }
  }

  RunReport Finish(LoopResult loop) {
    RunReport r;
    r.scenario = s_.name;
    r.variant = std::string(model::VariantName(w_.variant));
    for (auto& a : actors_) r.actor_names.push_back(a->name);
    r.steps = std::move(loop.schedule);
    bool any_bug = false;
    for (auto& a : actors_) any_bug |= a->bugged;
    w_.current_op = -1;
    // Each op's record is dropped as its outcome is made (both are deques,
    // which free and take blocks as they go), so the two never take memory
    // in full at once: that was the peak of a big run. Nothing after this
    // reads w_.ops by index.
    if (opts_.describe_ops) r.op_texts.reserve(s_.ops.size());
    for (size_t g = 0; g < s_.ops.size(); ++g, w_.ops.pop_front()) {
      const model::OpRecord& rec = w_.ops.front();
      OpOutcome o;
      o.label = s_.op(static_cast<int>(g)).label();
      if (opts_.describe_ops) r.op_texts.push_back(Describe(s_.op(static_cast<int>(g))));
      if (rec.bug)
        o.result = "BUG";
      else if (rec.done)
        o.result = model::ErrName(rec.err);
      else if (rec.started)
        o.result = "hung";
      else
        o.result = "not-run";
      o.is_open = rec.is_open;
      o.created = rec.created;
      o.requests.assign(rec.requests.begin(), rec.requests.end());
      o.round_trips = rec.round_trips;
      r.results.push_back(std::move(o));
    }
    // Deadlock: a thread that neither finished nor hit a BUG. With a BUG in
    // the run, threads stuck behind what the dead task holds are "hung".
    std::vector<int> stuck;
    for (size_t t = 0; t < s_.threads.size(); ++t)
      if (!actors_[t]->finished && !actors_[t]->bugged) stuck.push_back(static_cast<int>(t));
    if (!stuck.empty() && !any_bug && !loop.step_limit) {
      r.deadlock = true;
      std::vector<std::string> why;
      for (int t : stuck) why.push_back(absl::StrCat(actors_[t]->name, " waits (", actors_[t]->wait.what, ")"));
      w_.AddViolation("deadlock", absl::StrJoin(why, "; "), -1);
    }
    if (loop.step_limit) {
      w_.AddViolation("step-limit", absl::StrCat("the run did not finish within ", MaxSteps(), " steps"), -1);
    }
    const bool complete = stuck.empty() && !loop.step_limit;
    for (auto& mp : w_.mounts) {
      const model::Mount& m = *mp;
      // in-lookup-leak (a BUG's own dentry is the BUG's finding).
      if (!any_bug) {
        for (model::DentryId d : m.dcache.InLookup()) {
          w_.AddViolation("in-lookup-leak",
                          absl::StrFormat("%s: a dentry for \"%s\" is still in-lookup", m.config.name,
                                          s_.names.Name(m.dcache.at(d).name)),
                          -1);
        }
      }
      if (!complete) continue;
      // nlookup-balance: the server's count equals what the kernel holds.
      const auto& nodes = w_.server.nodes();
      for (model::NodeId id = model::kRootNodeId + 1; id < nodes.size(); ++id) {
        const uint64_t server = nodes[id].nlookup[m.index];
        model::InodeId ino = m.inodes.Find(id);
        const uint64_t kernel = ino == model::kNoInode ? 0 : m.inodes.at(ino).nlookup;
        if (server != kernel) {
          w_.AddViolation("nlookup-balance",
                          absl::StrFormat("%s: node %d has lookup count %d on the server, %d in the kernel",
                                          m.config.name, id, server, kernel),
                          -1);
        }
      }
    }
    // handle-leak: handles whose opener finished normally.
    if (complete) {
      for (const auto& [fh, h] : w_.server.handles()) {
        if (h.opener < 0 || h.opener >= static_cast<int>(actors_.size()) || actors_[h.opener]->bugged) continue;
        w_.AddViolation(
            "handle-leak",
            absl::StrFormat("%s: server handle %d on node %d was never released", s_.mounts[h.mount].name, fh, h.node),
            -1);
      }
    }
    // Dentries of every path the scenario names, on every mount. The paths
    // are sorted, so one mount's keys arrive in order; mounts are in the
    // scenario's order, sorted after if that is not the keys' order.
    if (opts_.report_dentries) {
      r.dentries.reserve(w_.mounts.size() * s_.paths.size());
      for (const auto& mp : w_.mounts) {
        const std::string prefix = mp->config.name + ":";
        for (size_t i = 0; i < s_.paths.size(); ++i) {
          if (s_.paths[i] == "/") continue;
          model::DentryId d = mp->dcache.Resolve(s_.path_ids[i]);
          const std::string_view state = d == model::kNoDentry    ? "absent"
                                         : mp->dcache.positive(d) ? "positive"
                                                                  : "negative";
          r.dentries.emplace_back(prefix + s_.paths[i], state);
        }
      }
      if (!std::is_sorted(r.dentries.begin(), r.dentries.end())) std::sort(r.dentries.begin(), r.dentries.end());
    }
    for (model::Opcode op : model::AllOpcodes()) {
      int n = w_.request_counts[model::OpcodeIndex(op)];
      if (n > 0) r.requests[std::string(model::OpcodeName(op))] = n;
    }
    r.round_trips = w_.round_trips;
    r.request_time_us = w_.waited_us;
    for (auto& a : actors_) r.simulated_time_us = std::max(r.simulated_time_us, a->clock);
    r.dir_changed = w_.dir_changed;
    r.spurious_dir_changed = w_.spurious_dir_changed;
    r.violations = w_.violations;
    r.step_limit = loop.step_limit;
    if (opts_.trace) {
      r.trace = w_.trace;
      // Event i happened in the last step chosen while the trace had at
      // most i events (1-based); 0: before the first step.
      for (size_t i = 0; i < r.trace.size(); ++i)
        r.trace_steps.push_back(
            static_cast<int>(std::upper_bound(step_starts_.begin(), step_starts_.end(), i) - step_starts_.begin()));
    }
    r.internal_errors = internal_errors_;
    return r;
  }

  const Scenario& s_;
  ExecOptions opts_;
  model::World w_;
  std::vector<std::unique_ptr<Actor>> actors_;
  std::vector<std::string> internal_errors_;
  std::vector<size_t> step_starts_;  // trace length when each step was chosen
};

}  // namespace

std::vector<std::string> ActorNames(const Scenario& s) {
  std::vector<std::string> names;
  for (const auto& t : s.threads) names.push_back(t.name);
  for (const auto& m : s.mounts) names.push_back("bg:" + m.name);
  for (const auto& m : s.mounts)
    if (m.io_uring) names.push_back("forget:" + m.name);
  return names;
}

absl::StatusOr<std::vector<int>> ScheduleIndices(const Scenario& s, const std::vector<std::string>& steps) {
  std::vector<std::string> names = ActorNames(s);
  std::vector<int> out;
  for (const std::string& step : steps) {
    auto it = std::find(names.begin(), names.end(), step);
    if (it == names.end())
      return absl::InvalidArgumentError(
          absl::StrCat("unknown thread \"", step, "\" in the schedule; valid: ", absl::StrJoin(names, ", ")));
    out.push_back(static_cast<int>(it - names.begin()));
  }
  return out;
}

absl::StatusOr<std::vector<int>> ParseScheduleToken(const Scenario& s, const std::string& token) {
  std::vector<std::string> steps;
  for (absl::string_view part : absl::StrSplit(token, ',', absl::SkipWhitespace())) {
    std::string p(part);
    p.erase(0, p.find_first_not_of(' '));
    p.erase(p.find_last_not_of(' ') + 1);
    size_t star = p.find('*');
    int n = 1;
    if (star != std::string::npos) {
      if (!absl::SimpleAtoi(p.substr(star + 1), &n) || n < 1 || n > 10000000)
        return absl::InvalidArgumentError(absl::StrCat("bad repeat count in schedule step \"", p, "\" (use NAME*N)"));
      p = p.substr(0, star);
    }
    for (int i = 0; i < n; ++i) steps.push_back(p);
  }
  return ScheduleIndices(s, steps);
}

absl::StatusOr<RunReport> Execute(const Scenario& s, model::Variant v, Chooser& chooser, const ExecOptions& opts) {
  Execution e(s, v, opts);
  return e.Run(chooser);
}

}  // namespace fusesim::sim
