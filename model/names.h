// Interned path components.
//
// Every name a run can meet comes from the scenario (its tree and its ops'
// paths), so names are interned once before the run and compared as integers
// in the hot loop. Ids are dense and assigned in first-seen order, which is
// deterministic for a given scenario.
#ifndef FUSESIM_MODEL_NAMES_H_
#define FUSESIM_MODEL_NAMES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace fusesim::model {

using NameId = int32_t;

class NameTable {
 public:
  NameTable() = default;
  NameTable(const NameTable&) = default;
  NameTable& operator=(const NameTable&) = default;

  // (Looked up by the view itself: absl's string hash is transparent, so no
  // string is made for a name already interned, the loader's common case.)
  NameId Intern(std::string_view name) {
    auto it = ids_.find(absl::string_view(name.data(), name.size()));
    if (it != ids_.end()) return it->second;
    NameId id = static_cast<NameId>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    return id;
  }
  // -1 if the name was never interned.
  NameId Find(std::string_view name) const {
    auto it = ids_.find(absl::string_view(name.data(), name.size()));
    return it == ids_.end() ? -1 : it->second;
  }
  const std::string& Name(NameId id) const { return names_[id]; }

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, NameId> ids_;
};

// Splits an absolute path into interned components ("/" → empty).
inline std::vector<NameId> InternPath(NameTable& names, std::string_view path) {
  std::vector<NameId> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) out.push_back(names.Intern(path.substr(i, j - i)));
    i = j;
  }
  return out;
}

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_NAMES_H_
