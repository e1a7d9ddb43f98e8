// FUSE opcodes as in include/uapi/linux/fuse.h (protocol 7.45), plus the
// never-merged opcodes of the atomic-create/atomic-open proposals.
//
// The proposals' own numbers (51, 52, 53) now mean TMPFILE, STATX and
// COPY_FILE_RANGE_64 in mainline, so fusesim keeps them private: >= 1000.
// Names are printed without the FUSE_ prefix, as reports and scenarios use them.
#ifndef FUSESIM_MODEL_OPCODE_H_
#define FUSESIM_MODEL_OPCODE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fusesim::model {

enum class Opcode : uint16_t {
  kLookup = 1,
  kForget = 2,
  kGetattr = 3,
  kSetattr = 4,
  kReadlink = 5,
  kSymlink = 6,
  kMknod = 8,
  kMkdir = 9,
  kUnlink = 10,
  kRmdir = 11,
  kRename = 12,
  kLink = 13,
  kOpen = 14,
  kRelease = 18,
  kGetxattr = 22,
  kFlush = 25,
  kOpendir = 27,
  kReaddir = 28,
  kReleasedir = 29,
  kCreate = 35,
  kBatchForget = 42,
  kReaddirplus = 44,
  kRename2 = 45,
  // Private numbers for proposals that were never merged.
  kAtomicCreate = 1051,  // v4 "FUSE: Implement atomic lookup + create" (was 51)
  kCreateExt = 1052,     // v5 "FUSE: Avoid lookups in fuse create" (was 51)
  kOpenAtomic = 1053,    // 2023 "fuse: full atomic open" v10 (was 52, then 53)
  // The 2026 designs (docs/variants.md). STATX is mainline (7.45); COMPOUND
  // and LOOKUP_HANDLE carry the numbers their postings propose; the others
  // have no number in a posting read, so they get private ones.
  kStatx = 52,
  kCompound = 54,       // Horst Birthelmer, FUSE_COMPOUND v7 (Jun 2026)
  kLookupHandle = 55,   // Luis Henriques, FUSE_LOOKUP_HANDLE RFC v3 (Feb 2026)
  kMkobjHandle = 1055,  // same RFC: MKOBJ_HANDLE
  kLookupx = 1056,      // Miklos Szeredi, fusex (Apr 2026): LOOKUP without attributes
  kMkobjx = 1057,       // fusex: one request makes any object
};

// Dense index of an opcode in AllOpcodes(), for counters.
inline constexpr int kNumOpcodes = 32;
int OpcodeIndex(Opcode op);
// Every opcode fusesim models, in table order (numeric within each group).
const std::vector<Opcode>& AllOpcodes();
std::string_view OpcodeName(Opcode op);
std::optional<Opcode> ParseOpcode(std::string_view name);
std::string AllOpcodeNames();
// Requests the sender does not wait for: FORGET, BATCH_FORGET (the
// asynchronous RELEASE/RELEASEDIR are marked per request instead).
bool IsNoReply(Opcode op);

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_OPCODE_H_
