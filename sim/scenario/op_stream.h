// Streams the ops of a scenario's threads out of its JSON text, so that the
// loader never holds a DOM of every op (a scenario of a million creates has
// two million): each element of a /threads/T/ops array is dropped as soon
// as it is parsed (ParseWithoutOps: nlohmann's parse callback; ForEachOp: a
// SAX handler that builds nothing but the op in hand). The keys of the scenario
// can come in any order (ops before the mounts or the thread's name they
// need), so there are two passes over the text:
//
//  * ParseWithoutOps: the DOM of the whole document except the elements of
//    the threads' ops arrays, and the number of elements of each thread's
//    array (by index in "threads"; 0 for a thread without an "ops" array:
//    an "ops" that is not an array stays in the DOM as written).
//  * ForEachOp: parses the text again and calls visit(thread, index, op)
//    for each of those elements in document order (thread by thread), with
//    the element's own small DOM (a scalar element as itself, an array as
//    an empty array: the loader only names its type). Stops at the first
//    visit that fails and returns its status; builds nothing else.
//
// ParseWithoutOps throws what json::parse throws; ForEachOp is for a text
// that ParseWithoutOps parsed (a syntax error there is an internal error).
#ifndef FUSESIM_SIM_SCENARIO_OP_STREAM_H_
#define FUSESIM_SIM_SCENARIO_OP_STREAM_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace fusesim::sim {

nlohmann::json ParseWithoutOps(const std::string& text, std::vector<size_t>* op_counts);

absl::Status ForEachOp(const std::string& text,
                       const std::function<absl::Status(int thread, size_t index, const nlohmann::json& op)>& visit);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_OP_STREAM_H_
