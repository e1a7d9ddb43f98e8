// PooledTable: objects numbered independently of the interleaving.
//
// The dcache and the icache number their dentries and inodes. Numbered in
// allocation order, two threads allocating in either order would give the
// same objects swapped numbers: two worlds that differ only by names, which
// the explorer would have to treat as different (every allocation ordered
// against every other). Here each allocating actor draws numbers from a pool
// of its own, so an object's number does not depend on what other actors
// did in between: id = pool << kPoolShift | index in the pool.
//
// Pool 0 is for allocations outside a step (mount time, tests); pool
// actor + 1 for an actor's steps. A pool that is full (kPerPool objects)
// spills into the highest pool that still has room; those numbers then do
// depend on the order of the spilling allocations, and the caller records
// that (Spilled()). AddForRunningStep() does both: it allocates in the
// running step's pool and records the allocation for the explorer.
//
// Addresses are stable (locks and completions are waited on by address).
// Iteration is in id order: pool by pool, each in allocation order.
#ifndef FUSESIM_MODEL_POOLED_TABLE_H_
#define FUSESIM_MODEL_POOLED_TABLE_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "model/keys.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

template <typename T>
class PooledTable {
 public:
  static constexpr int kPoolShift = 22;
  static constexpr int32_t kPerPool = int32_t{1} << kPoolShift;  // 4,194,304
  static constexpr int kPools = 1 << (31 - kPoolShift);          // 512

  // A new object in `pool` (clamped to the last pool); its id.
  int32_t Add(int pool) {
    if (pool >= kPools) pool = kPools - 1;
    if (pool >= static_cast<int>(pools_.size())) pools_.resize(pool + 1);
    spilled_ = false;
    if (static_cast<int32_t>(pools_[pool].size()) >= kPerPool) {
      spilled_ = true;
      pool = kPools - 1;
      while (pool >= 0 &&
             (pool < static_cast<int>(pools_.size()) && static_cast<int32_t>(pools_[pool].size()) >= kPerPool))
        --pool;
      if (pool >= static_cast<int>(pools_.size())) pools_.resize(pool + 1);
    }
    // pool < 0 would mean 2^31 objects: more than memory holds.
    const int32_t id = (static_cast<int32_t>(pool) << kPoolShift) | static_cast<int32_t>(pools_[pool].size());
    pools_[pool].emplace_back();
    ++size_;
    return id;
  }
  // Whether the last Add() spilled out of its pool.
  bool Spilled() const { return spilled_; }
  // Add() in the running actor's pool (0 outside a step), recording a write
  // of that pool's set (PoolKey(mount, table, pool)), which the shrinkers
  // read, and of spill_key when the pool was full.
  int32_t AddForRunningStep(int mount, int table, uint64_t spill_key) {
    const int32_t id = Add(sim::running_actor != nullptr ? sim::running_actor->index + 1 : 0);
    sim::Record(PoolKey(mount, table, id >> kPoolShift), sim::AccessMode::kWrite);
    if (spilled_) sim::Record(spill_key, sim::AccessMode::kWrite);
    return id;
  }

  T& operator[](int32_t id) { return pools_[id >> kPoolShift][id & (kPerPool - 1)]; }
  const T& operator[](int32_t id) const { return pools_[id >> kPoolShift][id & (kPerPool - 1)]; }
  bool Contains(int32_t id) const {
    if (id < 0) return false;
    const size_t p = static_cast<size_t>(id >> kPoolShift);
    return p < pools_.size() && static_cast<size_t>(id & (kPerPool - 1)) < pools_[p].size();
  }
  int64_t size() const { return size_; }

  // The pools holding objects, ascending.
  std::vector<int> Pools() const {
    std::vector<int> out;
    for (size_t p = 0; p < pools_.size(); ++p)
      if (!pools_[p].empty()) out.push_back(static_cast<int>(p));
    return out;
  }
  // Every id, in id order.
  std::vector<int32_t> Ids() const {
    std::vector<int32_t> out;
    out.reserve(static_cast<size_t>(size_));
    for (size_t p = 0; p < pools_.size(); ++p)
      for (size_t i = 0; i < pools_[p].size(); ++i)
        out.push_back(static_cast<int32_t>(p << kPoolShift) | static_cast<int32_t>(i));
    return out;
  }

 private:
  std::deque<std::deque<T>> pools_;
  int64_t size_ = 0;
  bool spilled_ = false;
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_POOLED_TABLE_H_
