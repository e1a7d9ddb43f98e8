// The kernel FUSE client's directory and open paths (fs/fuse/dir.c, file.c).
//
// Function names are the kernel's. Every function is a coroutine: a request
// to the server suspends it (see fuse_conn.h). fuse_atomic_open() is where
// the variants differ; everything else is mainline 6.18 behaviour, with the
// differences of 5.18 switched by the mount's kernel version.
//
// Kernel BUGs (d_instantiate on an in-lookup dentry, d_splice_alias on a
// hashed one) are recorded as violations and stop the calling thread for
// good: the coroutine never resumes, and what it holds stays held.
#ifndef FUSESIM_MODEL_FUSE_DIR_H_
#define FUSESIM_MODEL_FUSE_DIR_H_

#include <cstdint>
#include <vector>

#include "model/dcache.h"
#include "model/errno.h"
#include "model/file.h"
#include "model/kctx.h"
#include "sim/engine/task.h"

namespace fusesim::model {

// LOOKUP_* intent flags that fuse_dentry_revalidate() looks at.
enum LookupFlags : unsigned {
  kLookupOpen = 1u << 0,
  kLookupCreate = 1u << 1,
  kLookupExcl = 1u << 2,
  kLookupReval = 1u << 3,
  kLookupRenameTarget = 1u << 4,
};

struct Revalidate {
  int status = 1;  // > 0 valid, 0 invalid, < 0 error (err)
  Err err = Err::kOk;
};
sim::Task<Revalidate> fuse_dentry_revalidate(Kctx& k, DentryId entry, unsigned flags);

struct LookupResult {
  Err err = Err::kOk;
  DentryId alias = kNoDentry;  // d_splice_alias() returned another dentry
};
// fuse_lookup(): LOOKUP for an in-lookup or d_alloc()ed dentry, hashed with
// the result (negative with entry_valid for nodeid 0, time 0 for ENOENT).
sim::Task<LookupResult> fuse_lookup(Kctx& k, InodeId dir, DentryId entry);

struct AtomicOpenResult {
  Err err = Err::kOk;
  // finish_no_open(file, res): the dentry to use instead (referenced), if any.
  DentryId res = kNoDentry;
};
// ->atomic_open(): entry is in-lookup or hashed negative. On success either
// file.opened (FMODE_OPENED) or the VFS opens res/entry itself.
sim::Task<AtomicOpenResult> fuse_atomic_open(Kctx& k, InodeId dir, DentryId entry, File& file, uint32_t flags);

sim::Task<Err> fuse_mkdir(Kctx& k, InodeId dir, DentryId entry);
sim::Task<Err> fuse_unlink(Kctx& k, InodeId dir, DentryId entry);
sim::Task<Err> fuse_rmdir(Kctx& k, InodeId dir, DentryId entry);
sim::Task<Err> fuse_rename(Kctx& k, InodeId olddir, DentryId oldent, InodeId newdir, DentryId newent);

// fuse_open()/fuse_dir_open(): OPEN or OPENDIR unless the server lacks it.
sim::Task<Err> fuse_open(Kctx& k, File& file);
// fuse_flush(): FLUSH at close (not for directories).
sim::Task<Err> fuse_flush(Kctx& k, File& file);
// fuse_release(): RELEASE/RELEASEDIR in the background at last close.
void fuse_release(Kctx& k, File& file);
// fuse_update_get_attr(): GETATTR if the attributes are stale.
sim::Task<Err> fuse_getattr(Kctx& k, InodeId inode);
// fuse_permission(): with default_permissions, GETATTR if the permission
// attributes are stale.
sim::Task<Err> fuse_permission(Kctx& k, InodeId inode);
// The security.capability check of a truncating open (GETXATTR), until the
// server answers ENOSYS.
sim::Task<Err> fuse_need_killpriv(Kctx& k, InodeId inode);

// fuse_symlink(): SYMLINK through create_new_entry().
sim::Task<Err> fuse_symlink(Kctx& k, InodeId dir, DentryId entry, const std::vector<NameId>& target, bool target_abs);
// fuse_link(): LINK through create_new_entry(); ENOSYS sets no_link and
// every later link(2) answers EPERM without a request.
sim::Task<Err> fuse_link(Kctx& k, InodeId inode, InodeId newdir, DentryId newent);
// fuse_get_link(): READLINK (fuse_readlink_folio(), which invalidates the
// link's atime), or the page cache with cache_symlinks once read.
sim::Task<Err> fuse_get_link(Kctx& k, InodeId inode, std::vector<NameId>* target, bool* target_abs);
// fuse_setattr() -> fuse_do_setattr(): SETATTR; the reply's attributes
// stand for attr_valid; a directory's mode change expires its dentry.
sim::Task<Err> fuse_setattr(Kctx& k, DentryId entry, uint32_t valid, uint32_t mode, uint64_t size);

// The buffer glibc's readdir() passes to getdents64() (32 KiB for FUSE's
// st_blksize of 4096), and so the size of each READDIR request
// (clamp(ctx->count, PAGE_SIZE, max_pages << PAGE_SHIFT)).
inline constexpr uint64_t kGetdentsBufBytes = 32768;
inline constexpr uint64_t kReaddirBufBytes = 32768;
// fuse_readdir() -> fuse_readdir_uncached(): one getdents64(): READDIR or
// READDIRPLUS (fuse_use_readdirplus()) from *pos; *emitted entries reached
// the caller (0 at the end of the directory).
sim::Task<Err> fuse_readdir(Kctx& k, File& file, uint64_t* pos, int* emitted);
// fuse_advise_use_readdirplus(): sets FUSE_I_ADVISE_RDPLUS on dir.
void fuse_advise_use_readdirplus(Kctx& k, InodeId dir);

// Notifications from the server (fuse_notify_*), run in the context of the
// server thread that writes them to /dev/fuse; the result is what that write
// returns. fuse_reverse_inval_entry(): FUSE_NOTIFY_INVAL_ENTRY (child 0) and
// FUSE_NOTIFY_DELETE (child: the nodeid the name must have): the parent's
// attributes are invalidated and the cached name is d_invalidate()d (and
// d_delete()d for DELETE), so the next walk LOOKUPs it; ENOENT if the parent
// inode or the name is not cached.
sim::Task<Err> fuse_reverse_inval_entry(Kctx& k, NodeId parent, NameId name, NodeId child);
// FUSE_NOTIFY_INVAL_INODE: attributes (and the page cache, a cached symlink
// target included) invalidated; ENOENT if the inode is not cached.
Err fuse_reverse_inval_inode(Kctx& k, NodeId nodeid);
// FUSE_NOTIFY_INC_EPOCH (6.16+): fc->epoch++; fuse_dentry_revalidate()
// treats every dentry made before as invalid.
void fuse_notify_inc_epoch(Kctx& k);

// fuse_dir_changed(): invalidates the directory's attributes.
void fuse_dir_changed(Kctx& k, InodeId dir);
// fuse_invalidate_entry(): d_invalidate() + entry time 0.
void fuse_invalidate_entry(Kctx& k, DentryId entry);

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_FUSE_DIR_H_
