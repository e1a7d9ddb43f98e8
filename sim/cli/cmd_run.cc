// fusesim run SCENARIO: one execution per variant.
#include <limits>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sim/cli/cli.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/expect.h"

namespace fusesim::sim {

const CommandSpec& RunSpec() {
  static const CommandSpec kSpec = {
      "run",
      "SCENARIO [options]",
      "one execution per variant (sequential, or a replay schedule)",
      "Runs the scenario once per variant, under its schedule (sequential or replay),\n"
      "or under --schedule, and checks its expectations.",
      {
          VariantsOption("run only these variants (default: the scenario's)"),
          {"schedule", "TOKEN", "replay these steps first, e.g. 't1,t1,t2' or 't1*2,t2' (then sequential)"},
          {"seed", "N", "accepted for symmetry with explore; run is deterministic without it"},
          FormatOption({"text", "json"}, "the report: text (default) or json"),
          OutputOption("write the report to FILE (atomically) instead of stdout"),
          {"trace", "", "include the message trace"},
          {"max-steps", "N", "step limit per run (default: 1000 per op)"},
      },
  };
  return kSpec;
}

int CmdRun(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit = kExitOk;
  auto cmd = ParseScenarioCommand(RunSpec(), args, out, err, &exit);
  if (!cmd) return exit;
  const ParsedArgs& a = cmd->args;
  const Scenario& s = *cmd->scenario;
  const std::string format = a.get("format", "text");
  ExecOptions opts;
  opts.trace = a.has("trace");
  opts.describe_ops = format != "json";  // the JSON report does not show the ops' text
  int64_t seed = 0;
  for (const absl::Status& st : {IntFlag(a, "max-steps", 1, std::numeric_limits<int64_t>::max(), &opts.max_steps),
                                 IntFlag(a, "seed", 0, std::numeric_limits<int64_t>::max(), &seed)}) {
    if (!st.ok()) {
      err << "fusesim run: " << st.message() << "\n";
      return kExitBadInput;
    }
  }
  auto steps_or = StepsFor(s, a);
  if (!steps_or.ok()) {
    err << "fusesim run: " << steps_or.status().message() << "\n";
    return kExitBadInput;
  }
  const std::vector<int>& steps = *steps_or;
  std::ostringstream text;
  // JSON: each variant's report is written as it comes (no DOM of it): one
  // object, or an array of them, as dump(2) of the whole would be.
  std::string json;
  const bool array = cmd->variants.size() != 1;
  if (format == "json" && array) json = "[";
  bool first = true;
  // Streamed to stdout as each variant is done, unless a replay schedule
  // could still diverge for a later variant (an error, then, prints no JSON).
  const bool to_stdout = a.get("output", "-") == "-" && steps.empty();
  for (model::Variant v : cmd->variants) {
    ReplayChooser chooser(steps);
    auto report = Execute(s, v, chooser, opts);
    if (!report.ok())
      return ReportError(absl::StrCat(s.file, " [", std::string(model::VariantName(v)), "]"), report.status(), err);
    std::vector<std::string> fails = CheckRun(s, v, *report);
    if (!fails.empty()) exit = kExitFailed;
    if (format == "json") {
      nlohmann::ordered_json extra = nlohmann::ordered_json::object();
      extra["expectations"] = {{"passed", fails.empty()}, {"failures", fails}};
      if (array) json += first ? "\n  " : ",\n  ";
      first = false;
      AppendReportJson(*report, extra, &json, array ? 1 : 0, to_stdout ? &out : nullptr);
      if (to_stdout) {  // nothing kept: each report goes out as it is done
        out << json;
        json.clear();
      }
    } else {
      text << ReportToText(*report);
      if (fails.empty()) {
        text << "  expectations: ok\n";
      } else {
        for (const auto& f : fails) text << "  FAIL " << f << "\n";
      }
      if (to_stdout) {  // as for JSON: each variant's text goes out when done
        out << text.str();
        text.str("");
      }
    }
  }
  if (format == "json") {
    if (array) json += cmd->variants.empty() ? "]" : "\n]";
    json += "\n";
  }
  if (to_stdout) {
    out << (format == "json" ? json : text.str());
    return exit;
  }
  auto st = WriteFileAtomically(a.get("output", "-"), format == "json" ? json : text.str(), out);
  if (!st.ok()) {
    err << "fusesim run: " << st.message() << "\n";
    return kExitBadInput;
  }
  return exit;
}

}  // namespace fusesim::sim
