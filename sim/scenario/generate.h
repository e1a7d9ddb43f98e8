// Random valid scenarios for differential testing (`fusesim oracle
// --generate`, docs/fidelity.md "Differential testing"), in the manner of
// Csmith and SibylFS: a seed gives one scenario, the same bytes every time
// (sim/engine/random.h, no std:: distributions).
//
// What a scenario holds: 1-2 mounts with mixed timeouts (0 or 1000 ms; see
// TimeoutMs in generate.cc for why no shorter ones), default_permissions
// and parallel_dirops; a server tree over a
// small name space (files a b c, directories d e, up to three levels deep)
// so that names collide, files get used as directories and renames land on
// ancestors; server quirks (unsupported CREATE/OPEN/OPENDIR, error rules
// with a count, create_existing, open_unlinked); one kernel thread per
// mount and sometimes a server-side thread, whose ops run in one total
// order (each op that follows another thread's op waits for it with
// "after"), so the sequential schedule runs them exactly in generated order;
// sleeps inside and across the timeouts, and drop_caches (one mount only:
// the real drop_caches empties every mount's caches). Also the ops of
// symlinks, listings and notifications: symlink, readlink, link, readdir,
// chmod, truncate, lstat (stat nofollow), open with O_NOFOLLOW / O_APPEND
// and openat() from a directory the thread holds open, paths with `.` and
// `d/..` (never above the mount's root), mounts with cache_symlinks and
// readdirplus; on the server side symlink, link, chmod and the four
// notifications.
//
// Extension point: kOpGenerators in generate.cc, one entry per op kind
// (weight, side, function). A new op kind is one more row.
#ifndef FUSESIM_SIM_SCENARIO_GENERATE_H_
#define FUSESIM_SIM_SCENARIO_GENERATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fusesim::sim {

struct GenerateOptions {
  int min_ops = 3;  // ops over all threads
  int max_ops = 12;
  int max_mounts = 2;       // 1 or 2
  bool server_ops = true;   // a server-side thread sometimes
  bool quirks = true;       // unsupported opcodes, error rules, create_existing
  int max_sleep_ms = 2500;  // total of the sleep ops
};

// A scenario (docs/scenario-format.md) named "gen-SEED", sequential
// schedule, no expect block. Always loads with ParseScenario.
nlohmann::ordered_json GenerateScenario(uint64_t seed, const GenerateOptions& options = {});

// ---- Races (`fusesim oracle --generate N --races`). ---------------------
//
// A race scenario named "race-SEED": 2-3 kernel threads of 1-2 ops each on
// one or two mounts, no "after", over names that collide in / and /d (one
// "hot" name most ops use): creates (O_CREAT), exclusive creates, truncating
// and read-only opens, stat, unlink, mkdir, rename; entry and attribute
// timeouts 0 or 1 s, cached negative entries (1 s) or none; at most four ops
// in all. Its schedule is {"mode": "explore"} with the bounds below (so
// `fusesim explore` takes it as is); the oracle does
// not run it itself but its interleavings, from RaceReplays.
struct RaceOptions {
  int max_threads = 3;  // 2 or 3
  int max_mounts = 2;   // 1 or 2
  // The exploration's bounds. Without a preemption bound DPOR spends its
  // schedules on the tails of the first interleavings and finds few
  // outcomes; with two preemptions it covers the races of a few ops.
  int max_preemptions = 2;
  int max_schedules = 5000;
  int max_interleavings = 6;  // replays per race scenario at most
};
nlohmann::ordered_json GenerateRaceScenario(uint64_t seed, const RaceOptions& options = {});

// The interleavings of a race scenario to run on the real kernel: `explore`
// (DPOR, lookup-create) of the scenario, and for each distinct outcome its
// representative (the shortest schedule that reached it), as a copy of the
// scenario named "NAME-iK" (K from 0, in the order of the outcomes' keys)
// with "schedule": {"mode": "replay", "steps": [...]}; at most
// max_interleavings, the first ones by key. Deterministic.
absl::StatusOr<std::vector<nlohmann::ordered_json>> RaceReplays(const nlohmann::ordered_json& race,
                                                                const RaceOptions& options = {});

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_GENERATE_H_
