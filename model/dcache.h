// The dentry cache of one mount (fs/dcache.c), in the states fusesim needs.
//
// A dentry is one of (include/linux/dcache.h):
//   in-lookup  DCACHE_PAR_LOOKUP: made by d_alloc_parallel(), in the
//              in-lookup hash only, negative, waited on by parallel lookups;
//   hashed     in the primary hash, negative (inode == kNoInode) or positive;
//   unhashed   in neither hash (d_drop()ped, or d_alloc()ed for a lookup
//              under an exclusive parent lock); freed at its last dput().
// A hashed or in-lookup dentry is found by (parent dentry, name).
//
// FUSE keeps an expiry time in every dentry (`time`, 0 = expired), set from
// the server's entry_valid.
//
// The kernel's BUG_ON conditions are reported, not executed: d_instantiate()
// on an in-lookup dentry and d_splice_alias() on a hashed one return false,
// and the caller stops the thread as an oops would.
//
// Footprints: every access made during a step is recorded for the explorer
// (sim::Record): a dentry's fields (at() reads, mut() writes), its
// reference count (dget() adds, and increments commute; dput() writes, since
// the order of a decrement and another step's increments can decide whether
// the count reaches 0; but the root's, which is pinned and never freed, adds),
// the primary and in-lookup
// hash slots of (parent, name), a directory's alias. Dentry numbers come
// from the allocating actor's pool (pooled_table.h), so allocations by two
// actors commute; allocating writes that pool's set, which the shrinkers read.
// Only the calls that wake waiters (d_add(), d_splice_alias(),
// d_lookup_done()) take the actor: the wake-up carries its clock.
//
// Invariants:
//  (1) at most one dentry per (parent, name) in each hash, unless a
//      single-dentry violation was reported;
//  (2) count counts syscalls holding the dentry, open files and child dentries;
//  (3) a positive dentry holds one reference on its inode.
#ifndef FUSESIM_MODEL_DCACHE_H_
#define FUSESIM_MODEL_DCACHE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/inode.h"
#include "model/names.h"
#include "model/pooled_table.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

using DentryId = int32_t;
inline constexpr DentryId kNoDentry = -1;

enum class DState : uint8_t { kInLookup, kHashed, kUnhashed, kFreed };

struct Dentry {
  DState state = DState::kUnhashed;
  DentryId parent = kNoDentry;
  NameId name = -1;
  InodeId inode = kNoInode;
  sim::Clock time = 0;  // FUSE entry expiry (fuse_dentry_time)
  uint64_t epoch = 0;   // fc->epoch when FUSE made it (d_time, 6.16+)
  int count = 0;
  sim::Completion lookup_done;  // completes when it leaves in-lookup
};

class Dcache {
 public:
  // Reports a broken invariant that is not a BUG (single-dentry).
  using ViolationSink = std::function<void(const std::string& invariant, const std::string& detail)>;

  Dcache(int mount, InodeTable* inodes, ViolationSink sink);
  Dcache(const Dcache&) = delete;
  Dcache& operator=(const Dcache&) = delete;

  // The root dentry, positive on the root inode, never freed.
  DentryId MakeRoot(InodeId root_inode);
  DentryId root() const { return root_; }

  // A dentry, read (at) or written (mut) by the running step.
  const Dentry& at(DentryId d) const {
    sim::Record(FieldsKey(d), sim::AccessMode::kRead);
    return dentries_[d];
  }
  Dentry& mut(DentryId d) {
    sim::Record(FieldsKey(d), sim::AccessMode::kWrite);
    return dentries_[d];
  }
  // The completion a parallel lookup waits on (recorded by the wait).
  sim::Completion& lookup_done(DentryId d) { return dentries_[d].lookup_done; }
  bool d_in_lookup(DentryId d) const { return at(d).state == DState::kInLookup; }
  bool d_unhashed(DentryId d) const { return at(d).state != DState::kHashed; }
  bool positive(DentryId d) const { return at(d).inode != kNoInode; }

  // d_lookup(): the hashed dentry for (parent, name) with a reference taken,
  // or kNoDentry.
  DentryId d_lookup(DentryId parent, NameId name);

  struct Parallel {
    enum Kind { kHashed, kInLookupOther, kNew } kind;
    DentryId dentry;  // referenced
  };
  // d_alloc_parallel(): a hashed dentry, another's in-lookup dentry (wait on
  // its lookup_done, then call d_alloc_parallel_recheck()), or a new
  // in-lookup dentry owned by the caller.
  Parallel d_alloc_parallel(DentryId parent, NameId name);
  // After waiting on another's in-lookup dentry: true if it was hashed under
  // the same name (use it), false on mismatch (drop it and retry).
  bool d_wait_lookup_matches(DentryId d, DentryId parent, NameId name) const;
  // d_alloc(): an unhashed negative dentry (lookup under an exclusive lock).
  DentryId d_alloc(DentryId parent, NameId name);

  // d_add(): in-lookup or unhashed -> hashed (negative if inode < 0); ends
  // the in-lookup state and wakes waiters.
  void d_add(DentryId d, InodeId inode, sim::Actor& a);
  // d_splice_alias(): as d_add(), but a directory inode that already has a
  // hashed alias elsewhere moves that alias here and returns it (*alias).
  // Returns false (BUG_ON(!d_unhashed)) for a hashed dentry.
  bool d_splice_alias(InodeId inode, DentryId d, DentryId* alias, sim::Actor& a);
  // d_instantiate(): negative -> positive in place. Returns false for an
  // in-lookup dentry (BUG_ON on the d_alias/d_in_lookup_hash union).
  bool d_instantiate(DentryId d, InodeId inode);
  // d_drop(): hashed -> unhashed.
  void d_drop(DentryId d);
  // d_invalidate(): d_drop() plus pruning of unused children.
  void d_invalidate(DentryId d, int op);
  // d_lookup_done(): in-lookup -> unhashed, waking waiters.
  void d_lookup_done(DentryId d, sim::Actor& a);
  // d_delete(): after unlink/rmdir: negative in place if the caller holds the
  // only reference, else unhashed.
  void d_delete(DentryId d, int op);
  // d_move(): d takes target's name and hash slot; target is unhashed.
  void d_move(DentryId d, DentryId target);

  void dget(DentryId d) {
    sim::Record(CountKey(d), sim::AccessMode::kAdd);
    dentries_[d].count++;
  }
  void dput(DentryId d, int op);

  // drop_caches: frees every unused dentry (children first).
  void ShrinkUnused(int op);
  // shrink_dcache_parent(): frees unused dentries below d.
  void ShrinkParent(DentryId d, int op);

  // d_find_alias() for a directory inode (the root's is the root dentry).
  DentryId d_find_alias(InodeId dir) const;
  // The hashed dentry for a path from the root, or kNoDentry.
  DentryId Resolve(const std::vector<NameId>& path) const;
  // Every dentry's id, in id order (recording a read of each pool's set).
  std::vector<DentryId> AllIds() const;
  // Dentries still in-lookup (for the in-lookup-leak invariant).
  std::vector<DentryId> InLookup() const;
  int64_t size() const { return dentries_.size(); }
  // The primary hash's slot for (parent, name) (what d_lookup() reads),
  // and the in-lookup hash's (what d_alloc_parallel() also reads, and a
  // parallel lookup's completion).
  uint64_t SlotKey(DentryId parent, NameId name) const;
  uint64_t InLookupKey(DentryId parent, NameId name) const;
  uint64_t FieldsKey(DentryId d) const;
  uint64_t CountKey(DentryId d) const;

  // The model's own consistency (not a kernel invariant): the hashes index
  // exactly the hashed and in-lookup dentries, reference counts cover the
  // children, positive dentries point at live inodes. Messages for
  // whatever is broken; empty if nothing.
  std::vector<std::string> CheckConsistency() const;

 private:
  static uint64_t HashKey(DentryId parent, NameId name) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(parent)) << 32) | static_cast<uint32_t>(name);
  }
  DentryId New(DentryId parent, NameId name, DState state);
  void Rehash(DentryId d);
  void Unhash(DentryId d);
  void SetInode(DentryId d, InodeId inode);
  void Free(DentryId d, int op);

  int mount_;
  InodeTable* inodes_;
  ViolationSink sink_;
  PooledTable<Dentry> dentries_;  // stable addresses; ids do not depend on the interleaving
  absl::flat_hash_map<uint64_t, DentryId> hashed_;
  absl::flat_hash_map<uint64_t, DentryId> in_lookup_;
  absl::flat_hash_map<InodeId, DentryId> dir_alias_;  // directory -> its dentry
  DentryId root_ = kNoDentry;
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_DCACHE_H_
