// A FUSE request as the kernel sends it, and the server's reply.
//
// Only the fields that change what the kernel or the server does are kept:
// this is the protocol as the model needs it, not the wire format.
#ifndef FUSESIM_MODEL_REQUEST_H_
#define FUSESIM_MODEL_REQUEST_H_

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "model/errno.h"
#include "model/names.h"
#include "model/opcode.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

using NodeId = uint64_t;
inline constexpr NodeId kRootNodeId = 1;

// Open flags, as in <fcntl.h> (only those fusesim models).
enum OpenFlags : uint32_t {
  kORdonly = 0,
  kOWronly = 01,
  kORdwr = 02,
  kOAccMode = 03,
  kOCreat = 0100,
  kOExcl = 0200,
  kOTrunc = 01000,
  kODirectory = 0200000,
  kONofollow = 0400000,
  kOAppend = 02000,
};

// FATTR_* bits of a SETATTR request that fusesim models.
enum SetattrValid : uint32_t {
  kFattrMode = 1u << 0,
  kFattrSize = 1u << 3,
};

// One entry of a READDIR/READDIRPLUS reply.
struct Dirent {
  NameId name = -1;  // -1 for "." and ".."
  int dots = 0;      // 1: ".", 2: ".."
  NodeId nodeid = 0;
  bool is_dir = false;
  bool is_symlink = false;
  uint32_t nlink = 1;
  uint64_t off = 0;      // the offset of the next entry
  uint32_t namelen = 0;  // bytes
};

struct Request {
  Opcode opcode = Opcode::kLookup;
  NodeId nodeid = 0;         // the inode the request is about (parent for names)
  NameId name = -1;          // LOOKUP, CREATE, MKNOD, MKDIR, UNLINK, RMDIR, RENAME
  NodeId newdir = 0;         // RENAME
  NameId newname = -1;       // RENAME
  uint32_t flags = 0;        // CREATE/OPEN/ATOMIC_CREATE/...: open flags
  uint64_t fh = 0;           // FLUSH, RELEASE
  NodeId oldnodeid = 0;      // LINK: the inode linked to
  std::vector<NameId> link;  // SYMLINK: the target's components
  bool link_abs = false;     // SYMLINK: the target starts with /
  uint32_t valid = 0;        // SETATTR: FATTR_* bits
  uint32_t mode = 0;         // SETATTR (FATTR_MODE)
  uint64_t size = 0;         // SETATTR (FATTR_SIZE); READDIR: buffer bytes
  uint64_t offset = 0;       // READDIR/READDIRPLUS
  // FORGET / BATCH_FORGET: (nodeid, nlookup) pairs.
  std::vector<std::pair<NodeId, uint64_t>> forgets;
  // COMPOUND: the parts, in order. A part with dep >= 0 takes its nodeid from
  // the reply of part `dep` (fuse_compound_req_in's dep_index) and fails with
  // that part's error when it failed.
  std::vector<Request> parts;
  int dep = -1;
};

struct Reply {
  Err err = Err::kOk;
  NodeId nodeid = 0;  // 0 with kOk from LOOKUP: a negative entry with timeout
  bool is_dir = false;
  bool is_symlink = false;  // S_IFLNK
  uint32_t nlink = 0;
  uint64_t mtime = 0;  // the node's change count (a directory's mtime)
  sim::Clock entry_valid_us = 0;
  sim::Clock attr_valid_us = 0;
  uint64_t fh = 0;
  bool opened = false;        // an open handle came back (CREATE and friends)
  bool file_created = false;  // FOPEN_FILE_CREATED: the server created it now
  // The server changed the directory (a name was added or removed).
  bool changed_dir = false;
  // READLINK: the target's components, and whether it starts with /.
  std::vector<NameId> link;
  bool link_abs = false;
  // READDIR/READDIRPLUS: the entries (READDIRPLUS: with entry_valid and
  // attr_valid above for each, and a lookup count taken for each that is
  // not . or ..).
  std::vector<Dirent> dirents;
  // COMPOUND: one reply per part (per-part fuse_out_header errors).
  std::vector<Reply> parts;
};

// A request the kernel sends without waiting (RELEASE, RELEASEDIR, FORGET),
// queued until the server reads it.
struct QueuedRequest {
  Request req;
  int op;  // scenario op that caused it (-1: none)
  sim::Clock at;
  // Queued while nothing else was (on io_uring: nothing else on its
  // channel): the daemon, idle in read(), takes it at once and alone.
  // FORGETs queued behind others are read together as one BATCH_FORGET
  // (fuse_read_batch_forget), and before the pending requests.
  bool alone = false;
  // fuse_release_args.inode: an async RELEASE/RELEASEDIR holds a reference
  // to the file's inode (igrab() in fuse_prepare_release()) until its reply
  // is processed (fuse_release_end(): iput()), so the inode of a file closed
  // last cannot be evicted, and its FORGET sent, before the server has
  // answered the RELEASE. An InodeId of the mount's table, -1: none.
  int32_t holds_inode = -1;
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_REQUEST_H_
