// Delta debugging (Zeller's ddmin) of a scenario against a predicate, for
// `fusesim oracle --generate`: the smallest scenario found that still has
// the property (e.g. "the model and the real kernel still differ").
//
// The units removed: each op, each server tree entry, each unsupported
// opcode, each error rule, create_existing / open_unlinked, each mount
// option (a removed option takes its default), and, last, empty threads and
// unused mounts. Removals are kept valid: a close whose open is gone goes
// too, "after" references are renamed as op indices shift, and a reference
// to a removed op is replaced by that op's own "after" (so the order of
// the remaining ops is kept). The "expect" block is dropped (it names ops).
// A candidate that still does not load (ParseScenario) is not tried.
// The result is 1-minimal over these units.
#ifndef FUSESIM_SIM_SCENARIO_MINIMIZE_H_
#define FUSESIM_SIM_SCENARIO_MINIMIZE_H_

#include <functional>

#include "nlohmann/json.hpp"

namespace fusesim::sim {

struct MinimizeOptions {
  int max_tests = 400;  // predicate calls at most; then the best so far
};

struct MinimizeResult {
  nlohmann::ordered_json scenario;
  int tests = 0;  // predicate calls
  int units = 0;  // units at the start
  int kept = 0;   // units in the result
};

// `still` is called on candidate scenarios that load; `scenario` itself is
// assumed to satisfy it.
MinimizeResult Minimize(const nlohmann::ordered_json& scenario,
                        const std::function<bool(const nlohmann::ordered_json&)>& still,
                        const MinimizeOptions& options = {});

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_MINIMIZE_H_
