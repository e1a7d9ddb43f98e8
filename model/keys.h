// Keys that name shared state in step footprints.
//
// Two steps are dependent when they touch a common key and one writes it.
// A key packs a kind and two numbers; a hash collision can only add a
// dependency (costing exploration time), never hide one.
#ifndef FUSESIM_MODEL_KEYS_H_
#define FUSESIM_MODEL_KEYS_H_

#include <cstdint>

namespace fusesim::model {

enum class KeyKind : uint64_t {
  kServerEntry = 1,  // (parent nodeid, name) in the server namespace
  kServerNode = 2,   // a server node's state (lookup counts, handles, links)
  kDentry = 3,       // (mount, parent dentry, name) slot in a dcache
  kInode = 4,        // (mount, kernel inode)
  kConn = 5,         // (mount) connection flags: no_create, ...
  kAsyncQueue = 6,   // (mount) queued RELEASE/FORGET
  kLock = 7,         // (mount, lock number)
  kOp = 8,           // (op number) completion of a scenario op
};

inline uint64_t MakeKey(KeyKind kind, uint64_t a, uint64_t b);

// Everything a kernel step of a mount may touch (its dcache, inodes,
// connection flags and the queue it may add FORGETs to): every kernel step of
// the mount writes it, and so does the delivery of its background queue.
inline uint64_t MountKey(int mount) { return MakeKey(KeyKind::kConn, static_cast<uint64_t>(mount), 1); }

inline uint64_t MakeKey(KeyKind kind, uint64_t a, uint64_t b) {
  uint64_t h = (a + 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
  h ^= (b + 0x94D049BB133111EBull) * 0x9E3779B97F4A7C15ull;
  return (static_cast<uint64_t>(kind) << 59) | (h >> 5);
}

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_KEYS_H_
