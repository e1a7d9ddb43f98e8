// The choke point between the model and the engine.
//
// Every place where the modelled kernel can be preempted in a way that matters
// is a `co_await` on one of the awaitables below. Each names what the next step
// touches first (a lock, an in-lookup dentry's completion, a queue), so that the
// scheduler knows whether the step can run (is enabled) and an explorer can tell
// dependent steps apart.
//
// Model code owns the synchronisation objects (RwSem, Mutex, Completion,
// Counter) as plain members of its state; the scheduler only reads them to
// decide what is enabled, and the awaitables take them when the step runs.
//
// Time: each actor carries its own simulated clock (microseconds). Taking a
// lock or seeing a completion moves the taker's clock to at least the time the
// releaser let go, so the maximum clock is the makespan of the run.
//
// Determinism: nothing here reads the wall clock or iterates unordered state.
#ifndef FUSESIM_SIM_ENGINE_RUNTIME_H_
#define FUSESIM_SIM_ENGINE_RUNTIME_H_

#include <algorithm>
#include <coroutine>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine/task.h"

namespace fusesim::sim {

using Clock = uint64_t;  // simulated microseconds

struct Actor;

// Reader/writer semaphore: the VFS i_rwsem, queued as Linux's rwsem
// (kernel/locking/rwsem.c) queues:
//  - taking it is two steps when it is contended: the task arrives (a step
//    that is always enabled), finds it unavailable and joins the FIFO wait
//    queue; it runs again once the lock has been handed to it;
//  - a reader arriving while readers hold it but a task is queued does not
//    jump the queue (rwsem_down_read_slowpath() queues when the lock is
//    reader-owned); a writer never takes it ahead of the queue;
//  - the releaser hands the lock to the first waiter (the effect of
//    RWSEM_FLAG_HANDOFF, and of the woken waiter running before a newcomer):
//    a writer alone, or, when the first waiter is a reader, every queued
//    reader at once (rwsem_mark_wake() wakes all readers: phase-fair).
// Invariants: writer >= 0 implies readers == 0; the queue is non-empty only
// while the lock is held.
struct RwSem {
  struct Waiter {
    Actor* actor;
    bool write;
  };
  int readers = 0;
  int writer = -1;              // actor index
  Clock released_at = 0;        // last release (a writer waits for it)
  Clock write_released_at = 0;  // last writer's release (a reader waits for it)
  uint64_t key = 0;             // stable identity for dependency tracking
  std::vector<Waiter> queue;

  // Whether a task arriving now takes the lock at once.
  bool Available(bool write) const {
    if (writer >= 0 || !queue.empty()) return false;
    return !write || readers == 0;
  }
};

// Sleeping mutex: the FUSE inode mutex, s_vfs_rename_mutex.
struct Mutex {
  int owner = -1;
  Clock released_at = 0;
  uint64_t key = 0;
};

// One-shot event: "this dentry is no longer in-lookup".
struct Completion {
  bool done = false;
  Clock done_at = 0;
  uint64_t key = 0;
};

// A count of queued work: enabled while > 0 (asynchronous requests).
struct Counter {
  int value = 0;
  Clock last_at = 0;
  uint64_t key = 0;
};

enum class WaitKind : uint8_t {
  kNone,         // always enabled
  kRwsemRead,    // down_read: arrives (takes it, or joins the queue)
  kRwsemWrite,   // down_write: arrives (takes it, or joins the queue)
  kRwsemQueued,  // queued on a RwSem: runs once the lock was handed to it
  kMutex,        // mutex_lock
  kCompletion,   // wait until done
  kCounter,      // wait until value > 0
  kAfter,        // wait until every listed completion is done
};

struct Wait {
  WaitKind kind = WaitKind::kNone;
  const void* obj = nullptr;
  // What the step does, for traces and diagnostics ("LOOKUP reply", ...).
  const char* what = "";
};

// How a step accesses a piece of shared state. Two accesses to one key
// conflict unless both read or both add: additions to a counter commute
// (a reference count taken and dropped in either order ends the same).
// An addition whose order can matter (a count that reaches a value where
// the program acts on it) is recorded as a write by the program.
enum class AccessMode : uint8_t { kRead, kWrite, kAdd };

// One access of a step to shared state, for dependency analysis.
struct Access {
  uint64_t key;
  AccessMode mode;
  bool operator==(const Access&) const = default;
};

// Whether two accesses do not commute.
inline bool Conflict(const Access& x, const Access& y) {
  if (x.key != y.key) return false;
  return x.mode != y.mode || x.mode == AccessMode::kWrite;
}

// Whether two steps, by their footprints, do not commute.
inline bool Dependent(const std::vector<Access>& a, const std::vector<Access>& b) {
  for (const Access& x : a)
    for (const Access& y : b)
      if (Conflict(x, y)) return true;
  return false;
}

enum class ActorKind : uint8_t { kThread, kServerThread, kAsyncQueue };

struct Actor {
  int index = 0;
  std::string name;
  ActorKind kind = ActorKind::kThread;
  bool daemon = false;  // finishes when nothing is left for it to do

  std::coroutine_handle<> resume;  // innermost suspended frame
  Wait wait;
  bool started = false;
  bool finished = false;
  bool bugged = false;  // stopped by a kernel BUG: never resumed again
  Clock clock = 0;
  // kRwsemQueued: whether the lock was handed over, when, and in which mode.
  bool granted = false;
  bool queued_write = false;
  Clock granted_at = 0;

  Task<void> root;
  std::vector<const Completion*> after;  // used by WaitKind::kAfter
  std::vector<Access> footprint;         // of the step being run
  bool record = false;                   // collect footprints?

  void Touch(uint64_t key, AccessMode mode) {
    if (record) footprint.push_back({key, mode});
  }
  void Touch(uint64_t key, bool write) { Touch(key, write ? AccessMode::kWrite : AccessMode::kRead); }
  void SyncClock(Clock c) { clock = std::max(clock, c); }
};

// The actor whose step is running (set by the scheduler around each step;
// null between steps). State that the program reaches without an actor at
// hand (a table, a cache) records its accesses here.
inline thread_local Actor* running_actor = nullptr;

// Records an access of the running step (nothing between steps, or when
// footprints are not wanted).
inline void Record(uint64_t key, AccessMode mode) {
  if (running_actor != nullptr) running_actor->Touch(key, mode);
}

// True if the actor's next step can run now.
inline bool Enabled(const Actor& a) {
  if (a.finished || a.bugged || !a.resume) return false;
  switch (a.wait.kind) {
    case WaitKind::kNone:
      return true;
    case WaitKind::kRwsemRead:
    case WaitKind::kRwsemWrite:
      return true;  // arriving: takes the lock or joins its queue
    case WaitKind::kRwsemQueued:
      return a.granted;
    case WaitKind::kMutex:
      return static_cast<const Mutex*>(a.wait.obj)->owner < 0;
    case WaitKind::kCompletion:
      return static_cast<const Completion*>(a.wait.obj)->done;
    case WaitKind::kCounter:
      return static_cast<const Counter*>(a.wait.obj)->value > 0;
    case WaitKind::kAfter:
      for (const Completion* c : a.after)
        if (!c->done) return false;
      return true;
  }
  return false;
}

// The awaitable behind every scheduling point. On resume it performs the
// acquisition the wait names (the scheduler resumes only enabled actors).
class PointAwaiter {
 public:
  PointAwaiter(Actor& a, Wait w) : a_(a), w_(w) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    a_.resume = h;
    a_.wait = w_;
  }
  void await_resume() noexcept {
    if (a_.wait.kind == WaitKind::kRwsemQueued) {
      // Handed over by the releaser (HandOff): already held.
      const auto* s = static_cast<const RwSem*>(w_.obj);
      a_.SyncClock(a_.granted_at);
      // A reader handed the lock commutes with other readers.
      a_.Touch(s->key, a_.queued_write ? AccessMode::kWrite : AccessMode::kAdd);
      a_.granted = false;
      a_.wait = Wait{};
      return;
    }
    switch (w_.kind) {
      case WaitKind::kNone:
      case WaitKind::kRwsemQueued:
        break;
      case WaitKind::kRwsemRead: {
        auto* s = const_cast<RwSem*>(static_cast<const RwSem*>(w_.obj));
        s->readers++;
        a_.SyncClock(s->write_released_at);
        a_.Touch(s->key, AccessMode::kAdd);  // readers commute
        break;
      }
      case WaitKind::kRwsemWrite: {
        auto* s = const_cast<RwSem*>(static_cast<const RwSem*>(w_.obj));
        s->writer = a_.index;
        a_.SyncClock(s->released_at);
        a_.Touch(s->key, true);
        break;
      }
      case WaitKind::kMutex: {
        auto* m = const_cast<Mutex*>(static_cast<const Mutex*>(w_.obj));
        m->owner = a_.index;
        a_.SyncClock(m->released_at);
        a_.Touch(m->key, true);
        break;
      }
      case WaitKind::kCompletion: {
        const auto* c = static_cast<const Completion*>(w_.obj);
        a_.SyncClock(c->done_at);
        a_.Touch(c->key, false);
        break;
      }
      case WaitKind::kCounter: {
        const auto* c = static_cast<const Counter*>(w_.obj);
        a_.SyncClock(c->last_at);
        a_.Touch(c->key, true);
        break;
      }
      case WaitKind::kAfter:
        for (const Completion* c : a_.after) {
          a_.SyncClock(c->done_at);
          a_.Touch(c->key, false);
        }
        break;
    }
    a_.wait = Wait{};
  }

 private:
  Actor& a_;
  Wait w_;
};

// A preemption point that waits for nothing.
inline PointAwaiter Point(Actor& a, const char* what) { return PointAwaiter(a, Wait{WaitKind::kNone, nullptr, what}); }
inline PointAwaiter DownRead(Actor& a, RwSem& s, const char* what) {
  return PointAwaiter(a, Wait{WaitKind::kRwsemRead, &s, what});
}
inline PointAwaiter DownWrite(Actor& a, RwSem& s, const char* what) {
  return PointAwaiter(a, Wait{WaitKind::kRwsemWrite, &s, what});
}
inline PointAwaiter MutexLock(Actor& a, Mutex& m, const char* what) {
  return PointAwaiter(a, Wait{WaitKind::kMutex, &m, what});
}
inline PointAwaiter WaitFor(Actor& a, const Completion& c, const char* what) {
  return PointAwaiter(a, Wait{WaitKind::kCompletion, &c, what});
}
inline PointAwaiter WaitNonZero(Actor& a, const Counter& c, const char* what) {
  return PointAwaiter(a, Wait{WaitKind::kCounter, &c, what});
}
inline PointAwaiter WaitAfter(Actor& a, const char* what) {
  return PointAwaiter(a, Wait{WaitKind::kAfter, nullptr, what});
}

// The arrival step of a task that finds the lock unavailable (the
// scheduler runs it instead of resuming the task): it joins the queue.
inline void Enqueue(Actor& a, RwSem& s) {
  const bool write = a.wait.kind == WaitKind::kRwsemWrite;
  s.queue.push_back({&a, write});
  a.wait.kind = WaitKind::kRwsemQueued;
  a.granted = false;
  a.queued_write = write;
  // Only the lock's queue changes.
  a.Touch(s.key, true);
}

// Once the lock is free: hands it to the first waiter, or to every queued
// reader when the first waiter is a reader (rwsem_mark_wake()).
inline void HandOff(RwSem& s) {
  if (s.queue.empty() || s.writer >= 0 || s.readers > 0) return;
  auto grant = [&s](const RwSem::Waiter& w) {
    w.actor->granted = true;
    w.actor->granted_at = s.released_at;
  };
  if (s.queue.front().write) {
    s.writer = s.queue.front().actor->index;
    grant(s.queue.front());
    s.queue.erase(s.queue.begin());
    return;
  }
  std::vector<RwSem::Waiter> writers;
  for (const RwSem::Waiter& w : s.queue) {
    if (w.write) {
      writers.push_back(w);
    } else {
      s.readers++;
      grant(w);
    }
  }
  s.queue = std::move(writers);
}

// Releasing a lock writes it: with a queue, an arrival before the release
// queues and one after it may take the lock, so the two are ordered. Readers
// taking and releasing a lock nobody waits for commute (additions to the
// reader count): a writer's arrival, which writes, orders them against it.
inline void UpRead(Actor& a, RwSem& s) {
  s.readers--;
  s.released_at = std::max(s.released_at, a.clock);
  a.Touch(s.key, s.queue.empty() ? AccessMode::kAdd : AccessMode::kWrite);
  HandOff(s);
}
inline void UpWrite(Actor& a, RwSem& s) {
  s.writer = -1;
  s.released_at = std::max(s.released_at, a.clock);
  s.write_released_at = std::max(s.write_released_at, a.clock);
  a.Touch(s.key, true);
  HandOff(s);
}
// Releases of mutexes record no access: a release and an acquire of the same
// mutex are never enabled together, so they need no ordering.
inline void MutexUnlock(Actor& a, Mutex& m) {
  m.owner = -1;
  m.released_at = std::max(m.released_at, a.clock);
}
inline void Complete(Actor& a, Completion& c) {
  c.done = true;
  c.done_at = a.clock;
  a.Touch(c.key, true);
}

// Suspends the actor forever: the task was killed by a kernel BUG. What it
// holds stays held, as after a real oops.
class BugAwaiter {
 public:
  explicit BugAwaiter(Actor& a) : a_(a) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    a_.resume = h;
    a_.bugged = true;
  }
  void await_resume() noexcept {}

 private:
  Actor& a_;
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_RUNTIME_H_
