#include "model/inode.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "model/keys.h"

namespace fusesim::model {

InodeTable::InodeTable(int mount, std::deque<QueuedRequest>* queue, sim::Counter* pending, sim::Counter* forgets)
    : mount_(mount), queue_(queue), pending_(pending), forgets_(forgets) {}

uint64_t InodeTable::FieldsKey(InodeId id) const {
  return MakeKey(KeyKind::kInode, static_cast<uint64_t>(mount_), static_cast<uint64_t>(id));
}
uint64_t InodeTable::CountKey(InodeId id) const {
  return MakeKey(KeyKind::kInodeCount, static_cast<uint64_t>(mount_), static_cast<uint64_t>(id));
}
uint64_t InodeTable::IndexKey(NodeId nodeid) const {
  return MakeKey(KeyKind::kNodeIndex, static_cast<uint64_t>(mount_), nodeid);
}

InodeId InodeTable::MakeRoot(sim::Clock attr_until) {
  root_ = Iget(kRootNodeId, /*is_dir=*/true, 2, attr_until);
  inodes_[root_].nlookup = 0;  // the root is never forgotten
  inodes_[root_].count = 1;    // held by the mount
  return root_;
}

InodeId InodeTable::Iget(NodeId nodeid, bool is_dir, uint32_t nlink, sim::Clock attr_until, bool is_symlink,
                         uint64_t sent_attr_version) {
  sim::Record(IndexKey(nodeid), sim::AccessMode::kWrite);
  auto it = by_nodeid_.find(nodeid);
  if (it != by_nodeid_.end()) {
    Inode& ino = mut(it->second);
    ino.nlookup++;
    // fuse_change_attributes_i(): a reply older than the inode's attributes
    // is dropped.
    if (!TakeAttrs(it->second, sent_attr_version)) return it->second;
    ino.nlink = nlink;
    ino.attr_time = attr_until;
    ino.inval_perm = ino.inval_other = false;
    return it->second;
  }
  const InodeId id = inodes_.AddForRunningStep(mount_, 1, ConnKey(mount_, ConnField::kInodeIds));
  sim::Record(FieldsKey(id), sim::AccessMode::kWrite);
  sim::Record(CountKey(id), sim::AccessMode::kWrite);
  Inode& ino = inodes_[id];
  ino.nodeid = nodeid;
  ino.is_dir = is_dir;
  ino.is_symlink = is_symlink;
  ino.nlookup = 1;
  ino.nlink = nlink;
  ino.attr_time = attr_until;
  ino.attr_version = NextAttrVersion();
  ino.i_rwsem.key = MakeKey(KeyKind::kLock, mount_, 2 * static_cast<uint64_t>(id));
  ino.fuse_mutex.key = MakeKey(KeyKind::kLock, mount_, 2 * static_cast<uint64_t>(id) + 1);
  by_nodeid_[nodeid] = id;
  return id;
}

InodeId InodeTable::Find(NodeId nodeid) const {
  sim::Record(IndexKey(nodeid), sim::AccessMode::kRead);
  auto it = by_nodeid_.find(nodeid);
  return it == by_nodeid_.end() ? kNoInode : it->second;
}

void InodeTable::QueueForget(NodeId nodeid, uint64_t nlookup, int op, sim::Clock now) {
  if (nlookup == 0) return;
  sim::Record(MakeKey(KeyKind::kAsyncQueue, static_cast<uint64_t>(mount_), 0), sim::AccessMode::kWrite);
  QueuedRequest q;
  q.req.opcode = Opcode::kForget;
  q.req.nodeid = nodeid;
  q.req.forgets.push_back({nodeid, nlookup});
  q.op = op;
  q.at = now;
  // Over /dev/fuse the daemon reads a FORGET alone when nothing else is
  // queued; on its own channel (io_uring), when no other FORGET is.
  q.alone = own_forget_channel_ && forgets_ != nullptr ? forgets_->value == 0 : queue_->empty();
  queue_->push_back(std::move(q));
  pending_->value++;
  pending_->last_at = std::max(pending_->last_at, now);
  if (forgets_ != nullptr) {
    forgets_->value++;
    forgets_->last_at = std::max(forgets_->last_at, now);
  }
}

void InodeTable::Evict(InodeId id, int op) {
  Inode& ino = mut(id);
  ino.evicted = true;
  sim::Record(ConnKey(mount_, ConnField::kEvictCtr), sim::AccessMode::kWrite);
  evict_ctr_++;  // fuse_evict_inode(): fc->evict_ctr
  // Queued at the evicting task's time (0 outside a step: unit tests).
  QueueForget(ino.nodeid, ino.nlookup, op, sim::running_actor != nullptr ? sim::running_actor->clock : 0);
  ino.nlookup = 0;
  sim::Record(IndexKey(ino.nodeid), sim::AccessMode::kWrite);
  auto it = by_nodeid_.find(ino.nodeid);
  if (it != by_nodeid_.end() && it->second == id) by_nodeid_.erase(it);
}

void InodeTable::Iput(InodeId id, int op) {
  Inode& ino = inodes_[id];
  ino.count--;
  // A decrement does not commute with an increment (see Dcache::dput()),
  // but the root inode's: it is never evicted, whatever its count.
  sim::Record(CountKey(id), id == root_ ? sim::AccessMode::kAdd : sim::AccessMode::kWrite);
  // FUSE's .drop_inode is generic_delete_inode: an unused inode is evicted
  // (and forgotten) at once, linked or not.
  if (ino.count == 0 && id != root_) Evict(id, op);
}

std::vector<InodeId> InodeTable::AllIds() const {
  for (int pool : inodes_.Pools()) sim::Record(PoolKey(mount_, 1, pool), sim::AccessMode::kRead);
  return inodes_.Ids();
}

void InodeTable::ShrinkUnused(int op) {
  for (InodeId id : AllIds()) {
    const Inode& ino = at(id);
    sim::Record(CountKey(id), sim::AccessMode::kRead);
    if (!ino.evicted && ino.count == 0 && id != root_) Evict(id, op);
  }
}

std::vector<std::string> InodeTable::CheckConsistency() const {
  std::vector<std::string> out;
  for (const auto& [nodeid, id] : by_nodeid_) {
    const Inode& ino = inodes_[id];
    if (ino.evicted || ino.nodeid != nodeid)
      out.push_back(absl::StrFormat("nodeid %d indexes inode %d, which is evicted or another node", nodeid, id));
  }
  for (InodeId id : AllIds()) {
    const Inode& ino = inodes_[id];
    if (ino.evicted) continue;
    if (ino.count <= 0 && id != root_)
      out.push_back(absl::StrFormat("inode %d (nodeid %d) is unused but not evicted", id, ino.nodeid));
    if (ino.i_rwsem.readers < 0 || (ino.i_rwsem.writer >= 0 && ino.i_rwsem.readers > 0))
      out.push_back(absl::StrFormat("inode %d: i_rwsem has %d readers and writer %d", id, ino.i_rwsem.readers,
                                    ino.i_rwsem.writer));
  }
  return out;
}

}  // namespace fusesim::model
