// The kernel's FUSE inodes of one mount (struct fuse_inode and the icache).
//
// An inode is found by nodeid (fuse_iget) and counts the lookups the server
// has replied with (nlookup), which the kernel gives back with FORGET when it
// evicts the inode. `count` is i_count: dentry aliases, open files and
// syscalls in flight. FUSE sets .drop_inode = generic_delete_inode, so the
// last iput() evicts the inode at once: an inode lives exactly as long as a
// dentry, an open file or a syscall holds it.
#ifndef FUSESIM_MODEL_INODE_H_
#define FUSESIM_MODEL_INODE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/keys.h"
#include "model/names.h"
#include "model/pooled_table.h"
#include "model/request.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

using InodeId = int32_t;
inline constexpr InodeId kNoInode = -1;

struct Inode {
  // (Fields ordered by size, so that a million inodes take no padding.)
  NodeId nodeid = 0;
  uint64_t nlookup = 0;
  sim::Clock attr_time = 0;  // fi->i_time: attributes valid until then
  // fi->attr_version: the connection's attr_version when the attributes were
  // last set. A reply to a request sent before that is not applied
  // (fuse_change_attributes_i(): "fi->attr_version > attr_version").
  uint64_t attr_version = 0;
  // The directory's mtime as the last attribute reply gave it (the server's
  // change count of the directory), and fi->rdc, the readdir cache that
  // FOPEN_CACHE_DIR listings fill and read (fs/fuse/readdir.c): complete
  // once a listing reached the end; valid while the mtime it was started at
  // and the inode's version are unchanged.
  uint64_t mtime = 0;
  uint64_t rdc_mtime = 0;
  std::vector<NameId> link;  // a symlink's target
  sim::RwSem i_rwsem;
  sim::Mutex fuse_mutex;  // fuse_lock_inode() without FUSE_PARALLEL_DIROPS
  int count = 0;          // i_count
  uint32_t nlink = 1;     // as the kernel believes it
  bool is_dir = false;
  bool is_symlink = false;   // S_IFLNK
  bool inval_perm = false;   // fi->inval_mask has MODE|UID|GID
  bool inval_other = false;  // fi->inval_mask has other STATX bits
  bool bad = false;          // fuse_make_bad()
  bool evicted = false;
  bool advise_rdplus = false;  // FUSE_I_ADVISE_RDPLUS (directories)
  bool rdc_cached = false;     // fi->rdc complete (above)
  bool init_rdplus = false;    // FUSE_I_INIT_RDPLUS: made by READDIRPLUS
  // cache_symlinks: the target is in the page cache (page_get_link_raw()).
  bool link_cached = false;
  bool link_abs = false;
};

// Footprints (sim::Record): an inode's fields (at() reads, mut() writes),
// its i_count (Ihold() adds; Iput() writes, as dput() does), the icache entry of each nodeid, and the connection's
// counters (attr_version, evict_ctr). Inode numbers come from the allocating
// actor's pool (pooled_table.h): allocating writes only that pool. Its locks are
// reached through rwsem()/mutex(), whose waits record the lock.
class InodeTable {
 public:
  // queue and pending receive FORGETs of evicted inodes.
  // FORGETs go to `queue`, counted in `pending` and, if not null, `forgets`.
  InodeTable(int mount, std::deque<QueuedRequest>* queue, sim::Counter* pending, sim::Counter* forgets = nullptr);
  // FORGETs travel on a channel of their own (FUSE over io_uring keeps them
  // on /dev/fuse): one is read alone when no other FORGET is queued.
  void SetOwnForgetChannel(bool own) { own_forget_channel_ = own; }
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  // fuse_iget(): the inode for nodeid, created if needed; nlookup += 1.
  // Attributes are refreshed with attr_valid from the same reply, unless
  // the inode's were set after `sent_attr_version` (the attr_version read
  // when the request was sent; 0: always refreshed).
  InodeId Iget(NodeId nodeid, bool is_dir, uint32_t nlink, sim::Clock attr_until, bool is_symlink = false,
               uint64_t sent_attr_version = 0);
  // The root inode (nodeid 1), created at mount time.
  InodeId MakeRoot(sim::Clock attr_until);
  InodeId Find(NodeId nodeid) const;
  // An inode, read (at) or written (mut) by the running step.
  const Inode& at(InodeId id) const {
    sim::Record(FieldsKey(id), sim::AccessMode::kRead);
    return inodes_[id];
  }
  Inode& mut(InodeId id) {
    sim::Record(FieldsKey(id), sim::AccessMode::kWrite);
    return inodes_[id];
  }
  sim::RwSem& i_rwsem(InodeId id) { return inodes_[id].i_rwsem; }
  sim::Mutex& fuse_mutex(InodeId id) { return inodes_[id].fuse_mutex; }

  void Ihold(InodeId id) {
    sim::Record(CountKey(id), sim::AccessMode::kAdd);
    inodes_[id].count++;
  }
  // iput(): drops a reference; the last one evicts (generic_delete_inode).
  void Iput(InodeId id, int op);
  // drop_caches: evicts every unused inode but the root.
  void ShrinkUnused(int op);
  // fuse_queue_forget() for a reply whose inode could not be kept.
  void QueueForget(NodeId nodeid, uint64_t nlookup, int op, sim::Clock now);
  int64_t size() const { return inodes_.size(); }
  // Every inode's id, in id order (recording a read of each pool's set).
  std::vector<InodeId> AllIds() const;
  InodeId root() const { return root_; }
  // fc->evict_ctr: inodes evicted so far. A LOOKUP or READDIRPLUS that makes
  // a new inode while another was evicted since it was sent leaves the new
  // inode's attributes invalid (fuse_change_attributes_common()).
  uint64_t evict_ctr() const {
    sim::Record(ConnKey(mount_, ConnField::kEvictCtr), sim::AccessMode::kRead);
    return evict_ctr_;
  }
  // fc->attr_version: fuse_get_attr_version() before a request whose reply
  // carries attributes; NextAttrVersion() is atomic64_inc_return() when
  // attributes are set (or a link count changes: fuse_entry_unlinked()).
  // Starts at 1 (fuse_conn_init()), so 0 means "apply unconditionally".
  uint64_t attr_version() const {
    sim::Record(ConnKey(mount_, ConnField::kAttrVersion), sim::AccessMode::kRead);
    return attr_version_;
  }
  uint64_t NextAttrVersion() {
    sim::Record(ConnKey(mount_, ConnField::kAttrVersion), sim::AccessMode::kWrite);
    return ++attr_version_;
  }
  // fuse_change_attributes_i()'s test: false if `id`'s attributes were set
  // after the request was sent (`sent_attr_version`; 0: never), else true
  // and the inode's attr_version moves on: the caller sets the attributes.
  bool TakeAttrs(InodeId id, uint64_t sent_attr_version) {
    Inode& ino = mut(id);
    if (sent_attr_version != 0 && ino.attr_version > sent_attr_version) return false;
    ino.attr_version = NextAttrVersion();
    return true;
  }
  // The model's own consistency: the nodeid index points at live inodes,
  // and a live inode other than the root is in use (generic_delete_inode).
  std::vector<std::string> CheckConsistency() const;

 private:
  void Evict(InodeId id, int op);
  uint64_t FieldsKey(InodeId id) const;
  uint64_t CountKey(InodeId id) const;
  uint64_t IndexKey(NodeId nodeid) const;

  int mount_;
  // Stable addresses (locks are waited on by address); ids do not depend on
  // the interleaving (pooled_table.h).
  PooledTable<Inode> inodes_;
  absl::flat_hash_map<NodeId, InodeId> by_nodeid_;
  std::deque<QueuedRequest>* queue_;
  sim::Counter* pending_;
  sim::Counter* forgets_;  // may be null
  bool own_forget_channel_ = false;
  InodeId root_ = kNoInode;
  uint64_t evict_ctr_ = 0;
  uint64_t attr_version_ = 1;
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_INODE_H_
