// The engine's RwSem queues as Linux's rwsem: toy programs (no model, no
// FUSE) run through RunLoop under forced schedules.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/runtime.h"
#include "sim/engine/scheduler.h"

namespace fusesim::sim {
namespace {

// Each toy thread: optional preemption point, take the lock, note its
// entry, a point inside the critical section, release.
struct Toy {
  RwSem sem;
  std::vector<std::string> order;  // who entered, in order

  Task<void> Reader(Actor& a) {
    co_await Point(a, "start");
    co_await DownRead(a, sem, "i_rwsem (shared)");
    order.push_back(a.name);
    co_await Point(a, "inside");
    UpRead(a, sem);
  }
  Task<void> Writer(Actor& a) {
    co_await Point(a, "start");
    co_await DownWrite(a, sem, "i_rwsem (exclusive)");
    order.push_back(a.name);
    co_await Point(a, "inside");
    UpWrite(a, sem);
  }
};

struct Run {
  std::vector<std::unique_ptr<Actor>> actors;
  std::vector<Actor*> ptrs;
  LoopResult loop;
};

// kinds: "r" or "w" per actor; steps: actor index per step (then sequential).
std::unique_ptr<Run> RunToy(Toy& toy, const std::string& kinds, std::vector<int> steps, int64_t max_steps = 1000) {
  auto run = std::make_unique<Run>();
  for (size_t i = 0; i < kinds.size(); ++i) {
    auto a = std::make_unique<Actor>();
    a->index = static_cast<int>(i);
    a->name = std::string(1, kinds[i]) + std::to_string(i);
    a->root = kinds[i] == 'r' ? toy.Reader(*a) : toy.Writer(*a);
    run->ptrs.push_back(a.get());
    run->actors.push_back(std::move(a));
  }
  ReplayChooser chooser(std::move(steps));
  auto loop = RunLoop(run->ptrs, chooser, max_steps);
  EXPECT_TRUE(loop.ok()) << loop.status();
  if (loop.ok()) run->loop = *loop;
  return run;
}

// Steps per toy thread: start, arrive (takes the lock), inside (release).
// A contended arrival adds one step: the arrival that queues.

TEST(RwSem, UncontendedTakesTheLockInOneStep) {
  Toy toy;
  auto run = RunToy(toy, "w", {});
  EXPECT_EQ(run->loop.schedule.size(), 3u);
  EXPECT_EQ(toy.order, std::vector<std::string>{"w0"});
  EXPECT_EQ(toy.sem.writer, -1);
  EXPECT_TRUE(toy.sem.queue.empty());
}

TEST(RwSem, ReadersShareTheLock) {
  Toy toy;
  // r0 enters, r1 enters while r0 holds it: no queueing, both inside.
  auto run = RunToy(toy, "rr", {0, 0, 1, 1, 0, 1});
  EXPECT_EQ(toy.order, (std::vector<std::string>{"r0", "r1"}));
  EXPECT_EQ(run->loop.schedule.size(), 6u);
}

// The case of issue 16: stat (reader) racing mkdir (writer). r0 holds the
// lock shared, w1 queues for it, then r2 arrives: Linux queues r2 behind w1
// (rwsem_down_read_slowpath() does not steal a reader-owned lock), so w1
// enters before r2.
TEST(RwSem, AReaderDoesNotJumpAQueuedWriter) {
  Toy toy;
  auto run = RunToy(toy, "rwr",
                    {0, 0,  // r0 starts, takes it shared
                     1, 1,  // w1 starts, arrives: queues
                     2, 2,  // r2 starts, arrives: queues behind w1
                     0});   // r0 releases: the lock goes to w1
  EXPECT_EQ(toy.order, (std::vector<std::string>{"r0", "w1", "r2"}));
  EXPECT_TRUE(toy.sem.queue.empty());
  EXPECT_EQ(toy.sem.readers, 0);
  EXPECT_EQ(toy.sem.writer, -1);
}

// A newcomer does not take the lock ahead of an earlier waiter: the release
// hands it to the first in the queue.
TEST(RwSem, TheReleaseHandsTheLockToTheFirstWaiter) {
  Toy toy;
  auto run = RunToy(toy, "www",
                    {0, 0,  // w0 holds it
                     1, 1,  // w1 queues
                     0,     // w0 releases: w1 holds it (handed over)
                     2, 2,  // w2 arrives after the release: queues
                     1, 1, 2});
  EXPECT_EQ(toy.order, (std::vector<std::string>{"w0", "w1", "w2"}));
  EXPECT_EQ(toy.sem.writer, -1);
}

// When the first waiter is a reader, every queued reader gets the lock at
// once, also those queued behind a writer (rwsem_mark_wake()).
TEST(RwSem, AReaderAtTheHeadWakesEveryQueuedReader) {
  Toy toy;
  auto run = RunToy(toy, "wrwr",
                    {0, 0,  // w0 holds it
                     1, 1,  // r1 queues
                     2, 2,  // w2 queues
                     3, 3,  // r3 queues
                     0},    // w0 releases: r1 and r3 hold it, w2 waits
                    /*max_steps=*/9);
  ASSERT_EQ(toy.order.size(), 1u);
  EXPECT_EQ(toy.sem.readers, 2);
  ASSERT_EQ(toy.sem.queue.size(), 1u);
  EXPECT_EQ(toy.sem.queue[0].actor->name, "w2");
  EXPECT_TRUE(run->ptrs[1]->granted);
  EXPECT_TRUE(run->ptrs[3]->granted);
  EXPECT_FALSE(run->ptrs[2]->granted);
}

// Run to the end, the same program enters r1 and r3 before w2.
TEST(RwSem, QueuedReadersEnterBeforeAnEarlierQueuedWriter) {
  Toy toy;
  auto run = RunToy(toy, "wrwr", {0, 0, 1, 1, 2, 2, 3, 3, 0});
  EXPECT_EQ(toy.order, (std::vector<std::string>{"w0", "r1", "r3", "w2"}));
}

// A queued task is not runnable until the lock is handed to it: a replay
// that names it is refused with the reason.
TEST(RwSem, AQueuedTaskCannotRunUntilHandedTheLock) {
  Toy toy;
  std::vector<std::unique_ptr<Actor>> actors;
  std::vector<Actor*> ptrs;
  for (int i = 0; i < 2; ++i) {
    auto a = std::make_unique<Actor>();
    a->index = i;
    a->name = "w" + std::to_string(i);
    a->root = toy.Writer(*a);
    ptrs.push_back(a.get());
    actors.push_back(std::move(a));
  }
  ReplayChooser chooser({0, 0, 1, 1, 1});
  auto loop = RunLoop(ptrs, chooser, 1000);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(std::string(loop.status().message()).find("blocked (i_rwsem (exclusive))"), std::string::npos)
      << loop.status();
}

}  // namespace
}  // namespace fusesim::sim
