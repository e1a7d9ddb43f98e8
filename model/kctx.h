// Kctx: the kernel task running one syscall on one mount.
//
// Passed by reference to every modelled kernel function, as `current` and the
// superblock are implicit in the kernel. It carries the actor (whose clock is
// the task's notion of jiffies) and what the syscall's replies told it.
#ifndef FUSESIM_MODEL_KCTX_H_
#define FUSESIM_MODEL_KCTX_H_

#include "model/keys.h"
#include "model/mount.h"
#include "model/request.h"
#include "model/world.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

struct Kctx {
  World& w;
  Mount& m;
  sim::Actor& a;
  int op;  // index into w.ops

  // Directories the last reply said the server changed (for
  // spurious_dir_changed): up to two (RENAME).
  NodeId changed_dir[2] = {0, 0};

  sim::Clock now() const { return a.clock; }
  OpRecord& rec() { return w.ops[op]; }
  // Read (inode, dentry) or written (inode_mut, dentry_mut) by this step:
  // the explorer sees which (see Dcache, InodeTable).
  const Inode& inode(InodeId id) { return m.inodes.at(id); }
  Inode& inode_mut(InodeId id) { return m.inodes.mut(id); }
  const Dentry& dentry(DentryId id) { return m.dcache.at(id); }
  Dentry& dentry_mut(DentryId id) { return m.dcache.mut(id); }
  sim::RwSem& i_rwsem(InodeId id) { return m.inodes.i_rwsem(id); }
  sim::Mutex& fuse_mutex(InodeId id) { return m.inodes.fuse_mutex(id); }
  // The connection's feature flags, read or set (on ENOSYS) by this step.
  const ConnFlags& conn() {
    sim::Record(ConnKey(m.index, ConnField::kFlags), sim::AccessMode::kRead);
    return m.conn;
  }
  ConnFlags& conn_mut() {
    sim::Record(ConnKey(m.index, ConnField::kFlags), sim::AccessMode::kWrite);
    return m.conn;
  }
  // fc->epoch, read, or moved on by FUSE_NOTIFY_INC_EPOCH.
  uint64_t epoch() {
    sim::Record(ConnKey(m.index, ConnField::kEpoch), sim::AccessMode::kRead);
    return m.epoch;
  }
  void inc_epoch() {
    sim::Record(ConnKey(m.index, ConnField::kEpoch), sim::AccessMode::kWrite);
    m.epoch++;
  }
  NodeId nodeid_of(DentryId d) { return m.inodes.at(m.dcache.at(d).inode).nodeid; }
};

// time_before64(t, jiffies) with FUSE's convention that 0 means "expired".
inline bool Expired(sim::Clock t, sim::Clock now) { return t == 0 || t < now; }
// fuse_time_to_jiffies(): 0 stays 0 (always expired).
inline sim::Clock ValidUntil(sim::Clock now, sim::Clock valid_us) { return valid_us == 0 ? 0 : now + valid_us; }

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_KCTX_H_
