// A real FUSE server for the oracle: libfuse3's low-level API over an
// in-memory namespace that is model/server.cc itself.
//
// Three pieces:
//  - RequestLog: every request the kernel sends, in arrival order, with a
//    sequence number and the tag (scenario op) that was current when it
//    arrived. Thread-safe; the driver waits on it for quiet.
//  - Namespace: the model's server (model::Server: files and directories,
//    lookup counts per mount, open handles) behind a mutex, with names as
//    strings. One Namespace serves every mount of a scenario, as in the
//    model; server-side ops ("another client") change it directly.
//  - FuseServer: one mount (one FUSE connection) of that namespace, with that
//    mount's timeouts. Mounted with a raw mount(2) on a directory the caller
//    owns, fuse_session_custom_io() (so that every request is seen before
//    libfuse dispatches it, including the ones it answers ENOSYS itself), and
//    a dedicated thread running the single-threaded fuse_session_loop() (as
//    in the traces; a gated replay needs the multi-threaded loop, see
//    MountOptions::gated).
//
// Behaviour: the model's server (model/server.h) decides every reply, so the
// two cannot drift apart. What is the oracle's own: LOOKUP of a missing name
// is ENOENT, or nodeid 0 with entry_timeout = the mount's negative timeout
// when that is > 0; no getxattr handler unless server.xattr or an error rule
// needs one (or the replay is gated), so GETXATTR is answered ENOSYS by
// libfuse as in the real traces.
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
  // RELEASE/RELEASEDIR, which the kernel sends on its own (pid 0), wait at
  // the gate too (not their replies), so that a gated replay decides when
  // each is answered: the reply drops the inode reference the request held
  // (fuse_release_end()). Lets the one with handle `fh` through once it is
  // waiting (at most `max`) and returns its index.
  std::optional<size_t> ReleaseHeldRelease(uint64_t fh, std::chrono::milliseconds max);
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
  std::set<size_t> waiting_;           // at the gate
  std::set<size_t> waiting_releases_;  // RELEASE/RELEASEDIR (pid 0) at the gate
  std::set<size_t> released_;
  std::set<size_t> reply_waiting_;
  std::set<size_t> reply_released_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

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

// The namespace the mounts serve is the model's own server
// (model::Server, model/server.h): one for every mount of a scenario, as in
// the model, behind a mutex (a gated replay's loop is multi-threaded). This
// class only translates: the kernel's requests into model::Request (names
// interned in a copy of the scenario's name table, so node ids, handles,
// names and READDIR's order are the model's), model::Reply into what the
// libfuse handlers send. How the server behaves (ENOSYS for unsupported
// opcodes, error rules, create_existing, open_unlinked, when a node is
// freed) is decided by model::Server alone, so the oracle compares the
// model's kernel with the real one and nothing else.
class Namespace {
 public:
  Namespace(const model::ServerConfig& config, model::NameTable names, int num_mounts);

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
  // name of the request's opcode ("MKNOD", "RELEASEDIR", ...).
  // LOOKUP of a missing name succeeds with out->ino == 0: the caller answers
  // ENOENT or a negative entry, by its mount's negative timeout.
  int Lookup(int mount, uint64_t parent, const std::string& name, EntryOut* out);
  int CreateFile(int mount, uint64_t parent, const std::string& name, int flags, EntryOut* out);
  int MakeNode(int mount, const char* opcode, uint64_t parent, const std::string& name, bool is_dir, EntryOut* out);
  int Remove(const char* opcode, uint64_t parent, const std::string& name);
  int Rename(uint64_t olddir, const std::string& oldname, uint64_t newdir, const std::string& newname,
             unsigned int flags);
  int Open(int mount, const char* opcode, uint64_t ino, uint64_t* fh);
  int Attr(const char* opcode, uint64_t ino, EntryOut* out);
  int Release(const char* opcode, uint64_t ino, uint64_t fh);
  int Simple(const char* opcode, uint64_t ino);  // FLUSH
  int Symlink(int mount, uint64_t parent, const std::string& name, const std::string& target, EntryOut* out);
  int Link(int mount, uint64_t ino, uint64_t newparent, const std::string& newname, EntryOut* out);
  // The target as it was written (SYMLINK's argument, the scenario's text).
  int Readlink(uint64_t ino, std::string* target);
  // READDIR/READDIRPLUS from `offset` into a buffer of `size` bytes: ".",
  // "..", then the children by name, as many as fit (model::Server decides,
  // and for READDIRPLUS takes the lookup count of each entry it returns).
  struct DirEntry {
    std::string name;
    EntryOut entry;     // ino 0 for . and ..
    uint64_t next = 0;  // the offset of the entry after it
  };
  int Readdir(int mount, const char* opcode, uint64_t ino, uint64_t offset, uint64_t size, std::vector<DirEntry>* out);
  // SETATTR: FUSE_SET_ATTR_MODE changes the mode; then the attributes.
  int Setattr(uint64_t ino, bool set_mode, uint32_t mode, EntryOut* out);
  int Getxattr(uint64_t ino);
  // FORGET / BATCH_FORGET: (nodeid, nlookup) pairs.
  void Forget(int mount, const std::vector<std::pair<uint64_t, uint64_t>>& forgets);

  // As model::Server::NotifyTarget(): the parent's node and the node the
  // name has or last had; false if the parent does not resolve.
  bool NotifyTarget(const std::vector<std::string>& path, uint64_t* parent, uint64_t* child) const;

  // For tests and reports.
  uint64_t Resolve(const std::vector<std::string>& path) const;
  uint64_t LookupCount(int mount, uint64_t ino) const;
  size_t OpenHandles() const;
  // A getxattr handler is needed (else libfuse answers ENOSYS itself).
  bool NeedsGetxattrHandler() const;

 private:
  // Under mu_.
  std::vector<model::NameId> Ids(const std::vector<std::string>& path);
  std::vector<model::NameId> Known(const std::vector<std::string>& path) const;
  model::Reply Serve(const model::Request& req, int mount);
  void Fill(const model::Reply& r, EntryOut* out) const;
  static std::optional<model::Opcode> Op(const char* opcode);

  mutable std::mutex mu_;
  model::ServerConfig config_;
  model::NameTable names_;
  model::Server server_;
  std::map<uint64_t, std::string> link_text_;  // symlink node -> target as written
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
  // Shared with the loop thread, which outlives this object when Unmount()
  // has to detach it.
  std::shared_ptr<std::atomic<bool>> loop_done_ = std::make_shared<std::atomic<bool>>(false);
  bool mounted_ = false;
  std::atomic<uint64_t> init_unique_{0};
  pid_t pid_ = 0;
  int fd_ = -1;  // /dev/fuse
};

}  // namespace fusesim::oracle

#endif  // FUSESIM_ORACLE_FUSE_SERVER_H_
