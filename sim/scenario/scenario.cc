#include "sim/scenario/scenario.h"

#include "absl/strings/str_cat.h"

namespace fusesim::sim {

std::string OpSpec::label() const { return absl::StrCat(thread_name_ ? *thread_name_ : Empty(), ".", index); }

const std::string& OpSpec::Empty() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

const std::vector<model::NameId>& OpSpec::EmptyIds() {
  static const std::vector<model::NameId>* const kEmpty = new std::vector<model::NameId>();
  return *kEmpty;
}

const std::vector<int>& OpSpec::EmptyInts() {
  static const std::vector<int>* const kEmpty = new std::vector<int>();
  return *kEmpty;
}

}  // namespace fusesim::sim
