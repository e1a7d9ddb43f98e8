// Kctx: the kernel task running one syscall on one mount.
//
// Passed by reference to every modelled kernel function, as `current` and the
// superblock are implicit in the kernel. It carries the actor (whose clock is
// the task's notion of jiffies) and what the syscall's replies told it.
#ifndef FUSESIM_MODEL_KCTX_H_
#define FUSESIM_MODEL_KCTX_H_

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
  Inode& inode(InodeId id) { return m.inodes.at(id); }
  Dentry& dentry(DentryId id) { return m.dcache.at(id); }
  NodeId nodeid_of(DentryId d) { return m.inodes.at(m.dcache.at(d).inode).nodeid; }
};

// time_before64(t, jiffies) with FUSE's convention that 0 means "expired".
inline bool Expired(sim::Clock t, sim::Clock now) { return t == 0 || t < now; }
// fuse_time_to_jiffies(): 0 stays 0 (always expired).
inline sim::Clock ValidUntil(sim::Clock now, sim::Clock valid_us) { return valid_us == 0 ? 0 : now + valid_us; }

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_KCTX_H_
