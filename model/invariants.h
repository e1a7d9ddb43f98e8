// Names of the invariants fusesim checks (scenario-format.md §4), as they
// appear in reports and in a scenario's expect.violations.
#ifndef FUSESIM_MODEL_INVARIANTS_H_
#define FUSESIM_MODEL_INVARIANTS_H_

#include <string_view>

namespace fusesim::model {

inline constexpr std::string_view kInvariantNames[] = {
    "bug:d_instantiate-in-lookup",  // d_instantiate() on an in-lookup dentry
    "bug:d_splice_alias-hashed",    // d_splice_alias() on a hashed dentry
    "fmode-created",                // FMODE_CREATED exactly when this call created the file
    "o-excl",                       // O_CREAT|O_EXCL succeeds only if it created the file
    "posix-errno",                  // errno a POSIX application may rely on
    "in-lookup-leak",               // no dentry left in-lookup at the end
    "single-dentry",                // at most one hashed dentry per (parent, name)
    "nlookup-balance",              // server lookup counts equal what the mount holds
    "handle-leak",                  // every handle released once files are closed
    "deadlock",                     // every thread finishes
    "step-limit",                   // a schedule ran past the step limit (livelock?)
};

inline bool IsInvariantName(std::string_view name) {
  for (std::string_view n : kInvariantNames)
    if (n == name) return true;
  return false;
}

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_INVARIANTS_H_
