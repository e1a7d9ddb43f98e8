#include "model/opcode.h"

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

int OpcodeIndex(Opcode op) {
  const auto& t = Table();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].first == op) return static_cast<int>(i);
  return 0;
}

std::string_view OpcodeName(Opcode op) {
  for (const auto& [o, name] : Table())
    if (o == op) return name;
  return "?";
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
