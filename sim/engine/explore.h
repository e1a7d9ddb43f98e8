// Systematic and randomized exploration of a program's interleavings.
//
// The program is an Executor (executor.h): the explorer knows its actors'
// names, the footprint of every step, and each run's outcome key and broken
// invariants, nothing else (no FUSE, no scenario).
//
// Stateless (as Loom, CHESS): every schedule re-executes the program from
// the start, following a recorded prefix of choices.
//
// Strategies:
//   exhaustive  every schedule within the bounds (the reference);
//   dpor        dynamic partial-order reduction (Flanagan & Godefroid 2005)
//               with sleep sets: one or more schedules per class of
//               equivalent interleavings, never missing an outcome that
//               exhaustive finds (without a preemption bound);
//   random      `runs` schedules, each step chosen uniformly (seeded);
//   pct         `runs` schedules of Probabilistic Concurrency Testing with
//               bug depth `depth` (Burckhardt et al. 2010), seeded.
// With `deepen` (dpor, exhaustive): iterative deepening of the preemption
// bound, K = 0, 1, 2, ... until a pass needs no bound (the space is
// complete) or the budget runs out, so that a budget leaves every
// interleaving with few preemptions covered rather than one deep corner of
// the depth-first search (Musuvathi & Qadeer's iterative context bounding;
// dpor stays sound under the bound: see AddBacktrackPoints).
// Two steps are dependent when their footprints (sim::Access) touch a common
// key and one writes it; see docs/exploring.md.
//
// Results: the distinct outcomes with how many schedules reached each and a
// representative schedule (the shortest, then the smallest token), and for
// every broken invariant a shortest schedule found, shrunk.
#ifndef FUSESIM_SIM_ENGINE_EXPLORE_H_
#define FUSESIM_SIM_ENGINE_EXPLORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/engine/executor.h"
#include "sim/engine/schedule_token.h"

namespace fusesim::sim {

enum class Strategy { kDpor, kExhaustive, kRandom, kPct };
absl::StatusOr<Strategy> ParseStrategy(const std::string& s);
// Parses a shard "I/N" (0 <= I < N <= kMaxShards), as --shard takes it and
// explore's JSON names it; false for anything else.
inline constexpr int kMaxShards = 100000;
bool ParseShard(std::string_view text, int* index, int* count);
std::string StrategyName(Strategy s);

// What a progress line shows: the counts so far (continuing a resumed run's)
// and the bounds in force. Elapsed time is wall clock and appears only here,
// never in results.
struct ExploreProgress {
  int64_t schedules = 0;       // including those of the run being resumed
  int64_t outcomes = 0;        // distinct outcomes in this run
  int64_t violations = 0;      // distinct broken invariants so far
  int64_t sleep_blocked = 0;   // dpor
  double elapsed_s = 0;        // since this run started
  double schedules_per_s = 0;  // this run's rate
  int max_preemptions = -1;    // the bound in force (-1: none)
  int64_t max_schedules = 0;
};

struct ExploreOptions {
  Strategy strategy = Strategy::kDpor;
  int max_preemptions = -1;  // -1: unbounded
  int64_t max_schedules = 100000;
  int64_t max_steps = 20000;  // per schedule
  uint64_t seed = 1;          // random, pct
  int64_t runs = 1000;        // random, pct
  int depth = 3;              // pct
  double time_budget_s = 0;   // 0: none (wall clock: only when it is hit)
  bool shrink = true;
  int64_t shrink_budget = 2000;                    // re-executions spent shrinking, per finding
  const std::atomic<bool>* interrupted = nullptr;  // set by SIGINT/SIGTERM
  // Sharding (dpor, exhaustive): 0 = none; else explore only the subtrees
  // whose index is congruent to shard_index modulo shard_count.
  int shard_index = 0;
  int shard_count = 0;
  // Continue an interrupted exploration from its "resume" state (the JSON
  // ExploreToJson wrote when a bound or a signal stopped it).
  const nlohmann::json* resume = nullptr;
  // Called every progress_interval_s seconds (checked every 64 schedules).
  std::function<void(const ExploreProgress&)> progress;
  double progress_interval_s = 1;
  // Schedules explored before this run (the resumed run's), added to the
  // progress count.
  int64_t progress_offset = 0;
  // Iterative deepening of the preemption bound (see above); needs no
  // max_preemptions, resume or shard.
  bool deepen = false;
};

struct ExploredOutcome {
  std::string key;  // RunSummary::outcome
  int64_t count = 0;
  std::vector<int> schedule;  // its representative: shortest, then smallest token
};

struct Finding {
  std::string invariant;
  std::string detail;
  std::vector<std::string> schedule;  // shrunk
  std::vector<std::string> found;     // as first found (shortest), before shrinking
  int preemptions = 0;
};

// What an exploration found and how far it went, but its outcomes (whose
// form depends on who reads them: ExploredOutcome here, with a report in a
// scenario's ExploreResult).
struct ExplorationSummary {
  std::string strategy;
  int64_t schedules = 0;                // complete schedules explored
  int64_t sleep_blocked = 0;            // dpor: redundant prefixes abandoned
  bool complete = true;                 // the space was covered within the bounds
  std::vector<std::string> bounds_hit;  // "max-schedules", "time-budget", "interrupted", ...
  std::vector<Finding> findings;        // one per invariant, shortest schedule
  int max_preemptions = -1;
  int64_t max_schedules = 0;
  std::string shard;     // "I/N" or ""
  int64_t prefixes = 0;  // subtrees of the split (sharded runs)
  // Where an incomplete exploration stopped, to continue it (--resume);
  // null when complete.
  nlohmann::json resume;
  // deepen: the passes run (bounds 0..deepened_to) and the largest bound
  // whose pass finished: every interleaving with at most that many
  // preemptions was covered (-1: not even bound 0).
  bool deepened = false;
  int deepened_to = -1;
  int covered_preemptions = -1;
};

struct Exploration : ExplorationSummary {
  std::vector<ExploredOutcome> outcomes;  // sorted by key
};

// Explores `program` as `o` says. Errors: bad options (InvalidArgument), a
// --resume state that does not replay on this program (InvalidArgument), a
// program that is not deterministic or whose found schedules do not replay
// (Internal: a fault of the program or the tool, not of its input).
absl::StatusOr<Exploration> Explore(Executor& program, const ExploreOptions& o);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_EXPLORE_H_
