// Kernel releases fusesim models, and the behaviour each one switches on.
//
// 5.18 is the base of the 2022 atomic-create patches; 6.18 is what
// realfuse-traces.md was recorded on. Each predicate names the commit that
// introduced the behaviour.
#ifndef FUSESIM_MODEL_KERNEL_VERSION_H_
#define FUSESIM_MODEL_KERNEL_VERSION_H_

#include <optional>
#include <string_view>

namespace fusesim::model {

enum class KernelVersion : uint8_t { k5_18, k6_18 };

inline std::string_view KernelVersionName(KernelVersion v) {
  return v == KernelVersion::k5_18 ? "5.18" : "6.18";
}
inline std::optional<KernelVersion> ParseKernelVersion(std::string_view s) {
  if (s == "5.18") return KernelVersion::k5_18;
  if (s == "6.18") return KernelVersion::k6_18;
  return std::nullopt;
}

// 7d875e66859a "fuse: invalidate dentry on EEXIST creates or ENOENT deletes"
// (v6.6).
inline bool InvalidatesOnEexist(KernelVersion v) {
  return v >= KernelVersion::k6_18;
}
// e747e15156b7 "fs: try an opportunistic lookup for O_CREAT opens too"
// (v6.12): O_CREAT without O_EXCL on a valid positive dentry takes no parent
// lock.
inline bool HasOCreatFastPath(KernelVersion v) {
  return v >= KernelVersion::k6_18;
}
// fuse_dentry_revalidate() also forces revalidation for LOOKUP_RENAME_TARGET
// in recent kernels (6.x).
inline bool RevalidatesRenameTarget(KernelVersion v) {
  return v >= KernelVersion::k6_18;
}

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_KERNEL_VERSION_H_
