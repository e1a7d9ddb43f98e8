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
// the real drop_caches empties every mount's caches).
//
// Extension point: kOpGenerators in generate.cc, one entry per op kind
// (weight, side, function). A new op kind is one more row.
#ifndef FUSESIM_SIM_SCENARIO_GENERATE_H_
#define FUSESIM_SIM_SCENARIO_GENERATE_H_

#include <cstdint>

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

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_GENERATE_H_
