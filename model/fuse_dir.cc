#include "model/fuse_dir.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/fuse_conn.h"
#include "model/keys.h"

namespace fusesim::model {
namespace {

std::string DentryPath(Kctx& k, DentryId d) {
  std::vector<NameId> names;
  for (DentryId p = d; p != kNoDentry && p != k.m.dcache.root(); p = k.dentry(p).parent)
    names.push_back(k.dentry(p).name);
  std::string s;
  for (auto it = names.rbegin(); it != names.rend(); ++it) absl::StrAppend(&s, "/", k.w.names->Name(*it));
  return absl::StrCat(k.m.config.name, ":", s.empty() ? "/" : s);
}

// A kernel BUG: report it and stop the task forever.
sim::Task<bool> Bug(Kctx& k, const char* invariant, std::string detail) {
  k.w.AddViolation(invariant, detail, k.op);
  k.rec().bug = true;
  co_await sim::BugAwaiter(k.a);
  co_return false;
}

void TraceDentry(Kctx& k, DentryId d, const char* what) {
  if (!k.w.tracing) return;
  const Dentry& de = k.dentry(d);
  const char* state = de.state == DState::kInLookup  ? "in-lookup"
                      : de.state == DState::kHashed  ? (de.inode == kNoInode ? "negative" : "positive")
                      : de.state == DState::kFreed   ? "freed"
                                                     : "unhashed";
  k.w.Trace(k.a.index, "dentry", absl::StrCat(what, " ", DentryPath(k, d), " -> ", state));
}

// fuse_change_entry_timeout()
void SetEntryTimeout(Kctx& k, DentryId d, sim::Clock entry_valid_us) {
  k.dentry(d).time = ValidUntil(k.now(), entry_valid_us);
}

void RefreshAttrs(Kctx& k, InodeId ino, const Reply& r) {
  Inode& i = k.inode(ino);
  i.attr_time = ValidUntil(k.now(), r.attr_valid_us);
  i.inval_perm = i.inval_other = false;
  i.nlink = r.nlink;
}

bool HasCreatedFlag(Opcode op) {
  return op == Opcode::kAtomicCreate || op == Opcode::kCreateExt || op == Opcode::kOpenAtomic;
}

// fuse_entry_unlinked(): after UNLINK/RMDIR, or a RENAME over a positive.
void fuse_entry_unlinked(Kctx& k, DentryId entry) {
  Inode& i = k.inode(k.dentry(entry).inode);
  if (i.is_dir) {
    i.nlink = 0;
  } else if (i.nlink > 0) {
    i.nlink--;
  }
  k.dentry(entry).time = 0;  // fuse_invalidate_entry_cache()
  i.inval_other = true;      // fuse_update_ctime()
}

Request NameRequest(Opcode op, NodeId parent, NameId name, uint32_t flags = 0) {
  Request r;
  r.opcode = op;
  r.nodeid = parent;
  r.name = name;
  r.flags = flags;
  return r;
}


// ---- The 2026 designs (docs/variants.md) ----

// Sends `parts` as one COMPOUND (FUSE_COMPOUND v7). ENOSYS turns compounds
// off for the connection; ENOSYS and EOPNOTSUPP decline the combination.
// When declined: with `replay` the parts go one by one (the v7 kernel's
// fuse_simple_request() replay), otherwise the result is empty and the
// caller falls back. Any other error of the whole request fails every part.
sim::Task<std::vector<Reply>> SendCompound(Kctx& k, std::vector<Request> parts, bool replay) {
  if (!k.m.conn.no_compound) {
    Request c;
    c.opcode = Opcode::kCompound;
    c.nodeid = parts.front().nodeid;
    c.parts = parts;
    Reply r = co_await FuseSimpleRequest(k, c);
    if (r.err == Err::kOk && r.parts.size() == parts.size()) co_return r.parts;
    if (r.err == Err::kENOSYS) k.m.conn.no_compound = true;
    if (r.err != Err::kENOSYS && r.err != Err::kEOPNOTSUPP) {
      Reply failed;
      failed.err = r.err == Err::kOk ? Err::kEIO : r.err;
      co_return std::vector<Reply>(parts.size(), failed);
    }
  }
  std::vector<Reply> out;
  if (!replay) co_return out;
  for (const Request& part : parts) {
    Request p = part;
    if (p.dep >= 0) {
      const Reply& d = out[static_cast<size_t>(p.dep)];
      if (d.err != Err::kOk || d.nodeid == 0) {
        Reply failed;
        failed.err = d.err != Err::kOk ? d.err : Err::kENOENT;
        out.push_back(failed);
        continue;
      }
      p.nodeid = d.nodeid;
      p.dep = -1;
    }
    out.push_back(co_await FuseSimpleRequest(k, p));
  }
  co_return out;
}

Request DepRequest(Opcode op, int dep, uint32_t flags = 0) {
  Request r;
  r.opcode = op;
  r.dep = dep;
  r.flags = flags;
  return r;
}

bool AttrsStale(Kctx& k, InodeId ino) {
  const Inode& i = k.inode(ino);
  return i.inval_perm || i.inval_other || Expired(i.attr_time, k.now());
}

// The variant's lookup of (parent, name): LOOKUP; LOOKUP_HANDLE+STATX as one
// compound (lookup-handle); LOOKUPX, whose reply has no attributes (fusex);
// and, for the compound variant revalidating an inode whose attributes are
// stale too, LOOKUP+GETATTR as one compound.
sim::Task<Reply> SendLookup(Kctx& k, NodeId parent, NameId name, bool stale_attrs) {
  if (k.w.variant == Variant::kFusex)
    co_return co_await FuseSimpleRequest(k, NameRequest(Opcode::kLookupx, parent, name));
  const bool handle = k.w.variant == Variant::kLookupHandle;
  if ((handle || (k.w.variant == Variant::kCompound && stale_attrs)) && !k.m.conn.no_compound) {
    std::vector<Request> parts;
    parts.push_back(NameRequest(handle ? Opcode::kLookupHandle : Opcode::kLookup, parent, name));
    parts.push_back(DepRequest(handle ? Opcode::kStatx : Opcode::kGetattr, 0));
    std::vector<Reply> rs = co_await SendCompound(k, std::move(parts), /*replay=*/!handle);
    if (!rs.empty()) {
      Reply r = rs[0];
      if (r.err == Err::kOk && r.nodeid != 0) {
        // LOOKUP_HANDLE's fuse_entry2_out has no attributes: they come from STATX.
        if (rs[1].err == Err::kOk) {
          r.attr_valid_us = rs[1].attr_valid_us;
          r.nlink = rs[1].nlink;
        } else if (handle) {
          r.attr_valid_us = 0;
        }
      }
      co_return r;
    }
  }
  co_return co_await FuseSimpleRequest(k, NameRequest(Opcode::kLookup, parent, name));
}

// finish_open() on an inode a compound opened: the file holds the dentry.
void OpenedByCompound(Kctx& k, File& file, InodeId ino, DentryId target, uint64_t fh, bool created) {
  file.created = created;
  file.opened = true;
  file.fh = fh;
  file.inode = ino;
  file.dentry = target;
  file.is_dir = false;
  k.m.dcache.dget(target);
  k.m.inodes.Ihold(ino);
}

void QueueRelease(Kctx& k, NodeId node, uint64_t fh) {
  Request rel;
  rel.opcode = Opcode::kRelease;
  rel.nodeid = node;
  rel.fh = fh;
  FuseQueueBackground(k, std::move(rel));
}

// create_new_entry(): MKNOD/MKDIR reply -> inode, d_drop + d_splice_alias.
sim::Task<Err> create_new_entry(Kctx& k, Opcode op, InodeId dir, DentryId entry) {
  const NodeId dirnode = k.inode(dir).nodeid;
  const NameId name = k.dentry(entry).name;
  Reply r = co_await FuseSimpleRequest(k, NameRequest(op, dirnode, name));
  if (r.err != Err::kOk) {
    if (r.err == Err::kEEXIST && InvalidatesOnEexist(k.m.config.kernel)) fuse_invalidate_entry(k, entry);
    co_return r.err;
  }
  const bool want_dir = op == Opcode::kMkdir;
  if (r.nodeid == 0 || r.nodeid == kRootNodeId || r.is_dir != want_dir) {
    co_return Err::kEIO;  // the forget is freed, not sent: the lookup count leaks
  }
  InodeId ino = k.m.inodes.Iget(r.nodeid, r.is_dir, r.nlink, ValidUntil(k.now(), r.attr_valid_us));
  k.m.dcache.d_drop(entry, k.a);
  DentryId alias;
  k.m.dcache.d_splice_alias(ino, entry, &alias, k.a);  // never hashed after d_drop
  DentryId target = entry;
  if (alias != kNoDentry) {
    target = alias;
    k.m.dcache.dput(alias, k.op);
  }
  SetEntryTimeout(k, target, r.entry_valid_us);
  TraceDentry(k, target, "d_splice_alias");
  fuse_dir_changed(k, dir);
  co_return Err::kOk;
}

sim::Task<Err> fuse_mknod(Kctx& k, InodeId dir, DentryId entry) {
  co_return co_await create_new_entry(k, Opcode::kMknod, dir, entry);
}

// How the created inode is attached to the dentry, per variant.
enum class Instantiate { kDInstantiate, kDSpliceAlias, kDropAndSplice };

Instantiate HowToInstantiate(Kctx& k, DentryId entry, Opcode opcode) {
  const bool in_lookup = k.m.dcache.d_in_lookup(entry);
  switch (k.w.variant) {
    case Variant::kLookupCreate:
      return Instantiate::kDInstantiate;
    case Variant::kAtomicCreate:
      // v4: "if (!atomic_create && !d_in_lookup(entry) && fc->no_atomic_create)"
      if (opcode != Opcode::kAtomicCreate && !in_lookup && k.m.conn.no_atomic_create)
        return Instantiate::kDInstantiate;
      return Instantiate::kDSpliceAlias;
    case Variant::kCreateSkipLookup:
      return in_lookup ? Instantiate::kDSpliceAlias : Instantiate::kDInstantiate;
    case Variant::kCreateExt:
      // v5: ext_create => d_splice_alias, the hashed-negative hole included.
      return opcode == Opcode::kCreateExt ? Instantiate::kDSpliceAlias : Instantiate::kDInstantiate;
    case Variant::kOpenAtomic:
      return opcode == Opcode::kOpenAtomic ? Instantiate::kDropAndSplice : Instantiate::kDInstantiate;
    case Variant::kCompound:
    case Variant::kCompoundCreate:
    case Variant::kLookupHandle:
    case Variant::kFusex:
      return Instantiate::kDInstantiate;  // their CREATE fallback is mainline's
  }
  return Instantiate::kDInstantiate;
}

// fuse_create_open(): CREATE (or a variant's opcode) and the open in one.
sim::Task<Err> fuse_create_open(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags,
                                Opcode opcode) {
  const NodeId dirnode = k.inode(dir).nodeid;
  Reply r = co_await FuseSimpleRequest(k, NameRequest(opcode, dirnode, k.dentry(entry).name, flags));
  if (r.err != Err::kOk) co_return r.err;
  if (r.is_dir || r.nodeid == 0 || r.nodeid == kRootNodeId) {
    // !S_ISREG or invalid nodeid: -EIO, and neither RELEASE nor FORGET is
    // sent, so the server's handle and lookup count leak.
    co_return Err::kEIO;
  }
  InodeId ino = k.m.inodes.Iget(r.nodeid, false, r.nlink, ValidUntil(k.now(), r.attr_valid_us));
  DentryId target = entry;
  switch (HowToInstantiate(k, entry, opcode)) {
    case Instantiate::kDInstantiate:
      if (!k.m.dcache.d_instantiate(entry, ino, k.a)) {
        co_await Bug(k, "bug:d_instantiate-in-lookup",
                     absl::StrCat("d_instantiate() on in-lookup dentry ", DentryPath(k, entry)));
        co_return Err::kEIO;
      }
      TraceDentry(k, entry, "d_instantiate");
      break;
    case Instantiate::kDropAndSplice:
      k.m.dcache.d_drop(entry, k.a);
      [[fallthrough]];
    case Instantiate::kDSpliceAlias: {
      DentryId alias;
      if (!k.m.dcache.d_splice_alias(ino, entry, &alias, k.a)) {
        co_await Bug(k, "bug:d_splice_alias-hashed",
                     absl::StrCat("d_splice_alias() on hashed dentry ", DentryPath(k, entry)));
        co_return Err::kEIO;
      }
      if (alias != kNoDentry) {
        target = alias;
        k.m.dcache.dput(alias, k.op);
      }
      TraceDentry(k, target, "d_splice_alias");
      break;
    }
  }
  SetEntryTimeout(k, target, r.entry_valid_us);
  const bool knows_created = HasCreatedFlag(opcode);
  if (!knows_created || r.file_created) fuse_dir_changed(k, dir);
  // FMODE_CREATED: v4 (and mainline, and the skip-lookup variant) set it
  // before sending; v5 and the 2023 series take it from FOPEN_FILE_CREATED.
  if (knows_created && (k.w.variant == Variant::kCreateExt || k.w.variant == Variant::kOpenAtomic))
    file.created = r.file_created;
  // finish_open(): the file is open on this dentry.
  file.opened = true;
  file.fh = r.fh;
  file.inode = ino;
  file.dentry = target;
  file.is_dir = false;
  k.m.dcache.dget(target);
  k.m.inodes.Ihold(ino);
  // No attribute invalidation for O_TRUNC: finish_open() -> do_dentry_open()
  // clears O_TRUNC from f_flags before fuse_finish_open() could look at it
  // (5.18), and 6.18 handles the truncate in fuse_open() only. The file keeps
  // the attributes of the create reply.
  co_return Err::kOk;
}

// The LOOKUP at the top of ->atomic_open for an in-lookup dentry. On a
// directory alias the caller goes on with the alias, which finish_no_open()
// hands to the VFS (out->res holds its reference).
sim::Task<Err> lookup_first(Kctx& k, InodeId dir, DentryId* entry, AtomicOpenResult* out) {
  LookupResult lr = co_await fuse_lookup(k, dir, *entry);
  if (lr.err != Err::kOk) co_return lr.err;
  if (lr.alias != kNoDentry) {
    out->res = lr.alias;
    *entry = lr.alias;
  }
  co_return Err::kOk;
}

// Returns from ->atomic_open with the create's result: 6.6+ invalidates the
// dentry on EEXIST; an alias reference is dropped.
AtomicOpenResult create_done(Kctx& k, DentryId entry, const AtomicOpenResult& out, Err err) {
  if (err == Err::kEEXIST && InvalidatesOnEexist(k.m.config.kernel)) fuse_invalidate_entry(k, entry);
  if (out.res != kNoDentry) k.m.dcache.dput(out.res, k.op);
  return AtomicOpenResult{err};
}

// The "mknod:" label: MKNOD, then finish_no_open() so that the VFS opens.
sim::Task<AtomicOpenResult> mknod_then_open(Kctx& k, InodeId dir, DentryId entry, AtomicOpenResult out) {
  Err err = co_await fuse_mknod(k, dir, entry);
  if (err != Err::kOk) {
    if (out.res != kNoDentry) k.m.dcache.dput(out.res, k.op);
    co_return AtomicOpenResult{err};
  }
  co_return out;
}

// Mainline's ->atomic_open() (and every variant's fallback to it).
sim::Task<AtomicOpenResult> atomic_open_mainline(Kctx& k, InodeId dir, DentryId entry, File& file,
                                                 uint32_t flags, bool lookup_if_in_lookup) {
  AtomicOpenResult out;
  if (lookup_if_in_lookup && k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if ((flags & kOCreat) == 0 || k.m.dcache.positive(entry)) co_return out;  // finish_no_open
  file.created = true;  // "Only creates"
  if (!k.m.conn.no_create) {
    Err err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.m.conn.no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// v4 1/3 "FUSE: Implement atomic lookup + create", exactly.
sim::Task<AtomicOpenResult> atomic_open_v4(Kctx& k, InodeId dir, DentryId entry, File& file,
                                           uint32_t flags) {
  AtomicOpenResult out;
  const bool create = (flags & kOCreat) != 0;
  if ((!create || k.m.conn.no_atomic_create) && k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if (!create || k.m.dcache.positive(entry)) co_return out;
  file.created = true;
  if (!k.m.conn.no_create) {
    // fuse_atomic_create()
    Err err = Err::kENOSYS;
    if (!k.m.conn.no_atomic_create) {
      err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kAtomicCreate);
      if (err == Err::kENOSYS) k.m.conn.no_atomic_create = true;
    }
    // "fall back to normal create" -- without redoing the lookup.
    if (err == Err::kENOSYS) err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.m.conn.no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// The alternative raised in review: skip LOOKUP, send plain CREATE.
sim::Task<AtomicOpenResult> atomic_open_skip_lookup(Kctx& k, InodeId dir, DentryId entry, File& file,
                                                    uint32_t flags) {
  AtomicOpenResult out;
  const bool create = (flags & kOCreat) != 0;
  if ((!create || k.m.conn.no_create) && k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if (!create || k.m.dcache.positive(entry)) co_return out;
  file.created = true;
  if (!k.m.conn.no_create) {
    Err err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.m.conn.no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// v5 1/3 "FUSE: Avoid lookups in fuse create": CREATE_EXT; on ENOSYS go back
// and do the LOOKUP before CREATE.
sim::Task<AtomicOpenResult> atomic_open_v5(Kctx& k, InodeId dir, DentryId entry, File& file,
                                           uint32_t flags) {
  AtomicOpenResult out;
  const bool create = (flags & kOCreat) != 0;
  for (;;) {  // "lookup:" label
    if ((!create || k.m.conn.no_create_ext) && k.m.dcache.d_in_lookup(entry)) {
      if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
    }
    if (!create || k.m.dcache.positive(entry)) co_return out;
    if (k.m.conn.no_create) break;  // mknod
    file.created = true;
    Err err;
    if (!k.m.conn.no_create_ext) {
      err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreateExt);
      if (err == Err::kENOSYS) {
        k.m.conn.no_create_ext = true;
        file.created = false;
        continue;  // goto lookup
      }
    } else {
      err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    }
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.m.conn.no_create = true;
    break;
  }
  file.created = true;
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// The 2023 "full atomic open" series (v10): one OPEN_ATOMIC for O_CREAT and
// for plain opens of uncached names; ENOSYS falls back to mainline.
sim::Task<AtomicOpenResult> atomic_open_2023(Kctx& k, InodeId dir, DentryId entry, File& file,
                                             uint32_t flags) {
  const bool create = (flags & kOCreat) != 0;
  Dcache& dc = k.m.dcache;
  // Negative dentries only; a hashed negative without O_CREAT goes the old way.
  if (k.m.conn.no_open_atomic || dc.positive(entry) || (!create && !dc.d_in_lookup(entry)))
    co_return co_await atomic_open_mainline(k, dir, entry, file, flags, true);
  const NodeId dirnode = k.inode(dir).nodeid;
  Reply r = co_await FuseSimpleRequest(k, NameRequest(Opcode::kOpenAtomic, dirnode, dc.at(entry).name, flags));
  if (r.err == Err::kENOSYS) {
    k.m.conn.no_open_atomic = true;
    co_return co_await atomic_open_mainline(k, dir, entry, file, flags, true);
  }
  if (!create && (r.err == Err::kENOENT || (r.err == Err::kOk && r.nodeid == 0))) {
    // A plain open of a missing name: cache the negative entry as
    // fuse_lookup() would, then report ENOENT (nodeid 0 -> ENOENT).
    DentryId alias;
    if (!dc.d_in_lookup(entry) || !dc.d_splice_alias(kNoInode, entry, &alias, k.a))
      co_return AtomicOpenResult{Err::kENOENT};
    SetEntryTimeout(k, entry, r.err == Err::kOk ? r.entry_valid_us : 0);
    co_return AtomicOpenResult{Err::kENOENT};
  }
  if (r.err != Err::kOk) {
    if (r.err == Err::kEEXIST && InvalidatesOnEexist(k.m.config.kernel)) fuse_invalidate_entry(k, entry);
    co_return AtomicOpenResult{r.err};
  }
  if (r.nodeid == 0) co_return AtomicOpenResult{Err::kENOENT};
  InodeId ino = k.m.inodes.Iget(r.nodeid, r.is_dir, r.nlink, ValidUntil(k.now(), r.attr_valid_us));
  dc.d_drop(entry, k.a);
  DentryId alias;
  dc.d_splice_alias(ino, entry, &alias, k.a);
  DentryId target = alias != kNoDentry ? alias : entry;
  SetEntryTimeout(k, target, r.entry_valid_us);
  TraceDentry(k, target, "d_splice_alias");
  if (!r.opened) {  // a directory: the VFS opens it
    AtomicOpenResult out;
    out.res = alias;
    co_return out;
  }
  if (alias != kNoDentry) dc.dput(alias, k.op);
  if (r.file_created) fuse_dir_changed(k, dir);
  file.created = r.file_created;
  file.opened = true;
  file.fh = r.fh;
  file.inode = ino;
  file.dentry = target;
  dc.dget(target);
  k.m.inodes.Ihold(ino);
  // As in fuse_create_open(): finish_open() has cleared O_TRUNC, no invalidation.
  co_return AtomicOpenResult{};
}


// compound-create: libfuse PR #1418's passthrough_hp serves LOOKUP+MKNOD+OPEN
// ("pseudo atomic create") and LOOKUP+OPEN as one compound; the kernel sends
// them for a name the dcache does not have (an in-lookup dentry). Declined
// (ENOSYS, EOPNOTSUPP): mainline. Who says "created" is compound_excl.
sim::Task<AtomicOpenResult> atomic_open_compound_create(Kctx& k, InodeId dir, DentryId entry, File& file,
                                                        uint32_t flags) {
  const bool create = (flags & kOCreat) != 0;
  Dcache& dc = k.m.dcache;
  if (k.m.conn.no_compound || !dc.d_in_lookup(entry) || (!create && (flags & kODirectory) != 0))
    co_return co_await atomic_open_mainline(k, dir, entry, file, flags, true);
  const NodeId dirnode = k.inode(dir).nodeid;
  const NameId name = dc.at(entry).name;
  std::vector<Request> parts;
  parts.push_back(NameRequest(Opcode::kLookup, dirnode, name));
  if (create) parts.push_back(NameRequest(Opcode::kMknod, dirnode, name));
  parts.push_back(DepRequest(Opcode::kOpen, create ? 1 : 0, flags & ~(kOCreat | kOExcl)));
  std::vector<Reply> rs = co_await SendCompound(k, std::move(parts), /*replay=*/false);
  if (rs.empty()) co_return co_await atomic_open_mainline(k, dir, entry, file, flags, true);
  const Reply& look = rs[0];
  if (look.err != Err::kOk && look.err != Err::kENOENT) co_return AtomicOpenResult{look.err};
  const bool found = look.err == Err::kOk && look.nodeid != 0;
  if (!found && !create) {  // a negative entry, cached as fuse_lookup() would
    DentryId alias;
    if (dc.d_splice_alias(kNoInode, entry, &alias, k.a))
      SetEntryTimeout(k, entry, look.err == Err::kOk ? look.entry_valid_us : 0);
    co_return AtomicOpenResult{Err::kENOENT};
  }
  const Reply& ent = create ? rs[1] : look;
  const Reply& open = rs.back();
  if (ent.err != Err::kOk) {
    if (ent.err == Err::kEEXIST && InvalidatesOnEexist(k.m.config.kernel)) fuse_invalidate_entry(k, entry);
    co_return AtomicOpenResult{ent.err};
  }
  if (ent.nodeid == 0 || ent.nodeid == kRootNodeId) co_return AtomicOpenResult{Err::kEIO};
  InodeId ino = k.m.inodes.Iget(ent.nodeid, ent.is_dir, ent.nlink, ValidUntil(k.now(), ent.attr_valid_us));
  DentryId alias;
  if (!dc.d_splice_alias(ino, entry, &alias, k.a)) {
    co_await Bug(k, "bug:d_splice_alias-hashed",
                 absl::StrCat("d_splice_alias() on hashed dentry ", DentryPath(k, entry)));
    co_return AtomicOpenResult{Err::kEIO};
  }
  const DentryId target = alias != kNoDentry ? alias : entry;
  SetEntryTimeout(k, target, ent.entry_valid_us);
  TraceDentry(k, target, "d_splice_alias");
  // "server": the MKNOD part's success means created (passthrough_hp answers
  // it with the existing entry when the LOOKUP part found the name);
  // "kernel-recheck": a positive LOOKUP part means the file was not created.
  const bool created =
      create && (k.w.server.compound_excl() == CompoundExcl::kServer || !found);
  if (created) fuse_dir_changed(k, dir);
  if (ent.is_dir || open.err != Err::kOk) {
    if (open.err == Err::kOk) QueueRelease(k, ent.nodeid, open.fh);  // not a file to open here
    if (!ent.is_dir) {
      if (alias != kNoDentry) dc.dput(alias, k.op);
      co_return AtomicOpenResult{open.err};
    }
    AtomicOpenResult out;  // finish_no_open(): the VFS says EISDIR or opens the directory
    out.res = alias;
    co_return out;
  }
  if (alias != kNoDentry) dc.dput(alias, k.op);
  OpenedByCompound(k, file, ino, target, open.fh, created);
  co_return AtomicOpenResult{};
}

// lookup-handle: FUSE_LOOKUP_HANDLE RFC v3. The lookup stays (a
// LOOKUP_HANDLE+STATX compound from fuse_lookup()); the CREATE becomes a
// MKOBJ_HANDLE+STATX+OPEN compound. Declined: CREATE as mainline.
sim::Task<AtomicOpenResult> atomic_open_lookup_handle(Kctx& k, InodeId dir, DentryId entry, File& file,
                                                      uint32_t flags) {
  AtomicOpenResult out;
  if (k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if ((flags & kOCreat) == 0 || k.m.dcache.positive(entry)) co_return out;
  file.created = true;  // as for CREATE: set before sending
  if (!k.m.conn.no_compound) {
    const NodeId dirnode = k.inode(dir).nodeid;
    std::vector<Request> parts;
    parts.push_back(NameRequest(Opcode::kMkobjHandle, dirnode, k.dentry(entry).name, flags));
    parts.push_back(DepRequest(Opcode::kStatx, 0));
    parts.push_back(DepRequest(Opcode::kOpen, 0, flags & ~(kOCreat | kOExcl)));
    std::vector<Reply> rs = co_await SendCompound(k, std::move(parts), /*replay=*/false);
    if (!rs.empty()) {
      const Reply& ent = rs[0];
      if (ent.err != Err::kOk) co_return create_done(k, entry, out, ent.err);
      if (ent.is_dir || ent.nodeid == 0 || ent.nodeid == kRootNodeId) co_return create_done(k, entry, out, Err::kEIO);
      const sim::Clock attr_valid = rs[1].err == Err::kOk ? rs[1].attr_valid_us : 0;
      InodeId ino = k.m.inodes.Iget(ent.nodeid, false, ent.nlink, ValidUntil(k.now(), attr_valid));
      if (!k.m.dcache.d_instantiate(entry, ino, k.a)) {
        co_await Bug(k, "bug:d_instantiate-in-lookup",
                     absl::StrCat("d_instantiate() on in-lookup dentry ", DentryPath(k, entry)));
        co_return AtomicOpenResult{Err::kEIO};
      }
      TraceDentry(k, entry, "d_instantiate");
      SetEntryTimeout(k, entry, ent.entry_valid_us);
      fuse_dir_changed(k, dir);
      if (rs[2].err != Err::kOk) co_return create_done(k, entry, out, rs[2].err);
      OpenedByCompound(k, file, ino, entry, rs[2].fh, true);
      co_return create_done(k, entry, out, Err::kOk);
    }
  }
  if (!k.m.conn.no_create) {
    Err err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.m.conn.no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// fusex: no-open mode; LOOKUPX (from fuse_lookup()) if the name is not
// cached, then MKOBJX for a new name; the VFS opens without an OPEN.
sim::Task<AtomicOpenResult> atomic_open_fusex(Kctx& k, InodeId dir, DentryId entry, File& file,
                                              uint32_t flags) {
  AtomicOpenResult out;
  k.m.conn.no_open = true;
  if (k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if ((flags & kOCreat) == 0 || k.m.dcache.positive(entry)) co_return out;
  file.created = true;
  Err err = co_await create_new_entry(k, Opcode::kMkobjx, dir, entry);
  if (err != Err::kOk) {
    if (out.res != kNoDentry) k.m.dcache.dput(out.res, k.op);
    co_return AtomicOpenResult{err};
  }
  co_return out;
}

}  // namespace

void fuse_dir_changed(Kctx& k, InodeId dir) {
  Inode& i = k.inode(dir);
  i.inval_perm = i.inval_other = true;  // fuse_invalidate_attr()
  k.w.dir_changed++;
  if (k.changed_dir[0] != i.nodeid && k.changed_dir[1] != i.nodeid) k.w.spurious_dir_changed++;
  k.a.Touch(MakeKey(KeyKind::kInode, k.m.index, static_cast<uint64_t>(dir)), true);
}

void fuse_invalidate_entry(Kctx& k, DentryId entry) {
  k.m.dcache.d_invalidate(entry, k.a, k.op);
  k.dentry(entry).time = 0;
}

sim::Task<Revalidate> fuse_dentry_revalidate(Kctx& k, DentryId entry, unsigned flags) {
  Dentry& de = k.dentry(entry);
  const InodeId ino = de.inode;
  if (ino != kNoInode && k.inode(ino).bad) co_return Revalidate{0};
  unsigned forcing = kLookupExcl | kLookupReval;
  if (RevalidatesRenameTarget(k.m.config.kernel)) forcing |= kLookupRenameTarget;
  if (!Expired(de.time, k.now()) && (flags & forcing) == 0) co_return Revalidate{1};
  if (ino == kNoInode) co_return Revalidate{0};  // "For negative dentries, always do a fresh lookup"
  const NodeId parent = k.nodeid_of(de.parent);
  Reply r = co_await SendLookup(k, parent, de.name, AttrsStale(k, ino));
  Inode& inode = k.inode(ino);
  Err ret = r.err;
  if (ret == Err::kOk && r.nodeid == 0) ret = Err::kENOENT;
  if (ret == Err::kOk) {
    if (r.nodeid != inode.nodeid) {
      k.m.inodes.QueueForget(r.nodeid, 1, k.op, k.now());
      co_return Revalidate{0};
    }
    inode.nlookup++;
  }
  if (ret == Err::kENOMEM || ret == Err::kEINTR) co_return Revalidate{-1, ret};
  // fuse_stale_inode(): the same nodeid with another type is invalid too.
  if (ret != Err::kOk || r.is_dir != inode.is_dir) co_return Revalidate{0};
  RefreshAttrs(k, ino, r);
  SetEntryTimeout(k, entry, r.entry_valid_us);
  co_return Revalidate{1};
}

sim::Task<LookupResult> fuse_lookup(Kctx& k, InodeId dir, DentryId entry) {
  const bool locked = !k.m.config.parallel_dirops;  // fuse_lock_inode()
  if (locked) co_await sim::MutexLock(k.a, k.inode(dir).fuse_mutex, "fuse_lock_inode");
  // fuse_lookup_name(): the only name-length check on the way (FUSE_NAME_MAX).
  if (k.w.names->Name(k.dentry(entry).name).size() > FuseNameMax(k.m.config.kernel)) {
    if (locked) sim::MutexUnlock(k.a, k.inode(dir).fuse_mutex);
    co_return LookupResult{Err::kENAMETOOLONG};
  }
  const NodeId dirnode = k.inode(dir).nodeid;
  Reply r = co_await SendLookup(k, dirnode, k.dentry(entry).name, false);
  bool outarg_valid = true;
  if (r.err == Err::kENOENT) {
    outarg_valid = false;
    r.err = Err::kOk;
    r.nodeid = 0;
  }
  if (r.err != Err::kOk || r.nodeid == kRootNodeId) {
    if (locked) sim::MutexUnlock(k.a, k.inode(dir).fuse_mutex);
    co_return LookupResult{r.err == Err::kOk ? Err::kEIO : r.err};
  }
  InodeId ino = kNoInode;
  if (r.nodeid != 0)
    ino = k.m.inodes.Iget(r.nodeid, r.is_dir, r.nlink, ValidUntil(k.now(), r.attr_valid_us));
  DentryId alias;
  if (!k.m.dcache.d_splice_alias(ino, entry, &alias, k.a)) {
    co_await Bug(k, "bug:d_splice_alias-hashed",
                 absl::StrCat("d_splice_alias() on hashed dentry ", DentryPath(k, entry)));
    co_return LookupResult{Err::kEIO};
  }
  DentryId target = alias != kNoDentry ? alias : entry;
  if (outarg_valid) {
    SetEntryTimeout(k, target, r.entry_valid_us);
  } else {
    k.dentry(target).time = 0;  // fuse_invalidate_entry_cache()
  }
  TraceDentry(k, target, "d_splice_alias");
  if (locked) sim::MutexUnlock(k.a, k.inode(dir).fuse_mutex);
  co_return LookupResult{Err::kOk, alias};
}

sim::Task<AtomicOpenResult> fuse_atomic_open(Kctx& k, InodeId dir, DentryId entry, File& file,
                                             uint32_t flags) {
  if (k.inode(dir).bad) co_return AtomicOpenResult{Err::kEIO};
  switch (k.w.variant) {
    case Variant::kLookupCreate:
      co_return co_await atomic_open_mainline(k, dir, entry, file, flags, true);
    case Variant::kAtomicCreate:
      co_return co_await atomic_open_v4(k, dir, entry, file, flags);
    case Variant::kCreateSkipLookup:
      co_return co_await atomic_open_skip_lookup(k, dir, entry, file, flags);
    case Variant::kCreateExt:
      co_return co_await atomic_open_v5(k, dir, entry, file, flags);
    case Variant::kOpenAtomic:
      co_return co_await atomic_open_2023(k, dir, entry, file, flags);
    case Variant::kCompound:
      co_return co_await atomic_open_mainline(k, dir, entry, file, flags, true);
    case Variant::kCompoundCreate:
      co_return co_await atomic_open_compound_create(k, dir, entry, file, flags);
    case Variant::kLookupHandle:
      co_return co_await atomic_open_lookup_handle(k, dir, entry, file, flags);
    case Variant::kFusex:
      co_return co_await atomic_open_fusex(k, dir, entry, file, flags);
  }
  co_return AtomicOpenResult{Err::kEIO};
}

sim::Task<Err> fuse_mkdir(Kctx& k, InodeId dir, DentryId entry) {
  co_return co_await create_new_entry(k, Opcode::kMkdir, dir, entry);
}

namespace {
sim::Task<Err> unlink_common(Kctx& k, Opcode op, InodeId dir, DentryId entry) {
  Reply r = co_await FuseSimpleRequest(k, NameRequest(op, k.inode(dir).nodeid, k.dentry(entry).name));
  if (r.err == Err::kOk) {
    fuse_dir_changed(k, dir);
    fuse_entry_unlinked(k, entry);
  } else if ((r.err == Err::kENOENT && InvalidatesOnEexist(k.m.config.kernel)) || r.err == Err::kEINTR) {
    fuse_invalidate_entry(k, entry);
  }
  co_return r.err;
}
}  // namespace

sim::Task<Err> fuse_unlink(Kctx& k, InodeId dir, DentryId entry) {
  co_return co_await unlink_common(k, Opcode::kUnlink, dir, entry);
}

sim::Task<Err> fuse_rmdir(Kctx& k, InodeId dir, DentryId entry) {
  co_return co_await unlink_common(k, Opcode::kRmdir, dir, entry);
}

sim::Task<Err> fuse_rename(Kctx& k, InodeId olddir, DentryId oldent, InodeId newdir, DentryId newent) {
  Request req = NameRequest(Opcode::kRename, k.inode(olddir).nodeid, k.dentry(oldent).name);
  req.newdir = k.inode(newdir).nodeid;
  req.newname = k.dentry(newent).name;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err == Err::kOk) {
    k.inode(k.dentry(oldent).inode).inval_other = true;  // fuse_update_ctime()
    if (k.m.dcache.positive(newent)) fuse_entry_unlinked(k, newent);
    fuse_dir_changed(k, olddir);
    if (olddir != newdir) fuse_dir_changed(k, newdir);
  } else if ((r.err == Err::kENOENT && InvalidatesOnEexist(k.m.config.kernel)) || r.err == Err::kEINTR) {
    fuse_invalidate_entry(k, oldent);
    if (k.m.dcache.positive(newent)) fuse_invalidate_entry(k, newent);
  }
  co_return r.err;
}

sim::Task<Err> fuse_open(Kctx& k, File& file) {
  Inode& i = k.inode(file.inode);
  const bool isdir = i.is_dir;
  if (k.w.variant == Variant::kFusex && !isdir) k.m.conn.no_open = true;  // fusex: no-open mode only
  bool& no_open = isdir ? k.m.conn.no_opendir : k.m.conn.no_open;
  if (!no_open && !isdir && k.w.variant == Variant::kCompound && AttrsStale(k, file.inode)) {
    // FUSE_COMPOUND v7: OPEN+GETATTR in one request when the attributes are stale.
    Request open;
    open.opcode = Opcode::kOpen;
    open.nodeid = i.nodeid;
    open.flags = file.flags & ~(kOCreat | kOExcl);
    Request getattr;
    getattr.opcode = Opcode::kGetattr;
    getattr.nodeid = i.nodeid;
    std::vector<Request> parts;
    parts.push_back(open);
    parts.push_back(getattr);
    std::vector<Reply> rs = co_await SendCompound(k, std::move(parts), /*replay=*/true);
    if (rs[0].err == Err::kENOSYS) {
      no_open = true;
    } else if (rs[0].err != Err::kOk) {
      co_return rs[0].err;
    } else {
      file.fh = rs[0].fh;
    }
    if (rs[1].err == Err::kOk) RefreshAttrs(k, file.inode, rs[1]);
  } else if (!no_open) {  // fuse_file_open()
    Request req;
    req.opcode = isdir ? Opcode::kOpendir : Opcode::kOpen;
    req.nodeid = i.nodeid;
    req.flags = file.flags & ~(kOCreat | kOExcl);
    Reply r = co_await FuseSimpleRequest(k, req);
    if (r.err == Err::kENOSYS) {
      no_open = true;
      if (isdir) file.release_args = false;  // "No release needed"
    } else if (r.err != Err::kOk) {
      co_return r.err;
    } else {
      file.fh = r.fh;
    }
  } else if (isdir) {
    file.release_args = false;  // opened without OPENDIR: no release args (6.18)
  }
  // The open succeeded, with or without OPEN: an atomic_o_trunc O_TRUNC open
  // of a regular file invalidates its attributes (fuse_open():
  // fuse_truncate_update_attr() on 6.18, fuse_finish_open() on 5.18).
  if ((file.flags & kOTrunc) != 0 && !isdir) k.inode(file.inode).inval_other = true;
  co_return Err::kOk;
}

sim::Task<Err> fuse_flush(Kctx& k, File& file) {
  if (file.is_dir || k.m.conn.no_flush) co_return Err::kOk;
  Request req;
  req.opcode = Opcode::kFlush;
  req.nodeid = k.inode(file.inode).nodeid;
  req.fh = file.fh;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err == Err::kENOSYS) {
    k.m.conn.no_flush = true;
    co_return Err::kOk;
  }
  co_return r.err;
}

// fuse_release() -> fuse_file_put(): see ReleaseArgsPerFile().
void fuse_release(Kctx& k, File& file) {
  const ConnFlags& c = k.m.conn;
  if (ReleaseArgsPerFile(k.m.config.kernel)) {
    if (!file.release_args) return;                // "does not implement 'opendir'"
    if (!file.is_dir && c.no_open) return;         // args->opcode == FUSE_RELEASE && no_open
  } else if (file.is_dir ? c.no_opendir : c.no_open) {
    return;
  }
  Request req;
  req.opcode = file.is_dir ? Opcode::kReleasedir : Opcode::kRelease;
  req.nodeid = k.inode(file.inode).nodeid;
  req.fh = file.fh;
  FuseQueueBackground(k, std::move(req));
}

sim::Task<Err> fuse_getattr(Kctx& k, InodeId ino) {
  Inode& i = k.inode(ino);
  if (!i.inval_perm && !i.inval_other && !Expired(i.attr_time, k.now())) co_return Err::kOk;
  Request req;
  req.opcode = k.w.variant == Variant::kFusex ? Opcode::kStatx : Opcode::kGetattr;
  req.nodeid = i.nodeid;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err != Err::kOk) co_return r.err;
  RefreshAttrs(k, ino, r);
  co_return Err::kOk;
}

sim::Task<Err> fuse_permission(Kctx& k, InodeId ino) {
  if (!k.m.config.default_permissions) co_return Err::kOk;
  Inode& i = k.inode(ino);
  if (!i.inval_perm && !Expired(i.attr_time, k.now())) co_return Err::kOk;
  Request req;
  req.opcode = k.w.variant == Variant::kFusex ? Opcode::kStatx : Opcode::kGetattr;
  req.nodeid = i.nodeid;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err != Err::kOk) co_return r.err;
  RefreshAttrs(k, ino, r);
  co_return Err::kOk;
}

sim::Task<Err> fuse_need_killpriv(Kctx& k, InodeId ino) {
  if (k.m.conn.no_getxattr) co_return Err::kOk;
  Request req;
  req.opcode = Opcode::kGetxattr;
  req.nodeid = k.inode(ino).nodeid;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err == Err::kENOSYS) k.m.conn.no_getxattr = true;
  co_return Err::kOk;  // ENODATA / EOPNOTSUPP: no capability to drop
}

}  // namespace fusesim::model
