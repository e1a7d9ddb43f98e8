// The FUSE server: its namespace, lookup counts and open handles.
//
// One Server serves every mount of a scenario (several mounts = several
// clients of one network file system). Node ids are the server's and are the
// same on every mount; lookup counts and handles are kept per mount, as each
// mount is its own FUSE connection.
//
// Behaviour follows a POSIX/passthrough server built on libfuse's low-level
// API: unsupported opcodes answer ENOSYS; CREATE on an existing name opens it
// unless O_EXCL (or answers EEXIST when create_existing is "eexist"); create
// on a directory name answers EISDIR; a node lives until it is unlinked, no
// mount holds a lookup count on it and no handle is open.
//
// Handle() is one atomic step of the model: the engine schedules it.
#ifndef FUSESIM_MODEL_SERVER_H_
#define FUSESIM_MODEL_SERVER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "model/errno.h"
#include "model/names.h"
#include "model/opcode.h"
#include "model/request.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

enum class CreateExisting : uint8_t { kOpen, kEexist };
enum class OpenUnlinked : uint8_t { kOpen, kENOENT, kESTALE };
// Who enforces O_EXCL for a LOOKUP+MKNOD+OPEN compound (compound-create):
// kServer trusts the MKNOD part's answer, which libfuse PR #1418's
// passthrough_hp fills with the existing entry when the name exists;
// kKernelRecheck has the kernel treat a positive LOOKUP part as "not created".
enum class CompoundExcl : uint8_t { kServer, kKernelRecheck };

struct ErrorRule {
  Opcode opcode = Opcode::kLookup;
  bool any_path = true;
  std::vector<NameId> path;  // absolute, when !any_path
  Err err = Err::kEIO;
  int times = 0;  // 0: every matching request
};

struct ServerConfig {
  std::vector<Opcode> unsupported;
  std::vector<ErrorRule> errors;
  CreateExisting create_existing = CreateExisting::kOpen;
  OpenUnlinked open_unlinked = OpenUnlinked::kOpen;
  CompoundExcl compound_excl = CompoundExcl::kServer;
  bool xattr = false;  // GETXATTR answers ENODATA (true) or ENOSYS (false)
  sim::Clock default_latency_us = 0;
  std::map<Opcode, sim::Clock> latency_us;
};

// What a mount's server returns as entry_valid/attr_valid.
struct MountTimeouts {
  sim::Clock entry_us = 1000000;
  sim::Clock attr_us = 1000000;
  sim::Clock negative_us = 0;  // 0: negative lookups answer ENOENT
};

// Whom Handle() serves: the opener recorded for a handle it opens (the
// engine actor's index, -1 for none) and the actor whose step it runs, which
// is told the footprint keys the request reads and writes. The oracle's real
// server serves the same namespace with no actor: nothing is recorded.
class Caller {
 public:
  Caller() = default;
  // Implicit: a step of the engine serves its own actor.
  Caller(sim::Actor& actor) : actor_(&actor), opener_(actor.index) {}  // NOLINT(google-explicit-constructor)
  void Touch(uint64_t key, bool write) const {
    if (actor_ != nullptr) actor_->Touch(key, write);
  }
  int opener() const { return opener_; }

 private:
  sim::Actor* actor_ = nullptr;
  int opener_ = -1;
};

class Server {
 public:
  struct Node {
    bool exists = false;  // false once freed
    bool is_dir = false;
    bool linked = false;
    bool is_symlink = false;
    std::vector<NameId> link;  // a symlink's target
    bool link_abs = false;
    uint32_t links = 1;  // names pointing at it (hard links)
    uint32_t mode = 0;   // permission bits, as chmod left them
    NodeId parent = 0;
    NameId name = -1;
    uint64_t mtime = 0;  // bumped when a name is added or removed (directories)
    absl::flat_hash_map<NameId, NodeId> children;
    absl::InlinedVector<uint64_t, 2> nlookup;  // per mount (no allocation for one or two)
    int open_count = 0;
  };
  struct OpenHandle {
    int mount;
    NodeId node;
    int opener;  // actor index, -1 when served for no actor
  };

  Server(const ServerConfig& config, int num_mounts);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates path (and missing parents) before the run; returns the node.
  NodeId AddPath(const std::vector<NameId>& path, bool is_dir);

  // Handles one request from a mount for `caller` (recorded as the opener
  // of any handle it opens, and told the request's footprint).
  Reply Handle(const Request& req, int mount, const MountTimeouts& t, const Caller& caller);

  // Out-of-band changes by another client of the same file system.
  Err RemoteCreate(const std::vector<NameId>& path);
  Err RemoteMkdir(const std::vector<NameId>& path);
  Err RemoteUnlink(const std::vector<NameId>& path);
  Err RemoteRmdir(const std::vector<NameId>& path);
  Err RemoteRename(const std::vector<NameId>& from, const std::vector<NameId>& to);
  Err RemoteSymlink(const std::vector<NameId>& path, const std::vector<NameId>& target, bool target_abs);
  Err RemoteLink(const std::vector<NameId>& from, const std::vector<NameId>& to);
  Err RemoteChmod(const std::vector<NameId>& path, uint32_t mode);

  // Names of the scenario, for READDIR's order and sizes.
  void set_names(const NameTable* names) { names_ = names; }

  // What a server that sends a notification about `path` knows: the parent
  // directory's node and the node the name has, or had when it was last
  // removed (0 if neither). False if the parent does not resolve.
  bool NotifyTarget(const std::vector<NameId>& path, NodeId* parent, NodeId* child) const;
  // Resolves a path in the server's namespace; 0 if absent.
  NodeId Resolve(const std::vector<NameId>& path) const;
  const Node* Find(NodeId id) const;
  // What a request naming an entry of `parent` fails with first: ENOENT if
  // the directory is gone (or unknown), ENOTDIR if it is not a directory.
  static Err ParentDirError(const Node* parent);
  sim::Clock Latency(Opcode op) const;
  // Nodes by id (index 0 unused), for invariant checks.
  const std::deque<Node>& nodes() const { return nodes_; }
  const std::map<uint64_t, OpenHandle>& handles() const { return handles_; }
  CompoundExcl compound_excl() const { return config_.compound_excl; }

 private:
  Node* Lookup(NodeId parent, NameId name);
  NodeId NewNode(NodeId parent, NameId name, bool is_dir);
  void Unlink(NodeId parent, NameId name);
  void MaybeFree(NodeId id);
  bool Injected(const Request& req, Err* err);
  std::vector<NameId> PathOf(NodeId id) const;
  bool Unsupported(Opcode op) const;
  uint64_t OpenHandleFor(int mount, NodeId node, int actor);
  Reply Entry(NodeId id, int mount, const MountTimeouts& t, const Caller& caller);
  Reply CreateLike(const Request& req, int mount, const MountTimeouts& t, const Caller& caller);
  Reply Compound(const Request& req, int mount, const MountTimeouts& t, const Caller& caller);
  Err Rename(NodeId olddir, NameId oldname, NodeId newdir, NameId newname);
  Reply Symlink(const Request& req, int mount, const MountTimeouts& t, const Caller& caller);
  Reply Link(const Request& req, int mount, const MountTimeouts& t, const Caller& caller);
  Err AddLink(NodeId parent, NameId name, NodeId target);
  Reply Readdir(const Request& req, int mount, const MountTimeouts& t, const Caller& caller);
  static uint32_t Nlink(const Node& n);
  static uint64_t EntryKey(NodeId parent, NameId name);
  static uint64_t NodeKey(NodeId id);
  static uint64_t CountKey(NodeId id, int mount);

 public:
  // Footprint key of the namespace shape: remote (out-of-band) changes
  // write it.
  static uint64_t GlobalKey();

 private:
  ServerConfig config_;
  const NameTable* names_ = nullptr;
  int num_mounts_;
  std::deque<Node> nodes_;  // by NodeId; a deque: no copy of every node when it grows
  std::map<uint64_t, OpenHandle> handles_;
  uint64_t next_fh_ = 1;
  std::vector<int> error_uses_;
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_SERVER_H_
