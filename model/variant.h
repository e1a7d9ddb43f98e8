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
};

const std::vector<Variant>& AllVariants();
std::string_view VariantName(Variant v);
std::optional<Variant> ParseVariant(std::string_view name);
std::string AllVariantNames();

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_VARIANT_H_
