#include "oracle/fuse_server.h"

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/opcode.h"

namespace fusesim::oracle {

// ---------------------------------------------------------------- names ----

std::string FuseOpcodeName(uint32_t opcode) {
  switch (opcode) {
    case 1:
      return "LOOKUP";
    case 2:
      return "FORGET";
    case 3:
      return "GETATTR";
    case 4:
      return "SETATTR";
    case 5:
      return "READLINK";
    case 6:
      return "SYMLINK";
    case 8:
      return "MKNOD";
    case 9:
      return "MKDIR";
    case 10:
      return "UNLINK";
    case 11:
      return "RMDIR";
    case 12:
      return "RENAME";
    case 13:
      return "LINK";
    case 14:
      return "OPEN";
    case 15:
      return "READ";
    case 16:
      return "WRITE";
    case 17:
      return "STATFS";
    case 18:
      return "RELEASE";
    case 20:
      return "FSYNC";
    case 21:
      return "SETXATTR";
    case 22:
      return "GETXATTR";
    case 23:
      return "LISTXATTR";
    case 24:
      return "REMOVEXATTR";
    case 25:
      return "FLUSH";
    case 26:
      return "INIT";
    case 27:
      return "OPENDIR";
    case 28:
      return "READDIR";
    case 29:
      return "RELEASEDIR";
    case 30:
      return "FSYNCDIR";
    case 31:
      return "GETLK";
    case 32:
      return "SETLK";
    case 33:
      return "SETLKW";
    case 34:
      return "ACCESS";
    case 35:
      return "CREATE";
    case 36:
      return "INTERRUPT";
    case 37:
      return "BMAP";
    case 38:
      return "DESTROY";
    case 39:
      return "IOCTL";
    case 40:
      return "POLL";
    case 41:
      return "NOTIFY_REPLY";
    case 42:
      return "BATCH_FORGET";
    case 43:
      return "FALLOCATE";
    case 44:
      return "READDIRPLUS";
    case 45:
      return "RENAME2";
    case 46:
      return "LSEEK";
    case 47:
      return "COPY_FILE_RANGE";
    case 48:
      return "SETUPMAPPING";
    case 49:
      return "REMOVEMAPPING";
    case 50:
      return "SYNCFS";
    case 51:
      return "TMPFILE";
    case 52:
      return "STATX";
    case 53:
      return "COPY_FILE_RANGE_64";
    case 4096:
      return "CUSE_INIT";
  }
  return absl::StrCat("OPCODE_", opcode);
}

std::string ErrnoName(int err) {
  if (err == 0) return "ok";
  const char* n = strerrorname_np(err);
  return n != nullptr ? std::string(n) : absl::StrCat("E", err);
}

std::string LoggedRequest::Text() const {
  std::string s = absl::StrCat(name, "(", args, ")");
  if (opcode == 2 || opcode == 42) return s;  // FORGET, BATCH_FORGET: no reply
  return absl::StrCat(s, " -> ", reply.empty() ? "?" : reply);
}

// ------------------------------------------------------------------ log ----

RequestLog::RequestLog() : start_(std::chrono::steady_clock::now()), last_(start_) {}

int64_t RequestLog::NowUs() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count();
}

size_t RequestLog::Append(LoggedRequest r) {
  std::lock_guard<std::mutex> l(mu_);
  last_ = std::chrono::steady_clock::now();
  r.seq = entries_.size() + 1;
  auto tt = thread_tags_.find(static_cast<pid_t>(r.pid));
  r.tag = tt != thread_tags_.end() ? tt->second : tag_;
  r.at_us = std::chrono::duration_cast<std::chrono::microseconds>(last_ - start_).count();
  const size_t index = entries_.size();
  by_unique_[{r.mount, r.unique}] = index;
  entries_.push_back(std::move(r));
  cv_.notify_all();
  return index;
}

void RequestLog::SetArgs(size_t index, std::string args) {
  std::lock_guard<std::mutex> l(mu_);
  if (index < entries_.size()) entries_[index].args = std::move(args);
}

void RequestLog::SetReply(size_t index, std::string reply) {
  std::lock_guard<std::mutex> l(mu_);
  if (index < entries_.size()) entries_[index].reply = std::move(reply);
}

void RequestLog::SetReplyError(int mount, uint64_t unique, int error) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = by_unique_.find({mount, unique});
  if (it == by_unique_.end()) return;
  LoggedRequest& r = entries_[it->second];
  if (error != 0) {
    r.reply = ErrnoName(error);
  } else if (r.reply.empty()) {
    r.reply = "ok";
  }
  r.replied = true;
  cv_.notify_all();
}

void RequestLog::SetReplyFh(size_t index, uint64_t fh) {
  std::lock_guard<std::mutex> l(mu_);
  if (index < entries_.size()) entries_[index].fh = fh;
}

void RequestLog::SetTag(int tag) {
  std::lock_guard<std::mutex> l(mu_);
  tag_ = tag;
}

void RequestLog::SetThreadTag(pid_t tid, int tag) {
  std::lock_guard<std::mutex> l(mu_);
  thread_tags_[tid] = tag;
}

void RequestLog::EnableGate(bool on) {
  std::lock_guard<std::mutex> l(mu_);
  gate_ = on;
  cv_.notify_all();
}

void RequestLog::Hold(size_t index) {
  std::unique_lock<std::mutex> l(mu_);
  if (!gate_ || index >= entries_.size()) return;
  const pid_t pid = static_cast<pid_t>(entries_[index].pid);
  if (pid == 0 && (entries_[index].opcode == 18 || entries_[index].opcode == 29)) {  // RELEASE, RELEASEDIR
    // Held before its handler only (ReleaseHeldRelease): `held` stays false,
    // so its reply goes out at once.
    waiting_releases_.insert(index);
    cv_.notify_all();
    cv_.wait(l, [&] { return !gate_ || released_.count(index) > 0; });
    waiting_releases_.erase(index);
    cv_.notify_all();
    return;
  }
  if (pid == 0 || thread_tags_.count(pid) == 0) return;
  entries_[index].held = true;
  waiting_.insert(index);
  cv_.notify_all();
  cv_.wait(l, [&] { return !gate_ || released_.count(index) > 0; });
  waiting_.erase(index);
  cv_.notify_all();
}

void RequestLog::Release(size_t index) {
  std::lock_guard<std::mutex> l(mu_);
  released_.insert(index);
  cv_.notify_all();
}

void RequestLog::HoldReply(int mount, uint64_t unique) {
  std::unique_lock<std::mutex> l(mu_);
  auto it = by_unique_.find({mount, unique});
  if (!gate_ || it == by_unique_.end() || !entries_[it->second].held) return;
  const size_t index = it->second;
  reply_waiting_.insert(index);
  cv_.notify_all();
  cv_.wait(l, [&] { return !gate_ || reply_released_.count(index) > 0; });
  reply_waiting_.erase(index);
  cv_.notify_all();
}

void RequestLog::ReleaseReply(size_t index) {
  std::lock_guard<std::mutex> l(mu_);
  reply_released_.insert(index);
  cv_.notify_all();
}

bool RequestLog::WaitReplyHeld(size_t index, std::chrono::milliseconds max) const {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(
      l, max, [&] { return reply_waiting_.count(index) > 0 || (index < entries_.size() && entries_[index].replied); });
}

std::optional<size_t> RequestLog::HeldFrom(pid_t tid) const {
  std::lock_guard<std::mutex> l(mu_);
  for (size_t i : waiting_)
    if (static_cast<pid_t>(entries_[i].pid) == tid && released_.count(i) == 0) return i;
  return std::nullopt;
}

std::optional<size_t> RequestLog::WaitHeld(pid_t tid, std::chrono::milliseconds max) const {
  std::unique_lock<std::mutex> l(mu_);
  std::optional<size_t> found;
  cv_.wait_for(l, max, [&] {
    for (size_t i : waiting_) {
      if (static_cast<pid_t>(entries_[i].pid) == tid && released_.count(i) == 0) {
        found = i;
        return true;
      }
    }
    return false;
  });
  return found;
}

bool RequestLog::WaitReplied(size_t index, std::chrono::milliseconds max) const {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, max, [&] { return index < entries_.size() && entries_[index].replied; });
}

std::optional<size_t> RequestLog::ReleaseHeldRelease(uint64_t fh, std::chrono::milliseconds max) {
  std::unique_lock<std::mutex> l(mu_);
  std::optional<size_t> found;
  cv_.wait_for(l, max, [&] {
    for (size_t i : waiting_releases_) {
      if (entries_[i].fh == fh && released_.count(i) == 0) {
        found = i;
        return true;
      }
    }
    return false;
  });
  if (found) {
    released_.insert(*found);
    cv_.notify_all();
  }
  return found;
}

LoggedRequest RequestLog::Get(size_t index) const {
  std::lock_guard<std::mutex> l(mu_);
  return index < entries_.size() ? entries_[index] : LoggedRequest{};
}

int RequestLog::tag() const {
  std::lock_guard<std::mutex> l(mu_);
  return tag_;
}

std::vector<LoggedRequest> RequestLog::Snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  return entries_;
}

size_t RequestLog::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return entries_.size();
}

bool RequestLog::WaitQuiet(std::chrono::milliseconds quiet, std::chrono::milliseconds max) const {
  std::unique_lock<std::mutex> l(mu_);
  const auto begin = std::chrono::steady_clock::now();
  const auto deadline = begin + max;
  for (;;) {
    const auto from = std::max(begin, last_);
    const auto until = from + quiet;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    if (now >= deadline) return false;
    cv_.wait_until(l, std::min(until, deadline));
  }
}

bool RequestLog::WaitForCount(size_t n, std::chrono::milliseconds max) const {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, max, [&] { return entries_.size() >= n; });
}

// ----------------------------------------------------------- namespace ----

Namespace::Namespace(const model::ServerConfig& config, model::NameTable names, int num_mounts)
    : config_(config), names_(std::move(names)), server_(config, num_mounts) {
  server_.set_names(&names_);
}

std::vector<model::NameId> Namespace::Ids(const std::vector<std::string>& path) {
  std::vector<model::NameId> ids;
  ids.reserve(path.size());
  for (const std::string& n : path) ids.push_back(names_.Intern(n));
  return ids;
}

// A path of names never interned cannot resolve: such a component becomes
// a name no node has.
std::vector<model::NameId> Namespace::Known(const std::vector<std::string>& path) const {
  std::vector<model::NameId> ids;
  ids.reserve(path.size());
  for (const std::string& n : path) ids.push_back(names_.Find(n));
  return ids;
}

std::optional<model::Opcode> Namespace::Op(const char* opcode) { return model::ParseOpcode(opcode); }

model::Reply Namespace::Serve(const model::Request& req, int mount) {
  // The timeouts in the reply are not used: each mount's FuseServer sends
  // its own. A positive negative timeout makes a missing name come back as
  // nodeid 0 rather than ENOENT; the handler decides what to send.
  model::MountTimeouts t;
  t.negative_us = 1;
  return server_.Handle(req, mount, t, model::Caller());
}

void Namespace::Fill(const model::Reply& r, EntryOut* out) const {
  out->ino = r.nodeid;
  out->is_dir = r.is_dir;
  out->is_symlink = r.is_symlink;
  out->nlink = r.nlink;
  out->mtime = r.mtime;
  out->fh = r.fh;
  out->created = r.file_created;
  if (const model::Server::Node* n = server_.Find(r.nodeid); n != nullptr) {
    out->linked = n->linked;
    out->mode = n->mode;
  }
}

void Namespace::AddPath(const std::vector<std::string>& path, bool is_dir) {
  std::lock_guard<std::mutex> l(mu_);
  server_.AddPath(Ids(path), is_dir);
}

uint64_t Namespace::Resolve(const std::vector<std::string>& path) const {
  std::lock_guard<std::mutex> l(mu_);
  return server_.Resolve(Known(path));
}

uint64_t Namespace::LookupCount(int mount, uint64_t ino) const {
  std::lock_guard<std::mutex> l(mu_);
  const model::Server::Node* n = server_.Find(ino);
  if (n == nullptr || mount < 0 || static_cast<size_t>(mount) >= n->nlookup.size()) return 0;
  return n->nlookup[static_cast<size_t>(mount)];
}

size_t Namespace::OpenHandles() const {
  std::lock_guard<std::mutex> l(mu_);
  return server_.handles().size();
}

bool Namespace::NeedsGetxattrHandler() const {
  if (config_.xattr) return true;
  for (const model::ErrorRule& r : config_.errors)
    if (r.opcode == model::Opcode::kGetxattr) return true;
  return false;
}

int Namespace::Lookup(int mount, uint64_t parent, const std::string& name, EntryOut* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = model::Opcode::kLookup;
  req.nodeid = parent;
  req.name = names_.Intern(name);
  const model::Reply r = Serve(req, mount);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  Fill(r, out);
  return 0;
}

int Namespace::CreateFile(int mount, uint64_t parent, const std::string& name, int flags, EntryOut* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = model::Opcode::kCreate;
  req.nodeid = parent;
  req.name = names_.Intern(name);
  req.flags = static_cast<uint32_t>(flags);
  const model::Reply r = Serve(req, mount);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  Fill(r, out);
  return 0;
}

int Namespace::MakeNode(int mount, const char* opcode, uint64_t parent, const std::string& name, bool is_dir,
                        EntryOut* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = is_dir ? model::Opcode::kMkdir : Op(opcode).value_or(model::Opcode::kMknod);
  req.nodeid = parent;
  req.name = names_.Intern(name);
  const model::Reply r = Serve(req, mount);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  Fill(r, out);
  return 0;
}

int Namespace::Remove(const char* opcode, uint64_t parent, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = Op(opcode).value_or(model::Opcode::kUnlink);
  req.nodeid = parent;
  req.name = names_.Intern(name);
  return static_cast<int>(Serve(req, 0).err);
}

int Namespace::Rename(uint64_t olddir, const std::string& oldname, uint64_t newdir, const std::string& newname,
                      unsigned int flags) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  // The kernel sends RENAME2 only with flags (fuse_rename2()).
  req.opcode = flags != 0 ? model::Opcode::kRename2 : model::Opcode::kRename;
  req.nodeid = olddir;
  req.name = names_.Intern(oldname);
  req.newdir = newdir;
  req.newname = names_.Intern(newname);
  req.flags = flags;
  return static_cast<int>(Serve(req, 0).err);
}

int Namespace::Open(int mount, const char* opcode, uint64_t ino, uint64_t* fh) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = Op(opcode).value_or(model::Opcode::kOpen);
  req.nodeid = ino;
  const model::Reply r = Serve(req, mount);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  *fh = r.fh;
  return 0;
}

int Namespace::Attr(const char* opcode, uint64_t ino, EntryOut* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = Op(opcode).value_or(model::Opcode::kGetattr);
  req.nodeid = ino;
  const model::Reply r = Serve(req, 0);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  Fill(r, out);
  return 0;
}

int Namespace::Setattr(uint64_t ino, bool set_mode, uint32_t mode, EntryOut* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = model::Opcode::kSetattr;
  req.nodeid = ino;
  if (set_mode) {
    req.valid = model::kFattrMode;
    req.mode = mode;
  }
  const model::Reply r = Serve(req, 0);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  Fill(r, out);
  return 0;
}

int Namespace::Symlink(int mount, uint64_t parent, const std::string& name, const std::string& target, EntryOut* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = model::Opcode::kSymlink;
  req.nodeid = parent;
  req.name = names_.Intern(name);
  req.link = model::InternPath(names_, target);
  req.link_abs = !target.empty() && target[0] == '/';
  const model::Reply r = Serve(req, mount);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  link_text_[r.nodeid] = target;
  Fill(r, out);
  out->created = true;
  return 0;
}

int Namespace::Link(int mount, uint64_t ino, uint64_t newparent, const std::string& newname, EntryOut* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = model::Opcode::kLink;
  req.nodeid = newparent;
  req.name = names_.Intern(newname);
  req.oldnodeid = ino;
  const model::Reply r = Serve(req, mount);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  Fill(r, out);
  return 0;
}

int Namespace::Readlink(uint64_t ino, std::string* target) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = model::Opcode::kReadlink;
  req.nodeid = ino;
  const model::Reply r = Serve(req, 0);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  if (auto it = link_text_.find(ino); it != link_text_.end()) {
    *target = it->second;
    return 0;
  }
  std::string text = r.link_abs ? "/" : "";
  for (size_t i = 0; i < r.link.size(); ++i) absl::StrAppend(&text, i > 0 ? "/" : "", names_.Name(r.link[i]));
  *target = text;
  return 0;
}

int Namespace::Readdir(int mount, const char* opcode, uint64_t ino, uint64_t offset, uint64_t size,
                       std::vector<DirEntry>* out) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = Op(opcode).value_or(model::Opcode::kReaddir);
  req.nodeid = ino;
  req.offset = offset;
  req.size = size;
  const model::Reply r = Serve(req, mount);
  if (r.err != model::Err::kOk) return static_cast<int>(r.err);
  for (const model::Dirent& d : r.dirents) {
    DirEntry e;
    e.next = d.off;
    if (d.dots != 0) {
      e.name = d.dots == 1 ? "." : "..";
      e.entry.is_dir = true;
    } else {
      e.name = names_.Name(d.name);
      model::Reply attrs;
      attrs.nodeid = d.nodeid;
      attrs.is_dir = d.is_dir;
      attrs.is_symlink = d.is_symlink;
      attrs.nlink = d.nlink;
      if (const model::Server::Node* n = server_.Find(d.nodeid); n != nullptr) attrs.mtime = n->mtime;
      Fill(attrs, &e.entry);
    }
    out->push_back(std::move(e));
  }
  return 0;
}

int Namespace::Release(const char* opcode, uint64_t ino, uint64_t fh) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = Op(opcode).value_or(model::Opcode::kRelease);
  req.nodeid = ino;
  req.fh = fh;
  return static_cast<int>(Serve(req, 0).err);
}

int Namespace::Simple(const char* opcode, uint64_t ino) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = Op(opcode).value_or(model::Opcode::kFlush);
  req.nodeid = ino;
  return static_cast<int>(Serve(req, 0).err);
}

int Namespace::Getxattr(uint64_t ino) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = model::Opcode::kGetxattr;
  req.nodeid = ino;
  return static_cast<int>(Serve(req, 0).err);
}

void Namespace::Forget(int mount, const std::vector<std::pair<uint64_t, uint64_t>>& forgets) {
  std::lock_guard<std::mutex> l(mu_);
  model::Request req;
  req.opcode = forgets.size() > 1 ? model::Opcode::kBatchForget : model::Opcode::kForget;
  req.forgets = forgets;
  Serve(req, mount);
}

bool Namespace::NotifyTarget(const std::vector<std::string>& path, uint64_t* parent, uint64_t* child) const {
  std::lock_guard<std::mutex> l(mu_);
  return server_.NotifyTarget(Known(path), parent, child);
}

int Namespace::RemoteCreate(const std::vector<std::string>& path) {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(server_.RemoteCreate(Ids(path)));
}

int Namespace::RemoteMkdir(const std::vector<std::string>& path) {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(server_.RemoteMkdir(Ids(path)));
}

int Namespace::RemoteUnlink(const std::vector<std::string>& path) {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(server_.RemoteUnlink(Ids(path)));
}

int Namespace::RemoteRmdir(const std::vector<std::string>& path) {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(server_.RemoteRmdir(Ids(path)));
}

int Namespace::RemoteRename(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(server_.RemoteRename(Ids(from), Ids(to)));
}

int Namespace::RemoteSymlink(const std::vector<std::string>& path, const std::string& target) {
  std::lock_guard<std::mutex> l(mu_);
  const std::vector<model::NameId> ids = Ids(path);
  const model::Err e =
      server_.RemoteSymlink(ids, model::InternPath(names_, target), !target.empty() && target[0] == '/');
  if (e == model::Err::kOk) link_text_[server_.Resolve(ids)] = target;
  return static_cast<int>(e);
}

int Namespace::RemoteLink(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(server_.RemoteLink(Ids(from), Ids(to)));
}

int Namespace::RemoteChmod(const std::vector<std::string>& path, uint32_t mode) {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(server_.RemoteChmod(Ids(path), mode));
}

// ------------------------------------------------------------ handlers ----

namespace {

// The log entry of the request the calling worker thread is handling: a
// worker reads a request (OnRead) and then handles it, in the same thread.
thread_local size_t tls_current = 0;

FuseServer* Srv(fuse_req_t req) { return static_cast<FuseServer*>(fuse_req_userdata(req)); }

// A handler's entry: waits at the gate (gated replay) before acting.
FuseServer* Enter(fuse_req_t req) {
  FuseServer* s = Srv(req);
  s->log().Hold(s->current());
  return s;
}

double Seconds(sim::Clock us) { return static_cast<double>(us) / 1e6; }

void FillStat(const EntryOut& o, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  st->st_ino = o.ino;
  st->st_mode = (o.is_dir ? S_IFDIR : o.is_symlink ? S_IFLNK : S_IFREG) | o.mode;
  st->st_nlink = o.nlink;
  st->st_uid = 0;
  st->st_gid = 0;
  st->st_blksize = 4096;
  // Fixed times, except that a directory's mtime and ctime move by a second
  // whenever a name in it is added or removed (as the model's server does):
  // the readdir cache of a no-OPENDIR server checks the mtime.
  st->st_atim.tv_sec = 1700000000;
  st->st_mtim.tv_sec = st->st_ctim.tv_sec = static_cast<time_t>(1700000000 + o.mtime);
}

fuse_entry_param Entry(FuseServer* s, const EntryOut& o) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.ino = o.ino;
  e.generation = 0;
  FillStat(o, &e.attr);
  e.attr_timeout = Seconds(s->options().timeouts.attr_us);
  e.entry_timeout = Seconds(s->options().timeouts.entry_us);
  return e;
}

void Note(FuseServer* s, std::string reply) { s->log().SetReply(s->current(), std::move(reply)); }

void ReplyErr(FuseServer* s, fuse_req_t req, int err) {
  Note(s, ErrnoName(err));
  fuse_reply_err(req, err);
}

void ReplyEntry(FuseServer* s, fuse_req_t req, const EntryOut& o) {
  fuse_entry_param e = Entry(s, o);
  Note(s, absl::StrCat("ino=", o.ino, o.created ? " (created)" : ""));
  fuse_reply_entry(req, &e);
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const int err = s->ns().Lookup(s->mount_index(), parent, name, &o);
  if (err != 0) return ReplyErr(s, req, err);
  if (o.ino != 0) return ReplyEntry(s, req, o);
  const sim::Clock neg = s->options().timeouts.negative_us;
  if (neg == 0) return ReplyErr(s, req, ENOENT);
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.ino = 0;
  e.entry_timeout = Seconds(neg);
  Note(s, absl::StrCat("negative(", neg / 1000.0, "ms)"));
  fuse_reply_entry(req, &e);
}

void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  FuseServer* s = Srv(req);
  s->ns().Forget(s->mount_index(), {{ino, nlookup}});
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t count, struct fuse_forget_data* forgets) {
  FuseServer* s = Srv(req);
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  pairs.reserve(count);
  for (size_t i = 0; i < count; ++i) pairs.emplace_back(forgets[i].ino, forgets[i].nlookup);
  s->ns().Forget(s->mount_index(), pairs);
  fuse_reply_none(req);
}

void AttrReply(fuse_req_t req, fuse_ino_t ino, const char* opcode) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const int err = s->ns().Attr(opcode, ino, &o);
  if (err != 0) return ReplyErr(s, req, err);
  struct stat st;
  FillStat(o, &st);
  Note(s, "ok");
  fuse_reply_attr(req, &st, Seconds(s->options().timeouts.attr_us));
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info*) { AttrReply(req, ino, "GETATTR"); }

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, struct fuse_file_info*) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const bool set_mode = (to_set & FUSE_SET_ATTR_MODE) != 0;
  const int err = s->ns().Setattr(ino, set_mode, set_mode ? attr->st_mode : 0, &o);
  if (err != 0) return ReplyErr(s, req, err);
  struct stat st;
  FillStat(o, &st);
  Note(s, "ok");
  fuse_reply_attr(req, &st, Seconds(s->options().timeouts.attr_us));
}

void OpSymlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const int err = s->ns().Symlink(s->mount_index(), parent, name, link, &o);
  if (err != 0) return ReplyErr(s, req, err);
  ReplyEntry(s, req, o);
}

void OpLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const int err = s->ns().Link(s->mount_index(), ino, newparent, newname, &o);
  if (err != 0) return ReplyErr(s, req, err);
  ReplyEntry(s, req, o);
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) {
  FuseServer* s = Enter(req);
  std::string target;
  const int err = s->ns().Readlink(ino, &target);
  if (err != 0) return ReplyErr(s, req, err);
  Note(s, absl::StrCat("\"", target, "\""));
  // An absolute target means the mount's root (the scenario's paths are all
  // inside the mount, as if the process were chrooted there): this mount's
  // mountpoint goes in front. Crossing into the mount sends nothing.
  if (!target.empty() && target[0] == '/') target = s->mountpoint() + target;
  fuse_reply_readlink(req, target.c_str());
}

void ReaddirReply(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  FuseServer* s = Enter(req);
  std::vector<Namespace::DirEntry> ents;
  const int err =
      s->ns().Readdir(s->mount_index(), plus ? "READDIRPLUS" : "READDIR", ino, static_cast<uint64_t>(off), size, &ents);
  if (err != 0) return ReplyErr(s, req, err);
  std::string buf(size, '\0');
  size_t used = 0;
  int count = 0;
  for (const Namespace::DirEntry& e : ents) {
    const auto next = static_cast<off_t>(e.next);
    size_t n;
    if (plus) {
      fuse_entry_param ep;
      if (e.entry.ino != 0) {
        ep = Entry(s, e.entry);
      } else {
        std::memset(&ep, 0, sizeof(ep));
        ep.attr.st_ino = ino;
        ep.attr.st_mode = S_IFDIR;
      }
      n = fuse_add_direntry_plus(req, buf.data() + used, size - used, e.name.c_str(), &ep, next);
    } else {
      struct stat st;
      if (e.entry.ino != 0) {
        FillStat(e.entry, &st);
      } else {
        std::memset(&st, 0, sizeof(st));
        st.st_ino = ino;
        st.st_mode = S_IFDIR;
      }
      n = fuse_add_direntry(req, buf.data() + used, size - used, e.name.c_str(), &st, next);
    }
    // model::Server sized the entries as libfuse does; one that does not fit
    // would be a lookup count taken for an entry never sent.
    if (n > size - used) {
      std::fprintf(stderr, "fusesim oracle: READDIR entry %s does not fit where the model's server put it\n",
                   e.name.c_str());
      break;
    }
    used += n;
    ++count;
  }
  Note(s, absl::StrCat(count, " entries"));
  fuse_reply_buf(req, buf.data(), used);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info*) {
  ReaddirReply(req, ino, size, off, false);
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info*) {
  ReaddirReply(req, ino, size, off, true);
}

void OpInit(void* userdata, struct fuse_conn_info* conn) {
  auto* s = static_cast<FuseServer*>(userdata);
  if (s->options().cache_symlinks) conn->want |= FUSE_CAP_CACHE_SYMLINKS;
  switch (s->options().readdirplus) {
    case model::ReaddirPlus::kOff:
      conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
      break;
    case model::ReaddirPlus::kAuto:
      conn->want |= FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO;
      break;
    case model::ReaddirPlus::kOn:
      conn->want |= FUSE_CAP_READDIRPLUS;
      conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
      break;
  }
}

void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, dev_t) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const int err = s->ns().MakeNode(s->mount_index(), "MKNOD", parent, name, false, &o);
  if (err != 0) return ReplyErr(s, req, err);
  ReplyEntry(s, req, o);
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const int err = s->ns().MakeNode(s->mount_index(), "MKDIR", parent, name, true, &o);
  if (err != 0) return ReplyErr(s, req, err);
  ReplyEntry(s, req, o);
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  FuseServer* s = Enter(req);
  ReplyErr(s, req, s->ns().Remove("UNLINK", parent, name));
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  FuseServer* s = Enter(req);
  ReplyErr(s, req, s->ns().Remove("RMDIR", parent, name));
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
              unsigned int flags) {
  FuseServer* s = Enter(req);
  ReplyErr(s, req, s->ns().Rename(parent, name, newparent, newname, flags));
}

void OpenReply(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, const char* opcode) {
  FuseServer* s = Enter(req);
  uint64_t fh = 0;
  const int err = s->ns().Open(s->mount_index(), opcode, ino, &fh);
  if (err != 0) return ReplyErr(s, req, err);
  fi->fh = fh;
  s->log().SetReplyFh(s->current(), fh);
  Note(s, absl::StrCat("fh=", fh));
  if (fuse_reply_open(req, fi) != 0) {  // interrupted: the kernel never got the handle
    s->ns().Release(std::strcmp(opcode, "OPENDIR") == 0 ? "RELEASEDIR" : "RELEASE", ino, fh);
  }
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) { OpenReply(req, ino, fi, "OPEN"); }
void OpOpendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) { OpenReply(req, ino, fi, "OPENDIR"); }

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, struct fuse_file_info* fi) {
  FuseServer* s = Enter(req);
  EntryOut o;
  const int err = s->ns().CreateFile(s->mount_index(), parent, name, fi->flags, &o);
  if (err != 0) return ReplyErr(s, req, err);
  fuse_entry_param e = Entry(s, o);
  fi->fh = o.fh;
  s->log().SetReplyFh(s->current(), o.fh);
  Note(s, absl::StrCat("ino=", o.ino, " fh=", o.fh, o.created ? " (created)" : " (opened existing)"));
  fuse_reply_create(req, &e, fi);
}

void OpFlush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info*) {
  FuseServer* s = Enter(req);
  ReplyErr(s, req, s->ns().Simple("FLUSH", ino));
}

void OpRelease(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  FuseServer* s = Enter(req);
  ReplyErr(s, req, s->ns().Release("RELEASE", ino, fi->fh));
}

void OpReleasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  FuseServer* s = Enter(req);
  ReplyErr(s, req, s->ns().Release("RELEASEDIR", ino, fi->fh));
}

void OpGetxattr(fuse_req_t req, fuse_ino_t ino, const char*, size_t) {
  FuseServer* s = Enter(req);
  ReplyErr(s, req, s->ns().Getxattr(ino));
}

ssize_t ReadCb(int fd, void* buf, size_t len, void* userdata) {
  return static_cast<FuseServer*>(userdata)->OnRead(fd, buf, len);
}

ssize_t WritevCb(int fd, struct iovec* iov, int count, void* userdata) {
  return static_cast<FuseServer*>(userdata)->OnWritev(fd, iov, count);
}

// The wire format (include/uapi/linux/fuse.h); stable ABI.
struct InHeader {
  uint32_t len;
  uint32_t opcode;
  uint64_t unique;
  uint64_t nodeid;
  uint32_t uid;
  uint32_t gid;
  uint32_t pid;
  uint16_t total_extlen;
  uint16_t padding;
};
struct OutHeader {
  uint32_t len;
  int32_t error;
  uint64_t unique;
};
static_assert(sizeof(InHeader) == 40);
static_assert(sizeof(OutHeader) == 16);

template <typename T>
bool Get(const char* p, size_t n, size_t off, T* out) {
  if (off + sizeof(T) > n) return false;
  std::memcpy(out, p + off, sizeof(T));
  return true;
}

std::string Str(const char* p, size_t n, size_t off) {
  if (off >= n) return "";
  const char* s = p + off;
  return std::string(s, strnlen(s, n - off));
}

std::string FlagsText(uint32_t f) {
  std::string s;
  switch (f & O_ACCMODE) {
    case O_WRONLY:
      s = "O_WRONLY";
      break;
    case O_RDWR:
      s = "O_RDWR";
      break;
    default:
      s = "O_RDONLY";
  }
  if (f & O_CREAT) s += "|O_CREAT";
  if (f & O_EXCL) s += "|O_EXCL";
  if (f & O_TRUNC) s += "|O_TRUNC";
  if (f & O_DIRECTORY) s += "|O_DIRECTORY";
  return s;
}

// The request's arguments, for reports (protocol >= 7.12 layouts).
std::string Describe(const InHeader& h, const char* body, size_t n) {
  switch (h.opcode) {
    case 1:   // LOOKUP
    case 10:  // UNLINK
    case 11:  // RMDIR
      return absl::StrCat("parent=", h.nodeid, " name=", Str(body, n, 0));
    case 2: {  // FORGET
      uint64_t nl = 0;
      Get(body, n, 0, &nl);
      return absl::StrCat("ino=", h.nodeid, " nlookup=", nl);
    }
    case 42: {  // BATCH_FORGET
      uint32_t count = 0;
      Get(body, n, 0, &count);
      std::string s = absl::StrCat("count=", count);
      for (uint32_t i = 0; i < count && i < 64; ++i) {
        uint64_t ino = 0, nl = 0;
        if (!Get(body, n, 8 + 16 * i, &ino) || !Get(body, n, 16 + 16 * i, &nl)) break;
        absl::StrAppend(&s, " [ino=", ino, " nl=", nl, "]");
      }
      return s;
    }
    case 35: {  // CREATE
      uint32_t flags = 0, mode = 0;
      Get(body, n, 0, &flags);
      Get(body, n, 4, &mode);
      return absl::StrCat("parent=", h.nodeid, " name=", Str(body, n, 16), " flags=", FlagsText(flags));
    }
    case 8:  // MKNOD
      return absl::StrCat("parent=", h.nodeid, " name=", Str(body, n, 16));
    case 9:  // MKDIR
      return absl::StrCat("parent=", h.nodeid, " name=", Str(body, n, 8));
    case 12: {  // RENAME
      uint64_t newdir = 0;
      Get(body, n, 0, &newdir);
      const std::string from = Str(body, n, 8);
      return absl::StrCat("parent=", h.nodeid, " name=", from, " newparent=", newdir,
                          " newname=", Str(body, n, 8 + from.size() + 1));
    }
    case 45: {  // RENAME2
      uint64_t newdir = 0;
      Get(body, n, 0, &newdir);
      const std::string from = Str(body, n, 16);
      return absl::StrCat("parent=", h.nodeid, " name=", from, " newparent=", newdir,
                          " newname=", Str(body, n, 16 + from.size() + 1));
    }
    case 28:    // READDIR
    case 44: {  // READDIRPLUS
      uint64_t fh = 0, offset = 0;
      uint32_t size = 0;
      Get(body, n, 0, &fh);
      Get(body, n, 8, &offset);
      Get(body, n, 16, &size);
      return absl::StrCat("ino=", h.nodeid, " fh=", fh, " offset=", offset, " size=", size);
    }
    case 14:    // OPEN
    case 27: {  // OPENDIR
      uint32_t flags = 0;
      Get(body, n, 0, &flags);
      return absl::StrCat("ino=", h.nodeid, " flags=", FlagsText(flags));
    }
    case 18:    // RELEASE
    case 29:    // RELEASEDIR
    case 25: {  // FLUSH
      uint64_t fh = 0;
      Get(body, n, 0, &fh);
      return absl::StrCat("ino=", h.nodeid, " fh=", fh);
    }
    case 22:  // GETXATTR
      return absl::StrCat("ino=", h.nodeid, " name=", Str(body, n, 8));
    case 26:  // INIT
      return "";
    case 6: {  // SYMLINK: name, then the target
      const std::string name = Str(body, n, 0);
      return absl::StrCat("parent=", h.nodeid, " name=", name, " target=", Str(body, n, name.size() + 1));
    }
    case 13: {  // LINK
      uint64_t oldnodeid = 0;
      Get(body, n, 0, &oldnodeid);
      return absl::StrCat("ino=", oldnodeid, " newparent=", h.nodeid, " newname=", Str(body, n, 8));
    }
    case 4: {  // SETATTR: valid, padding, fh, size, ... mode at 68
      uint32_t valid = 0, mode = 0;
      uint64_t size = 0;
      Get(body, n, 0, &valid);
      Get(body, n, 16, &size);
      Get(body, n, 68, &mode);
      std::string s = absl::StrCat("ino=", h.nodeid, " valid=0x", absl::Hex(valid));
      if (valid & 1) absl::StrAppend(&s, " mode=0", absl::StrFormat("%o", mode & 07777));
      if (valid & 8) absl::StrAppend(&s, " size=", size);
      return s;
    }
  }
  return absl::StrCat("ino=", h.nodeid);
}

}  // namespace

// --------------------------------------------------------------- server ----

FuseServer::FuseServer(std::shared_ptr<Namespace> ns, std::shared_ptr<RequestLog> log, int mount, MountOptions opts)
    : ns_(std::move(ns)), log_(std::move(log)), mount_(mount), opts_(opts), pid_(getpid()) {}

FuseServer::~FuseServer() { (void)Unmount(); }

size_t FuseServer::current() const { return tls_current; }

ssize_t FuseServer::OnRead(int fd, void* buf, size_t len) {
  const ssize_t res = read(fd, buf, len);
  const int saved = errno;
  if (res >= static_cast<ssize_t>(sizeof(InHeader))) {
    InHeader h;
    std::memcpy(&h, buf, sizeof(h));
    LoggedRequest r;
    r.mount = mount_;
    r.opcode = h.opcode;
    r.name = FuseOpcodeName(h.opcode);
    r.unique = h.unique;
    r.nodeid = h.nodeid;
    r.pid = h.pid;
    if (h.pid != 0 && static_cast<pid_t>(h.pid) != pid_) {
      // Ours if it is one of this process's threads.
      const std::string task = absl::StrCat("/proc/self/task/", h.pid);
      r.foreign = access(task.c_str(), F_OK) != 0;
    }
    const size_t body = std::min<size_t>(res, h.len) - sizeof(InHeader);
    r.args = Describe(h, static_cast<const char*>(buf) + sizeof(InHeader), body);
    if (h.opcode == 25 || h.opcode == 18 || h.opcode == 29) {  // FLUSH, RELEASE, RELEASEDIR
      Get(static_cast<const char*>(buf) + sizeof(InHeader), body, 0, &r.fh);
    }
    if (h.opcode == 26) init_unique_ = h.unique;
    tls_current = log_->Append(std::move(r));
  }
  errno = saved;
  return res;
}

ssize_t FuseServer::OnWritev(int fd, struct iovec* iov, int count) {
  OutHeader h{};
  const bool reply =
      count >= 1 && iov[0].iov_len >= sizeof(OutHeader) && (std::memcpy(&h, iov[0].iov_base, sizeof(h)), h.unique != 0);
  if (reply) {
    if (opts_.parallel_dirops && h.unique == init_unique_ && h.error == 0 && count >= 2 && iov[1].iov_len >= 16) {
      uint32_t flags;
      std::memcpy(&flags, static_cast<char*>(iov[1].iov_base) + 12, sizeof(flags));
      flags |= 1u << 18;  // FUSE_PARALLEL_DIROPS
      std::memcpy(static_cast<char*>(iov[1].iov_base) + 12, &flags, sizeof(flags));
    }
    // Gated replay: the reply waits until the model's thread takes it.
    log_->HoldReply(mount_, h.unique);
  }
  const ssize_t res = writev(fd, iov, count);
  const int saved = errno;
  if (reply) log_->SetReplyError(mount_, h.unique, -h.error);
  errno = saved;
  return res;
}

absl::Status FuseServer::Mount(const std::string& mountpoint) {
  if (mounted_ || se_ != nullptr) return absl::FailedPreconditionError("already mounted");
  const int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  fd_ = fd;
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open /dev/fuse: ", strerror(errno)));
  std::string opts = absl::StrCat("fd=", fd, ",rootmode=40000,user_id=", getuid(), ",group_id=", getgid());
  if (opts_.default_permissions) opts += ",default_permissions";
  if (mount("fusesim-oracle", mountpoint.c_str(), "fuse.fusesim-oracle", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    const int e = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("mount(2) of a FUSE file system on ", mountpoint, " failed: ", strerror(e)));
  }
  mounted_ = true;
  mountpoint_ = mountpoint;

  static const struct fuse_lowlevel_ops kOps = [] {
    struct fuse_lowlevel_ops o;
    std::memset(&o, 0, sizeof(o));
    o.lookup = OpLookup;
    o.forget = OpForget;
    o.forget_multi = OpForgetMulti;
    o.getattr = OpGetattr;
    o.setattr = OpSetattr;
    o.mknod = OpMknod;
    o.mkdir = OpMkdir;
    o.unlink = OpUnlink;
    o.rmdir = OpRmdir;
    o.rename = OpRename;
    o.open = OpOpen;
    o.opendir = OpOpendir;
    o.create = OpCreate;
    o.flush = OpFlush;
    o.release = OpRelease;
    o.releasedir = OpReleasedir;
    o.symlink = OpSymlink;
    o.link = OpLink;
    o.readlink = OpReadlink;
    o.init = OpInit;
    o.readdir = OpReaddir;
    return o;
  }();
  struct fuse_lowlevel_ops ops = kOps;
  if (opts_.readdirplus != model::ReaddirPlus::kOff) ops.readdirplus = OpReaddirplus;
  if (ns_->NeedsGetxattrHandler() || opts_.gated) ops.getxattr = OpGetxattr;

  const char* argv[] = {"fusesim-oracle", "-d"};
  struct fuse_args args = FUSE_ARGS_INIT(opts_.debug ? 2 : 1, const_cast<char**>(argv));
  se_ = fuse_session_new(&args, &ops, sizeof(ops), this);
  fuse_opt_free_args(&args);  // fuse_session_new copies what it keeps (LeakSanitizer)
  if (se_ == nullptr) {
    close(fd);
    (void)Unmount();
    return absl::InternalError("fuse_session_new failed");
  }
  static const struct fuse_custom_io kIo = {WritevCb, ReadCb, nullptr, nullptr};
  if (fuse_session_custom_io(se_, &kIo, fd) != 0) {
    close(fd);
    (void)Unmount();
    return absl::InternalError("fuse_session_custom_io failed");
  }
  loop_done_ = std::make_shared<std::atomic<bool>>(false);
  // The thread touches nothing of this object after the loop returns (it
  // may be detached by then, see Unmount()).
  loop_ = std::thread([se = se_, gated = opts_.gated, done = loop_done_] {
    if (gated) {
      struct fuse_loop_config* cfg = fuse_loop_cfg_create();
      fuse_loop_cfg_set_clone_fd(cfg, 0);
      fuse_loop_cfg_set_max_threads(cfg, 32);
      fuse_session_loop_mt(se, cfg);
      fuse_loop_cfg_destroy(cfg);
    } else {
      fuse_session_loop(se);
    }
    *done = true;
  });
  // The first request waits for INIT; the root's GETATTR comes with it.
  struct stat st;
  if (stat(mountpoint.c_str(), &st) != 0) {
    const int e = errno;
    (void)Unmount();
    return absl::UnavailableError(absl::StrCat("stat of the fresh mount ", mountpoint, " failed: ", strerror(e)));
  }
  return absl::OkStatus();
}

int FuseServer::NotifyInvalEntry(uint64_t parent, const std::string& name) {
  return -fuse_lowlevel_notify_inval_entry(se_, parent, name.c_str(), name.size());
}

int FuseServer::NotifyDelete(uint64_t parent, uint64_t child, const std::string& name) {
  return -fuse_lowlevel_notify_delete(se_, parent, child, name.c_str(), name.size());
}

int FuseServer::NotifyInvalInode(uint64_t ino) { return -fuse_lowlevel_notify_inval_inode(se_, ino, 0, 0); }

int FuseServer::NotifyIncEpoch() {
  OutHeader h{};
  h.len = sizeof(h);
  h.error = 8;  // FUSE_NOTIFY_INC_EPOCH (Linux 6.16)
  h.unique = 0;
  if (write(fd_, &h, sizeof(h)) < 0) return errno;
  return 0;
}

void FuseServer::Abort() {
  if (!mountpoint_.empty()) umount2(mountpoint_.c_str(), MNT_FORCE | MNT_DETACH);
}

absl::Status FuseServer::Unmount() {
  absl::Status status;
  log_->EnableGate(false);  // nothing may stay held at the gate
  if (mounted_) {
    if (umount2(mountpoint_.c_str(), 0) != 0 && errno != EINVAL) {
      // Busy (or a hung server): abort the connection and detach.
      if (umount2(mountpoint_.c_str(), MNT_FORCE | MNT_DETACH) != 0 && errno != EINVAL)
        status = absl::InternalError(absl::StrCat("cannot unmount ", mountpoint_, ": ", strerror(errno)));
    }
    mounted_ = false;
  }
  if (loop_.joinable()) {
    // The loop reads ENODEV once the connection is gone.
    // Up to 10 s: a sanitized build under load can take seconds.
    for (int i = 0; i < 1000 && !*loop_done_; ++i) usleep(10000);
    if (!*loop_done_) {
      fuse_session_exit(se_);
      status = absl::InternalError("the FUSE session loop did not stop after unmount");
      loop_.detach();  // cannot join a thread blocked in read(2)
      se_ = nullptr;   // leaked with the thread
      return status;
    }
    loop_.join();
  }
  if (se_ != nullptr) {
    fuse_session_destroy(se_);  // closes the /dev/fuse fd
    se_ = nullptr;
  }
  return status;
}

}  // namespace fusesim::oracle
