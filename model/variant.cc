#include "model/variant.h"

#include <utility>

#include "absl/strings/str_join.h"

namespace fusesim::model {
namespace {

constexpr std::pair<Variant, std::string_view> kNames[] = {
    {Variant::kLookupCreate, "lookup-create"},
    {Variant::kAtomicCreate, "atomic-create"},
    {Variant::kCreateSkipLookup, "create-skip-lookup"},
    {Variant::kCreateExt, "create-ext"},
    {Variant::kOpenAtomic, "open-atomic"},
    {Variant::kCompound, "compound"},
    {Variant::kCompoundCreate, "compound-create"},
    {Variant::kLookupHandle, "lookup-handle"},
    {Variant::kFusex, "fusex"},
};

}  // namespace

const std::vector<Variant>& AllVariants() {
  static const auto* all =
      new std::vector<Variant>{Variant::kLookupCreate, Variant::kAtomicCreate, Variant::kCreateSkipLookup,
                               Variant::kCreateExt, Variant::kOpenAtomic};
  return *all;
}

const std::vector<Variant>& EveryVariant() {
  static const auto* every = [] {
    auto* v = new std::vector<Variant>;
    for (const auto& [var, name] : kNames) v->push_back(var);
    return v;
  }();
  return *every;
}

std::string_view VariantName(Variant v) {
  for (const auto& [var, name] : kNames)
    if (var == v) return name;
  return "?";
}

std::optional<Variant> ParseVariant(std::string_view name) {
  for (const auto& [var, n] : kNames)
    if (n == name) return var;
  return std::nullopt;
}

std::string AllVariantNames() {
  std::vector<std::string> names;
  for (const auto& [var, n] : kNames) names.emplace_back(n);
  return absl::StrJoin(names, ", ");
}

}  // namespace fusesim::model
