// fusesim oracle SCENARIO|DIR...: runs each scenario on a real FUSE mount
// (oracle/oracle.h) and compares, op by op, the requests and the result with
// the model's lookup-create prediction: under the sequential schedule, or
// under the scenario's replay schedule, which the real run then follows
// through a gate in the server (a "gated replay").
//
// Per op, the model's request list (OpOutcome.requests) must equal the real
// one and the result (ok or an errno name) must be the same, except for
// forget messages. The kernel keeps FORGETs on a queue of their own and
// fuse_dev_do_read() hands them out only when no request is pending (or once
// in a while when requests keep coming), as one BATCH_FORGET if several are
// queued at that moment and as single FORGETs otherwise. So where a forget
// lands among an op's requests, and how forgets are batched, depends on how
// fast the server reads /dev/fuse, not on the kernel's logic. By default
// FORGET and BATCH_FORGET are therefore taken out of the sequence and
// compared as "FORGET*" = "this op sent forget messages" (the displayed
// sequences stay raw); --exact-forget compares them in place.
//
// Files still open when a thread ends are closed at its exit: the model
// counts those requests in the run but in no op, so the "exit" row compares
// them as a multiset.
//
// In a gated replay, two more rows: "forgets" (forget messages come from no
// thread, so which op they belong to is a guess; by default they are compared
// once per run: sent or not) and "schedule" (whether the real kernel followed
// the model's schedule to the end; where it did not, the step and what the
// real kernel did instead).
//
// --generate N --seed S: instead of files, N scenarios from the generator
// (sim/scenario/generate.h), each run the same way; every one that differs
// is minimised by delta debugging (sim/scenario/minimize.h, re-running the
// oracle on each candidate) and written to --out as gen-SEED.json.
//
// --generate N --races: race scenarios instead (2-3 threads), each explored
// on the model; every outcome's representative interleaving is run as a
// gated replay and counted as forced-agree, forced-differ or unforceable
// (by the kind of reason); differences are written, not minimised.
//
// Exit: 0 every scenario that ran agrees (skips count as success), 1 some
// scenario differs or could not be run, 2 bad input.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "oracle/isolation.h"
#include "oracle/oracle.h"
#include "sim/cli/cli.h"
#include "sim/engine/scheduler.h"
#include "sim/report/report.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/explore_scenario.h"
#include "sim/scenario/generate.h"
#include "sim/scenario/minimize.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

constexpr char kForgets[] = "FORGET*";

bool IsForget(const std::string& op) { return op == "FORGET" || op == "BATCH_FORGET"; }

// The requests without forget messages, then "FORGET*" if there were any.
std::vector<std::string> Normalize(const std::vector<std::string>& seq, bool exact) {
  if (exact) return seq;
  std::vector<std::string> out;
  bool forget = false;
  for (const std::string& op : seq) {
    if (IsForget(op))
      forget = true;
    else
      out.push_back(op);
  }
  if (forget) out.push_back(kForgets);
  return out;
}

// As a multiset: sorted, and all forget messages as one "FORGET*".
std::vector<std::string> NormalizeBag(std::vector<std::string> bag, bool exact) {
  if (!exact) {
    bool forget = false;
    std::vector<std::string> rest;
    for (const std::string& op : bag) {
      if (IsForget(op))
        forget = true;
      else
        rest.push_back(op);
    }
    if (forget) rest.push_back(kForgets);
    bag = rest;
  }
  std::sort(bag.begin(), bag.end());
  return bag;
}

struct Row {
  std::string label, syscall;
  std::string model_result, real_result;
  std::vector<std::string> model_requests, real_requests, real_texts;
  bool agree = false;
};

struct ScenarioOutcome {
  std::string file, name;
  // agree, differ, unforceable (a gated replay the real kernel could not be
  // held to: nothing compared), skipped, error, bad-input
  std::string status;
  std::string reason;
  std::vector<Row> rows;
  int first_divergence = -1;  // index in rows
  std::vector<std::string> notes;
  double real_ms = 0, model_sleep_ms = 0;
  bool gated = false;
  std::string schedule_divergence;
  bool fatal = false;            // stops a run without --keep-going
  bool agreed_on_retry = false;  // differed, then agreed on a retry
  // Gated: the schedule as written could not be forced and the verdict is
  // that of an interleaving with the same model outcome that could be:
  // forced_as says which ("trace", "run-on", "deferred" or "mixed", see
  // TryRunOnSchedule); same_trace, whether it is the schedule's own
  // Mazurkiewicz trace (by the model's footprints) or only the same outcome.
  bool forced_equivalent = false;
  std::string forced_as;
  bool same_trace = false;
};

std::string Seq(const std::vector<std::string>& v) { return v.empty() ? "-" : absl::StrJoin(v, " "); }

void Compare(const RunReport& model, const oracle::OracleResult& real, bool exact, ScenarioOutcome* out) {
  // Rows in the order the ops ran (the model's sequential order).
  std::map<std::string, int> per_op;
  for (int g : real.order) {
    const OpOutcome& m = model.results[g];
    const oracle::RealOp& r = real.ops[g];
    Row row;
    row.label = m.label;
    row.syscall = g < static_cast<int>(model.op_texts.size()) ? model.op_texts[g] : "";
    row.model_result = std::string(m.result);
    row.model_requests = RequestNames(m);
    for (const std::string& q : row.model_requests) per_op[q]++;
    row.real_result = r.ran ? r.result : "not-run";
    for (const auto& q : r.requests) {
      row.real_requests.push_back(q.opcode);
      row.real_texts.push_back(q.text);
    }
    // In a gated replay the forgets (sent by no thread) are attributed by a
    // guess, so by default they are compared once for the run (below).
    auto seq = [&](const std::vector<std::string>& v) {
      std::vector<std::string> n = Normalize(v, exact);
      if (real.gated && !exact) n.erase(std::remove(n.begin(), n.end(), kForgets), n.end());
      return n;
    };
    row.agree = row.model_result == row.real_result && seq(row.model_requests) == seq(row.real_requests);
    out->rows.push_back(std::move(row));
  }
  // Exit-time closes: what the model counted in no op, against what the real
  // threads' exits sent.
  Row exit;
  exit.label = "exit";
  exit.syscall = "close at thread exit";
  for (const auto& [op, n] : model.requests) {
    const int rest = n - per_op[op];
    for (int i = 0; i < rest; ++i) exit.model_requests.push_back(op);
  }
  for (const oracle::RealOp& x : real.exits) {
    for (const auto& q : x.requests) {
      exit.real_requests.push_back(q.opcode);
      exit.real_texts.push_back(q.text);
    }
  }
  if (!exit.model_requests.empty() || !exit.real_requests.empty()) {
    exit.model_result = exit.real_result = "ok";
    // Gated: forgets are compared once for the run (the "forgets" row), here
    // as in the op rows: which op or exit a forget belongs to is a guess.
    auto bag = [&](const std::vector<std::string>& v) {
      std::vector<std::string> n = NormalizeBag(v, exact);
      if (real.gated && !exact) n.erase(std::remove(n.begin(), n.end(), kForgets), n.end());
      return n;
    };
    exit.agree = bag(exit.model_requests) == bag(exit.real_requests);
    out->rows.push_back(std::move(exit));
  }
  if (real.gated) {
    if (!exact) {
      Row f;
      f.label = "forgets";
      f.syscall = "forget messages in the run";
      f.model_result = f.real_result = "ok";
      for (const auto& [op, n] : model.requests)
        for (int i = 0; i < n; ++i)
          if (IsForget(op)) f.model_requests.push_back(op);
      for (const auto& x : real.ops)
        for (const auto& q : x.requests)
          if (IsForget(q.opcode)) {
            f.real_requests.push_back(q.opcode);
            f.real_texts.push_back(q.text);
          }
      for (const auto& x : real.exits)
        for (const auto& q : x.requests)
          if (IsForget(q.opcode)) {
            f.real_requests.push_back(q.opcode);
            f.real_texts.push_back(q.text);
          }
      f.agree = f.model_requests.empty() == f.real_requests.empty();
      if (!f.model_requests.empty() || !f.real_requests.empty()) out->rows.push_back(std::move(f));
    }
    Row sch;
    sch.label = "schedule";
    sch.syscall = "the replay schedule";
    sch.model_result = "followed";
    sch.real_result = real.schedule_divergence.empty() ? "followed" : "unforceable";
    if (!real.schedule_divergence.empty()) sch.real_texts.push_back(real.schedule_divergence);
    sch.agree = real.schedule_divergence.empty();
    out->rows.push_back(std::move(sch));
  }
  out->status = "agree";
  for (size_t i = 0; i < out->rows.size(); ++i) {
    if (!out->rows[i].agree) {
      out->status = "differ";
      out->first_divergence = static_cast<int>(i);
      break;
    }
  }
  // A schedule the gate could not hold: the real kernel ran another
  // interleaving, so its results say nothing about this one.
  if (real.gated && !real.schedule_divergence.empty()) {
    out->status = "unforceable";
    out->reason =
        absl::StrCat("the real kernel could not be held to the replay schedule at ", real.schedule_divergence);
  }
  out->notes = real.notes;
  out->gated = real.gated;
  out->schedule_divergence = real.schedule_divergence;
  out->real_ms = real.elapsed_us / 1000.0;
  out->model_sleep_ms = real.model_sleep_us / 1000.0;
}

void PrintText(const ScenarioOutcome& o, std::ostream& out) {
  if (o.status == "skipped" || o.status == "error" || o.status == "bad-input") {
    out << o.name << " (" << o.file << "): " << (o.status == "skipped" ? "skipped: " : "ERROR: ") << o.reason << "\n";
    return;
  }
  out << o.name << " (" << o.file << "): "
      << (o.status == "agree"         ? "AGREE"
          : o.status == "unforceable" ? "UNFORCEABLE"
                                      : "DIFFER")
      << (o.forced_equivalent ? absl::StrCat(" (gated replay of the ", o.forced_as, " interleaving",
                                             o.same_trace ? ", the same Mazurkiewicz trace)" : ", the same outcome)")
          : o.gated           ? " (gated replay)"
                              : "")
      << "\n";
  if (o.status == "unforceable") out << "  " << o.reason << "; the results below are not a comparison\n";
  size_t w_label = 2, w_sys = 7, w_model = 5, w_real = 4;
  for (const Row& r : o.rows) {
    w_label = std::max(w_label, r.label.size());
    w_sys = std::max(w_sys, r.syscall.size());
    w_model = std::max(w_model, r.model_result.size() + 1 + Seq(r.model_requests).size());
    w_real = std::max(w_real, r.real_result.size() + 1 + Seq(r.real_requests).size());
  }
  out << absl::StrFormat("  %-*s  %-*s  %-*s  %-*s  %s\n", w_label, "op", w_sys, "syscall", w_model, "model", w_real,
                         "real", "verdict");
  for (const Row& r : o.rows) {
    const std::string m = absl::StrCat(r.model_result, " ", Seq(r.model_requests));
    const std::string rl = absl::StrCat(r.real_result, " ", Seq(r.real_requests));
    out << absl::StrFormat("  %-*s  %-*s  %-*s  %-*s  %s\n", w_label, r.label, w_sys, r.syscall, w_model, m, w_real, rl,
                           o.status == "unforceable" ? (r.agree ? "same" : "not same")
                           : r.agree                 ? "AGREE"
                                                     : "DIFFER");
  }
  if (o.first_divergence >= 0 && o.status == "differ") {
    const Row& r = o.rows[o.first_divergence];
    out << "  first divergence: " << r.label << " " << r.syscall << "\n";
    size_t w = 5;
    for (const auto& q : r.model_requests) w = std::max(w, q.size());
    out << absl::StrFormat("    %3s  %-*s  %s\n", "#", w, "model", "real");
    const size_t n = std::max(r.model_requests.size(), r.real_texts.size());
    for (size_t i = 0; i < n; ++i) {
      out << absl::StrFormat("    %3d  %-*s  %s\n", i + 1, w, i < r.model_requests.size() ? r.model_requests[i] : "-",
                             i < r.real_texts.size() ? r.real_texts[i] : "-");
    }
    out << absl::StrFormat("    %3s  %-*s  %s\n", "=", w, r.model_result, r.real_result);
  }
  for (const std::string& n : o.notes) out << "  note: " << n << "\n";
}

nlohmann::ordered_json ToJson(const ScenarioOutcome& o) {
  nlohmann::ordered_json j;
  j["file"] = o.file;
  j["name"] = o.name;
  j["status"] = o.status;
  if (!o.reason.empty()) j["reason"] = o.reason;
  if (o.status == "agree" || o.status == "differ" || o.status == "unforceable") {
    nlohmann::ordered_json ops = nlohmann::ordered_json::array();
    for (const Row& r : o.rows) {
      nlohmann::ordered_json x;
      x["op"] = r.label;
      x["syscall"] = r.syscall;
      x["model"] = {{"result", r.model_result}, {"requests", r.model_requests}};
      x["real"] = {{"result", r.real_result}, {"requests", r.real_requests}, {"detail", r.real_texts}};
      x["verdict"] = o.status == "unforceable" ? "NOT-COMPARED" : r.agree ? "AGREE" : "DIFFER";
      ops.push_back(x);
    }
    j["ops"] = ops;
    j["first_divergence"] = o.first_divergence >= 0 ? nlohmann::ordered_json(o.rows[o.first_divergence].label)
                                                    : nlohmann::ordered_json(nullptr);
    j["gated"] = o.gated;
    if (o.gated) j["schedule_divergence"] = o.schedule_divergence;
    if (o.gated) j["forced_equivalent"] = o.forced_equivalent;
    if (o.forced_equivalent) j["forced_as"] = o.forced_as;
    if (o.forced_equivalent) j["same_trace"] = o.same_trace;
    j["real_elapsed_ms"] = o.real_ms;
    j["model_sleep_ms"] = o.model_sleep_ms;
    j["notes"] = o.notes;
  }
  return j;
}

// The schedule as written could not be forced: follows instead an
// interleaving the gate can hold, if the model gives it the same outcome
// (the explorer's outcome key: results, request counts, dentries,
// invariants). Tried in this order: the same Mazurkiewicz trace with each
// thread running on as far as its steps commute (oracle::TraceRunOnSchedule);
// each thread runs on to its next request, block or op end
// (oracle::RunOnSchedule: what the real thread does once released); each such stretch of a thread runs as late as the
// schedule allows (oracle::DeferredSchedule: the gate holds the thread at
// its previous visible point meanwhile); then up to kMaxMixed placements
// between the two (oracle::MixedSchedules: some stretches early, the others
// late). Then the verdict is that run's, with a note saying which; else `o`
// stays unforceable, with notes why.
void TryRunOnSchedule(const Scenario& s, const RunReport& model, const std::vector<int>& steps,
                      oracle::OracleOptions opts, bool exact, int retries, ScenarioOutcome* o) {
  constexpr int kMaxMixed = 4;  // mixed placements with the model's outcome tried on the real kernel
  const std::string why = o->reason;
  const ScenarioOutcome before = *o;
  std::vector<std::vector<int>> tried;
  // Returns true when `o` holds a verdict, or the real kernel cannot be run.
  auto attempt_one = [&](const char* name, const std::string& what, const absl::StatusOr<RunReport>& alt_model,
                         bool* same_outcome) -> bool {
    *same_outcome = false;
    if (!alt_model.ok()) return false;
    if (alt_model->steps == model.steps || std::find(tried.begin(), tried.end(), alt_model->steps) != tried.end()) {
      o->notes.push_back(absl::StrCat("the interleaving where ", what, " is the schedule itself or one tried"));
      return false;
    }
    tried.push_back(alt_model->steps);
    const std::string token = ScheduleToken(alt_model->schedule());
    if (OutcomeKey(*alt_model) != OutcomeKey(model)) {
      o->notes.push_back(
          absl::StrCat("the interleaving where ", what, " (", token, ") has another outcome in the model: not tried"));
      return false;
    }
    *same_outcome = true;
    auto same_trace = oracle::SameModelTrace(s, model.steps, alt_model->steps);
    const bool trace = same_trace.ok() && *same_trace;
    auto script = oracle::ScriptFromModel(s, alt_model->steps);
    if (!script.ok()) return false;
    opts.script = *script;
    for (int attempt = 0;; ++attempt) {
      auto real = oracle::RunOnRealKernel(s, opts);
      if (!real.ok()) return true;
      ScenarioOutcome x = before;
      x.status.clear();
      x.reason.clear();
      x.rows.clear();
      x.first_divergence = -1;
      Compare(*alt_model, *real, exact, &x);
      if (x.status != "agree" && attempt < retries) continue;
      if (x.status == "unforceable") {
        o->notes.push_back(
            absl::StrCat("the interleaving where ", what, " (", token, ") could not be forced either: ", x.reason));
        return false;
      }
      x.forced_equivalent = true;
      x.forced_as = name;
      x.same_trace = trace;
      // What was tried before (alternatives with another outcome or not forced).
      x.notes.insert(x.notes.begin(), o->notes.begin() + static_cast<std::ptrdiff_t>(before.notes.size()),
                     o->notes.end());
      x.notes.insert(x.notes.begin(),
                     absl::StrCat("the schedule as written cannot be forced (", why, "); followed instead the ",
                                  trace ? "interleaving of the same Mazurkiewicz trace (it reorders only steps whose "
                                          "footprints commute) "
                                        : "interleaving with the same model outcome (another trace) ",
                                  "where ", what, ": --schedule '", token, "'"));
      *o = std::move(x);
      return true;
    }
  };
  bool same = false;
  if (attempt_one("trace", "each thread runs on as far as its steps commute with the others'",
                  oracle::TraceRunOnSchedule(s, steps), &same))
    return;
  if (attempt_one("run-on", "each thread runs on to its next request, block or op end", oracle::RunOnSchedule(s, steps),
                  &same))
    return;
  if (attempt_one("deferred",
                  "each thread's stretch between two points the gate holds runs as late as the schedule allows",
                  oracle::DeferredSchedule(s, steps), &same))
    return;
  // Model runs are cheap; real attempts are not: every mixed placement is
  // run on the model, at most kMaxMixed of those with the same outcome on
  // the real kernel.
  auto mixed = oracle::MixedSchedules(s, steps, /*max=*/62);
  if (!mixed.ok()) return;
  int real_tries = 0;
  for (const oracle::MixedPlacement& m : *mixed) {
    if (real_tries >= kMaxMixed) {
      o->notes.push_back(absl::StrCat("further mixed placements not tried (at most ", kMaxMixed, ")"));
      break;
    }
    if (attempt_one("mixed",
                    absl::StrCat("the stretches of ", m.early,
                                 " run where they began and the others as late as "
                                 "the schedule allows"),
                    m.model, &same))
      return;
    real_tries += same;
  }
}

// Runs one loaded scenario on the model and on the real kernel and compares
// them (`o` comes with file and name). Status "bad-input" if the replay
// schedule does not fit the scenario; `fatal`: a run without --keep-going
// stops after it.
ScenarioOutcome RunOne(const Scenario& s, oracle::OracleOptions opts, bool exact, int retries, ScenarioOutcome o,
                       std::ostream& err) {
  if (absl::Status st = oracle::CheckSupported(s, opts); !st.ok()) {
    o.status = "skipped";
    o.reason = std::string(st.message());
    return o;
  }
  // The model's run: sequential, or the scenario's replay schedule (which
  // the real run then follows through the server's gate).
  const bool replay = s.schedule.mode == ScheduleSpec::Mode::kReplay;
  std::vector<int> steps;
  if (replay) {
    auto st = ScheduleIndices(s, s.schedule.steps);
    if (!st.ok()) {
      err << s.file << ": /schedule/steps: " << st.status().message() << "\n";
      o.status = "bad-input";
      o.reason = std::string(st.status().message());
      return o;
    }
    steps = *st;
  }
  ReplayChooser chooser(steps);  // empty: sequential
  ExecOptions eo;
  eo.trace = true;
  auto model = Execute(s, model::Variant::kLookupCreate, chooser, eo);
  if (!model.ok()) {
    o.status = "error";
    o.reason = absl::StrCat("the model run failed: ", model.status().message());
    o.fatal = true;
    return o;
  }
  opts.gated = replay;
  opts.script.clear();
  if (replay) {
    auto script = oracle::ScriptFromModel(s, steps);
    if (!script.ok()) {
      o.status = "error";
      o.reason = std::string(script.status().message());
      return o;
    }
    opts.script = *script;
  }
  auto order = oracle::OrderFromTrace(s, *model, /*allow_overlap=*/replay);
  if (!order.ok()) {
    if (order.status().code() == absl::StatusCode::kUnimplemented) {
      o.status = "skipped";
      o.reason = std::string(order.status().message());
      return o;
    }
    // E.g. a BUG stopped a thread: run in the scenario's sequential order.
    auto seq = oracle::SequentialOrder(s);
    if (!seq.ok()) {
      o.status = "error";
      o.reason = std::string(seq.status().message());
      return o;
    }
    opts.order = *seq;
  } else {
    opts.order = *order;
  }
  // A divergence is retried (--retries): forget timing and the rare
  // races inside the kernel are not the model's to predict exactly.
  const ScenarioOutcome before = o;
  absl::Status run_error;
  for (int attempt = 0;; ++attempt) {
    auto real = oracle::RunOnRealKernel(s, opts);
    if (!real.ok()) {
      run_error = real.status();
      break;
    }
    o = before;
    Compare(*model, *real, exact, &o);
    if (o.status == "agree" || attempt >= retries) {
      if (attempt > 0 && o.status == "agree") o.agreed_on_retry = true;
      break;
    }
  }
  if (!run_error.ok()) {
    o.status = oracle::IsSkip(run_error) ? "skipped" : "error";
    o.reason = std::string(run_error.message());
    o.fatal = o.status == "error";
    return o;
  }
  if (o.status == "unforceable") TryRunOnSchedule(s, *model, steps, opts, exact, retries, &o);
  return o;
}

// The mounts die with this process, also under kill -9, and what dead runs
// left is removed (oracle/isolation.h). Before any thread starts.
void Isolate(std::ostream& err) {
  if (geteuid() == 0) {
    if (const int stale = oracle::CleanStaleRuns(); stale > 0)
      err << "oracle: removed " << stale << " directories of earlier runs that did not finish\n";
    if (absl::Status st = oracle::EnterPrivateMountNamespace(); !st.ok())
      err << "oracle: warning: no private mount namespace (" << st.message()
          << "); a run killed with SIGKILL may leave its mounts behind\n";
    if (absl::Status st = oracle::StartReaper(); !st.ok())
      err << "oracle: warning: no reaper (" << st.message() << "); a run killed with SIGKILL may hang\n";
  }
}

// What differed in a compared run, in one line for a description.
std::string DifferenceLine(const ScenarioOutcome& o, const std::string& kernel) {
  if (o.first_divergence < 0) return absl::StrCat("status ", o.status, o.reason.empty() ? "" : ": " + o.reason);
  const Row& r = o.rows[o.first_divergence];
  return absl::StrCat("at ", r.label, " (", r.syscall, ") the model gives ", r.model_result, " with ",
                      Seq(r.model_requests), ", Linux ", kernel, " gives ", r.real_result, " with ",
                      Seq(r.real_requests));
}

// fusesim oracle --generate N --seed S [--out DIR]: N scenarios from
// GenerateScenario(S), ..., GenerateScenario(S+N-1), each run on the model
// and the real kernel like a scenario file; every one that differs is
// minimised (sim/scenario/minimize.h, the predicate being "the oracle still
// says DIFFER") and written to DIR/gen-SEED.json.
int RunGenerated(uint64_t first_seed, int64_t count, const std::string& dir, const oracle::OracleOptions& opts,
                 bool exact, int retries, int max_tests, const std::string& format, std::ostream& out,
                 std::ostream& err) {
  Isolate(err);
  InterruptScope interrupt_scope;
  const std::string kernel = oracle::KernelRelease();
  int64_t agree = 0, differ = 0, skipped = 0, unforceable = 0, errors = 0, run = 0;
  std::vector<std::string> written;
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (int64_t i = 0; i < count && !Interrupted(); ++i, ++run) {
    const uint64_t seed = first_seed + static_cast<uint64_t>(i);
    const nlohmann::ordered_json j = GenerateScenario(seed);
    const std::string name = absl::StrCat("gen-", seed);
    auto sc = ParseScenario(j.dump(2), name);
    if (!sc.ok()) {  // the generator's bug, not the user's input
      err << "fusesim oracle: generated scenario " << name << " does not load: " << sc.status().message() << "\n";
      return kExitInternal;
    }
    ScenarioOutcome o;
    o.file = o.name = name;
    o = RunOne(**sc, opts, exact, retries, o, err);
    if (o.status == "agree") {
      ++agree;
      continue;
    }
    if (o.status == "skipped") {
      ++skipped;
      if (format == "text") out << name << ": skipped: " << o.reason << "\n";
      continue;
    }
    if (o.status == "unforceable") {
      ++unforceable;
      if (format == "text") PrintText(o, out);
      continue;
    }
    if (o.status != "differ") {
      ++errors;
      if (format == "text") PrintText(o, out);
      continue;
    }
    ++differ;
    if (format == "text") PrintText(o, out);
    // Delta debugging, each candidate run on the model and the kernel.
    MinimizeOptions mo;
    mo.max_tests = max_tests;
    auto still = [&](const nlohmann::ordered_json& c) {
      if (Interrupted()) return false;
      auto cs = ParseScenario(c.dump(2), name);
      if (!cs.ok()) return false;
      ScenarioOutcome co;
      co.file = co.name = name;
      return RunOne(**cs, opts, exact, 0, co, err).status == "differ";
    };
    MinimizeResult m = Minimize(j, still, mo);
    // What the minimal scenario shows, for its description.
    ScenarioOutcome mo_out;
    mo_out.file = mo_out.name = name;
    if (auto ms = ParseScenario(m.scenario.dump(2), name); ms.ok())
      mo_out = RunOne(**ms, opts, exact, retries, mo_out, err);
    const ScenarioOutcome& shown = mo_out.status == "differ" ? mo_out : o;
    m.scenario["name"] = name;
    m.scenario["description"] = absl::StrCat(
        "Generated by fusesim oracle --generate 1 --seed ", seed, " and minimised by delta debugging (", m.kept, " of ",
        m.units, " units kept, ", m.tests, " oracle runs): ", DifferenceLine(shown, kernel),
        mo_out.status == "differ" ? "." : " (the minimal scenario did not differ again when re-run).");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string path = (std::filesystem::path(dir) / (name + ".json")).string();
    std::ofstream f(path);
    f << m.scenario.dump(2) << "\n";
    if (!f) {
      err << "fusesim oracle: cannot write " << path << "\n";
      return kExitInternal;
    }
    written.push_back(path);
    if (format == "text")
      out << name << ": minimised to " << path << " (" << m.kept << " of " << m.units << " units, " << m.tests
          << " oracle runs)\n";
    findings.push_back({{"seed", seed}, {"file", path}, {"difference", DifferenceLine(shown, kernel)}});
  }
  if (format == "json") {
    nlohmann::ordered_json j;
    j["kernel"] = kernel;
    j["first_seed"] = first_seed;
    j["generated"] = run;
    j["agree"] = agree;
    j["differ"] = differ;
    j["skipped"] = skipped;
    j["unforceable"] = unforceable;
    j["errors"] = errors;
    j["findings"] = findings;
    j["interrupted"] = Interrupted();
    out << j.dump(2) << "\n";
  } else {
    out << "generated " << run << ": " << agree << " agree, " << differ << " differ";
    if (differ > 0) out << " (minimised to " << absl::StrJoin(written, ", ") << ")";
    out << ", " << skipped << " skipped";
    if (unforceable > 0) out << ", " << unforceable << " unforceable (not compared)";
    if (errors > 0) out << ", " << errors << " could not be run";
    out << "\n";
  }
  if (Interrupted()) {
    (format == "json" ? err : out) << "interrupted: not run: seeds " << first_seed + static_cast<uint64_t>(run)
                                   << " to " << first_seed + static_cast<uint64_t>(count) - 1 << "\n";
    return InterruptedExit();
  }
  if (differ + errors > 0) return kExitFailed;
  return unforceable > 0 ? kExitIncomplete : kExitOk;
}

// The kind of a reason the gate could not hold a schedule: the reason
// without its step, thread, op and request names ("t2 keeps running" and
// "t1 keeps running" are one kind).
std::string UnforceableKind(const std::string& divergence) {
  std::string why = divergence;
  if (const size_t p = why.find("): "); absl::StartsWith(why, "step ") && p != std::string::npos)
    why = why.substr(p + 3);
  auto describe = [](const std::string& tail) -> std::string {
    if (absl::StartsWith(tail, "it sent ")) return "it sent another request";
    return tail;
  };
  if (absl::EndsWith(why, " keeps running")) return "keeps running";
  if (absl::StrContains(why, "its previous op has not returned"))
    return "cannot start an op: its previous op has not returned";
  const std::string does_not = "; the real one does not: ";
  if (const size_t p = why.find(does_not); p != std::string::npos) {
    const std::string tail = describe(why.substr(p + does_not.size()));
    if (absl::StrContains(why, " returns here")) return "the model's op returns, the real one does not: " + tail;
    if (absl::StrContains(why, " blocks (")) return "the model's thread blocks, the real one does not: " + tail;
    return "the model's thread sends a request, the real one does not: " + tail;
  }
  if (absl::StrContains(why, "; the real one sent ")) return "the real thread sent another request";
  if (absl::StartsWith(why, "no request of ")) return "no request waiting to be handled";
  if (absl::StartsWith(why, "the server did not answer")) return "the server did not answer";
  if (absl::StartsWith(why, "no reply of ")) return "no reply waiting to be taken";
  if (absl::StrContains(why, " was not delivered")) return "a reply was not delivered";
  return why;
}

// A difference only in where forget messages fall: every row that differs
// agrees once FORGET and BATCH_FORGET are taken out of both sides (a gated
// replay compares forgets once per run in its "forgets" row, but the exit
// row still counts them; counted apart so that the figure says so).
bool DiffersOnlyInForgets(const ScenarioOutcome& o) {
  auto strip = [](std::vector<std::string> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](const std::string& q) { return IsForget(q) || q == kForgets; }),
            v.end());
    std::sort(v.begin(), v.end());
    return v;
  };
  bool any = false;
  for (const Row& r : o.rows) {
    if (r.agree || r.label == "forgets") continue;
    if (r.label == "schedule") return false;
    if (r.model_result != r.real_result || strip(r.model_requests) != strip(r.real_requests)) return false;
    any = true;
  }
  return any;
}

// fusesim oracle --generate N --races --seed S [--out DIR]: N race
// scenarios (GenerateRaceScenario(S) ... (S+N-1)), each explored on the
// model, and each outcome's representative interleaving run as a gated
// replay (RaceReplays). Counted: forced and agree, forced and differ (of
// them, those forced through the run-on interleaving of the same model
// outcome), unforceable (by the kind of reason), skipped, errors. A difference is
// written as it is to DIR/race-SEED-iK.json, not minimised: removing an op
// would leave the replay schedule naming steps that no longer exist; an
// unforceable one to DIR/unforceable/race-SEED-iK.json.
int RunRaces(uint64_t first_seed, int64_t count, const std::string& dir, const oracle::OracleOptions& opts, bool exact,
             int retries, const std::string& format, std::ostream& out, std::ostream& err) {
  Isolate(err);
  InterruptScope interrupt_scope;
  const std::string kernel = oracle::KernelRelease();
  int64_t scenarios = 0, interleavings = 0, agree = 0, differ = 0, unforceable = 0, skipped = 0, errors = 0;
  int64_t agreed_on_retry = 0, differ_forgets = 0, agree_run_on = 0, differ_run_on = 0, deferred = 0, mixed = 0,
          same_trace = 0;
  std::map<std::string, int64_t> by_reason;
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  nlohmann::ordered_json unforced = nlohmann::ordered_json::array();
  std::vector<std::string> written;
  for (int64_t i = 0; i < count && !Interrupted(); ++i) {
    const uint64_t seed = first_seed + static_cast<uint64_t>(i);
    const nlohmann::ordered_json race = GenerateRaceScenario(seed);
    auto replays = RaceReplays(race);
    if (!replays.ok()) {  // the generator's bug, not the user's input
      err << "fusesim oracle: race scenario race-" << seed << ": " << replays.status().message() << "\n";
      return kExitInternal;
    }
    ++scenarios;
    for (const nlohmann::ordered_json& j : *replays) {
      if (Interrupted()) break;
      const std::string name = j["name"];
      auto sc = ParseScenario(j.dump(2), name);
      if (!sc.ok()) {
        err << "fusesim oracle: generated scenario " << name << " does not load: " << sc.status().message() << "\n";
        return kExitInternal;
      }
      ++interleavings;
      ScenarioOutcome o;
      o.file = o.name = name;
      o = RunOne(**sc, opts, exact, retries, o, err);
      if (o.agreed_on_retry) ++agreed_on_retry;
      // Forced through an interleaving with the same model outcome
      // (TryRunOnSchedule): counted as forced, and apart.
      if (o.forced_equivalent) ++(o.status == "agree" ? agree_run_on : differ_run_on);
      if (o.forced_equivalent && o.forced_as == "deferred") ++deferred;
      if (o.forced_equivalent && o.same_trace) ++same_trace;
      if (o.forced_equivalent && o.forced_as == "mixed") ++mixed;
      if (o.status == "agree") {
        ++agree;
      } else if (o.status == "unforceable") {
        ++unforceable;
        const std::string kind = UnforceableKind(o.schedule_divergence);
        ++by_reason[kind];
        // Written too, to DIR/unforceable/, for whoever wants to look at why
        // (it replays on the model as it is; the oracle says the same again).
        nlohmann::ordered_json f = j;
        f["description"] = absl::StrCat(j.value("description", ""), " Unforceable on Linux ", kernel, ": ",
                                        o.schedule_divergence, ".");
        std::error_code ec;
        const std::filesystem::path udir = std::filesystem::path(dir) / "unforceable";
        std::filesystem::create_directories(udir, ec);
        const std::string path = (udir / (name + ".json")).string();
        std::ofstream file(path);
        file << f.dump(2) << "\n";
        if (!file) {
          err << "fusesim oracle: cannot write " << path << "\n";
          return kExitInternal;
        }
        unforced.push_back({{"name", name}, {"reason", o.schedule_divergence}, {"kind", kind}, {"file", path}});
        if (format == "text")
          out << name << ": unforceable: " << o.schedule_divergence << " (written to " << path << ")\n";
      } else if (o.status == "skipped") {
        ++skipped;
        if (format == "text") out << name << ": skipped: " << o.reason << "\n";
      } else if (o.status == "differ") {
        ++differ;
        const bool forgets_only = DiffersOnlyInForgets(o);
        differ_forgets += forgets_only;
        if (format == "text") PrintText(o, out);
        nlohmann::ordered_json f = j;
        f["description"] =
            absl::StrCat(j.value("description", ""), " Forced on Linux ", kernel, ": ", DifferenceLine(o, kernel), ".");
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        const std::string path = (std::filesystem::path(dir) / (name + ".json")).string();
        std::ofstream file(path);
        file << f.dump(2) << "\n";
        if (!file) {
          err << "fusesim oracle: cannot write " << path << "\n";
          return kExitInternal;
        }
        written.push_back(path);
        if (format == "text") out << name << ": written to " << path << " (not minimised)\n";
        findings.push_back({{"name", name},
                            {"file", path},
                            {"difference", DifferenceLine(o, kernel)},
                            {"only_forget_messages", forgets_only}});
      } else {
        ++errors;
        if (format == "text") PrintText(o, out);
      }
    }
  }
  if (format == "json") {
    nlohmann::ordered_json j;
    j["kernel"] = kernel;
    j["first_seed"] = first_seed;
    j["race_scenarios"] = scenarios;
    j["interleavings"] = interleavings;
    j["forced_agree"] = agree;
    j["forced_differ"] = differ;
    j["forced_differ_only_in_forgets"] = differ_forgets;
    j["forced_agree_run_on"] = agree_run_on;
    j["forced_differ_run_on"] = differ_run_on;
    j["forced_deferred"] = deferred;
    j["forced_same_trace"] = same_trace;
    j["forced_mixed"] = mixed;
    j["unforceable"] = unforceable;
    nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
    for (const auto& [k, n] : by_reason) reasons[k] = n;
    j["unforceable_by_reason"] = reasons;
    j["skipped"] = skipped;
    j["errors"] = errors;
    j["agreed_on_retry"] = agreed_on_retry;
    j["findings"] = findings;
    j["unforceable_list"] = unforced;
    j["interrupted"] = Interrupted();
    out << j.dump(2) << "\n";
  } else {
    out << "races: " << scenarios << " scenarios, " << interleavings << " interleavings: " << agree
        << " forced and agree, " << differ << " forced and differ";
    if (agree_run_on + differ_run_on > 0)
      out << " (forced through an equivalent interleaving: " << agree_run_on << " agree, " << differ_run_on
          << " differ; " << same_trace << " of them the same Mazurkiewicz trace, " << deferred << " the deferred one, "
          << mixed << " a mixed one)";
    if (differ > 0)
      out << " (" << differ_forgets << " only in where forget messages fall; written to "
          << absl::StrJoin(written, ", ") << ")";
    out << ", " << unforceable << " unforceable, " << skipped << " skipped";
    if (errors > 0) out << ", " << errors << " could not be run";
    if (agreed_on_retry > 0) out << "; " << agreed_on_retry << " agreed only on a retry";
    out << "\n";
    for (const auto& [k, n] : by_reason) out << "  unforceable: " << n << " " << k << "\n";
  }
  if (Interrupted()) {
    (format == "json" ? err : out) << "interrupted after " << scenarios << " race scenarios\n";
    return InterruptedExit();
  }
  if (differ + errors > 0) return kExitFailed;
  return unforceable > 0 ? kExitIncomplete : kExitOk;
}

}  // namespace

const CommandSpec& OracleSpec() {
  static const CommandSpec kSpec = {
      "oracle",
      "DIR|SCENARIO... [options] | --generate N --seed S [--out DIR]",
      "compare the model with a real kernel on a real FUSE mount (root)",
      "Runs each scenario on a real FUSE mount and compares every op's requests and\n"
      "result with the model (lookup-create; sequential schedule, or the scenario's\n"
      "replay schedule, followed through a gate in the server). Needs root and\n"
      "/dev/fuse; scenarios it cannot reproduce are skipped with the reason.\n"
      "--generate runs N random scenarios (seeds S..S+N-1) instead, minimises\n"
      "every one that differs and writes it to DIR (docs/fidelity.md,\n"
      "\"Differential testing\"). See docs/fidelity.md.",
      {
          FormatOption({"text", "json"}, "text (default) or json"),
          {"settle-ms", "MS", "quiet time that ends an op (default 30)"},
          {"watchdog-ms", "MS", "abort a scenario after this long (default 10000)"},
          {"keep-going", "", "run every scenario (default: stop after the first that differs)"},
          {"retries", "N", "run a differing scenario again up to N times (default 0)"},
          {"exact-forget", "", "compare FORGET and BATCH_FORGET exactly (default: as forget messages)"},
          {"any-kernel", "", "run even if this machine is not Linux 6.18"},
          {"gate-timeout-ms", "MS", "gated replay: how long a step may take (default 1000)"},
          {"debug", "", "libfuse's debug output on stderr"},
          {"generate", "N", "run N generated scenarios (1-1000000) instead of files"},
          {"seed", "S", "--generate: the first seed (default 1)"},
          {"out", "DIR", "--generate: where minimised differences go (default oracle-findings)"},
          {"max-tests", "N", "--generate: oracle runs per minimisation at most (default 300)"},
          {"races", "",
           "--generate: race scenarios (2-3 threads), each outcome's interleaving from explore run as a gated "
           "replay"},
      },
  };
  return kSpec;
}

int CmdOracle(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit_code = kExitOk;
  auto parsed = ParseCommand(OracleSpec(), args, out, err, &exit_code);
  if (!parsed) return exit_code;
  const bool generate = parsed->has("generate");
  if (generate && !parsed->positional.empty()) {
    err << "fusesim oracle: --generate takes no scenario files\n";
    return kExitBadInput;
  }
  if (!generate && (parsed->has("seed") || parsed->has("out") || parsed->has("max-tests") || parsed->has("races"))) {
    err << "fusesim oracle: --seed, --out, --max-tests and --races go with --generate\n";
    return kExitBadInput;
  }
  if (!generate && parsed->positional.empty()) {
    err << "fusesim oracle: give scenario files or directories\n";
    return kExitBadInput;
  }
  const std::string format = parsed->get("format", "text");
  oracle::OracleOptions opts;
  if (parsed->has("settle-ms") &&
      (!absl::SimpleAtoi(parsed->get("settle-ms"), &opts.settle_ms) || opts.settle_ms < 1 || opts.settle_ms > 10000)) {
    err << "fusesim oracle: --settle-ms needs an integer 1-10000\n";
    return kExitBadInput;
  }
  if (parsed->has("watchdog-ms") && (!absl::SimpleAtoi(parsed->get("watchdog-ms"), &opts.watchdog_ms) ||
                                     opts.watchdog_ms < 1000 || opts.watchdog_ms > 3600000)) {
    err << "fusesim oracle: --watchdog-ms needs an integer 1000-3600000\n";
    return kExitBadInput;
  }
  if (parsed->has("gate-timeout-ms") && (!absl::SimpleAtoi(parsed->get("gate-timeout-ms"), &opts.gate_timeout_ms) ||
                                         opts.gate_timeout_ms < 10 || opts.gate_timeout_ms > 60000)) {
    err << "fusesim oracle: --gate-timeout-ms needs an integer 10-60000\n";
    return kExitBadInput;
  }
  opts.any_kernel = parsed->has("any-kernel");
  opts.debug = parsed->has("debug");
  const bool keep_going = parsed->has("keep-going");
  int retries = 0;
  if (parsed->has("retries") && (!absl::SimpleAtoi(parsed->get("retries"), &retries) || retries < 0 || retries > 10)) {
    err << "fusesim oracle: --retries needs an integer from 0 to 10\n";
    return kExitBadInput;
  }
  int agreed_on_retry = 0;
  const bool exact = parsed->has("exact-forget");
  if (generate) {
    int64_t count = 0, seed = 1;
    int max_tests = 300;
    if (!absl::SimpleAtoi(parsed->get("generate"), &count) || count < 1 || count > 1000000) {
      err << "fusesim oracle: --generate needs an integer from 1 to 1000000\n";
      return kExitBadInput;
    }
    if (parsed->has("seed") && (!absl::SimpleAtoi(parsed->get("seed"), &seed) || seed < 0)) {
      err << "fusesim oracle: --seed needs an integer from 0 to 2^63-1\n";
      return kExitBadInput;
    }
    if (parsed->has("max-tests") &&
        (!absl::SimpleAtoi(parsed->get("max-tests"), &max_tests) || max_tests < 0 || max_tests > 100000)) {
      err << "fusesim oracle: --max-tests needs an integer from 0 to 100000\n";
      return kExitBadInput;
    }
    if (parsed->has("races"))
      return RunRaces(static_cast<uint64_t>(seed), count, parsed->get("out", "oracle-findings"), opts, exact, retries,
                      format, out, err);
    return RunGenerated(static_cast<uint64_t>(seed), count, parsed->get("out", "oracle-findings"), opts, exact, retries,
                        max_tests, format, out, err);
  }

  std::vector<std::string> files;
  for (const std::string& p : parsed->positional) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".json") found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        err << "fusesim oracle: " << p << ": no .json scenarios found\n";
        return kExitBadInput;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(p, ec)) {
      files.push_back(p);
    } else {
      err << "fusesim oracle: " << p << ": no such file or directory\n";
      return kExitBadInput;
    }
  }

  Isolate(err);

  std::vector<ScenarioOutcome> outcomes;
  int passed = 0, failed = 0, skipped = 0, unforceable = 0;
  bool bad_input = false, stopped = false;
  // A signal between scenarios stops the run with a list of what was not
  // run; during a real-kernel run the oracle's own handler unmounts and the
  // process dies of the signal (the shell's status is then 128+signal too).
  InterruptScope interrupt_scope;
  std::vector<std::string> not_run;
  for (const std::string& f : files) {
    if (Interrupted()) {
      not_run.push_back(f);
      continue;
    }
    ScenarioOutcome o;
    o.file = f;
    o.name = f;
    auto sc = LoadScenario(f);
    if (!sc.ok()) {
      err << sc.status().message() << "\n";
      o.status = "bad-input";
      o.reason = std::string(sc.status().message());
      bad_input = true;
      outcomes.push_back(o);
      continue;
    }
    const Scenario& s = **sc;
    o.name = s.name;
    auto finish = [&](ScenarioOutcome&& x) {
      if (x.status == "agree")
        ++passed;
      else if (x.status == "skipped")
        ++skipped;
      else if (x.status == "unforceable")
        ++unforceable;
      else
        ++failed;
      if (format == "text") PrintText(x, out);
      outcomes.push_back(std::move(x));
    };
    ScenarioOutcome x = RunOne(s, opts, exact, retries, std::move(o), err);
    if (x.status == "bad-input") {
      bad_input = true;
      outcomes.push_back(std::move(x));
      continue;
    }
    if (x.agreed_on_retry) ++agreed_on_retry;
    const bool stop = x.fatal || x.status == "differ";
    finish(std::move(x));
    if (stop && !keep_going) {
      stopped = true;
      break;
    }
  }
  if (format == "json") {
    nlohmann::ordered_json j;
    j["kernel"] = oracle::KernelRelease();
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& o : outcomes) list.push_back(ToJson(o));
    j["scenarios"] = list;
    j["passed"] = passed;
    j["failed"] = failed;
    j["skipped"] = skipped;
    j["unforceable"] = unforceable;
    j["agreed_on_retry"] = agreed_on_retry;
    j["stopped_early"] = stopped;
    j["interrupted"] = Interrupted();
    j["not_run"] = not_run;
    out << j.dump(2) << "\n";
  } else {
    if (stopped) out << "stopped after the first failing scenario (--keep-going runs them all)\n";
    out << skipped << " skipped\n";
    if (unforceable > 0)
      out << unforceable << " unforceable (the real kernel could not be held to the replay schedule: not compared)\n";
    if (agreed_on_retry > 0) out << agreed_on_retry << " agreed only on a retry (--retries)\n";
    out << passed << " passed, " << failed << " failed\n";
  }
  if (Interrupted()) {
    (format == "json" ? err : out) << "interrupted: not run: " << absl::StrJoin(not_run, ", ") << "\n";
    return InterruptedExit();
  }
  if (bad_input) return kExitBadInput;
  if (failed > 0) return kExitFailed;
  // Something was not compared: not a pass.
  return unforceable > 0 ? kExitIncomplete : kExitOk;
}

}  // namespace fusesim::sim
