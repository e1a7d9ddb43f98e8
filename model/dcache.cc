#include "model/dcache.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "model/keys.h"

namespace fusesim::model {

Dcache::Dcache(int mount, InodeTable* inodes, ViolationSink sink)
    : mount_(mount), inodes_(inodes), sink_(std::move(sink)) {}

uint64_t Dcache::SlotKey(DentryId parent, NameId name) const {
  return MakeKey(KeyKind::kDentry, static_cast<uint64_t>(mount_), HashKey(parent, name));
}

uint64_t Dcache::InLookupKey(DentryId parent, NameId name) const {
  return MakeKey(KeyKind::kInLookupSlot, static_cast<uint64_t>(mount_), HashKey(parent, name));
}

uint64_t Dcache::FieldsKey(DentryId d) const {
  return MakeKey(KeyKind::kDentryFields, static_cast<uint64_t>(mount_), static_cast<uint64_t>(d));
}

uint64_t Dcache::CountKey(DentryId d) const {
  return MakeKey(KeyKind::kDentryCount, static_cast<uint64_t>(mount_), static_cast<uint64_t>(d));
}

namespace {
void RecordAlias(int mount, InodeId dir, sim::AccessMode mode) {
  sim::Record(MakeKey(KeyKind::kDirAlias, static_cast<uint64_t>(mount), static_cast<uint64_t>(dir)), mode);
}
}  // namespace

DentryId Dcache::MakeRoot(InodeId root_inode) {
  root_ = New(kNoDentry, -1, DState::kHashed);
  SetInode(root_, root_inode);
  return root_;
}

DentryId Dcache::New(DentryId parent, NameId name, DState state) {
  const DentryId id = dentries_.AddForRunningStep(mount_, 0, ConnKey(mount_, ConnField::kDentryIds));
  sim::Record(FieldsKey(id), sim::AccessMode::kWrite);
  sim::Record(CountKey(id), sim::AccessMode::kWrite);
  Dentry& d = dentries_[id];
  d.state = state;
  d.parent = parent;
  d.name = name;
  d.count = 1;
  d.lookup_done.key = InLookupKey(parent, name);
  if (parent != kNoDentry) dget(parent);
  return id;
}

DentryId Dcache::d_lookup(DentryId parent, NameId name) {
  sim::Record(SlotKey(parent, name), sim::AccessMode::kRead);
  auto it = hashed_.find(HashKey(parent, name));
  if (it == hashed_.end()) return kNoDentry;
  dget(it->second);
  return it->second;
}

Dcache::Parallel Dcache::d_alloc_parallel(DentryId parent, NameId name) {
  sim::Record(SlotKey(parent, name), sim::AccessMode::kRead);
  const uint64_t key = HashKey(parent, name);
  if (auto it = hashed_.find(key); it != hashed_.end()) {
    dget(it->second);
    return {Parallel::kHashed, it->second};
  }
  if (auto it = in_lookup_.find(key); it != in_lookup_.end()) {
    sim::Record(InLookupKey(parent, name), sim::AccessMode::kRead);
    dget(it->second);
    return {Parallel::kInLookupOther, it->second};
  }
  sim::Record(InLookupKey(parent, name), sim::AccessMode::kWrite);
  DentryId d = New(parent, name, DState::kInLookup);
  in_lookup_[key] = d;
  return {Parallel::kNew, d};
}

bool Dcache::d_wait_lookup_matches(DentryId d, DentryId parent, NameId name) const {
  const Dentry& de = at(d);
  return de.state == DState::kHashed && de.parent == parent && de.name == name;
}

DentryId Dcache::d_alloc(DentryId parent, NameId name) { return New(parent, name, DState::kUnhashed); }

void Dcache::Rehash(DentryId d) {
  Dentry& de = mut(d);
  sim::Record(SlotKey(de.parent, de.name), sim::AccessMode::kWrite);
  const uint64_t key = HashKey(de.parent, de.name);
  auto [it, inserted] = hashed_.try_emplace(key, d);
  if (!inserted && it->second != d) {
    if (sink_) {
      sink_("single-dentry",
            absl::StrFormat("a second dentry was hashed for one name (dentries %d and %d)", it->second, d));
    }
    it->second = d;
  }
  de.state = DState::kHashed;
}

void Dcache::Unhash(DentryId d) {
  Dentry& de = mut(d);
  if (de.state != DState::kHashed) return;
  sim::Record(SlotKey(de.parent, de.name), sim::AccessMode::kWrite);
  auto it = hashed_.find(HashKey(de.parent, de.name));
  if (it != hashed_.end() && it->second == d) hashed_.erase(it);
  de.state = DState::kUnhashed;
}

void Dcache::SetInode(DentryId d, InodeId inode) {
  Dentry& de = mut(d);
  if (de.inode == inode) return;
  if (de.inode != kNoInode) {
    InodeId old = de.inode;
    if (inodes_->at(old).is_dir) {
      RecordAlias(mount_, old, sim::AccessMode::kWrite);
      auto it = dir_alias_.find(old);
      if (it != dir_alias_.end() && it->second == d) dir_alias_.erase(it);
    }
    de.inode = kNoInode;
    inodes_->Iput(old, -1);
  }
  if (inode != kNoInode) {
    de.inode = inode;
    inodes_->Ihold(inode);
    if (inodes_->at(inode).is_dir) {
      RecordAlias(mount_, inode, sim::AccessMode::kWrite);
      dir_alias_[inode] = d;
    }
  }
}

void Dcache::d_add(DentryId d, InodeId inode, sim::Actor& a) {
  Dentry& de = mut(d);
  if (de.state == DState::kInLookup) {
    sim::Record(InLookupKey(de.parent, de.name), sim::AccessMode::kWrite);
    in_lookup_.erase(HashKey(de.parent, de.name));
    de.state = DState::kUnhashed;
    SetInode(d, inode);
    Rehash(d);
    sim::Complete(a, de.lookup_done);
    return;
  }
  SetInode(d, inode);
  Rehash(d);
}

bool Dcache::d_splice_alias(InodeId inode, DentryId d, DentryId* alias, sim::Actor& a) {
  *alias = kNoDentry;
  if (at(d).state == DState::kHashed) return false;
  if (inode != kNoInode && inodes_->at(inode).is_dir) {
    RecordAlias(mount_, inode, sim::AccessMode::kRead);
    auto it = dir_alias_.find(inode);
    if (it != dir_alias_.end() && it->second != d && at(it->second).state != DState::kFreed) {
      // __d_unalias(): move the existing alias to this name and return it.
      DentryId other = it->second;
      Dentry& od = mut(other);
      const Dentry& de = at(d);
      Unhash(other);
      if (od.parent != de.parent) {
        dget(de.parent);
        DentryId old_parent = od.parent;
        od.parent = de.parent;
        dput(old_parent, -1);
      }
      od.name = de.name;
      Rehash(other);
      dget(other);
      *alias = other;
      return true;
    }
  }
  d_add(d, inode, a);
  return true;
}

bool Dcache::d_instantiate(DentryId d, InodeId inode) {
  if (at(d).state == DState::kInLookup) return false;
  SetInode(d, inode);
  return true;
}

void Dcache::d_drop(DentryId d) {
  const Dentry& de = at(d);
  sim::Record(SlotKey(de.parent, de.name), sim::AccessMode::kWrite);
  Unhash(d);
}

void Dcache::d_invalidate(DentryId d, int op) {
  d_drop(d);
  if (positive(d) && inodes_->at(at(d).inode).is_dir) ShrinkParent(d, op);
}

void Dcache::d_lookup_done(DentryId d, sim::Actor& a) {
  Dentry& de = mut(d);
  if (de.state != DState::kInLookup) return;
  sim::Record(InLookupKey(de.parent, de.name), sim::AccessMode::kWrite);
  in_lookup_.erase(HashKey(de.parent, de.name));
  de.state = DState::kUnhashed;
  sim::Complete(a, de.lookup_done);
}

DentryId Dcache::d_find_alias(InodeId dir) const {
  if (root_ != kNoDentry && at(root_).inode == dir) return root_;
  RecordAlias(mount_, dir, sim::AccessMode::kRead);
  auto it = dir_alias_.find(dir);
  if (it == dir_alias_.end() || at(it->second).state == DState::kFreed) return kNoDentry;
  return it->second;
}

void Dcache::d_delete(DentryId d, int op) {
  Dentry& de = mut(d);
  sim::Record(SlotKey(de.parent, de.name), sim::AccessMode::kWrite);
  sim::Record(CountKey(d), sim::AccessMode::kRead);
  if (de.count == 1) {
    // dentry_unlink_inode(): stays hashed, now negative.
    InodeId old = de.inode;
    if (old != kNoInode) {
      if (inodes_->at(old).is_dir) {
        RecordAlias(mount_, old, sim::AccessMode::kWrite);
        dir_alias_.erase(old);
      }
      de.inode = kNoInode;
      inodes_->Iput(old, op);
    }
  } else {
    Unhash(d);
  }
}

void Dcache::d_move(DentryId d, DentryId target) {
  Dentry& de = mut(d);
  const Dentry& te = at(target);
  sim::Record(SlotKey(de.parent, de.name), sim::AccessMode::kWrite);
  sim::Record(SlotKey(te.parent, te.name), sim::AccessMode::kWrite);
  Unhash(d);
  Unhash(target);
  if (de.parent != te.parent) {
    dget(te.parent);
    DentryId old_parent = de.parent;
    de.parent = te.parent;
    dput(old_parent, -1);
  }
  de.name = te.name;
  Rehash(d);
}

void Dcache::Free(DentryId d, int op) {
  Dentry& de = mut(d);
  de.state = DState::kFreed;
  if (de.inode != kNoInode) {
    InodeId old = de.inode;
    if (inodes_->at(old).is_dir) {
      RecordAlias(mount_, old, sim::AccessMode::kWrite);
      auto it = dir_alias_.find(old);
      if (it != dir_alias_.end() && it->second == d) dir_alias_.erase(it);
    }
    de.inode = kNoInode;
    inodes_->Iput(old, op);
  }
  if (de.parent != kNoDentry) dput(de.parent, op);
}

void Dcache::dput(DentryId d, int op) {
  Dentry& de = dentries_[d];
  de.count--;
  // A decrement does not commute with an increment: in the other order the
  // count may reach 0 (an increment of 2 by one step and this decrement to 2
  // are, swapped, a decrement to 0). Increments commute with each other.
  // The root dentry is pinned (sb->s_root) and never freed, so nothing
  // depends on where its count goes: its decrements commute too.
  if (d == root_) {
    sim::Record(CountKey(d), sim::AccessMode::kAdd);
    return;
  }
  sim::Record(CountKey(d), sim::AccessMode::kWrite);
  if (de.count == 0 && at(d).state == DState::kUnhashed) Free(d, op);
}

void Dcache::ShrinkUnused(int op) {
  bool changed = true;
  while (changed) {
    changed = false;
    const std::vector<DentryId> ids = AllIds();
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      const DentryId d = *it;
      const Dentry& de = at(d);
      sim::Record(CountKey(d), sim::AccessMode::kRead);
      if (d == root_ || de.state != DState::kHashed || de.count != 0) continue;
      Unhash(d);
      Free(d, op);
      changed = true;
    }
  }
}

void Dcache::ShrinkParent(DentryId top, int op) {
  auto below = [&](DentryId d) {
    for (DentryId p = at(d).parent; p != kNoDentry; p = at(p).parent)
      if (p == top) return true;
    return false;
  };
  bool changed = true;
  while (changed) {
    changed = false;
    const std::vector<DentryId> ids = AllIds();
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      const DentryId d = *it;
      const Dentry& de = at(d);
      sim::Record(CountKey(d), sim::AccessMode::kRead);
      if (de.state != DState::kHashed || de.count != 0 || !below(d)) continue;
      Unhash(d);
      Free(d, op);
      changed = true;
    }
  }
}

DentryId Dcache::Resolve(const std::vector<NameId>& path) const {
  DentryId cur = root_;
  for (size_t i = 0; i < path.size(); ++i) {
    if (at(cur).inode == kNoInode) return kNoDentry;  // nothing below a negative
    auto it = hashed_.find(HashKey(cur, path[i]));
    if (it == hashed_.end()) return kNoDentry;
    cur = it->second;
  }
  return cur;
}

std::vector<DentryId> Dcache::AllIds() const {
  for (int pool : dentries_.Pools()) sim::Record(PoolKey(mount_, 0, pool), sim::AccessMode::kRead);
  return dentries_.Ids();
}

std::vector<DentryId> Dcache::InLookup() const {
  std::vector<DentryId> out;
  for (DentryId d : AllIds())
    if (dentries_[d].state == DState::kInLookup) out.push_back(d);
  return out;
}

std::vector<std::string> Dcache::CheckConsistency() const {
  std::vector<std::string> out;
  for (const auto& [key, d] : hashed_) {
    const Dentry& de = at(d);
    if (de.state != DState::kHashed || HashKey(de.parent, de.name) != key)
      out.push_back(
          absl::StrFormat("dentry %d is indexed as hashed but is not (state %d)", d, static_cast<int>(de.state)));
  }
  for (const auto& [key, d] : in_lookup_) {
    const Dentry& de = at(d);
    if (de.state != DState::kInLookup || HashKey(de.parent, de.name) != key)
      out.push_back(absl::StrFormat("dentry %d is indexed as in-lookup but is not", d));
  }
  const std::vector<DentryId> ids = AllIds();
  absl::flat_hash_map<DentryId, int> children;
  for (DentryId d : ids) {
    const Dentry& de = at(d);
    if (de.state == DState::kFreed) continue;
    if (de.state == DState::kInLookup && !in_lookup_.contains(HashKey(de.parent, de.name)))
      out.push_back(absl::StrFormat("in-lookup dentry %d is not in the in-lookup hash", d));
    if (de.count < 0) out.push_back(absl::StrFormat("dentry %d has count %d", d, de.count));
    if (de.parent != kNoDentry) {
      if (at(de.parent).state == DState::kFreed)
        out.push_back(absl::StrFormat("dentry %d lives under freed dentry %d", d, de.parent));
      children[de.parent]++;
    }
    if (de.inode != kNoInode && inodes_->at(de.inode).evicted)
      out.push_back(absl::StrFormat("dentry %d points at evicted inode %d", d, de.inode));
    if (de.state == DState::kUnhashed && de.count == 0)
      out.push_back(absl::StrFormat("unhashed dentry %d has no reference but was not freed", d));
  }
  for (DentryId d : ids)
    if (at(d).state != DState::kFreed && at(d).count < children[d])
      out.push_back(absl::StrFormat("dentry %d has count %d below its %d children", d, at(d).count, children[d]));
  return out;
}

}  // namespace fusesim::model
