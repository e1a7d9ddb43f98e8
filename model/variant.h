// The kernel FUSE client's open/create behaviours that fusesim compares.
//
// Names are part of the scenario contract (scenario-format.md §1) and never
// change. Each variant is described by what it does differently in
// fuse_atomic_open(); see fuse_dir.cc for the code and docs/variants.md for
// the patches each one follows.
#ifndef FUSESIM_MODEL_VARIANT_H_
#define FUSESIM_MODEL_VARIANT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fusesim::model {

enum class Variant : uint8_t {
  kLookupCreate,      // mainline: LOOKUP, then CREATE if negative
  kAtomicCreate,      // v4 "FUSE: Implement atomic lookup + create" (2022)
  kCreateSkipLookup,  // review alternative: plain CREATE without LOOKUP
  kCreateExt,         // v5 1/3 "FUSE: Avoid lookups in fuse create"
  kOpenAtomic,        // 2023 "fuse: full atomic open" series, v10
  // The 2026 designs; run when named (not in AllVariants()).
  kCompound,        // FUSE_COMPOUND v7: OPEN+GETATTR, revalidating LOOKUP+GETATTR
  kCompoundCreate,  // libfuse PR #1418: LOOKUP+MKNOD+OPEN, LOOKUP+OPEN compounds
  kLookupHandle,    // FUSE_LOOKUP_HANDLE RFC v3: LOOKUP_HANDLE+STATX, MKOBJ_HANDLE+STATX+OPEN
  kFusex,           // fusex: no-open mode, LOOKUPX, MKOBJX
};

// The five variants a scenario without "variants" runs (the corpus's
// expectations are written for them).
const std::vector<Variant>& AllVariants();
// Every variant fusesim knows, the 2026 designs included.
const std::vector<Variant>& EveryVariant();
std::string_view VariantName(Variant v);
std::optional<Variant> ParseVariant(std::string_view name);
std::string AllVariantNames();

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_VARIANT_H_
