#include "model/opcode.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_join.h"

namespace fusesim::model {
namespace {

const std::vector<std::pair<Opcode, std::string_view>>& Table() {
  static const auto* t = new std::vector<std::pair<Opcode, std::string_view>>{
      {Opcode::kLookup, "LOOKUP"},
      {Opcode::kForget, "FORGET"},
      {Opcode::kGetattr, "GETATTR"},
      {Opcode::kSetattr, "SETATTR"},
      {Opcode::kReadlink, "READLINK"},
      {Opcode::kSymlink, "SYMLINK"},
      {Opcode::kMknod, "MKNOD"},
      {Opcode::kMkdir, "MKDIR"},
      {Opcode::kUnlink, "UNLINK"},
      {Opcode::kRmdir, "RMDIR"},
      {Opcode::kRename, "RENAME"},
      {Opcode::kLink, "LINK"},
      {Opcode::kOpen, "OPEN"},
      {Opcode::kRelease, "RELEASE"},
      {Opcode::kGetxattr, "GETXATTR"},
      {Opcode::kFlush, "FLUSH"},
      {Opcode::kOpendir, "OPENDIR"},
      {Opcode::kReaddir, "READDIR"},
      {Opcode::kReleasedir, "RELEASEDIR"},
      {Opcode::kCreate, "CREATE"},
      {Opcode::kBatchForget, "BATCH_FORGET"},
      {Opcode::kReaddirplus, "READDIRPLUS"},
      {Opcode::kRename2, "RENAME2"},
      {Opcode::kAtomicCreate, "ATOMIC_CREATE"},
      {Opcode::kCreateExt, "CREATE_EXT"},
      {Opcode::kOpenAtomic, "OPEN_ATOMIC"},
      {Opcode::kStatx, "STATX"},
      {Opcode::kCompound, "COMPOUND"},
      {Opcode::kLookupHandle, "LOOKUP_HANDLE"},
      {Opcode::kMkobjHandle, "MKOBJ_HANDLE"},
      {Opcode::kLookupx, "LOOKUPX"},
      {Opcode::kMkobjx, "MKOBJX"},
  };
  return *t;
}

}  // namespace

const std::vector<Opcode>& AllOpcodes() {
  static const auto* all = [] {
    auto* v = new std::vector<Opcode>;
    for (const auto& [op, name] : Table()) v->push_back(op);
    return v;
  }();
  return *all;
}

namespace {

// Opcode value -> index in Table(), -1 for a value that is no opcode: a
// counter is bumped per request, so no search.
const std::vector<int16_t>& IndexByValue() {
  static const auto* index = [] {
    uint16_t max = 0;
    for (const auto& [op, name] : Table()) max = std::max(max, static_cast<uint16_t>(op));
    auto* v = new std::vector<int16_t>(max + 1, -1);
    for (size_t i = 0; i < Table().size(); ++i) (*v)[static_cast<uint16_t>(Table()[i].first)] = static_cast<int16_t>(i);
    return v;
  }();
  return *index;
}

int IndexOf(Opcode op) {
  const auto& index = IndexByValue();
  const auto value = static_cast<uint16_t>(op);
  return value < index.size() ? index[value] : -1;
}

}  // namespace

int OpcodeIndex(Opcode op) { return std::max(IndexOf(op), 0); }

std::string_view OpcodeName(Opcode op) {
  const int i = IndexOf(op);
  return i < 0 ? "?" : Table()[i].second;
}

std::optional<Opcode> ParseOpcode(std::string_view name) {
  if (name.substr(0, 5) == "FUSE_") name.remove_prefix(5);
  for (const auto& [o, n] : Table())
    if (n == name) return o;
  return std::nullopt;
}

std::string AllOpcodeNames() {
  std::vector<std::string> names;
  for (const auto& [o, n] : Table()) names.emplace_back(n);
  return absl::StrJoin(names, ", ");
}

bool IsNoReply(Opcode op) { return op == Opcode::kForget || op == Opcode::kBatchForget; }

}  // namespace fusesim::model
