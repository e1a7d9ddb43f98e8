// fusesim explore SCENARIO: the interleavings, their outcomes, and a short
// replayable schedule for every broken invariant.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/cli/cli.h"
#include "sim/report/chart.h"
#include "sim/report/explore_report.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/explore_scenario.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {

const CommandSpec& ExploreSpec() {
  static const CommandSpec kSpec = {
      "explore",
      "SCENARIO [options]",
      "explore interleavings (dpor, exhaustive, random, pct)",
      "Prints each variant's outcomes and, for every broken invariant, a shortest\n"
      "schedule as a `fusesim run` line to copy. A run cut by a bound exits 4 and one\n"
      "interrupted by Ctrl-C exits 130; both name the variants not finished or not\n"
      "explored (README \"Exit codes\", docs/exploring.md).",
      {
          VariantsOption("explore only these variants (default: the scenario's)"),
          {"strategy", "", "the search (default dpor)", 0, {}, {"dpor", "exhaustive", "random", "pct"}},
          {"max-schedules", "N", "stop after N schedules (default: the scenario's, else 100000)"},
          {"max-preemptions", "N", "at most N preemptions per schedule (default: the scenario's, else none)"},
          {"deepen", "",
           "iterative deepening (dpor, exhaustive): preemption bound 0, 1, 2, ... within --max-schedules, so a "
           "budget covers every interleaving with few preemptions first"},
          {"max-steps", "N", "steps per schedule before it counts as a livelock (default 20000)"},
          {"seed", "N", "seed for random and pct (default: the scenario's, else 1)"},
          {"runs", "N", "schedules for random and pct (default: the scenario's, else 1000)"},
          {"depth", "N", "pct bug depth (default 3)"},
          {"time-budget", "SECONDS", "stop after this much wall time"},
          {"no-shrink", "", "report violating schedules as found, unshrunk"},
          {"shard", "I/N", "explore only shard I of N (dpor, exhaustive); combine with `fusesim merge`"},
          FormatOption({"text", "json"}, "text (default) or json"),
          OutputOption("write the result to FILE (atomically); an interrupted run writes its partial result"),
          {"resume", "FILE", "continue the interrupted run whose JSON (with \"resume\") is in FILE"},
      },
  };
  return kSpec;
}

namespace {

constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();

// "explore [atomic-create] 12,345 schedules (2,100/s), 7 outcomes, 1 violation,
// 6 s elapsed; bounds: 100,000 schedules, no preemption bound".
std::string ProgressLine(const std::string& variant, const ExploreProgress& p) {
  auto count = [](int64_t n) { return FormatSignificant(static_cast<double>(n), 19); };
  return absl::StrFormat("explore [%s] %s schedules (%s/s), %s outcomes, %s %s, %s s elapsed; bounds: %s schedules, %s",
                         variant, count(p.schedules), FormatSignificant(p.schedules_per_s, 3), count(p.outcomes),
                         count(p.violations), p.violations == 1 ? "violation" : "violations",
                         FormatSignificant(p.elapsed_s, 3), count(p.max_schedules),
                         p.max_preemptions < 0 ? std::string("no preemption bound")
                                               : absl::StrCat("at most ", p.max_preemptions, " preemptions"));
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
  int exit = kExitOk;
  auto cmd = ParseScenarioCommand(ExploreSpec(), args, out, err, &exit);
  if (!cmd) return exit;
  const ParsedArgs* parsed = &cmd->args;
  const Scenario& s = *cmd->scenario;
  const std::vector<model::Variant>* variants = &cmd->variants;
  const std::string format = parsed->get("format", "text");
  ExploreOptions o = *ExploreOptionsFor(s);
  if (parsed->has("strategy")) o.strategy = *ParseStrategy(parsed->get("strategy"));  // a valid choice
  int64_t max_preemptions = o.max_preemptions, depth = o.depth;
  for (const absl::Status& st :
       {IntFlag(*parsed, "max-schedules", 1, kNoMax, &o.max_schedules),
        IntFlag(*parsed, "max-steps", 1, kNoMax, &o.max_steps), IntFlag(*parsed, "runs", 1, kNoMax, &o.runs),
        IntFlag(*parsed, "max-preemptions", 0, 1000000, &max_preemptions),
        IntFlag(*parsed, "depth", 1, 1000000, &depth)}) {
    if (!st.ok()) {
      err << "fusesim explore: " << st.message() << "\n";
      return kExitBadInput;
    }
  }
  o.max_preemptions = static_cast<int>(max_preemptions);
  o.depth = static_cast<int>(depth);
  if (parsed->has("seed")) {
    if (!absl::SimpleAtoi(parsed->get("seed"), &o.seed)) {
      err << "fusesim explore: --seed needs a non-negative integer (got \"" << parsed->get("seed") << "\")\n";
      return kExitBadInput;
    }
  }
  if (parsed->has("time-budget") &&
      (!absl::SimpleAtod(parsed->get("time-budget"), &o.time_budget_s) || o.time_budget_s <= 0)) {
    err << "fusesim explore: --time-budget needs a positive number of seconds\n";
    return kExitBadInput;
  }
  o.shrink = !parsed->has("no-shrink");
  if (parsed->has("deepen")) {
    if (o.strategy != Strategy::kDpor && o.strategy != Strategy::kExhaustive) {
      err << "fusesim explore: --deepen goes with --strategy dpor or exhaustive\n";
      return kExitBadInput;
    }
    if (o.max_preemptions >= 0) {
      err << "fusesim explore: --deepen raises the preemption bound itself; drop --max-preemptions (or the "
             "scenario's max_preemptions)\n";
      return kExitBadInput;
    }
    if (parsed->has("shard") || parsed->has("resume")) {
      err << "fusesim explore: --deepen cannot be combined with --shard or --resume\n";
      return kExitBadInput;
    }
    o.deepen = true;
  }
  if (parsed->has("shard")) {
    int i = -1, n = 0;
    if (!ParseShard(parsed->get("shard"), &i, &n)) {
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
  std::string progress_variant;
  o.progress = [&err, &progress_variant](const ExploreProgress& p) {
    err << ProgressLine(progress_variant, p) << "\n";
  };
  nlohmann::ordered_json partial;
  if (parsed->has("resume")) {
    std::ifstream in(parsed->get("resume"), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    partial = nlohmann::ordered_json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
    if (!in || partial.is_discarded()) {
      err << "fusesim explore: --resume: " << parsed->get("resume")
          << ": not the JSON of `fusesim explore --format json`\n";
      return kExitBadInput;
    }
    if (auto shape = CheckExploreJsonShape(partial); !shape.ok()) {
      err << "fusesim explore: --resume: " << parsed->get("resume") << ": " << shape.message() << "\n";
      return kExitBadInput;
    }
    if (format != "json") {
      err << "fusesim explore: --resume writes JSON: add --format json\n";
      return kExitBadInput;
    }
  }
  // The result goes to stdout as it comes, or with -o to a file at the end.
  std::ostringstream buffered;
  std::ostream& res = parsed->has("output") ? buffered : out;
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
    progress_variant = std::string(model::VariantName(var));
    o.progress_offset = 0;
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
        o.progress_offset = saved->value("schedules", int64_t{0});
      } else {
        // Finished in the saved run (or not in it): explored afresh, and not
        // merged with the saved counts, which would count it twice.
        o.resume = nullptr;
        saved = nullptr;
      }
    }
    absl::StatusOr<ExploreResult> r;
    try {
      r = Explore(s, var, o);
    } catch (const nlohmann::json::exception& e) {
      // Only a saved state is read as JSON here: a malformed one is bad input.
      if (o.resume == nullptr) throw;
      r = absl::InvalidArgumentError(absl::StrCat("--resume: malformed saved state (", e.what(), ")"));
    }
    if (!r.ok()) {
      exit = WorseExit(
          exit, ReportError(absl::StrCat(s.file, " [", std::string(model::VariantName(var)), "]"), r.status(), err));
      break;
    }
    ++explored;
    // A run that covered part of the space (a shard, a cut, sampling) judges
    // what the part can refute; `fusesim merge --scenario` judges shards as a
    // whole. A resumed run is judged below, once its parts are merged.
    const bool shard = o.shard_count > 0;
    std::vector<std::string> fails;
    if (saved == nullptr) fails = CheckExplore(s, var, *r, /*whole_space=*/!shard && r->complete);
    if (CutByBound(*r)) exit = WorseExit(exit, kExitIncomplete);
    const bool cut =
        CutByBound(*r) || std::find(r->bounds_hit.begin(), r->bounds_hit.end(), "interrupted") != r->bounds_hit.end();
    if (cut)
      not_finished.push_back(absl::StrCat(std::string(model::VariantName(var)), " (", IncompleteReason(*r), "; ",
                                          r->schedules, " schedules explored)"));
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
        // The whole run is both parts: judge it from its merged outcomes.
        auto judged = JudgeExploreJson(s, var, j, /*whole_space=*/!shard && j.value("complete", false));
        if (!judged.ok()) {
          err << "fusesim explore: --resume: " << judged.status().message() << "\n";
          return kExitBadInput;
        }
        fails = *judged;
      }
      j["expectations"] = ExpectationsJson(fails, /*whole_space=*/!shard && j.value("complete", false));
      if (shard) j["expectations"]["scope"] = "shard";
      all.push_back(j);
    } else {
      res << ExploreToText(*r);
      if (!fails.empty()) {
        for (const auto& f : fails) res << "  FAIL " << f << "\n";
      } else if (shard) {
        res << absl::StrFormat(
            "  expectations: none failed in shard %s; judge the merged shards with "
            "`fusesim merge --scenario %s`\n",
            r->shard, s.file);
      } else if (r->complete) {
        res << "  expectations: ok\n";
      } else if (cut) {
        res << absl::StrFormat(
            "  expectations: not proven: none failed in the %d schedules explored, "
            "but the exploration is incomplete (%s)\n",
            r->schedules, IncompleteReason(*r));
      } else {
        res << absl::StrFormat("  expectations: none failed in the %d schedules sampled (%s)\n", r->schedules,
                               IncompleteReason(*r));
      }
    }
    if (!fails.empty()) exit = WorseExit(exit, kExitFailed);
    if (Interrupted()) break;
  }
  // What was not done, whatever the format (JSON goes to stdout or -o).
  // (To stderr when the result is JSON or goes to a file: always seen.)
  std::ostream& note = format == "json" || parsed->has("output") ? err : out;
  if (!not_finished.empty()) note << "not finished: " << absl::StrJoin(not_finished, "; ") << "\n";
  if (explored < variants->size()) {
    std::vector<std::string> rest;
    for (size_t i = explored; i < variants->size(); ++i) rest.emplace_back(model::VariantName((*variants)[i]));
    note << "not explored: " << absl::StrJoin(rest, ", ") << "\n";
  }
  if (Interrupted()) {
    note << "interrupted: the result is partial";
    if (format == "json") note << " (continue it with --resume FILE)";
    note << "\n";
    exit = WorseExit(exit, InterruptedExit());
  } else if (exit == kExitIncomplete) {
    note << "incomplete: a bound stopped the exploration (exit " << kExitIncomplete << "); raise it"
         << (o.deepen ? " (--max-schedules)" : ", or continue with --format json and --resume") << "\n";
  }
  if (format == "json") res << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
  if (parsed->has("output")) {
    auto st = WriteFileAtomically(parsed->get("output"), buffered.str(), out);
    if (!st.ok()) {
      err << "fusesim explore: " << st.message() << "\n";
      exit = WorseExit(exit, kExitBadInput);
    }
  }
  return exit;
}

}  // namespace fusesim::sim
