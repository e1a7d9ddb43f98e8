#include "model/fuse_conn.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/keys.h"

namespace fusesim::model {
namespace {

// Static labels for scheduling points, one per opcode.
struct PointLabels {
  std::array<std::string, kNumOpcodes> handle, reply;
  PointLabels() {
    for (Opcode op : AllOpcodes()) {
      handle[OpcodeIndex(op)] = absl::StrCat("server handles ", std::string(OpcodeName(op)));
      reply[OpcodeIndex(op)] = absl::StrCat(std::string(OpcodeName(op)), " reply");
    }
  }
};
const PointLabels& Labels() {
  static const PointLabels* labels = new PointLabels;
  return *labels;
}

std::string NameOf(const World& w, NameId n) { return n >= 0 ? w.names->Name(n) : "?"; }

}  // namespace

std::string DescribeRequest(const World& w, const Request& req) {
  std::string op(OpcodeName(req.opcode));
  switch (req.opcode) {
    case Opcode::kLookup:
    case Opcode::kMknod:
    case Opcode::kMkdir:
    case Opcode::kUnlink:
    case Opcode::kRmdir:
    case Opcode::kLookupHandle:
    case Opcode::kLookupx:
    case Opcode::kMkobjx:
      return absl::StrFormat("%s(parent=%d, name=%s)", op, req.nodeid, NameOf(w, req.name));
    case Opcode::kMkobjHandle:
      return absl::StrFormat("%s(parent=%d, name=%s, flags=0%o)", op, req.nodeid, NameOf(w, req.name), req.flags);
    case Opcode::kCompound: {
      std::string s = absl::StrCat(op, "(");
      for (size_t i = 0; i < req.parts.size(); ++i) {
        const Request& p = req.parts[i];
        std::string part =
            p.dep >= 0 ? absl::StrFormat("%s(nodeid=<part %d>)", OpcodeName(p.opcode), p.dep) : DescribeRequest(w, p);
        absl::StrAppend(&s, i ? ", " : "", part);
      }
      return s + ")";
    }
    case Opcode::kCreate:
    case Opcode::kAtomicCreate:
    case Opcode::kCreateExt:
    case Opcode::kOpenAtomic:
      return absl::StrFormat("%s(parent=%d, name=%s, flags=0%o)", op, req.nodeid, NameOf(w, req.name), req.flags);
    case Opcode::kRename:
    case Opcode::kRename2:
      return absl::StrFormat("%s(parent=%d, name=%s, newparent=%d, newname=%s)", op, req.nodeid, NameOf(w, req.name),
                             req.newdir, NameOf(w, req.newname));
    case Opcode::kForget:
    case Opcode::kBatchForget: {
      std::string s = absl::StrCat(op, "(");
      for (size_t i = 0; i < req.forgets.size(); ++i)
        absl::StrAppendFormat(&s, "%s%d nlookup=%d", i ? ", " : "", req.forgets[i].first, req.forgets[i].second);
      return s + ")";
    }
    case Opcode::kFlush:
    case Opcode::kRelease:
    case Opcode::kReleasedir:
      return absl::StrFormat("%s(nodeid=%d, fh=%d)", op, req.nodeid, req.fh);
    case Opcode::kSymlink: {
      std::string target = req.link_abs ? "/" : "";
      for (size_t i = 0; i < req.link.size(); ++i) absl::StrAppend(&target, i ? "/" : "", NameOf(w, req.link[i]));
      return absl::StrFormat("%s(parent=%d, name=%s, target=%s)", op, req.nodeid, NameOf(w, req.name), target);
    }
    case Opcode::kLink:
      return absl::StrFormat("%s(nodeid=%d, newparent=%d, newname=%s)", op, req.oldnodeid, req.nodeid,
                             NameOf(w, req.name));
    case Opcode::kSetattr: {
      std::string s = absl::StrFormat("%s(nodeid=%d", op, req.nodeid);
      if ((req.valid & kFattrMode) != 0) absl::StrAppendFormat(&s, ", mode=0%o", req.mode);
      if ((req.valid & kFattrSize) != 0) absl::StrAppendFormat(&s, ", size=%d", req.size);
      return s + ")";
    }
    default:
      return absl::StrFormat("%s(nodeid=%d)", op, req.nodeid);
  }
}

std::string DescribeReply(const Request& req, const Reply& r) {
  if (r.err != Err::kOk) return absl::StrCat("-> ", std::string(ErrName(r.err)));
  switch (req.opcode) {
    case Opcode::kCompound: {
      std::string s = "-> [";
      for (size_t i = 0; i < r.parts.size() && i < req.parts.size(); ++i)
        s += absl::StrCat(i ? ", " : "", std::string(OpcodeName(req.parts[i].opcode)), " ",
                          DescribeReply(req.parts[i], r.parts[i]));
      return s + "]";
    }
    case Opcode::kLookup:
    case Opcode::kLookupHandle:
    case Opcode::kLookupx:
      if (r.nodeid == 0) return absl::StrFormat("-> negative entry_valid=%dus", r.entry_valid_us);
      return absl::StrFormat("-> nodeid=%d%s", r.nodeid, r.is_dir ? " (dir)" : "");
    case Opcode::kCreate:
    case Opcode::kAtomicCreate:
    case Opcode::kCreateExt:
    case Opcode::kOpenAtomic:
      return absl::StrFormat("-> nodeid=%d fh=%d %s", r.nodeid, r.fh,
                             r.file_created ? "(created)" : "(opened existing)");
    case Opcode::kMknod:
    case Opcode::kMkdir:
    case Opcode::kSymlink:
    case Opcode::kLink:
      return absl::StrFormat("-> nodeid=%d nlink=%d", r.nodeid, r.nlink);
    case Opcode::kReadlink:
      return absl::StrFormat("-> %d component(s)%s", r.link.size(), r.link_abs ? ", absolute" : "");
    case Opcode::kMkobjx:
    case Opcode::kMkobjHandle:
      return absl::StrFormat("-> nodeid=%d", r.nodeid);
    case Opcode::kOpen:
    case Opcode::kOpendir:
      return absl::StrFormat("-> fh=%d", r.fh);
    default:
      return "-> ok";
  }
}

sim::Task<Reply> FuseSimpleRequest(Kctx& k, Request req) {
  const int idx = OpcodeIndex(req.opcode);
  k.w.CountRequest(req.opcode, k.op, /*waited=*/true);
  if (k.w.tracing) k.w.Trace(k.a.index, "request", DescribeRequest(k.w, req));
  co_await sim::Point(k.a, Labels().handle[idx].c_str());
  k.w.current_op = k.op;
  Reply r = k.w.server.Handle(req, k.m.index, k.m.config.timeouts, k.a);
  co_await sim::Point(k.a, Labels().reply[idx].c_str());
  k.w.current_op = k.op;
  sim::Clock latency = k.w.server.Latency(req.opcode);
  if (req.opcode == Opcode::kCompound) {
    // One round trip: COMPOUND's own latency is the transport; each part adds
    // what its opcode costs beyond that.
    for (const Request& p : req.parts) {
      const sim::Clock part = k.w.server.Latency(p.opcode);
      if (part > k.w.server.Latency(Opcode::kCompound)) latency += part - k.w.server.Latency(Opcode::kCompound);
    }
  }
  k.a.clock += latency;
  k.w.waited_us += latency;
  if (k.w.tracing) k.w.Trace(k.a.index, "reply", DescribeRequest(k.w, req) + " " + DescribeReply(req, r));
  k.changed_dir[0] = k.changed_dir[1] = 0;
  if (r.err == Err::kOk && r.changed_dir) {
    k.changed_dir[0] = req.nodeid;
    if (req.opcode == Opcode::kRename || req.opcode == Opcode::kRename2) k.changed_dir[1] = req.newdir;
  }
  if (r.err == Err::kOk && r.file_created) k.rec().server_created = true;
  co_return r;
}

void FuseQueueBackground(Kctx& k, Request req, InodeId holds_inode) {
  QueuedRequest q;
  q.req = std::move(req);
  if (holds_inode != kNoInode) {
    k.m.inodes.Ihold(holds_inode);
    q.holds_inode = holds_inode;
  }
  q.op = k.op;
  q.at = k.a.clock;
  k.a.Touch(MakeKey(KeyKind::kAsyncQueue, k.m.index, 0), true);
  sim::Counter& channel = q.req.opcode == Opcode::kForget ? k.m.forgets : k.m.requests;
  // The daemon, idle in read(), takes a request queued into an empty queue
  // at once (on io_uring, the ring's reader: no other request queued).
  q.alone = k.m.config.io_uring ? k.m.requests.value == 0 : k.m.async.empty();
  k.m.async.push_back(std::move(q));
  k.m.pending.value++;
  k.m.pending.last_at = std::max(k.m.pending.last_at, k.a.clock);
  channel.value++;
  channel.last_at = std::max(channel.last_at, k.a.clock);
}

sim::Task<void> AsyncDelivery(World& w, Mount& m, sim::Actor& a, AsyncChannel channel) {
  const sim::Counter& wait_on = channel == AsyncChannel::kAll       ? m.pending
                                : channel == AsyncChannel::kForgets ? m.forgets
                                                                    : m.requests;
  const char* what =
      channel == AsyncChannel::kForgets ? "server reads a FORGET from /dev/fuse" : "server reads a background request";
  for (;;) {
    co_await sim::WaitNonZero(a, wait_on, what);
    a.Touch(MakeKey(KeyKind::kAsyncQueue, m.index, 0), true);
    // fuse_dev_do_read(): a daemon that finds FORGETs and pending requests
    // (RELEASE, RELEASEDIR) queued reads the FORGETs first, whatever the
    // order they were queued in (the forget_batch fairness of 16 is not
    // modelled: the model queues fewer). A request queued into an empty
    // queue was taken at once by the idle daemon, before anything queued
    // after it (a close queues its RELEASE, then the FORGET of the inode it
    // let go: the real server sees RELEASE, FORGET).
    // On io_uring the ring's reader sees no FORGET and the /dev/fuse reader
    // nothing else.
    auto is_forget = [](const QueuedRequest& x) { return x.req.opcode == Opcode::kForget; };
    auto next = channel == AsyncChannel::kRing ? std::find_if_not(m.async.begin(), m.async.end(), is_forget)
                : channel == AsyncChannel::kAll && m.async.front().alone
                    ? m.async.begin()
                    : std::find_if(m.async.begin(), m.async.end(), is_forget);
    if (next == m.async.end()) next = m.async.begin();  // kAll: no FORGET queued
    QueuedRequest q = std::move(*next);
    m.async.erase(next);
    m.pending.value--;
    (is_forget(q) ? m.forgets : m.requests).value--;
    if (q.req.opcode == Opcode::kForget && !q.alone) {
      // fuse_read_batch_forget(): every FORGET queued by now travels at once.
      for (auto it = m.async.begin(); it != m.async.end();) {
        if (it->req.opcode == Opcode::kForget) {
          q.req.forgets.push_back(it->req.forgets.front());
          it = m.async.erase(it);
          m.pending.value--;
          m.forgets.value--;
        } else {
          ++it;
        }
      }
      if (q.req.forgets.size() > 1) q.req.opcode = Opcode::kBatchForget;
    }
    a.SyncClock(q.at);
    w.current_op = q.op;
    w.CountRequest(q.req.opcode, q.op, /*waited=*/false);
    w.server.Handle(q.req, m.index, m.config.timeouts, a);
    if (w.tracing) w.Trace(a.index, "async", DescribeRequest(w, q.req));
    a.clock += w.server.Latency(q.req.opcode);
    if (q.holds_inode != kNoInode) {
      // fuse_release_end(): the reply drops the RELEASE's inode reference;
      // the last one evicts the inode and queues its FORGET.
      m.inodes.Iput(q.holds_inode, q.op);
    }
  }
}

}  // namespace fusesim::model
