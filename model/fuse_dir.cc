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
  const char* state = de.state == DState::kInLookup ? "in-lookup"
                      : de.state == DState::kHashed ? (de.inode == kNoInode ? "negative" : "positive")
                      : de.state == DState::kFreed  ? "freed"
                                                    : "unhashed";
  k.w.Trace(k.a.index, "dentry", absl::StrCat(what, " ", DentryPath(k, d), " -> ", state));
}

// fuse_change_entry_timeout()
void SetEntryTimeout(Kctx& k, DentryId d, sim::Clock entry_valid_us) {
  k.dentry_mut(d).time = ValidUntil(k.now(), entry_valid_us);
}

// fuse_change_attributes(): `sent_attr_version` is fuse_get_attr_version()
// read before the request was sent (0: applied unconditionally); a reply
// sent before the inode's attributes were last set is dropped.
void RefreshAttrs(Kctx& k, InodeId ino, const Reply& r, uint64_t sent_attr_version = 0) {
  if (!k.m.inodes.TakeAttrs(ino, sent_attr_version)) return;
  Inode& i = k.inode_mut(ino);
  i.attr_time = ValidUntil(k.now(), r.attr_valid_us);
  i.inval_perm = i.inval_other = false;
  i.nlink = r.nlink;
  i.mtime = r.mtime;
}

bool HasCreatedFlag(Opcode op) {
  return op == Opcode::kAtomicCreate || op == Opcode::kCreateExt || op == Opcode::kOpenAtomic;
}

// fuse_entry_unlinked(): after UNLINK/RMDIR, or a RENAME over a positive.
void fuse_entry_unlinked(Kctx& k, DentryId entry) {
  Inode& i = k.inode_mut(k.dentry(entry).inode);
  i.attr_version = k.m.inodes.NextAttrVersion();
  if (i.is_dir) {
    i.nlink = 0;
  } else if (i.nlink > 0) {
    i.nlink--;
  }
  k.dentry_mut(entry).time = 0;  // fuse_invalidate_entry_cache()
  i.inval_other = true;          // fuse_update_ctime()
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
  if (!k.conn().no_compound) {
    Request c;
    c.opcode = Opcode::kCompound;
    c.nodeid = parts.front().nodeid;
    c.parts = parts;
    Reply r = co_await FuseSimpleRequest(k, c);
    if (r.err == Err::kOk && r.parts.size() == parts.size()) co_return r.parts;
    if (r.err == Err::kENOSYS) k.conn_mut().no_compound = true;
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
  if ((handle || (k.w.variant == Variant::kCompound && stale_attrs)) && !k.conn().no_compound) {
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

// create_new_entry(): MKNOD/MKDIR/SYMLINK/LINK reply -> inode, d_drop +
// d_splice_alias. `proto` carries the request's own arguments (SYMLINK's
// target, LINK's old nodeid); `want_symlink` is the S_IFMT check.
sim::Task<Err> create_new_entry(Kctx& k, Opcode op, InodeId dir, DentryId entry, const Request* proto = nullptr,
                                bool want_symlink = false) {
  const NodeId dirnode = k.inode(dir).nodeid;
  const NameId name = k.dentry(entry).name;
  const uint64_t epoch = k.epoch();
  Request req = proto != nullptr ? *proto : Request{};
  req.opcode = op;
  req.nodeid = dirnode;
  req.name = name;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err != Err::kOk) {
    if (r.err == Err::kEEXIST && InvalidatesOnEexist(k.m.config.kernel)) fuse_invalidate_entry(k, entry);
    co_return r.err;
  }
  const bool want_dir = op == Opcode::kMkdir;
  if (r.nodeid == 0 || r.nodeid == kRootNodeId || r.is_dir != want_dir || r.is_symlink != want_symlink) {
    co_return Err::kEIO;  // the forget is freed, not sent: the lookup count leaks
  }
  InodeId ino = k.m.inodes.Iget(r.nodeid, r.is_dir, r.nlink, ValidUntil(k.now(), r.attr_valid_us), r.is_symlink);
  k.m.dcache.d_drop(entry);
  DentryId alias;
  k.m.dcache.d_splice_alias(ino, entry, &alias, k.a);  // never hashed after d_drop
  DentryId target = entry;
  if (alias != kNoDentry) {
    target = alias;
    k.m.dcache.dput(alias, k.op);
  }
  k.dentry_mut(target).epoch = epoch;
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
      if (opcode != Opcode::kAtomicCreate && !in_lookup && k.conn().no_atomic_create) return Instantiate::kDInstantiate;
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
sim::Task<Err> fuse_create_open(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags, Opcode opcode) {
  const NodeId dirnode = k.inode(dir).nodeid;
  const uint64_t epoch = k.epoch();
  Reply r = co_await FuseSimpleRequest(k, NameRequest(opcode, dirnode, k.dentry(entry).name, flags));
  if (r.err != Err::kOk) co_return r.err;
  if (r.is_dir || r.is_symlink || r.nodeid == 0 || r.nodeid == kRootNodeId) {
    // !S_ISREG (a directory, or a symlink a server opened as the existing
    // name) or invalid nodeid: -EIO, and neither RELEASE nor FORGET is sent,
    // so the server's handle and lookup count leak.
    co_return Err::kEIO;
  }
  InodeId ino = k.m.inodes.Iget(r.nodeid, false, r.nlink, ValidUntil(k.now(), r.attr_valid_us));
  DentryId target = entry;
  switch (HowToInstantiate(k, entry, opcode)) {
    case Instantiate::kDInstantiate:
      if (!k.m.dcache.d_instantiate(entry, ino)) {
        co_await Bug(k, "bug:d_instantiate-in-lookup",
                     absl::StrCat("d_instantiate() on in-lookup dentry ", DentryPath(k, entry)));
        co_return Err::kEIO;
      }
      TraceDentry(k, entry, "d_instantiate");
      break;
    case Instantiate::kDropAndSplice:
      k.m.dcache.d_drop(entry);
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
  k.dentry_mut(target).epoch = epoch;
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
sim::Task<AtomicOpenResult> atomic_open_mainline(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags,
                                                 bool lookup_if_in_lookup) {
  AtomicOpenResult out;
  if (lookup_if_in_lookup && k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if ((flags & kOCreat) == 0 || k.m.dcache.positive(entry)) co_return out;  // finish_no_open
  file.created = true;                                                      // "Only creates"
  if (!k.conn().no_create) {
    Err err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.conn_mut().no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// v4 1/3 "FUSE: Implement atomic lookup + create", exactly.
sim::Task<AtomicOpenResult> atomic_open_v4(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags) {
  AtomicOpenResult out;
  const bool create = (flags & kOCreat) != 0;
  if ((!create || k.conn().no_atomic_create) && k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if (!create || k.m.dcache.positive(entry)) co_return out;
  file.created = true;
  if (!k.conn().no_create) {
    // fuse_atomic_create()
    Err err = Err::kENOSYS;
    if (!k.conn().no_atomic_create) {
      err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kAtomicCreate);
      if (err == Err::kENOSYS) k.conn_mut().no_atomic_create = true;
    }
    // "fall back to normal create" -- without redoing the lookup.
    if (err == Err::kENOSYS) err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.conn_mut().no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// The alternative raised in review: skip LOOKUP, send plain CREATE.
sim::Task<AtomicOpenResult> atomic_open_skip_lookup(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags) {
  AtomicOpenResult out;
  const bool create = (flags & kOCreat) != 0;
  if ((!create || k.conn().no_create) && k.m.dcache.d_in_lookup(entry)) {
    if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
  }
  if (!create || k.m.dcache.positive(entry)) co_return out;
  file.created = true;
  if (!k.conn().no_create) {
    Err err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.conn_mut().no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// v5 1/3 "FUSE: Avoid lookups in fuse create": CREATE_EXT; on ENOSYS go back
// and do the LOOKUP before CREATE.
sim::Task<AtomicOpenResult> atomic_open_v5(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags) {
  AtomicOpenResult out;
  const bool create = (flags & kOCreat) != 0;
  for (;;) {  // "lookup:" label
    if ((!create || k.conn().no_create_ext) && k.m.dcache.d_in_lookup(entry)) {
      if (Err e = co_await lookup_first(k, dir, &entry, &out); e != Err::kOk) co_return AtomicOpenResult{e};
    }
    if (!create || k.m.dcache.positive(entry)) co_return out;
    if (k.conn().no_create) break;  // mknod
    file.created = true;
    Err err;
    if (!k.conn().no_create_ext) {
      err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreateExt);
      if (err == Err::kENOSYS) {
        k.conn_mut().no_create_ext = true;
        file.created = false;
        continue;  // goto lookup
      }
    } else {
      err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    }
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.conn_mut().no_create = true;
    break;
  }
  file.created = true;
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// The 2023 "full atomic open" series (v10): one OPEN_ATOMIC for O_CREAT and
// for plain opens of uncached names; ENOSYS falls back to mainline.
sim::Task<AtomicOpenResult> atomic_open_2023(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags) {
  const bool create = (flags & kOCreat) != 0;
  Dcache& dc = k.m.dcache;
  // Negative dentries only; a hashed negative without O_CREAT goes the old way.
  if (k.conn().no_open_atomic || dc.positive(entry) || (!create && !dc.d_in_lookup(entry)))
    co_return co_await atomic_open_mainline(k, dir, entry, file, flags, true);
  const NodeId dirnode = k.inode(dir).nodeid;
  Reply r = co_await FuseSimpleRequest(k, NameRequest(Opcode::kOpenAtomic, dirnode, dc.at(entry).name, flags));
  if (r.err == Err::kENOSYS) {
    k.conn_mut().no_open_atomic = true;
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
  dc.d_drop(entry);
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
  if (k.conn().no_compound || !dc.d_in_lookup(entry) || (!create && (flags & kODirectory) != 0))
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
  const bool created = create && (k.w.server.compound_excl() == CompoundExcl::kServer || !found);
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
  if (!k.conn().no_compound) {
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
      if (!k.m.dcache.d_instantiate(entry, ino)) {
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
  if (!k.conn().no_create) {
    Err err = co_await fuse_create_open(k, dir, entry, file, flags, Opcode::kCreate);
    if (err != Err::kENOSYS) co_return create_done(k, entry, out, err);
    k.conn_mut().no_create = true;
  }
  co_return co_await mknod_then_open(k, dir, entry, out);
}

// fusex: no-open mode; LOOKUPX (from fuse_lookup()) if the name is not
// cached, then MKOBJX for a new name; the VFS opens without an OPEN.
sim::Task<AtomicOpenResult> atomic_open_fusex(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags) {
  AtomicOpenResult out;
  k.conn_mut().no_open = true;
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
  Inode& i = k.inode_mut(dir);
  i.inval_perm = i.inval_other = true;  // fuse_invalidate_attr()
  i.rdc_cached = false;                 // inode_maybe_inc_iversion(): the readdir cache is stale
  k.w.dir_changed++;
  if (k.changed_dir[0] != i.nodeid && k.changed_dir[1] != i.nodeid) k.w.spurious_dir_changed++;
  k.a.Touch(MakeKey(KeyKind::kInode, k.m.index, static_cast<uint64_t>(dir)), true);
}

void fuse_invalidate_entry(Kctx& k, DentryId entry) {
  k.m.dcache.d_invalidate(entry, k.op);
  k.dentry_mut(entry).time = 0;
}

sim::Task<Revalidate> fuse_dentry_revalidate(Kctx& k, DentryId entry, unsigned flags) {
  const Dentry& de = k.dentry(entry);
  const InodeId ino = de.inode;
  if (de.epoch < k.epoch()) co_return Revalidate{0};  // made before FUSE_NOTIFY_INC_EPOCH
  if (ino != kNoInode && k.inode(ino).bad) co_return Revalidate{0};
  unsigned forcing = kLookupExcl | kLookupReval;
  if (RevalidatesRenameTarget(k.m.config.kernel)) forcing |= kLookupRenameTarget;
  if (!Expired(de.time, k.now()) && (flags & forcing) == 0) {
    // An entry READDIRPLUS made, used: the directory is being walked
    // entry by entry (ls -l), so its next listing should be READDIRPLUS.
    if (ino != kNoInode && k.inode(ino).init_rdplus) {
      k.inode_mut(ino).init_rdplus = false;
      fuse_advise_use_readdirplus(k, k.dentry(de.parent).inode);
    }
    co_return Revalidate{1};
  }
  if (ino == kNoInode) co_return Revalidate{0};  // "For negative dentries, always do a fresh lookup"
  const NodeId parent = k.nodeid_of(de.parent);
  const uint64_t attr_version = k.m.inodes.attr_version();
  Reply r = co_await SendLookup(k, parent, de.name, AttrsStale(k, ino));
  Inode& inode = k.inode_mut(ino);
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
  if (ret != Err::kOk || r.is_dir != inode.is_dir || r.is_symlink != inode.is_symlink) co_return Revalidate{0};
  RefreshAttrs(k, ino, r, attr_version);
  SetEntryTimeout(k, entry, r.entry_valid_us);
  co_return Revalidate{1};
}

sim::Task<LookupResult> fuse_lookup(Kctx& k, InodeId dir, DentryId entry) {
  const bool locked = !k.m.config.parallel_dirops;  // fuse_lock_inode()
  if (locked) co_await sim::MutexLock(k.a, k.fuse_mutex(dir), "fuse_lock_inode");
  // fuse_lookup_name(): the only name-length check on the way (FUSE_NAME_MAX).
  if (k.w.names->Name(k.dentry(entry).name).size() > FuseNameMax(k.m.config.kernel)) {
    if (locked) sim::MutexUnlock(k.a, k.fuse_mutex(dir));
    co_return LookupResult{Err::kENAMETOOLONG};
  }
  const NodeId dirnode = k.inode(dir).nodeid;
  const uint64_t epoch = k.epoch();
  const uint64_t evict_ctr = k.m.inodes.evict_ctr();
  const uint64_t attr_version = k.m.inodes.attr_version();
  Reply r = co_await SendLookup(k, dirnode, k.dentry(entry).name, false);
  bool outarg_valid = true;
  if (r.err == Err::kENOENT) {
    outarg_valid = false;
    r.err = Err::kOk;
    r.nodeid = 0;
  }
  if (r.err != Err::kOk || r.nodeid == kRootNodeId) {
    if (locked) sim::MutexUnlock(k.a, k.fuse_mutex(dir));
    co_return LookupResult{r.err == Err::kOk ? Err::kEIO : r.err};
  }
  InodeId ino = kNoInode;
  if (r.nodeid != 0) {
    const bool fresh = k.m.inodes.Find(r.nodeid) == kNoInode;
    ino =
        k.m.inodes.Iget(r.nodeid, r.is_dir, r.nlink, ValidUntil(k.now(), r.attr_valid_us), r.is_symlink, attr_version);
    if (fresh && evict_ctr != k.m.inodes.evict_ctr()) k.inode_mut(ino).inval_perm = k.inode_mut(ino).inval_other = true;
    fuse_advise_use_readdirplus(k, dir);
  }
  DentryId alias;
  if (!k.m.dcache.d_splice_alias(ino, entry, &alias, k.a)) {
    co_await Bug(k, "bug:d_splice_alias-hashed",
                 absl::StrCat("d_splice_alias() on hashed dentry ", DentryPath(k, entry)));
    co_return LookupResult{Err::kEIO};
  }
  DentryId target = alias != kNoDentry ? alias : entry;
  k.dentry_mut(target).epoch = epoch;
  if (outarg_valid) {
    SetEntryTimeout(k, target, r.entry_valid_us);
  } else {
    k.dentry_mut(target).time = 0;  // fuse_invalidate_entry_cache()
  }
  TraceDentry(k, target, "d_splice_alias");
  if (locked) sim::MutexUnlock(k.a, k.fuse_mutex(dir));
  co_return LookupResult{Err::kOk, alias};
}

sim::Task<AtomicOpenResult> fuse_atomic_open(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags) {
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
    k.inode_mut(k.dentry(oldent).inode).inval_other = true;  // fuse_update_ctime()
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
  const Inode& i = k.inode(file.inode);
  const bool isdir = i.is_dir;
  if (k.w.variant == Variant::kFusex && !isdir) k.conn_mut().no_open = true;  // fusex: no-open mode only
  const bool no_open = isdir ? k.conn().no_opendir : k.conn().no_open;
  auto set_no_open = [&k, isdir] { (isdir ? k.conn_mut().no_opendir : k.conn_mut().no_open) = true; };
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
      set_no_open();
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
      set_no_open();
      if (isdir) file.release_args = false;  // "No release needed"
      if (isdir) file.cache_dir = true;      // the default open flags
    } else if (r.err != Err::kOk) {
      co_return r.err;
    } else {
      file.fh = r.fh;
    }
  } else if (isdir) {
    file.release_args = false;  // opened without OPENDIR: no release args (6.18)
    file.cache_dir = true;      // FOPEN_KEEP_CACHE|FOPEN_CACHE_DIR by default
  }
  // The open succeeded, with or without OPEN: an atomic_o_trunc O_TRUNC open
  // of a regular file invalidates its attributes (fuse_open():
  // fuse_truncate_update_attr() on 6.18, fuse_finish_open() on 5.18).
  if ((file.flags & kOTrunc) != 0 && !isdir) k.inode_mut(file.inode).inval_other = true;
  co_return Err::kOk;
}

sim::Task<Err> fuse_flush(Kctx& k, File& file) {
  if (file.is_dir || k.conn().no_flush) co_return Err::kOk;
  Request req;
  req.opcode = Opcode::kFlush;
  req.nodeid = k.inode(file.inode).nodeid;
  req.fh = file.fh;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err == Err::kENOSYS) {
    k.conn_mut().no_flush = true;
    co_return Err::kOk;
  }
  co_return r.err;
}

// fuse_release() -> fuse_file_put(): see ReleaseArgsPerFile().
void fuse_release(Kctx& k, File& file) {
  const ConnFlags& c = k.conn();
  if (ReleaseArgsPerFile(k.m.config.kernel)) {
    if (!file.release_args) return;         // "does not implement 'opendir'"
    if (!file.is_dir && c.no_open) return;  // args->opcode == FUSE_RELEASE && no_open
  } else if (file.is_dir ? c.no_opendir : c.no_open) {
    return;
  }
  Request req;
  req.opcode = file.is_dir ? Opcode::kReleasedir : Opcode::kRelease;
  req.nodeid = k.inode(file.inode).nodeid;
  req.fh = file.fh;
  // "Hold inode until release is finished" (fuse_prepare_release()).
  FuseQueueBackground(k, std::move(req), file.inode);
}

sim::Task<Err> fuse_getattr(Kctx& k, InodeId ino) {
  Inode& i = k.inode_mut(ino);
  if (!i.inval_perm && !i.inval_other && !Expired(i.attr_time, k.now())) co_return Err::kOk;
  Request req;
  req.opcode = k.w.variant == Variant::kFusex ? Opcode::kStatx : Opcode::kGetattr;
  req.nodeid = i.nodeid;
  const uint64_t attr_version = k.m.inodes.attr_version();  // fuse_do_getattr()
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err != Err::kOk) co_return r.err;
  RefreshAttrs(k, ino, r, attr_version);
  co_return Err::kOk;
}

sim::Task<Err> fuse_permission(Kctx& k, InodeId ino) {
  if (!k.m.config.default_permissions) co_return Err::kOk;
  Inode& i = k.inode_mut(ino);
  if (!i.inval_perm && !Expired(i.attr_time, k.now())) co_return Err::kOk;
  Request req;
  req.opcode = k.w.variant == Variant::kFusex ? Opcode::kStatx : Opcode::kGetattr;
  req.nodeid = i.nodeid;
  const uint64_t attr_version = k.m.inodes.attr_version();  // fuse_do_getattr()
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err != Err::kOk) co_return r.err;
  RefreshAttrs(k, ino, r, attr_version);
  co_return Err::kOk;
}

sim::Task<Err> fuse_symlink(Kctx& k, InodeId dir, DentryId entry, const std::vector<NameId>& target, bool target_abs) {
  Request req;
  req.link = target;
  req.link_abs = target_abs;
  co_return co_await create_new_entry(k, Opcode::kSymlink, dir, entry, &req, /*want_symlink=*/true);
}

sim::Task<Err> fuse_link(Kctx& k, InodeId inode, InodeId newdir, DentryId newent) {
  if (k.conn().no_link) co_return Err::kEPERM;
  Request req;
  req.oldnodeid = k.inode(inode).nodeid;
  Err err = co_await create_new_entry(k, Opcode::kLink, newdir, newent, &req, k.inode(inode).is_symlink);
  // On success fuse_update_ctime_in_cache(): the reply's attributes stand
  // (fuse_iget() refreshed them); only EINTR invalidates them.
  if (err == Err::kEINTR) k.inode_mut(inode).inval_perm = k.inode_mut(inode).inval_other = true;
  if (err == Err::kENOSYS) {
    k.conn_mut().no_link = true;
    err = Err::kEPERM;
  }
  co_return err;
}

sim::Task<Err> fuse_get_link(Kctx& k, InodeId inode, std::vector<NameId>* target, bool* target_abs) {
  if (k.inode(inode).bad) co_return Err::kEIO;
  const bool cache = k.m.config.cache_symlinks;
  if (!cache || !k.inode(inode).link_cached) {
    Request req;
    req.opcode = Opcode::kReadlink;
    req.nodeid = k.inode(inode).nodeid;
    Reply r = co_await FuseSimpleRequest(k, req);
    Inode& i = k.inode_mut(inode);
    i.inval_other = true;  // fuse_invalidate_atime()
    if (r.err != Err::kOk) co_return r.err;
    i.link = r.link;
    i.link_abs = r.link_abs;
    i.link_cached = cache;  // page_get_link_raw(): kept in the page cache
  }
  *target = k.inode(inode).link;
  *target_abs = k.inode(inode).link_abs;
  co_return Err::kOk;
}

sim::Task<Err> fuse_setattr(Kctx& k, DentryId entry, uint32_t valid, uint32_t mode, uint64_t size) {
  const InodeId ino = k.dentry(entry).inode;
  Request req;
  req.opcode = Opcode::kSetattr;
  req.nodeid = k.inode(ino).nodeid;
  req.valid = valid;
  req.mode = mode;
  req.size = size;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err != Err::kOk) {
    if (r.err == Err::kEINTR) k.inode_mut(ino).inval_perm = k.inode_mut(ino).inval_other = true;
    co_return r.err;
  }
  if (r.is_dir != k.inode(ino).is_dir || r.is_symlink != k.inode(ino).is_symlink) {
    k.inode_mut(ino).bad = true;  // fuse_make_bad(): the file type changed
    co_return Err::kEIO;
  }
  RefreshAttrs(k, ino, r);  // fuse_change_attributes_common()
  // "Directory mode changed, may need to revalidate access"
  if (k.inode(ino).is_dir && (valid & kFattrMode) != 0) k.dentry_mut(entry).time = 0;
  co_return Err::kOk;
}

void fuse_advise_use_readdirplus(Kctx& k, InodeId dir) {
  if (dir != kNoInode) k.inode_mut(dir).advise_rdplus = true;
}

namespace {

// fuse_use_readdirplus()
bool fuse_use_readdirplus(Kctx& k, InodeId dir, uint64_t pos) {
  switch (k.m.config.readdirplus) {
    case ReaddirPlus::kOff:
      return false;
    case ReaddirPlus::kOn:
      return true;
    case ReaddirPlus::kAuto:
      break;
  }
  Inode& i = k.inode_mut(dir);
  if (i.advise_rdplus) {  // test_and_clear_bit(FUSE_I_ADVISE_RDPLUS)
    i.advise_rdplus = false;
    return true;
  }
  return pos == 0;
}

// fuse_direntplus_link(): a READDIRPLUS entry becomes a positive dentry
// with the entry timeout (or refreshes the one there), taking the lookup
// count the server gave; . and .. and nodeid 0 are skipped.
sim::Task<Err> fuse_direntplus_link(Kctx& k, DentryId parent, const Dirent& de, const Reply& r, uint64_t evict_ctr,
                                    uint64_t attr_version) {
  if (de.nodeid == 0 || de.dots != 0) co_return Err::kOk;
  const uint64_t epoch = k.epoch();
  if (de.nodeid == kRootNodeId) co_return Err::kEIO;  // invalid_nodeid()
  Dcache& dc = k.m.dcache;
  DentryId d = dc.d_lookup(parent, de.name);
  InodeId ino = kNoInode;
  for (;;) {
    if (d == kNoDentry) {  // retry:
      Dcache::Parallel p = dc.d_alloc_parallel(parent, de.name);
      d = p.dentry;
      if (p.kind == Dcache::Parallel::kInLookupOther) {
        co_await sim::WaitFor(k.a, dc.at(d).lookup_done, "d_wait_lookup");
        if (!dc.d_wait_lookup_matches(d, parent, de.name)) {
          dc.dput(d, k.op);
          d = kNoDentry;
          continue;
        }
      }
    }
    if (!dc.d_in_lookup(d)) {
      ino = dc.at(d).inode;
      if (ino != kNoInode && k.inode(ino).nodeid != de.nodeid) ino = kNoInode;
      if (ino == kNoInode || k.inode(ino).is_dir != de.is_dir || k.inode(ino).is_symlink != de.is_symlink) {
        if (ino != kNoInode) k.inode_mut(ino).bad = true;  // fuse_stale_inode(): fuse_make_bad()
        dc.d_invalidate(d, k.op);
        dc.dput(d, k.op);
        d = kNoDentry;
        continue;
      }
      if (k.inode(ino).bad) {
        dc.dput(d, k.op);
        k.m.inodes.QueueForget(de.nodeid, 1, k.op, k.now());  // fuse_force_forget()
        co_return Err::kEIO;
      }
      Inode& i = k.inode_mut(ino);
      i.nlookup++;
      if (k.m.inodes.TakeAttrs(ino, attr_version)) {  // fuse_change_attributes()
        i.attr_time = ValidUntil(k.now(), r.attr_valid_us);
        i.inval_perm = i.inval_other = false;
        i.nlink = de.nlink;
      }
    } else {
      const bool fresh = k.m.inodes.Find(de.nodeid) == kNoInode;
      ino = k.m.inodes.Iget(de.nodeid, de.is_dir, de.nlink, ValidUntil(k.now(), r.attr_valid_us), de.is_symlink,
                            attr_version);
      // An inode evicted since the READDIRPLUS was sent: the new inode's
      // attributes stay invalid (fuse_change_attributes_common()).
      if (fresh && evict_ctr != k.m.inodes.evict_ctr())
        k.inode_mut(ino).inval_perm = k.inode_mut(ino).inval_other = true;
      DentryId alias;
      dc.d_splice_alias(ino, d, &alias, k.a);
      dc.d_lookup_done(d, k.a);
      if (alias != kNoDentry) {
        dc.dput(d, k.op);
        d = alias;
      }
    }
    break;
  }
  if (k.m.config.readdirplus == ReaddirPlus::kAuto) k.inode_mut(ino).init_rdplus = true;
  k.dentry_mut(d).epoch = epoch;
  SetEntryTimeout(k, d, r.entry_valid_us);
  TraceDentry(k, d, "fuse_direntplus_link");
  dc.dput(d, k.op);
  co_return Err::kOk;
}

}  // namespace

sim::Task<Err> fuse_readdir(Kctx& k, File& file, uint64_t* pos, int* emitted) {
  *emitted = 0;
  const InodeId dir = file.inode;
  if (k.inode(dir).bad) co_return Err::kEIO;
  if (file.cache_dir) {
    // fuse_readdir_cached(): at position 0 the mtime must be current
    // (fuse_update_attributes(STATX_MTIME) with auto_inval_data, which
    // libfuse turns on); a complete cache started at another mtime is
    // dropped; a complete one is read without a request.
    if (*pos == 0) {
      if (Err e = co_await fuse_getattr(k, dir); e != Err::kOk) co_return e;
      Inode& i = k.inode_mut(dir);
      if (i.rdc_cached && i.rdc_mtime != i.mtime) i.rdc_cached = false;
      if (!i.rdc_cached) i.rdc_mtime = i.mtime;
    }
    if (k.inode(dir).rdc_cached) {
      k.inode_mut(dir).inval_other = true;  // fuse_invalidate_atime()
      co_return Err::kOk;                   // the cached entries, then the end: nothing sent
    }
  }
  const bool plus = fuse_use_readdirplus(k, dir, *pos);
  const uint64_t evict_ctr = k.m.inodes.evict_ctr();
  const uint64_t attr_version = k.m.inodes.attr_version();
  const bool locked = !k.m.config.parallel_dirops;  // fuse_lock_inode()
  if (locked) co_await sim::MutexLock(k.a, k.fuse_mutex(dir), "fuse_lock_inode");
  Request req;
  req.opcode = plus ? Opcode::kReaddirplus : Opcode::kReaddir;
  req.nodeid = k.inode(dir).nodeid;
  req.fh = file.fh;
  req.offset = *pos;
  req.size = kReaddirBufBytes;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (locked) sim::MutexUnlock(k.a, k.fuse_mutex(dir));
  if (r.err == Err::kOk) {
    // parse_dirfile()/parse_dirplusfile(): entries go to the caller's buffer
    // while they fit (filldir64()); READDIRPLUS links every entry anyway.
    uint64_t left = kGetdentsBufBytes;
    bool over = false;
    for (const Dirent& de : r.dirents) {
      const uint64_t reclen = (19 + de.namelen + 1 + 7) & ~uint64_t{7};
      if (!over) {
        over = reclen > left;
        if (!over) {
          left -= reclen;
          *pos = de.off;
          ++*emitted;
        }
      }
      if (plus) co_await fuse_direntplus_link(k, file.dentry, de, r, evict_ctr, attr_version);
    }
    // fuse_readdir_cache_end(): an empty reply ends the listing; a cache
    // filled from position 0 is now complete.
    if (file.cache_dir && r.dirents.empty()) k.inode_mut(dir).rdc_cached = true;
  }
  k.inode_mut(dir).inval_other = true;  // fuse_invalidate_atime()
  co_return r.err;
}

sim::Task<Err> fuse_reverse_inval_entry(Kctx& k, NodeId parent, NameId name, NodeId child) {
  Dcache& dc = k.m.dcache;
  const InodeId dir = k.m.inodes.Find(parent);  // fuse_ilookup()
  if (dir == kNoInode) co_return Err::kENOENT;
  k.m.inodes.Ihold(dir);
  co_await sim::DownWrite(k.a, k.i_rwsem(dir), "i_rwsem (exclusive)");
  Err err = Err::kENOTDIR;
  if (k.inode(dir).is_dir) {
    err = Err::kENOENT;
    const DentryId d = dc.d_find_alias(dir);
    const DentryId entry = d == kNoDentry ? kNoDentry : dc.d_lookup(d, name);
    if (entry != kNoDentry) {
      fuse_dir_changed(k, dir);
      dc.d_invalidate(entry, k.op);
      k.dentry_mut(entry).time = 0;  // fuse_invalidate_entry_cache()
      TraceDentry(k, entry, "fuse_reverse_inval_entry");
      err = Err::kOk;
      if (child != 0 && dc.positive(entry)) {  // FUSE_NOTIFY_DELETE
        const InodeId ino = k.dentry(entry).inode;
        if (k.inode(ino).nodeid != child) {
          err = Err::kENOENT;
        } else {
          if (k.inode(ino).is_dir) dc.ShrinkParent(entry, k.op);
          k.inode_mut(ino).nlink = 0;  // clear_nlink()
          dc.d_delete(entry, k.op);
        }
      }
      dc.dput(entry, k.op);
    }
  }
  sim::UpWrite(k.a, k.i_rwsem(dir));
  k.m.inodes.Iput(dir, k.op);
  co_return err;
}

Err fuse_reverse_inval_inode(Kctx& k, NodeId nodeid) {
  const InodeId ino = k.m.inodes.Find(nodeid);  // fuse_ilookup()
  if (ino == kNoInode) return Err::kENOENT;
  Inode& i = k.inode_mut(ino);
  i.inval_perm = i.inval_other = true;  // fuse_invalidate_attr()
  i.link_cached = false;                // invalidate_inode_pages2_range(): the whole file
  return Err::kOk;
}

void fuse_notify_inc_epoch(Kctx& k) { k.inc_epoch(); }

sim::Task<Err> fuse_need_killpriv(Kctx& k, InodeId ino) {
  if (k.conn().no_getxattr) co_return Err::kOk;
  Request req;
  req.opcode = Opcode::kGetxattr;
  req.nodeid = k.inode(ino).nodeid;
  Reply r = co_await FuseSimpleRequest(k, req);
  if (r.err == Err::kENOSYS) k.conn_mut().no_getxattr = true;
  co_return Err::kOk;  // ENODATA / EOPNOTSUPP: no capability to drop
}

}  // namespace fusesim::model
