// Kernel releases fusesim models, and the behaviour each one switches on.
//
// 5.18 is the base of the 2022 atomic-create patches; 6.18 is what
// the recorded traces of scenarios/trace-* come from. Each predicate names the commit that
// introduced the behaviour.
#ifndef FUSESIM_MODEL_KERNEL_VERSION_H_
#define FUSESIM_MODEL_KERNEL_VERSION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fusesim::model {

enum class KernelVersion : uint8_t { k5_18, k6_18 };

inline std::string_view KernelVersionName(KernelVersion v) { return v == KernelVersion::k5_18 ? "5.18" : "6.18"; }
inline std::optional<KernelVersion> ParseKernelVersion(std::string_view s) {
  if (s == "5.18") return KernelVersion::k5_18;
  if (s == "6.18") return KernelVersion::k6_18;
  return std::nullopt;
}

// 7d875e66859a "fuse: invalidate dentry on EEXIST creates or ENOENT deletes"
// (v6.6).
inline bool InvalidatesOnEexist(KernelVersion v) { return v >= KernelVersion::k6_18; }
// e747e15156b7 "fs: try an opportunistic lookup for O_CREAT opens too"
// (v6.12): O_CREAT without O_EXCL on a valid positive dentry takes no parent
// lock.
inline bool HasOCreatFastPath(KernelVersion v) { return v >= KernelVersion::k6_18; }
// fuse_dentry_revalidate() also forces revalidation for LOOKUP_RENAME_TARGET
// in recent kernels (6.x).
inline bool RevalidatesRenameTarget(KernelVersion v) { return v >= KernelVersion::k6_18; }

// build_open_flags() refuses O_CREAT|O_DIRECTORY with EINVAL before any path
// walk (v6.4, "open: return EINVAL for O_DIRECTORY | O_CREAT"). Earlier
// kernels create a regular file and fail the open with ENOTDIR afterwards.
inline bool RejectsCreatDirectory(KernelVersion v) { return v >= KernelVersion::k6_18; }
// FUSE_NAME_MAX, the longest name fuse_lookup_name() sends (longer:
// ENAMETOOLONG, no request). 1024 until 27992ef80770 "fuse: Increase
// FUSE_NAME_MAX to PATH_MAX" (v6.14) made it PATH_MAX - 1. The VFS path walk
// itself checks no name length; only getname()'s PATH_MAX bounds the path.
inline size_t FuseNameMax(KernelVersion v) { return v >= KernelVersion::k6_18 ? 4095 : 1024; }
// Which closes send RELEASE/RELEASEDIR after OPEN/OPENDIR answered ENOSYS.
// 6.18 (e26ee4efbc79 "fuse: allocate ff->release_args only if release is
// needed", v6.9, as corrected by bd5603eaae0a "fuse: fix readahead reclaim
// deadlock", in the 6.18 stable series): fuse_file_put() sends nothing for a
// directory opened without OPENDIR (no release args), and nothing for any
// regular file while fc->no_open is set at the time of the release -- files
// opened by CREATE, or by OPEN before the ENOSYS, included. 5.18:
// fuse_file_put() tests fc->no_open (files) or fc->no_opendir (directories)
// at release time.
inline bool ReleaseArgsPerFile(KernelVersion v) { return v >= KernelVersion::k6_18; }

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_KERNEL_VERSION_H_
