#include "model/namei.h"

#include <utility>

#include "model/fuse_dir.h"

namespace fusesim::model {
namespace {

// nd->last_type: what the last component is (LAST_NORM, LAST_ROOT,
// LAST_DOT, LAST_DOTDOT).
enum class LastType : uint8_t { kNorm, kRoot, kDot, kDotDot };

struct Nameidata {
  DentryId parent = kNoDentry;  // referenced; the path itself when last < 0
  NameId last = -1;             // -1: the path names `parent` (/, . or ..)
  LastType last_type = LastType::kRoot;
  int total_link_count = 0;    // symlinks followed (MAXSYMLINKS)
  std::vector<NameId> rest;    // components still to walk, the next one last
  DentryId start = kNoDentry;  // openat(): the directory a relative path starts at
};

struct Walk {
  Err err = Err::kOk;
  DentryId dentry = kNoDentry;  // referenced
};

InodeId InodeOf(Kctx& k, DentryId d) { return k.dentry(d).inode; }
bool IsDir(Kctx& k, DentryId d) { return k.m.dcache.positive(d) && k.inode(k.dentry(d).inode).is_dir; }

// lookup_fast(): the dcache hit, revalidated; no lock.
sim::Task<Walk> lookup_fast(Kctx& k, DentryId parent, NameId name, unsigned flags) {
  co_await sim::Point(k.a, "d_lookup");
  Dcache& dc = k.m.dcache;
  DentryId d = dc.d_lookup(parent, name);
  if (d == kNoDentry) co_return Walk{};
  Revalidate rv = co_await fuse_dentry_revalidate(k, d, flags);
  if (rv.status > 0) co_return Walk{Err::kOk, d};
  if (rv.status == 0) dc.d_invalidate(d, k.op);
  dc.dput(d, k.op);
  co_return Walk{rv.status == 0 ? Err::kOk : rv.err, kNoDentry};
}

// __lookup_slow(), with the parent's i_rwsem held shared.
sim::Task<Walk> lookup_slow_locked(Kctx& k, InodeId dir, DentryId parent, NameId name, unsigned flags) {
  Dcache& dc = k.m.dcache;
  for (;;) {
    Dcache::Parallel p = dc.d_alloc_parallel(parent, name);
    DentryId d = p.dentry;
    if (p.kind == Dcache::Parallel::kInLookupOther) {
      co_await sim::WaitFor(k.a, dc.at(d).lookup_done, "d_wait_lookup");
      if (!dc.d_wait_lookup_matches(d, parent, name)) {  // mismatch: retry
        dc.dput(d, k.op);
        continue;
      }
      p.kind = Dcache::Parallel::kHashed;
    }
    if (p.kind == Dcache::Parallel::kHashed) {
      Revalidate rv = co_await fuse_dentry_revalidate(k, d, flags);
      if (rv.status > 0) co_return Walk{Err::kOk, d};
      if (rv.status < 0) {
        dc.dput(d, k.op);
        co_return Walk{rv.err};
      }
      dc.d_invalidate(d, k.op);
      dc.dput(d, k.op);
      continue;
    }
    LookupResult lr = co_await fuse_lookup(k, dir, d);
    dc.d_lookup_done(d, k.a);
    if (lr.err != Err::kOk) {
      dc.dput(d, k.op);
      co_return Walk{lr.err};
    }
    if (lr.alias != kNoDentry) {
      dc.dput(d, k.op);
      d = lr.alias;
    }
    co_return Walk{Err::kOk, d};
  }
}

sim::Task<Walk> lookup_slow(Kctx& k, DentryId parent, NameId name, unsigned flags) {
  const InodeId dir = InodeOf(k, parent);
  co_await sim::DownRead(k.a, k.i_rwsem(dir), "i_rwsem (shared)");
  Walk w = co_await lookup_slow_locked(k, dir, parent, name, flags);
  sim::UpRead(k.a, k.i_rwsem(dir));
  co_return w;
}

// walk_component(): a positive dentry for name, or an error.
sim::Task<Walk> walk_component(Kctx& k, DentryId parent, NameId name, unsigned flags) {
  Walk w = co_await lookup_fast(k, parent, name, flags);
  if (w.err != Err::kOk) co_return w;
  if (w.dentry == kNoDentry) w = co_await lookup_slow(k, parent, name, flags);
  if (w.err != Err::kOk) co_return w;
  if (!k.m.dcache.positive(w.dentry)) {
    k.m.dcache.dput(w.dentry, k.op);
    co_return Walk{Err::kENOENT};
  }
  co_return w;
}

bool IsDotName(Kctx& k, NameId n) { return k.w.names->Name(n) == "."; }
bool IsDotDotName(Kctx& k, NameId n) { return k.w.names->Name(n) == ".."; }
bool IsSymlink(Kctx& k, DentryId d) { return k.m.dcache.positive(d) && k.inode(k.dentry(d).inode).is_symlink; }

// follow_dotdot(): the parent (the root's is the root); no LOOKUP, no
// revalidation: the dcache holds every dentry's parent.
DentryId follow_dotdot(Kctx& k, DentryId cur) {
  Dcache& dc = k.m.dcache;
  DentryId next = cur == dc.root() ? cur : k.dentry(cur).parent;
  dc.dget(next);
  dc.dput(cur, k.op);
  return next;
}

// pick_link(): one more symlink (ELOOP past MAXSYMLINKS), its target from
// ->get_link(); an absolute target restarts at the root (nd_jump_root()).
// The target's components are pushed in front of what is left to walk.
// Drops the reference on `link`; *cur is the directory the walk goes on from.
sim::Task<Err> pick_link(Kctx& k, DentryId link, DentryId* cur, Nameidata* nd) {
  Dcache& dc = k.m.dcache;
  if (nd->total_link_count++ >= kMaxSymlinks) {
    dc.dput(link, k.op);
    co_return Err::kELOOP;
  }
  std::vector<NameId> target;
  bool abs = false;
  const InodeId ino = InodeOf(k, link);
  k.m.inodes.Ihold(ino);
  Err e = co_await fuse_get_link(k, ino, &target, &abs);
  dc.dput(link, k.op);
  k.m.inodes.Iput(ino, k.op);
  if (e != Err::kOk) co_return e;
  if (abs) {
    dc.dput(*cur, k.op);
    *cur = dc.root();
    dc.dget(*cur);
  }
  nd->rest.insert(nd->rest.end(), target.rbegin(), target.rend());
  co_return Err::kOk;
}

// link_path_walk() from nd->parent over nd->rest: every component but the
// last, with may_lookup() on each directory (the last one's parent
// included), `.` and `..` handled in place and symlinks followed.
sim::Task<Err> walk_rest(Kctx& k, unsigned flags, Nameidata* nd) {
  Dcache& dc = k.m.dcache;
  DentryId cur = nd->parent;
  nd->last = -1;
  nd->last_type = LastType::kRoot;
  while (!nd->rest.empty()) {
    Err e = co_await fuse_permission(k, InodeOf(k, cur));  // may_lookup()
    const NameId name = nd->rest.back();
    nd->rest.pop_back();
    // No name-length check: the walk hashes names of any length (getname()'s
    // PATH_MAX is the loader's limit); FUSE checks FUSE_NAME_MAX in fuse_lookup.
    if (e != Err::kOk) {
      dc.dput(cur, k.op);
      nd->parent = kNoDentry;
      co_return e;
    }
    const bool dot = IsDotName(k, name), dotdot = IsDotDotName(k, name);
    if (nd->rest.empty()) {  // the last component
      if (dotdot) cur = follow_dotdot(k, cur);
      nd->parent = cur;
      nd->last = dot || dotdot ? -1 : name;
      nd->last_type = dot ? LastType::kDot : dotdot ? LastType::kDotDot : LastType::kNorm;
      co_return Err::kOk;
    }
    if (dot) continue;
    if (dotdot) {
      cur = follow_dotdot(k, cur);
      continue;
    }
    Walk w = co_await walk_component(k, cur, name, flags);
    if (w.err == Err::kOk && IsSymlink(k, w.dentry)) {
      e = co_await pick_link(k, w.dentry, &cur, nd);
      if (e != Err::kOk) {
        dc.dput(cur, k.op);
        nd->parent = kNoDentry;
        co_return e;
      }
      continue;
    }
    if (w.err == Err::kOk && !IsDir(k, w.dentry)) {
      dc.dput(w.dentry, k.op);
      w.err = Err::kENOTDIR;
    }
    dc.dput(cur, k.op);
    if (w.err != Err::kOk) {
      nd->parent = kNoDentry;
      co_return w.err;
    }
    cur = w.dentry;
  }
  nd->parent = cur;
  co_return Err::kOk;
}

// path_init() + link_path_walk(): the walk starts at the root, or at
// nd->start (openat) for a relative path.
sim::Task<Err> link_path_walk(Kctx& k, const std::vector<NameId>& path, unsigned flags, Nameidata* nd,
                              bool relative = false) {
  Dcache& dc = k.m.dcache;
  nd->parent = relative && nd->start != kNoDentry ? nd->start : dc.root();
  dc.dget(nd->parent);
  nd->rest.assign(path.rbegin(), path.rend());
  co_return co_await walk_rest(k, flags, nd);
}

// A trailing symlink that the syscall follows: walk its target from the
// link's directory (nd->parent); nd then names the target's last component.
sim::Task<Err> follow_trailing(Kctx& k, DentryId link, unsigned flags, Nameidata* nd) {
  DentryId cur = nd->parent;
  Err e = co_await pick_link(k, link, &cur, nd);
  nd->parent = cur;
  if (e != Err::kOk) {
    k.m.dcache.dput(cur, k.op);
    nd->parent = kNoDentry;
    co_return e;
  }
  co_return co_await walk_rest(k, flags, nd);
}

// walk_component() on the last component, following a trailing symlink when
// `follow` (lookup_last() in path_lookupat()'s loop). Consumes nd->parent;
// returns the referenced dentry of what the path names.
sim::Task<Walk> lookup_last_follow(Kctx& k, Nameidata* nd, unsigned flags, bool follow) {
  for (;;) {
    if (nd->last < 0) co_return Walk{Err::kOk, nd->parent};
    Walk w = co_await walk_component(k, nd->parent, nd->last, flags);
    if (w.err != Err::kOk) {
      k.m.dcache.dput(nd->parent, k.op);
      co_return w;
    }
    if (follow && IsSymlink(k, w.dentry)) {
      Err e = co_await follow_trailing(k, w.dentry, flags, nd);
      if (e != Err::kOk) co_return Walk{e};
      continue;
    }
    k.m.dcache.dput(nd->parent, k.op);
    co_return w;
  }
}

// lookup_one_qstr_excl(): the lookup of unlink/mkdir/rmdir/rename, under the
// parent's exclusive lock (no d_alloc_parallel needed).
sim::Task<Walk> lookup_one_qstr_excl(Kctx& k, InodeId dir, DentryId parent, NameId name, unsigned flags) {
  Dcache& dc = k.m.dcache;
  DentryId d = dc.d_lookup(parent, name);
  if (d != kNoDentry) {
    Revalidate rv = co_await fuse_dentry_revalidate(k, d, flags);
    if (rv.status < 0) {
      dc.dput(d, k.op);
      co_return Walk{rv.err};
    }
    if (rv.status == 0) {
      dc.d_invalidate(d, k.op);
      dc.dput(d, k.op);
      d = kNoDentry;
    }
  }
  if (d == kNoDentry) {
    d = dc.d_alloc(parent, name);
    LookupResult lr = co_await fuse_lookup(k, dir, d);
    if (lr.err != Err::kOk) {
      dc.dput(d, k.op);
      co_return Walk{lr.err};
    }
    if (lr.alias != kNoDentry) {
      dc.dput(d, k.op);
      d = lr.alias;
    }
  }
  if (!dc.positive(d) && (flags & kLookupCreate) == 0) {
    dc.dput(d, k.op);
    co_return Walk{Err::kENOENT};
  }
  if (dc.positive(d) && (flags & kLookupExcl) != 0) {
    dc.dput(d, k.op);
    co_return Walk{Err::kEEXIST};
  }
  co_return Walk{Err::kOk, d};
}

// lookup_open(), with the parent locked (exclusive for O_CREAT).
sim::Task<Walk> lookup_open(Kctx& k, const Nameidata& nd, File& file, uint32_t open_flag, unsigned flags) {
  Dcache& dc = k.m.dcache;
  const InodeId dir = InodeOf(k, nd.parent);
  file.created = false;
  DentryId d = dc.d_lookup(nd.parent, nd.last);
  for (;;) {
    if (d == kNoDentry) {
      Dcache::Parallel p = dc.d_alloc_parallel(nd.parent, nd.last);
      d = p.dentry;
      if (p.kind == Dcache::Parallel::kInLookupOther) {
        co_await sim::WaitFor(k.a, dc.at(d).lookup_done, "d_wait_lookup");
        if (!dc.d_wait_lookup_matches(d, nd.parent, nd.last)) {
          dc.dput(d, k.op);
          d = kNoDentry;
          continue;
        }
      }
    }
    if (dc.d_in_lookup(d)) break;
    Revalidate rv = co_await fuse_dentry_revalidate(k, d, flags);
    if (rv.status > 0) break;
    if (rv.status < 0) {
      dc.dput(d, k.op);
      co_return Walk{rv.err};
    }
    dc.d_invalidate(d, k.op);
    dc.dput(d, k.op);
    d = kNoDentry;
  }
  if (dc.positive(d)) co_return Walk{Err::kOk, d};  // cached positive: opened by do_open
  Err create_error = Err::kOk;
  if ((open_flag & kOCreat) != 0) {
    if ((open_flag & kOExcl) != 0) open_flag &= ~kOTrunc;
    create_error = co_await fuse_permission(k, dir);  // may_o_create()
    if (create_error != Err::kOk) open_flag &= ~kOCreat;
  }
  // The atomic_open() wrapper: ->atomic_open, then always d_lookup_done().
  AtomicOpenResult r = co_await fuse_atomic_open(k, dir, d, file, open_flag);
  dc.d_lookup_done(d, k.a);
  if (r.err == Err::kOk) {
    if (file.opened) {
      dc.dput(d, k.op);
      co_return Walk{};  // the file holds its dentry
    }
    if (r.res != kNoDentry) {
      dc.dput(d, k.op);
      d = r.res;
    }
    if (!dc.positive(d)) r.err = Err::kENOENT;
  }
  if (r.err != Err::kOk) {
    dc.dput(d, k.op);
    if (create_error != Err::kOk && r.err == Err::kENOENT) r.err = create_error;
    co_return Walk{r.err};
  }
  co_return Walk{Err::kOk, d};
}

// open_last_lookups(): the dentry to open (or file.opened by ->atomic_open).
sim::Task<Walk> open_last_lookups(Kctx& k, const Nameidata& nd, File& file, uint32_t open_flag, unsigned lookup_flags) {
  const bool creat = (open_flag & kOCreat) != 0;
  unsigned flags = lookup_flags | kLookupOpen;
  if (creat) flags |= kLookupCreate | ((open_flag & kOExcl) != 0 ? static_cast<unsigned>(kLookupExcl) : 0u);
  Dcache& dc = k.m.dcache;
  // lookup_fast_for_open() (6.12+) / lookup_fast() for plain opens.
  if (!creat || (HasOCreatFastPath(k.m.config.kernel) && (open_flag & kOExcl) == 0)) {
    Walk w = co_await lookup_fast(k, nd.parent, nd.last, flags);
    if (w.err != Err::kOk) co_return w;
    if (w.dentry != kNoDentry && creat && !dc.positive(w.dentry)) {
      // "Discard negative dentries. Need inode_lock to do the create"
      dc.dput(w.dentry, k.op);
      w.dentry = kNoDentry;
    }
    if (w.dentry != kNoDentry) {
      if (!dc.positive(w.dentry)) {
        dc.dput(w.dentry, k.op);
        co_return Walk{Err::kENOENT};
      }
      co_return w;
    }
  }
  sim::RwSem& dir = k.i_rwsem(InodeOf(k, nd.parent));
  if (creat) {
    co_await sim::DownWrite(k.a, dir, "i_rwsem (exclusive)");
  } else {
    co_await sim::DownRead(k.a, dir, "i_rwsem (shared)");
  }
  Walk w = co_await lookup_open(k, nd, file, open_flag, flags);
  if (creat) {
    sim::UpWrite(k.a, dir);
  } else {
    sim::UpRead(k.a, dir);
  }
  co_return w;
}

// Drops what an open that failed holds; a file already opened is fput(),
// which sends RELEASE.
void AbandonOpen(Kctx& k, File& file, bool opened) {
  if (opened) fuse_release(k, file);
  if (file.dentry != kNoDentry) k.m.dcache.dput(file.dentry, k.op);
  if (file.inode != kNoInode) k.m.inodes.Iput(file.inode, k.op);
  file.dentry = kNoDentry;
  file.inode = kNoInode;
}

// do_open(): what FMODE_CREATED decides, then vfs_open() if needed.
sim::Task<Err> do_open(Kctx& k, DentryId dentry, uint32_t open_flag, File& file) {
  if (!file.opened) {
    file.dentry = dentry;  // the reference moves to the file
    file.inode = InodeOf(k, dentry);
    k.m.inodes.Ihold(file.inode);
  }
  const Inode& ino = k.inode(file.inode);
  file.is_dir = ino.is_dir;
  bool opened = file.opened;
  unsigned acc_write = (open_flag & kOAccMode) != kORdonly || (open_flag & kOTrunc) != 0;
  Err e = Err::kOk;
  if ((open_flag & kOCreat) != 0) {
    if ((open_flag & kOExcl) != 0 && !file.created)
      e = Err::kEEXIST;
    else if (ino.is_dir)
      e = Err::kEISDIR;
  }
  if (e == Err::kOk && (open_flag & kODirectory) != 0 && !ino.is_dir) e = Err::kENOTDIR;
  bool do_truncate = false;
  // file->f_flags keeps O_TRUNC: only do_open()'s local open_flag loses it, so
  // fuse_open() still truncates (and invalidates) after a MKNOD fallback.
  file.flags = open_flag;
  if (file.created) {
    open_flag &= ~kOTrunc;
    acc_write = 0;
  } else if (!ino.is_dir && (open_flag & kOTrunc) != 0) {
    do_truncate = true;
  }
  if (e == Err::kOk && ino.is_dir && acc_write) e = Err::kEISDIR;  // may_open()
  if (e == Err::kOk && ino.is_symlink) e = Err::kELOOP;            // may_open(): S_IFLNK
  if (e == Err::kOk) e = co_await fuse_permission(k, file.inode);
  if (e == Err::kOk && !opened) {
    e = co_await fuse_open(k, file);
    opened = e == Err::kOk;
  }
  if (e == Err::kOk && do_truncate) {
    // handle_truncate() -> do_truncate(): dentry_needs_remove_privs() (the
    // security.capability GETXATTR), then notify_change() -> fuse_setattr()
    // under inode_lock(); with atomic_o_trunc the OPEN already truncated, so
    // ATTR_OPEN sends nothing, but the lock is taken (an unlink of the file
    // holding it makes this open wait).
    e = co_await fuse_need_killpriv(k, file.inode);
    if (e == Err::kOk) {
      co_await sim::DownWrite(k.a, k.i_rwsem(file.inode), "i_rwsem (exclusive)");
      sim::UpWrite(k.a, k.i_rwsem(file.inode));
    }
  }
  if (e != Err::kOk) AbandonOpen(k, file, opened);
  file.opened = opened;
  co_return e;
}

sim::Task<Err> path_openat(Kctx& k, const std::vector<NameId>& path, uint32_t open_flag, unsigned lookup_flags,
                           File& file, DentryId start = kNoDentry) {
  Nameidata nd;
  nd.start = start;
  Err e = co_await link_path_walk(k, path, lookup_flags, &nd, start != kNoDentry);
  if (e != Err::kOk) co_return e;
  // build_open_flags(): O_CREAT|O_EXCL does not follow a trailing symlink.
  const bool follow = (open_flag & kONofollow) == 0 && (open_flag & (kOCreat | kOExcl)) != (kOCreat | kOExcl);
  DentryId dentry = nd.parent;
  while (nd.last >= 0) {
    Walk w = co_await open_last_lookups(k, nd, file, open_flag, lookup_flags);
    if (w.err == Err::kOk && w.dentry != kNoDentry && follow && IsSymlink(k, w.dentry)) {
      e = co_await follow_trailing(k, w.dentry, lookup_flags, &nd);  // step_into()
      if (e != Err::kOk) co_return e;
      dentry = nd.parent;
      continue;
    }
    k.m.dcache.dput(nd.parent, k.op);
    if (w.err != Err::kOk) co_return w.err;
    dentry = w.dentry;
    break;
  }
  if (nd.last < 0 && (open_flag & kOCreat) != 0) {
    // open_last_lookups() on . or .. (handle_dots(), no create), then
    // do_open(): O_EXCL without FMODE_CREATED is EEXIST before the
    // directory's EISDIR (generated seed 4179: open("/c/..",
    // O_CREAT|O_EXCL) is EEXIST on 6.18).
    k.m.dcache.dput(dentry, k.op);
    co_return (open_flag & kOExcl) != 0 ? Err::kEEXIST : Err::kEISDIR;
  }
  co_return co_await do_open(k, dentry, open_flag, file);
}

}  // namespace

Err BuildOpenFlags(const Kctx& k, uint32_t flags) {
  // O_CREAT|O_DIRECTORY is refused before any walk (6.4+).
  if ((flags & (kOCreat | kODirectory)) == (kOCreat | kODirectory) && RejectsCreatDirectory(k.m.config.kernel))
    return Err::kEINVAL;
  return Err::kOk;
}

sim::Task<OpenOutcome> SysOpen(Kctx& k, const std::vector<NameId>& path, uint32_t flags, File* file) {
  if (Err e = BuildOpenFlags(k, flags); e != Err::kOk) co_return OpenOutcome{e};
  unsigned lookup_flags = 0;
  for (int attempt = 0;; ++attempt) {
    File f;
    f.mount = k.m.index;
    f.flags = flags;
    Err e = co_await path_openat(k, path, flags, lookup_flags, f);
    if (e == Err::kESTALE && attempt == 0) {  // do_filp_open(): retry with LOOKUP_REVAL
      lookup_flags = kLookupReval;
      continue;
    }
    OpenOutcome out;
    out.err = e;
    if (e == Err::kOk) {
      out.created = f.created;
      *file = f;
    }
    co_return out;
  }
}

sim::Task<OpenOutcome> SysOpenAt(Kctx& k, const File& dir, const std::vector<NameId>& path, uint32_t flags,
                                 File* file) {
  if (Err e = BuildOpenFlags(k, flags); e != Err::kOk) co_return OpenOutcome{e};
  // path_init(): a relative path starts at the file's dentry, which must be
  // a directory.
  if (!k.inode(dir.inode).is_dir) co_return OpenOutcome{Err::kENOTDIR};
  unsigned lookup_flags = 0;
  for (int attempt = 0;; ++attempt) {
    File f;
    f.mount = k.m.index;
    f.flags = flags;
    Err e = co_await path_openat(k, path, flags, lookup_flags, f, dir.dentry);
    if (e == Err::kESTALE && attempt == 0) {
      lookup_flags = kLookupReval;
      continue;
    }
    OpenOutcome out;
    out.err = e;
    if (e == Err::kOk) {
      out.created = f.created;
      *file = f;
    }
    co_return out;
  }
}

sim::Task<Err> SysClose(Kctx& k, File& file) {
  Err e = co_await fuse_flush(k, file);
  fuse_release(k, file);
  k.m.dcache.dput(file.dentry, k.op);
  k.m.inodes.Iput(file.inode, k.op);
  file.dentry = kNoDentry;
  file.inode = kNoInode;
  co_return e;
}

sim::Task<Err> SysStat(Kctx& k, const std::vector<NameId>& path, bool follow) {
  Nameidata nd;
  Err e = co_await link_path_walk(k, path, 0, &nd);
  if (e != Err::kOk) co_return e;
  Walk w = co_await lookup_last_follow(k, &nd, 0, follow);
  if (w.err != Err::kOk) co_return w.err;
  e = co_await fuse_getattr(k, InodeOf(k, w.dentry));
  k.m.dcache.dput(w.dentry, k.op);
  co_return e;
}

namespace {

sim::Task<Err> UnlinkOrRmdir(Kctx& k, const std::vector<NameId>& path, bool rmdir) {
  Nameidata nd;
  Err e = co_await link_path_walk(k, path, 0, &nd);
  if (e != Err::kOk) co_return e;
  Dcache& dc = k.m.dcache;
  if (nd.last < 0) {
    dc.dput(nd.parent, k.op);
    if (!rmdir) co_return Err::kEISDIR;
    co_return nd.last_type == LastType::kDotDot ? Err::kENOTEMPTY
    : nd.last_type == LastType::kDot            ? Err::kEINVAL
                                                : Err::kEBUSY;
  }
  const InodeId dir = InodeOf(k, nd.parent);
  co_await sim::DownWrite(k.a, k.i_rwsem(dir), "i_rwsem (exclusive)");
  Walk w = co_await lookup_one_qstr_excl(k, dir, nd.parent, nd.last, 0);
  e = w.err;
  InodeId victim = kNoInode;
  if (e == Err::kOk) {
    const DentryId d = w.dentry;
    victim = InodeOf(k, d);
    k.m.inodes.Ihold(victim);
    e = co_await fuse_permission(k, dir);  // may_delete()
    if (e == Err::kOk) {
      const bool isdir = k.inode(victim).is_dir;
      if (rmdir && !isdir) e = Err::kENOTDIR;
      if (!rmdir && isdir) e = Err::kEISDIR;
    }
    if (e == Err::kOk) {
      // vfs_unlink()/vfs_rmdir(): the victim's inode_lock() around the
      // request (and, for rmdir, shrink_dcache_parent()); d_delete() after
      // it is dropped.
      co_await sim::DownWrite(k.a, k.i_rwsem(victim), "i_rwsem (exclusive)");
      e = rmdir ? co_await fuse_rmdir(k, dir, d) : co_await fuse_unlink(k, dir, d);
      if (e == Err::kOk && rmdir) dc.ShrinkParent(d, k.op);
      sim::UpWrite(k.a, k.i_rwsem(victim));
      if (e == Err::kOk) dc.d_delete(d, k.op);
    }
    dc.dput(d, k.op);
  }
  sim::UpWrite(k.a, k.i_rwsem(dir));
  if (victim != kNoInode) k.m.inodes.Iput(victim, k.op);
  dc.dput(nd.parent, k.op);
  co_return e;
}

}  // namespace

sim::Task<Err> SysUnlink(Kctx& k, const std::vector<NameId>& path) {
  co_return co_await UnlinkOrRmdir(k, path, /*rmdir=*/false);
}

sim::Task<Err> SysRmdir(Kctx& k, const std::vector<NameId>& path) {
  co_return co_await UnlinkOrRmdir(k, path, /*rmdir=*/true);
}

sim::Task<Err> SysMkdir(Kctx& k, const std::vector<NameId>& path) {
  Nameidata nd;
  Err e = co_await link_path_walk(k, path, 0, &nd);
  if (e != Err::kOk) co_return e;
  Dcache& dc = k.m.dcache;
  if (nd.last < 0) {
    dc.dput(nd.parent, k.op);
    co_return Err::kEEXIST;
  }
  const InodeId dir = InodeOf(k, nd.parent);
  co_await sim::DownWrite(k.a, k.i_rwsem(dir), "i_rwsem (exclusive)");
  Walk w = co_await lookup_one_qstr_excl(k, dir, nd.parent, nd.last, kLookupCreate | kLookupExcl);
  e = w.err;
  if (e == Err::kOk) {
    e = co_await fuse_permission(k, dir);  // may_create()
    if (e == Err::kOk) e = co_await fuse_mkdir(k, dir, w.dentry);
    dc.dput(w.dentry, k.op);
  }
  sim::UpWrite(k.a, k.i_rwsem(dir));
  dc.dput(nd.parent, k.op);
  co_return e;
}

namespace {

// The trap of lock_rename(p1 = new parent, p2 = old parent), i.e. of
// lock_two_directories(): the child of one parent that is an ancestor of the
// other parent (or that parent itself); kNoDentry for one directory or two
// unrelated ones.
DentryId RenameTrap(Kctx& k, DentryId p1, DentryId p2) {
  if (p1 == p2) return kNoDentry;
  for (DentryId p = p1; k.dentry(p).parent != kNoDentry; p = k.dentry(p).parent)
    if (k.dentry(p).parent == p2) return p;
  for (DentryId q = p2; k.dentry(q).parent != kNoDentry; q = k.dentry(q).parent)
    if (k.dentry(q).parent == p1) return q;
  return kNoDentry;
}

// vfs_rename() from "source == target" to the call of ->rename.
sim::Task<Err> vfs_rename(Kctx& k, InodeId odir, DentryId old, InodeId ndir, DentryId nw) {
  Dcache& dc = k.m.dcache;
  const InodeId source = InodeOf(k, old);
  const InodeId target = dc.positive(nw) ? InodeOf(k, nw) : kNoInode;
  if (source == target) co_return Err::kOk;  // no request
  const bool is_dir = k.inode(source).is_dir;
  // may_delete(old_dir, old_dentry, is_dir): inode_permission() first.
  Err e = co_await fuse_permission(k, odir);
  if (e != Err::kOk) co_return e;
  if (target == kNoInode) {
    e = co_await fuse_permission(k, ndir);  // may_create(new_dir)
  } else {
    e = co_await fuse_permission(k, ndir);  // may_delete(new_dir, new_dentry, is_dir)
    if (e == Err::kOk) {
      const bool new_is_dir = k.inode(target).is_dir;
      if (is_dir && !new_is_dir) e = Err::kENOTDIR;
      if (!is_dir && new_is_dir) e = Err::kEISDIR;
    }
  }
  if (e != Err::kOk) co_return e;
  // A directory changing parent: inode_permission(source, MAY_WRITE) for "..".
  if (ndir != odir && is_dir) {
    e = co_await fuse_permission(k, source);
    if (e != Err::kOk) co_return e;
  }
  e = co_await fuse_rename(k, odir, old, ndir, nw);
  if (e == Err::kOk) {
    if (target != kNoInode && k.inode(target).is_dir) dc.ShrinkParent(nw, k.op);
    dc.d_move(old, nw);
  }
  co_return e;
}

}  // namespace

// do_renameat2().
sim::Task<Err> SysRename(Kctx& k, const std::vector<NameId>& from, const std::vector<NameId>& to) {
  Dcache& dc = k.m.dcache;
  Nameidata o, n;
  Err e = co_await link_path_walk(k, from, 0, &o);
  if (e != Err::kOk) co_return e;
  e = co_await link_path_walk(k, to, 0, &n);
  if (e != Err::kOk) {
    dc.dput(o.parent, k.op);
    co_return e;
  }
  if (o.last < 0 || n.last < 0) {
    dc.dput(o.parent, k.op);
    dc.dput(n.parent, k.op);
    co_return Err::kEBUSY;
  }
  const InodeId odir = InodeOf(k, o.parent), ndir = InodeOf(k, n.parent);
  // lock_rename(new parent, old parent)
  const bool cross = odir != ndir;
  if (cross) {
    co_await sim::MutexLock(k.a, k.m.rename_mutex, "s_vfs_rename_mutex");
    const InodeId first = odir < ndir ? odir : ndir, second = odir < ndir ? ndir : odir;
    co_await sim::DownWrite(k.a, k.i_rwsem(first), "i_rwsem (exclusive)");
    co_await sim::DownWrite(k.a, k.i_rwsem(second), "i_rwsem (exclusive)");
  } else {
    co_await sim::DownWrite(k.a, k.i_rwsem(odir), "i_rwsem (exclusive)");
  }
  const DentryId trap = RenameTrap(k, n.parent, o.parent);
  Walk ow = co_await lookup_one_qstr_excl(k, odir, o.parent, o.last, 0);
  e = ow.err;
  Walk nw;
  if (e == Err::kOk) {
    nw = co_await lookup_one_qstr_excl(k, ndir, n.parent, n.last, kLookupRenameTarget | kLookupCreate);
    e = nw.err;
  }
  if (e == Err::kOk) {
    if (ow.dentry == trap) {
      e = Err::kEINVAL;  // source is an ancestor of the target
    } else if (nw.dentry == trap) {
      e = Err::kENOTEMPTY;  // target is an ancestor of the source
    } else {
      e = co_await vfs_rename(k, odir, ow.dentry, ndir, nw.dentry);
    }
  }
  if (nw.dentry != kNoDentry) dc.dput(nw.dentry, k.op);
  if (ow.dentry != kNoDentry) dc.dput(ow.dentry, k.op);
  if (cross) {
    sim::UpWrite(k.a, k.i_rwsem(odir));
    sim::UpWrite(k.a, k.i_rwsem(ndir));
    sim::MutexUnlock(k.a, k.m.rename_mutex);
  } else {
    sim::UpWrite(k.a, k.i_rwsem(odir));
  }
  dc.dput(o.parent, k.op);
  dc.dput(n.parent, k.op);
  co_return e;
}

namespace {

// filename_create() + the lock of symlink(2)/link(2): the new name's parent
// locked exclusive and a negative dentry for it, handed to `make` (which
// checks may_create() and returns the error).
template <typename Make>
sim::Task<Err> CreateName(Kctx& k, const std::vector<NameId>& path, Make make) {
  Nameidata nd;
  Err e = co_await link_path_walk(k, path, 0, &nd);
  if (e != Err::kOk) co_return e;
  Dcache& dc = k.m.dcache;
  if (nd.last < 0) {  // not LAST_NORM
    dc.dput(nd.parent, k.op);
    co_return Err::kEEXIST;
  }
  const InodeId dir = InodeOf(k, nd.parent);
  co_await sim::DownWrite(k.a, k.i_rwsem(dir), "i_rwsem (exclusive)");
  Walk w = co_await lookup_one_qstr_excl(k, dir, nd.parent, nd.last, kLookupCreate | kLookupExcl);
  e = w.err;
  if (e == Err::kOk) {
    e = co_await make(dir, w.dentry);
    dc.dput(w.dentry, k.op);
  }
  sim::UpWrite(k.a, k.i_rwsem(dir));
  dc.dput(nd.parent, k.op);
  co_return e;
}

// user_path_at(): the dentry a path names, following a trailing symlink
// when `follow`.
sim::Task<Walk> user_path_at(Kctx& k, const std::vector<NameId>& path, bool follow) {
  Nameidata nd;
  Err e = co_await link_path_walk(k, path, 0, &nd);
  if (e != Err::kOk) co_return Walk{e};
  co_return co_await lookup_last_follow(k, &nd, 0, follow);
}

}  // namespace

sim::Task<Err> SysSymlink(Kctx& k, const std::vector<NameId>& target, bool target_abs,
                          const std::vector<NameId>& path) {
  co_return co_await CreateName(k, path, [&k, &target, target_abs](InodeId dir, DentryId d) -> sim::Task<Err> {
    Err e = co_await fuse_permission(k, dir);  // vfs_symlink(): may_create()
    if (e != Err::kOk) co_return e;
    co_return co_await fuse_symlink(k, dir, d, target, target_abs);
  });
}

sim::Task<Err> SysLink(Kctx& k, const std::vector<NameId>& from, const std::vector<NameId>& to) {
  Walk old = co_await user_path_at(k, from, /*follow=*/false);  // no AT_SYMLINK_FOLLOW
  if (old.err != Err::kOk) co_return old.err;
  const InodeId inode = InodeOf(k, old.dentry);
  k.m.inodes.Ihold(inode);
  Err e = co_await CreateName(k, to, [&k, inode](InodeId dir, DentryId d) -> sim::Task<Err> {
    // may_linkat() with fs.protected_hardlinks = 1 (systemd's default):
    // safe_hardlink_source() checks MAY_READ|MAY_WRITE on a regular source
    // (the owner, root here, may link it anyway).
    if (!k.inode(inode).is_dir && !k.inode(inode).is_symlink) (void)co_await fuse_permission(k, inode);
    // vfs_link(): may_create(), then EPERM for a directory.
    Err e = co_await fuse_permission(k, dir);
    if (e != Err::kOk) co_return e;
    if (k.inode(inode).is_dir) co_return Err::kEPERM;
    if (k.inode(inode).nlink == 0) co_return Err::kENOENT;
    co_return co_await fuse_link(k, inode, dir, d);
  });
  k.m.inodes.Iput(inode, k.op);
  k.m.dcache.dput(old.dentry, k.op);
  co_return e;
}

sim::Task<Err> SysReadlink(Kctx& k, const std::vector<NameId>& path) {
  Walk w = co_await user_path_at(k, path, /*follow=*/false);
  if (w.err != Err::kOk) co_return w.err;
  Err e = Err::kEINVAL;
  if (IsSymlink(k, w.dentry)) {
    std::vector<NameId> target;
    bool abs = false;
    e = co_await fuse_get_link(k, InodeOf(k, w.dentry), &target, &abs);  // vfs_readlink()
  }
  k.m.dcache.dput(w.dentry, k.op);
  co_return e;
}

sim::Task<Err> SysChmod(Kctx& k, const std::vector<NameId>& path, uint32_t mode) {
  Walk w = co_await user_path_at(k, path, /*follow=*/true);
  if (w.err != Err::kOk) co_return w.err;
  // chmod_common(): inode_lock(), notify_change() -> fuse_setattr().
  const InodeId ino = InodeOf(k, w.dentry);
  co_await sim::DownWrite(k.a, k.i_rwsem(ino), "i_rwsem (exclusive)");
  Err e = co_await fuse_setattr(k, w.dentry, kFattrMode, mode, 0);
  sim::UpWrite(k.a, k.i_rwsem(ino));
  k.m.dcache.dput(w.dentry, k.op);
  co_return e;
}

sim::Task<Err> SysTruncate(Kctx& k, const std::vector<NameId>& path, uint64_t size) {
  Walk w = co_await user_path_at(k, path, /*follow=*/true);
  if (w.err != Err::kOk) co_return w.err;
  const InodeId ino = InodeOf(k, w.dentry);
  // vfs_truncate(): EISDIR, EINVAL for what is not a regular file, then
  // inode_permission(MAY_WRITE).
  Err e = k.inode(ino).is_dir ? Err::kEISDIR : Err::kOk;
  if (e == Err::kOk) e = co_await fuse_permission(k, ino);
  if (e == Err::kOk) {
    // do_truncate(): dentry_needs_remove_privs() (the security.capability
    // GETXATTR), then notify_change() -> fuse_setattr(), under inode_lock().
    e = co_await fuse_need_killpriv(k, ino);
    co_await sim::DownWrite(k.a, k.i_rwsem(ino), "i_rwsem (exclusive)");
    if (e == Err::kOk) e = co_await fuse_setattr(k, w.dentry, kFattrSize, 0, size);
    sim::UpWrite(k.a, k.i_rwsem(ino));
  }
  k.m.dcache.dput(w.dentry, k.op);
  co_return e;
}

sim::Task<Err> SysReaddir(Kctx& k, const std::vector<NameId>& path) {
  File f;
  // glibc opendir(): open(O_RDONLY|O_DIRECTORY|O_NONBLOCK|O_CLOEXEC), then
  // fstat() of the new descriptor.
  OpenOutcome o = co_await SysOpen(k, path, kORdonly | kODirectory, &f);
  if (o.err != Err::kOk) co_return o.err;
  Err e = co_await fuse_getattr(k, f.inode);
  // readdir(): getdents64() until it returns nothing; each runs under the
  // directory's i_rwsem, shared (iterate_dir()).
  uint64_t pos = 0;
  while (e == Err::kOk) {
    const InodeId dir = f.inode;
    co_await sim::DownRead(k.a, k.i_rwsem(dir), "i_rwsem (shared)");
    int emitted = 0;
    e = co_await fuse_readdir(k, f, &pos, &emitted);
    sim::UpRead(k.a, k.i_rwsem(dir));
    if (emitted == 0) break;
  }
  // closedir(): close(); a directory has no FLUSH, RELEASEDIR goes in the
  // background.
  Err c = co_await SysClose(k, f);
  co_return e != Err::kOk ? e : c;
}

void SysDropCaches(Kctx& k) {
  k.m.dcache.ShrinkUnused(k.op);
  k.m.inodes.ShrinkUnused(k.op);
}

}  // namespace fusesim::model
