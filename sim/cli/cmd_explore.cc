// fusesim explore SCENARIO: the interleavings, their outcomes, and a short
// replayable schedule for every broken invariant.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/cli/cli.h"
#include "sim/engine/explore.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

const std::vector<OptionSpec> kExploreOptions = {
    {"variant", true, "explore only these variants (comma separated; default: the scenario's)"},
    {"strategy", true, "dpor (default), exhaustive, random or pct"},
    {"max-schedules", true, "stop after this many schedules (default 100000)"},
    {"max-preemptions", true, "bound preemptions per schedule (default: the scenario's, else none)"},
    {"max-steps", true, "steps per schedule before it counts as a livelock (default 20000)"},
    {"seed", true, "seed for random and pct (default: the scenario's, else 1)"},
    {"runs", true, "schedules for random and pct (default: the scenario's, else 1000)"},
    {"depth", true, "pct bug depth (default 3)"},
    {"time-budget", true, "stop after this many seconds of wall time"},
    {"no-shrink", false, "report violating schedules as found, unshrunk"},
    {"shard", true, "I/N: explore only shard I of N (dpor, exhaustive); combine with `fusesim merge`"},
    {"format", true, "text (default) or json"},
    {"o", true, "write the result to this file (atomically); an interrupted run writes its partial result"},
    {"resume", true, "continue the interrupted run whose JSON (with \"resume\") is in this file"},
    {"help", false, "this text"},
};

bool ParseInt(const ParsedArgs& a, const std::string& name, int64_t lo, int64_t* out, std::ostream& err) {
  if (!a.has(name)) return true;
  if (!absl::SimpleAtoi(a.get(name), out) || *out < lo) {
    err << "fusesim explore: --" << name << " needs an integer >= " << lo << "\n";
    return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ExploreOptions> ExploreOptionsFor(const Scenario& s) {
  ExploreOptions o;
  const ScheduleSpec& sc = s.schedule;
  o.max_preemptions = sc.max_preemptions;
  if (sc.max_schedules > 0) o.max_schedules = sc.max_schedules;
  o.seed = sc.seed;
  o.runs = sc.runs;
  o.depth = sc.depth;
  if (sc.mode == ScheduleSpec::Mode::kRandom) o.strategy = Strategy::kRandom;
  if (sc.mode == ScheduleSpec::Mode::kPct) o.strategy = Strategy::kPct;
  o.interrupted = InterruptFlag();  // set only inside an InterruptScope
  return o;
}

int CmdExplore(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> a = args;
  for (auto& x : a)
    if (x == "-o") x = "--o";
  auto parsed = ParseArgs(a, kExploreOptions);
  if (!parsed.ok()) {
    err << "fusesim explore: " << parsed.status().message() << "\n" << OptionsHelp(kExploreOptions);
    return kExitBadInput;
  }
  if (parsed->has("help")) {
    out << "usage: fusesim explore SCENARIO [options]\n" << OptionsHelp(kExploreOptions);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) {
    err << "fusesim explore: give exactly one scenario file\n";
    return kExitBadInput;
  }
  const std::string format = parsed->get("format", "text");
  if (format != "text" && format != "json") {
    err << "fusesim explore: --format must be text or json\n";
    return kExitBadInput;
  }
  if (parsed->has("o") && format != "json") {
    err << "fusesim explore: -o writes JSON: add --format json\n";
    return kExitBadInput;
  }
  auto scenario = LoadScenario(parsed->positional[0]);
  if (!scenario.ok()) {
    err << scenario.status().message() << "\n";
    return kExitBadInput;
  }
  const Scenario& s = **scenario;
  auto variants = SelectVariants(s, *parsed, "variant");
  if (!variants.ok()) {
    err << "fusesim explore: " << variants.status().message() << "\n";
    return kExitBadInput;
  }
  ExploreOptions o = *ExploreOptionsFor(s);
  if (parsed->has("strategy")) {
    auto st = ParseStrategy(parsed->get("strategy"));
    if (!st.ok()) {
      err << "fusesim explore: " << st.status().message() << "\n";
      return kExitBadInput;
    }
    o.strategy = *st;
  }
  int64_t v;
  if (!ParseInt(*parsed, "max-schedules", 1, &o.max_schedules, err) ||
      !ParseInt(*parsed, "max-steps", 1, &o.max_steps, err) || !ParseInt(*parsed, "runs", 1, &o.runs, err))
    return kExitBadInput;
  if (parsed->has("max-preemptions")) {
    if (!ParseInt(*parsed, "max-preemptions", 0, &v, err)) return kExitBadInput;
    o.max_preemptions = static_cast<int>(v);
  }
  if (parsed->has("depth")) {
    if (!ParseInt(*parsed, "depth", 1, &v, err)) return kExitBadInput;
    o.depth = static_cast<int>(v);
  }
  if (parsed->has("seed")) {
    if (!absl::SimpleAtoi(parsed->get("seed"), &o.seed)) {
      err << "fusesim explore: --seed needs a non-negative integer\n";
      return kExitBadInput;
    }
  }
  if (parsed->has("time-budget") && (!absl::SimpleAtod(parsed->get("time-budget"), &o.time_budget_s) || o.time_budget_s <= 0)) {
    err << "fusesim explore: --time-budget needs a positive number of seconds\n";
    return kExitBadInput;
  }
  o.shrink = !parsed->has("no-shrink");
  if (parsed->has("shard")) {
    const std::string sh = parsed->get("shard");
    const size_t slash = sh.find('/');
    int i = -1, n = 0;
    if (slash == std::string::npos || !absl::SimpleAtoi(sh.substr(0, slash), &i) ||
        !absl::SimpleAtoi(sh.substr(slash + 1), &n) || n < 1 || n > 100000 || i < 0 || i >= n) {
      err << "fusesim explore: --shard needs I/N with 0 <= I < N, e.g. 0/4\n";
      return kExitBadInput;
    }
    if (o.strategy != Strategy::kDpor && o.strategy != Strategy::kExhaustive) {
      err << "fusesim explore: --shard splits dpor and exhaustive; random and pct shard by --seed\n";
      return kExitBadInput;
    }
    o.shard_index = i;
    o.shard_count = n;
  }
  InterruptScope interrupt_scope;
  o.interrupted = InterruptFlag();
  o.progress = [&err](int64_t schedules, int64_t violations) {
    err << absl::StrFormat("explore: %d schedules, %d violations so far\n", schedules, violations);
  };
  nlohmann::ordered_json partial;
  if (parsed->has("resume")) {
    std::ifstream in(parsed->get("resume"), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    partial = nlohmann::ordered_json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
    if (!in || partial.is_discarded()) {
      err << "fusesim explore: --resume: " << parsed->get("resume") << ": not the JSON of `fusesim explore --format json`\n";
      return kExitBadInput;
    }
    if (format != "json") {
      err << "fusesim explore: --resume writes JSON: add --format json\n";
      return kExitBadInput;
    }
  }
  int exit = kExitOk;
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  nlohmann::ordered_json saved_runs = nlohmann::ordered_json::array();
  if (partial.is_array()) {
    saved_runs = partial;
  } else if (!partial.is_null()) {
    saved_runs.push_back(partial);
  }
  std::vector<std::string> not_finished;  // variants a bound or a signal cut
  size_t explored = 0;                    // variants[0..explored) have a result
  for (model::Variant var : *variants) {
    // The variant's saved state, when resuming.
    nlohmann::json state;
    const nlohmann::ordered_json* saved = nullptr;
    if (!partial.is_null()) {
      for (const auto& x : saved_runs)
        if (x.value("scenario", "") == s.name && x.value("variant", "") == model::VariantName(var)) saved = &x;
      if (saved != nullptr && saved->contains("resume")) {
        if ((*saved)["strategy"] != StrategyName(o.strategy) || (*saved)["max_preemptions"] != o.max_preemptions) {
          err << "fusesim explore: --resume: the saved run used another strategy or preemption bound\n";
          return kExitBadInput;
        }
        state = nlohmann::json::parse((*saved)["resume"].dump());
        o.resume = &state;
      } else {
        // Finished in the saved run (or not in it): explored afresh, and not
        // merged with the saved counts, which would count it twice.
        o.resume = nullptr;
        saved = nullptr;
      }
    }
    auto r = Explore(s, var, o);
    if (!r.ok()) {
      exit = WorseExit(exit, ReportError(absl::StrCat(s.file, " [", std::string(model::VariantName(var)), "]"), r.status(), err));
      break;
    }
    ++explored;
    std::vector<std::string> fails = CheckExplore(s, var, *r);
    if (!fails.empty()) exit = WorseExit(exit, kExitFailed);
    if (CutByBound(*r)) exit = WorseExit(exit, kExitIncomplete);
    const bool cut = CutByBound(*r) || std::find(r->bounds_hit.begin(), r->bounds_hit.end(), "interrupted") !=
                                           r->bounds_hit.end();
    if (cut)
      not_finished.push_back(
          absl::StrCat(std::string(model::VariantName(var)), " (", IncompleteReason(*r), "; ", r->schedules, " schedules explored)"));
    if (format == "json") {
      nlohmann::ordered_json j = ExploreToJson(*r);
      if (saved != nullptr) {
        nlohmann::ordered_json before = *saved;
        before.erase("expectations");
        auto merged = MergeContinuation(before, j);
        if (!merged.ok()) {
          err << "fusesim explore: --resume: " << merged.status().message() << "\n";
          return kExitBadInput;
        }
        j = *merged;
      }
      j["expectations"] = {{"passed", fails.empty()}, {"failures", fails}};
      all.push_back(j);
    } else {
      out << ExploreToText(*r);
      if (!fails.empty()) {
        for (const auto& f : fails) out << "  FAIL " << f << "\n";
      } else if (r->complete) {
        out << "  expectations: ok\n";
      } else if (cut) {
        out << absl::StrFormat("  expectations: not proven: none failed in the %d schedules explored, "
                               "but the exploration is incomplete (%s)\n",
                               r->schedules, IncompleteReason(*r));
      } else {
        out << absl::StrFormat("  expectations: none failed in the %d schedules sampled (%s)\n", r->schedules,
                               IncompleteReason(*r));
      }
    }
    if (Interrupted()) break;
  }
  // What was not done, whatever the format (JSON goes to stdout or -o).
  std::ostream& note = format == "json" ? err : out;
  if (!not_finished.empty()) note << "not finished: " << absl::StrJoin(not_finished, "; ") << "\n";
  if (explored < variants->size()) {
    std::vector<std::string> rest;
    for (size_t i = explored; i < variants->size(); ++i) rest.emplace_back(model::VariantName((*variants)[i]));
    note << "not explored: " << absl::StrJoin(rest, ", ") << "\n";
  }
  if (Interrupted()) {
    note << "interrupted: the result is partial";
    if (format == "json") note << " (continue it with --resume)";
    note << "\n";
    exit = WorseExit(exit, InterruptedExit());
  } else if (exit == kExitIncomplete) {
    note << "incomplete: a bound stopped the exploration (exit " << kExitIncomplete
         << "); raise it, or continue with --format json and --resume\n";
  }
  if (format == "json") {
    auto st = WriteFileAtomically(parsed->get("o", "-"), (all.size() == 1 ? all[0] : all).dump(2) + "\n", out);
    if (!st.ok()) {
      err << "fusesim explore: " << st.message() << "\n";
      exit = WorseExit(exit, kExitBadInput);
    }
  }
  return exit;
}

}  // namespace fusesim::sim
