// The VFS side of the syscalls fusesim models (fs/namei.c, fs/open.c).
//
// Path walk (link_path_walk, lookup_fast, lookup_slow with d_alloc_parallel
// and d_wait_lookup), open (path_openat: open_last_lookups, lookup_open, the
// atomic_open wrapper, do_open, the ESTALE retry with LOOKUP_REVAL), stat,
// unlink, mkdir, rmdir, rename, close and drop_caches. Parent i_rwsem is
// taken as the kernel takes it: shared for lookups and plain opens,
// exclusive for O_CREAT opens and namespace changes; 6.12+ skips it for an
// O_CREAT open (no O_EXCL) that finds a valid positive dentry.
//
// Paths are absolute, as interned components; "/" is the empty vector.
#ifndef FUSESIM_MODEL_NAMEI_H_
#define FUSESIM_MODEL_NAMEI_H_

#include <cstdint>
#include <vector>

#include "model/errno.h"
#include "model/file.h"
#include "model/kctx.h"
#include "model/names.h"
#include "sim/engine/task.h"

namespace fusesim::model {

// Linux's MAXSYMLINKS: symlinks one path walk follows at most.
inline constexpr int kMaxSymlinks = 40;

struct OpenOutcome {
  Err err = Err::kOk;
  bool created = false;  // FMODE_CREATED
};

// open(2). On success *file is open (holding its dentry and inode).
// build_open_flags() in do_sys_openat2(): the flag checks that come before
// the start directory and any walk (EINVAL for O_CREAT|O_DIRECTORY, 6.4+),
// so they win over a bad or non-directory dirfd. kOk if the flags pass.
Err BuildOpenFlags(const Kctx& k, uint32_t flags);

sim::Task<OpenOutcome> SysOpen(Kctx& k, const std::vector<NameId>& path, uint32_t flags, File* file);
// openat(2) with a relative path from the open directory `dir`.
sim::Task<OpenOutcome> SysOpenAt(Kctx& k, const File& dir, const std::vector<NameId>& path, uint32_t flags, File* file);
// close(2): FLUSH, then RELEASE in the background; drops the references.
sim::Task<Err> SysClose(Kctx& k, File& file);
// stat(2), or lstat(2) when !follow (a trailing symlink is not followed).
sim::Task<Err> SysStat(Kctx& k, const std::vector<NameId>& path, bool follow = true);
sim::Task<Err> SysUnlink(Kctx& k, const std::vector<NameId>& path);
sim::Task<Err> SysMkdir(Kctx& k, const std::vector<NameId>& path);
sim::Task<Err> SysRmdir(Kctx& k, const std::vector<NameId>& path);
sim::Task<Err> SysRename(Kctx& k, const std::vector<NameId>& from, const std::vector<NameId>& to);
// symlink(2): `target` (its components; absolute if target_abs) at `path`.
sim::Task<Err> SysSymlink(Kctx& k, const std::vector<NameId>& target, bool target_abs, const std::vector<NameId>& path);
// link(2) (no AT_SYMLINK_FOLLOW: a trailing symlink in `from` is linked itself).
sim::Task<Err> SysLink(Kctx& k, const std::vector<NameId>& from, const std::vector<NameId>& to);
// readlink(2): EINVAL unless the path names a symlink.
sim::Task<Err> SysReadlink(Kctx& k, const std::vector<NameId>& path);
// chmod(2) and truncate(2): SETATTR.
sim::Task<Err> SysChmod(Kctx& k, const std::vector<NameId>& path, uint32_t mode);
sim::Task<Err> SysTruncate(Kctx& k, const std::vector<NameId>& path, uint64_t size);
// What glibc's opendir()/readdir() until the end/closedir() do: OPENDIR,
// fstat (GETATTR if stale), READDIR or READDIRPLUS until one returns
// nothing, RELEASEDIR.
sim::Task<Err> SysReaddir(Kctx& k, const std::vector<NameId>& path);
// echo 2 > /proc/sys/vm/drop_caches, for this mount.
void SysDropCaches(Kctx& k);

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_NAMEI_H_
