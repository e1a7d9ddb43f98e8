// One FUSE mount: a kernel client of the server with its own connection.
//
// Holds the mount's dentry cache and inodes, the connection's sticky feature
// flags (set when the server answers ENOSYS), and the queue of requests the
// kernel sends without waiting: RELEASE/RELEASEDIR and FORGETs.
#ifndef FUSESIM_MODEL_MOUNT_H_
#define FUSESIM_MODEL_MOUNT_H_

#include <deque>
#include <string>
#include <vector>

#include "model/dcache.h"
#include "model/inode.h"
#include "model/kernel_version.h"
#include "model/request.h"
#include "model/server.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

// How the kernel lists directories: READDIR only, READDIRPLUS with the
// FUSE_READDIRPLUS_AUTO heuristics, or READDIRPLUS always.
enum class ReaddirPlus : uint8_t { kOff, kAuto, kOn };

struct MountConfig {
  std::string name = "m0";
  MountTimeouts timeouts;
  KernelVersion kernel = KernelVersion::k6_18;
  bool parallel_dirops = false;      // FUSE_PARALLEL_DIROPS negotiated
  bool default_permissions = false;  // -o default_permissions
  bool cache_symlinks = false;       // FUSE_CACHE_SYMLINKS negotiated
  ReaddirPlus readdirplus = ReaddirPlus::kOff;
  // FUSE over io_uring (Linux 6.14, fs/fuse/dev_uring.c): requests and
  // background requests (RELEASE) travel on the ring, FORGETs still through
  // /dev/fuse, so the server reads the two in either order.
  bool io_uring = false;
};

// struct fuse_conn's "the server does not implement X" bits.
struct ConnFlags {
  bool no_create = false;
  bool no_atomic_create = false;
  bool no_create_ext = false;
  bool no_open_atomic = false;
  bool no_open = false;
  bool no_opendir = false;
  bool no_flush = false;
  bool no_getxattr = false;
  bool no_link = false;
  bool no_compound = false;  // COMPOUND answered ENOSYS (FUSE_COMPOUND v7)
};

struct Mount {
  Mount(int index, const MountConfig& config, Dcache::ViolationSink sink)
      : index(index),
        config(config),
        inodes(index, &async, &pending, &forgets),
        dcache(index, &inodes, std::move(sink)) {}
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  int index;
  MountConfig config;
  // Background requests and FORGETs in the order they were queued.
  std::deque<QueuedRequest> async;
  sim::Counter pending;   // async.size()
  sim::Counter forgets;   // FORGETs in async
  sim::Counter requests;  // the others (RELEASE, RELEASEDIR)
  InodeTable inodes;
  Dcache dcache;
  ConnFlags conn;
  sim::Mutex rename_mutex;  // sb->s_vfs_rename_mutex
  uint64_t epoch = 0;       // fc->epoch (FUSE_NOTIFY_INC_EPOCH)
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_MOUNT_H_
