// The result of one execution (scenario-format.md §3), and its renderings.
//
// Every output format is rendered from this one struct. Maps are ordered and
// nothing depends on the wall clock, so the same run renders byte-identically.
#ifndef FUSESIM_SIM_REPORT_REPORT_H_
#define FUSESIM_SIM_REPORT_REPORT_H_

#include <cstdint>
#include <deque>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "model/opcode.h"
#include "model/world.h"
#include "nlohmann/json.hpp"
#include "sim/engine/schedule_token.h"  // ScheduleToken

namespace fusesim::sim {

// One op's result. Small and without allocations of its own (a report of a
// million ops holds a million of these): the result is a static name and
// the requests are opcodes, usually a few, inline.
struct OpOutcome {
  std::string label;        // "t1.0"
  std::string_view result;  // "ok", errno name (model::ErrName), "BUG", "hung", "not-run": static strings
  bool is_open = false;     // created is meaningful
  bool created = false;
  absl::InlinedVector<model::Opcode, 6> requests;  // in the order sent
  int round_trips = 0;
};

struct RunReport {
  std::string scenario;
  std::string variant;
  std::vector<int> steps;  // actor index per step (names: actor_names)
  // The schedule as actor names, one per step.
  std::vector<std::string> schedule() const {
    std::vector<std::string> out;
    out.reserve(steps.size());
    for (int i : steps) out.push_back(actor_names[i]);
    return out;
  }
  std::map<std::string, int> requests;
  int round_trips = 0;
  uint64_t simulated_time_us = 0;  // makespan, sleeps included
  uint64_t request_time_us = 0;    // time threads waited for replies, summed
  // In scenario order. A deque: filled while the run's own per-op records
  // are dropped, so that the two never take memory at once.
  std::deque<OpOutcome> results;
  // op_texts[i]: results[i]'s op as the text report shows it ("open /d/f
  // O_CREAT|O_WRONLY"); empty unless the run was asked for them
  // (ExecOptions::describe_ops).
  std::vector<std::string> op_texts;
  // "MOUNT:/path" -> the dentry's state, "positive", "negative" or "absent"
  // (static names): sorted by key, keys unique. (A sorted array, not a map:
  // a report of a million paths holds a million of these.)
  std::vector<std::pair<std::string, std::string_view>> dentries;
  int dir_changed = 0;
  int spurious_dir_changed = 0;
  std::vector<model::Violation> violations;
  bool deadlock = false;
  bool step_limit = false;
  std::vector<std::string> actor_names;
  // Model inconsistencies found with ExecOptions::check_consistency.
  std::vector<std::string> internal_errors;
  std::vector<model::TraceEvent> trace;  // with ExecOptions::trace
  // trace_steps[i]: the step (1-based, as in schedule tokens) during which
  // trace[i] happened; 0 before the first step (threads starting).
  std::vector<int> trace_steps;
};

// "ok+created" / "ok+existing" for successful opens, else the result.
std::string ResultWithCreated(const OpOutcome& o);
// The state of the dentry `key` ("m0:/d/f") in r.dentries; "absent" if the
// report does not list it.
std::string_view DentryState(const RunReport& r, std::string_view key);
// The names of o's requests ("LOOKUP", "CREATE"), in order.
std::vector<std::string> RequestNames(const OpOutcome& o);

// The §3 JSON object (ordered keys).
nlohmann::ordered_json ReportToJson(const RunReport& r);
// The same object as text, exactly ReportToJson(r) (with `extra`'s members
// appended) dumped with indent 2 and starting at indentation `level`,
// written piece by piece: a report of any size never exists as a DOM.
// With `flush`, *out goes to it in pieces as it grows (see JsonStream).
void AppendReportJson(const RunReport& r, const nlohmann::ordered_json& extra, std::string* out, int level = 0,
                      std::ostream* flush = nullptr);
// A human-readable summary.
std::string ReportToText(const RunReport& r);
// The token of r's schedule, built from its steps without a copy of the
// schedule, and cut after the part that passes `max_chars` (0: no cut);
// *cut says whether it was.
std::string ScheduleTokenOf(const RunReport& r, size_t max_chars, bool* cut);
// `text` as one word for a POSIX shell: unchanged if it has only characters
// that need no quoting (letters, digits, and @%+=:,./_-) and `always` is
// false, else in single quotes (a ' inside as '\'').
std::string ShellQuote(const std::string& text, bool always = false);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_REPORT_REPORT_H_
