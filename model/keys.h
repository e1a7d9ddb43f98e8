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
  kServerEntry = 1,    // (parent nodeid, name) in the server namespace
  kServerNode = 2,     // a server node's state (lookup counts, handles, links)
  kDentry = 3,         // (mount, parent dentry, name) hash slot in a dcache
  kInode = 4,          // (mount, kernel inode) the inode's fields
  kConn = 5,           // (mount, ConnField) connection-wide state
  kAsyncQueue = 6,     // (mount) queued RELEASE/FORGET
  kLock = 7,           // (mount, lock number)
  kOp = 8,             // (op number) completion of a scenario op
  kDentryFields = 9,   // (mount, dentry) state, parent, name, inode, time
  kDentryCount = 10,   // (mount, dentry) d_count: additions commute
  kInodeCount = 11,    // (mount, kernel inode) i_count: additions commute
  kNodeIndex = 12,     // (mount, nodeid) the icache's entry for a nodeid
  kDirAlias = 13,      // (mount, kernel inode) a directory's dentry
  kInLookupSlot = 14,  // (mount, parent dentry, name) in-lookup hash slot
  kServerIds = 15,     // (0: node ids, 1: file handles) the server's allocators
  kServerMtime = 16,   // (node) a directory's change count: additions commute
};

// Connection-wide state of a mount (struct fuse_conn, and the allocators
// of the model's dentry and inode numbers).
enum class ConnField : uint64_t {
  kFlags = 1,        // no_create, no_open, ... (set on ENOSYS)
  kEpoch = 2,        // fc->epoch
  kAttrVersion = 3,  // fc->attr_version
  kEvictCtr = 4,     // fc->evict_ctr
  kDentryIds = 5,    // dentry numbers drawn out of a full pool (pooled_table.h)
  kInodeIds = 6,     // inode numbers drawn out of a full pool
};

inline uint64_t MakeKey(KeyKind kind, uint64_t a, uint64_t b);

inline uint64_t ConnKey(int mount, ConnField f) {
  return MakeKey(KeyKind::kConn, static_cast<uint64_t>(mount), static_cast<uint64_t>(f));
}

// The set of a mount's dentries (table 0) or inodes (table 1) in one pool
// of a PooledTable: written by allocating there, read by whoever walks them
// all (the shrinkers).
inline uint64_t PoolKey(int mount, int table, int pool) {
  return MakeKey(KeyKind::kConn, static_cast<uint64_t>(mount),
                 1024 + 1024 * static_cast<uint64_t>(table) + static_cast<uint64_t>(pool));
}

inline uint64_t MakeKey(KeyKind kind, uint64_t a, uint64_t b) {
  uint64_t h = (a + 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
  h ^= (b + 0x94D049BB133111EBull) * 0x9E3779B97F4A7C15ull;
  return (static_cast<uint64_t>(kind) << 59) | (h >> 5);
}

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_KEYS_H_
