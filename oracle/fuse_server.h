// A real FUSE server for the oracle: libfuse3's low-level API over an
// in-memory namespace that behaves like model/server.cc.
//
// Three pieces:
//  - RequestLog: every request the kernel sends, in arrival order, with a
//    sequence number and the tag (scenario op) that was current when it
//    arrived. Thread-safe; the driver waits on it for quiet.
//  - Namespace: the files and directories, lookup counts per mount (as
//    passthrough_ll keeps them) and open handles. One Namespace serves every
//    mount of a scenario, like the model's one Server; server-side ops
//    ("another client") change it directly.
//  - FuseServer: one mount (one FUSE connection) of that namespace, with that
//    mount's timeouts. Mounted with a raw mount(2) on a directory the caller
//    owns, fuse_session_custom_io() (so that every request is seen before
//    libfuse dispatches it, including the ones it answers ENOSYS itself), and
//    a dedicated thread running the single-threaded fuse_session_loop() (as
//    in the traces; a gated replay needs the multi-threaded loop, see
//    MountOptions::gated).
//
// Behaviour (docs/scenario-format.md "Server"): LOOKUP of a missing name is
// ENOENT, or nodeid 0 with entry_timeout = negative timeout when that is > 0;
// CREATE opens an existing file unless O_EXCL (EEXIST), or answers EEXIST with
// create_existing "eexist"; a directory name answers EISDIR; no getxattr
// handler unless server.xattr (ENODATA) or an error rule needs one, so GETXATTR
// is answered ENOSYS by libfuse as in the real traces; opcodes listed in
// server.unsupported answer ENOSYS; server.errors rules fire by opcode, path
// and count, after the ENOSYS check, exactly as in the model.
#ifndef FUSESIM_ORACLE_FUSE_SERVER_H_
#define FUSESIM_ORACLE_FUSE_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "absl/status/status.h"
#include "model/mount.h"
#include "model/names.h"
#include "model/server.h"

struct fuse_session;
struct iovec;

namespace fusesim::oracle {

// Tags for requests that belong to no scenario op.
inline constexpr int kTagMount = -1;     // INIT, the root's GETATTR
inline constexpr int kTagTeardown = -2;  // after the last op, before unmount
// Exit-time closes of thread t are tagged kTagExitBase - t.
inline constexpr int kTagExitBase = -10;

// The FUSE opcode's name as fusesim spells it ("LOOKUP", "BATCH_FORGET");
// opcodes fusesim does not model keep their uapi name ("STATFS", "INIT").
std::string FuseOpcodeName(uint32_t opcode);
// "ENOENT" for ENOENT (the <errno.h> name, as fusesim reports errors).
std::string ErrnoName(int err);

struct LoggedRequest {
  uint64_t seq = 0;  // 1-based arrival order over all mounts
  int mount = 0;
  uint32_t opcode = 0;
  std::string name;  // FuseOpcodeName(opcode)
  uint64_t unique = 0;
  uint64_t nodeid = 0;
  uint32_t pid = 0;      // 0: sent by the kernel on its own (RELEASE, FORGET)
  bool foreign = false;  // from a process other than ours
  std::string args;      // "parent=1 name=s1", "ino=2 fh=1", ...
  std::string reply;     // "ok", "ENOENT", "ino=2", "negative", "-" (no reply)
  bool replied = false;
  // FLUSH/RELEASE/RELEASEDIR: the handle in the request; OPEN/OPENDIR/CREATE:
  // the handle in the reply.
  uint64_t fh = 0;
  bool held = false;  // waited at the gate
  int tag = kTagMount;
  int64_t at_us = 0;  // since the log was created
  // "LOOKUP(parent=1 name=s1) -> negative"
  std::string Text() const;
};

class RequestLog {
 public:
  RequestLog();
  // Called by the server thread for every request read from /dev/fuse.
  // Returns the entry's index.
  size_t Append(LoggedRequest r);
  void SetArgs(size_t index, std::string args);
  // A handler's description of its reply ("ino=3", "negative").
  void SetReply(size_t index, std::string reply);
  // The error a reply carried (by unique), when no handler described it.
  void SetReplyError(int mount, uint64_t unique, int error);
  void SetReplyFh(size_t index, uint64_t fh);
  // Requests arriving from now on carry this tag, unless their pid has a tag
  // of its own (SetThreadTag: one driver thread per scenario thread).
  void SetTag(int tag);
  int tag() const;
  void SetThreadTag(pid_t tid, int tag);

  // The gate (gated replay), in two phases as the model has them: while
  // enabled, a request from a thread with a thread tag waits before its
  // handler runs until Release() (the model's server handles it), and its
  // reply, computed, waits before it is written until ReleaseReply() (the
  // model's thread takes the reply). Disabling releases everything.
  void EnableGate(bool on);
  void Hold(size_t index);
  void Release(size_t index);
  void HoldReply(int mount, uint64_t unique);
  void ReleaseReply(size_t index);
  bool WaitReplyHeld(size_t index, std::chrono::milliseconds max) const;
  // The oldest request of `tid` waiting at the gate.
  std::optional<size_t> HeldFrom(pid_t tid) const;
  std::optional<size_t> WaitHeld(pid_t tid, std::chrono::milliseconds max) const;
  bool WaitReplied(size_t index, std::chrono::milliseconds max) const;
  LoggedRequest Get(size_t index) const;
  std::vector<LoggedRequest> Snapshot() const;
  size_t size() const;
  // Waits until no request has arrived for `quiet` (counted from the later of
  // the call and the last arrival), at most `max`. True if quiet was reached.
  bool WaitQuiet(std::chrono::milliseconds quiet, std::chrono::milliseconds max) const;
  // Waits until at least n requests were logged, at most `max`.
  bool WaitForCount(size_t n, std::chrono::milliseconds max) const;
  int64_t NowUs() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<LoggedRequest> entries_;
  std::map<std::pair<int, uint64_t>, size_t> by_unique_;
  int tag_ = kTagMount;
  std::map<pid_t, int> thread_tags_;
  bool gate_ = false;
  std::set<size_t> waiting_;  // at the gate
  std::set<size_t> released_;
  std::set<size_t> reply_waiting_;
  std::set<size_t> reply_released_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

// The server block of a scenario, with names resolved to strings.
struct ServerBehaviour {
  std::set<std::string> unsupported;  // opcode names
  struct Rule {
    std::string opcode;
    bool any_path = true;
    std::vector<std::string> path;
    int err = 5;    // errno value
    int times = 0;  // 0: unlimited
  };
  std::vector<Rule> errors;
  bool create_eexist = false;
  model::OpenUnlinked open_unlinked = model::OpenUnlinked::kOpen;
  bool xattr = false;
};
ServerBehaviour BehaviourFromConfig(const model::ServerConfig& c, const model::NameTable& names);

// What a reply to a name-creating or name-resolving request carries.
struct EntryOut {
  uint64_t ino = 0;  // 0: negative entry
  bool is_dir = false;
  bool linked = true;
  uint64_t fh = 0;
  bool created = false;
  bool is_symlink = false;
  uint32_t nlink = 1;  // st_nlink (hard links; 2 for a directory, 0 once unlinked)
  uint32_t mode = 0644;
  uint64_t mtime = 0;  // seconds after a fixed epoch: a directory's change count
};

class Namespace {
 public:
  Namespace(ServerBehaviour b, int num_mounts);

  // Before the run: creates path (and missing parents as directories).
  void AddPath(const std::vector<std::string>& path, bool is_dir);

  // Out-of-band changes ("another client"); errno values, 0 on success.
  int RemoteCreate(const std::vector<std::string>& path);
  int RemoteMkdir(const std::vector<std::string>& path);
  int RemoteUnlink(const std::vector<std::string>& path);
  int RemoteRmdir(const std::vector<std::string>& path);
  int RemoteRename(const std::vector<std::string>& from, const std::vector<std::string>& to);
  int RemoteSymlink(const std::vector<std::string>& path, const std::string& target);
  int RemoteLink(const std::vector<std::string>& from, const std::vector<std::string>& to);
  int RemoteChmod(const std::vector<std::string>& path, uint32_t mode);

  // Request handling (errno values; 0 = success). `opcode` is the fusesim
  // name, for ENOSYS and error rules.
  int Lookup(int mount, uint64_t parent, const std::string& name, EntryOut* out);
  int CreateFile(int mount, uint64_t parent, const std::string& name, int flags, EntryOut* out);
  int MakeNode(int mount, const char* opcode, uint64_t parent, const std::string& name, bool is_dir, EntryOut* out);
  int Remove(const char* opcode, uint64_t parent, const std::string& name);
  int Rename(uint64_t olddir, const std::string& oldname, uint64_t newdir, const std::string& newname);
  int Open(int mount, const char* opcode, uint64_t ino, uint64_t* fh);
  int Attr(const char* opcode, uint64_t ino, EntryOut* out);
  int Release(const char* opcode, uint64_t ino, uint64_t fh);
  int Simple(const char* opcode, uint64_t ino);  // FLUSH: only ENOSYS/errors
  int Symlink(int mount, uint64_t parent, const std::string& name, const std::string& target, EntryOut* out);
  int Link(int mount, uint64_t ino, uint64_t newparent, const std::string& newname, EntryOut* out);
  int Readlink(uint64_t ino, std::string* target);
  // READDIR/READDIRPLUS from `offset`: ".", "..", then the children by name
  // (no lookup counts taken: see Ref()).
  struct DirEntry {
    std::string name;
    EntryOut entry;  // ino 0 for . and ..
    bool is_dir = false;
  };
  int Readdir(const char* opcode, uint64_t ino, uint64_t offset, std::vector<DirEntry>* out);
  // The lookup count a READDIRPLUS entry sent to the kernel takes.
  void Ref(int mount, uint64_t ino);
  // SETATTR: FUSE_SET_ATTR_MODE changes the mode; then the attributes.
  int Setattr(uint64_t ino, bool set_mode, uint32_t mode, EntryOut* out);
  int Getxattr(uint64_t ino);
  void Forget(int mount, uint64_t ino, uint64_t nlookup);

  // As model::Server::NotifyTarget(): the parent's node and the node the
  // name has or last had; false if the parent does not resolve.
  bool NotifyTarget(const std::vector<std::string>& path, uint64_t* parent, uint64_t* child) const;

  // For tests and reports.
  uint64_t Resolve(const std::vector<std::string>& path) const;
  uint64_t LookupCount(int mount, uint64_t ino) const;
  size_t OpenHandles() const;
  bool NeedsGetxattrHandler() const;

 private:
  struct Node {
    bool exists = false;
    bool is_dir = false;
    bool linked = false;
    bool is_symlink = false;
    std::string target;  // a symlink's
    uint32_t links = 1;  // names pointing at it
    uint32_t mode = 0644;
    uint64_t parent = 0;
    std::string name;
    std::map<std::string, uint64_t> children;
    uint64_t mtime = 0;             // bumped when a name is added or removed
    std::vector<uint64_t> nlookup;  // per mount
    int open_count = 0;
  };
  Node* Find(uint64_t id);
  uint64_t Child(uint64_t parent, const std::string& name) const;
  uint64_t NewNode(uint64_t parent, const std::string& name, bool is_dir);
  void Unlink(uint64_t parent, const std::string& name);
  void MaybeFree(uint64_t id);
  std::vector<std::string> PathOf(uint64_t id) const;
  uint64_t ResolveLocked(const std::vector<std::string>& path) const;
  // ENOSYS for unsupported opcodes, then the first matching error rule.
  int Check(const char* opcode, uint64_t nodeid, const std::string* name);
  void FillEntry(int mount, uint64_t id, EntryOut* out, bool count);
  int RenameLocked(uint64_t olddir, const std::string& oldname, uint64_t newdir, const std::string& newname);

  mutable std::mutex mu_;
  ServerBehaviour b_;
  int num_mounts_;
  std::vector<Node> nodes_;
  std::map<uint64_t, std::pair<int, uint64_t>> handles_;  // fh -> (mount, node)
  uint64_t next_fh_ = 1;
  std::vector<int> error_uses_;
};

struct MountOptions {
  model::MountTimeouts timeouts;
  bool default_permissions = false;
  // Patch FUSE_PARALLEL_DIROPS into the INIT reply (libfuse < 3.17.1 never
  // passes it although it is in `want`).
  bool parallel_dirops = false;
  bool cache_symlinks = false;  // FUSE_CAP_CACHE_SYMLINKS in the INIT reply
  // off: no readdirplus handler and no FUSE_CAP_READDIRPLUS; auto: both
  // READDIRPLUS capabilities (libfuse's default with a handler); on:
  // FUSE_CAP_READDIRPLUS without FUSE_CAP_READDIRPLUS_AUTO.
  model::ReaddirPlus readdirplus = model::ReaddirPlus::kOff;
  bool debug = false;  // libfuse's own log to stderr
  // Gated replay: a multi-threaded loop (a request held at the gate must not
  // stop the others from being read), and a getxattr handler so that every
  // request reaches the gate (it answers what libfuse would).
  bool gated = false;
};

class FuseServer {
 public:
  FuseServer(std::shared_ptr<Namespace> ns, std::shared_ptr<RequestLog> log, int mount, MountOptions opts);
  ~FuseServer();  // unmounts
  FuseServer(const FuseServer&) = delete;
  FuseServer& operator=(const FuseServer&) = delete;

  // Mounts on `mountpoint` (an existing empty directory), starts the loop
  // thread and waits for INIT (stat of the root, which also sends the root's
  // GETATTR). Unavailable if /dev/fuse or mount(2) is not usable.
  absl::Status Mount(const std::string& mountpoint);
  // Unmounts (falling back to a forced, lazy unmount) and joins the thread.
  // Idempotent.
  absl::Status Unmount();
  // Aborts the connection (blocked syscalls return ENOTCONN) and detaches
  // the mount. Safe to call from another thread.
  void Abort();
  const std::string& mountpoint() const { return mountpoint_; }
  bool mounted() const { return mounted_; }

  // Called by the session's custom I/O (public for the C callbacks).
  ssize_t OnRead(int fd, void* buf, size_t len);
  ssize_t OnWritev(int fd, struct iovec* iov, int count);
  Namespace& ns() { return *ns_; }
  RequestLog& log() { return *log_; }
  int mount_index() const { return mount_; }
  const MountOptions& options() const { return opts_; }
  // The log entry of the request this worker thread is handling.
  size_t current() const;

  // Notifications to the kernel (fuse_lowlevel_notify_*; INC_EPOCH, which
  // libfuse 3.14 has no call for, as a bare fuse_out_header): 0 or the
  // errno the kernel answered the write with.
  int NotifyInvalEntry(uint64_t parent, const std::string& name);
  int NotifyDelete(uint64_t parent, uint64_t child, const std::string& name);
  int NotifyInvalInode(uint64_t ino);
  int NotifyIncEpoch();

 private:
  std::shared_ptr<Namespace> ns_;
  std::shared_ptr<RequestLog> log_;
  int mount_;
  MountOptions opts_;
  std::string mountpoint_;
  struct fuse_session* se_ = nullptr;
  std::thread loop_;
  std::atomic<bool> loop_done_{false};
  bool mounted_ = false;
  std::atomic<uint64_t> init_unique_{0};
  pid_t pid_ = 0;
  int fd_ = -1;  // /dev/fuse
};

}  // namespace fusesim::oracle

#endif  // FUSESIM_ORACLE_FUSE_SERVER_H_
