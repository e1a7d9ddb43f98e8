// fusesim run SCENARIO: one execution per variant.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/cli/cli.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

const std::vector<OptionSpec> kRunOptions = {
    {"variant", true, "run only this variant (default: the scenario's variants)"},
    {"schedule", true, "replay these steps first, e.g. t1,t1,t2 or t1*2,t2 (then sequential)"},
    {"seed", true, "accepted for symmetry with explore; run is deterministic without it"},
    {"format", true, "text (default) or json"},
    {"trace", false, "include the message trace"},
    {"max-steps", true, "step limit per run (default: 1000 per op)"},
    {"help", false, "this text"},
};

}  // namespace

absl::StatusOr<std::vector<model::Variant>> SelectVariants(const Scenario& s, const ParsedArgs& a,
                                                           const std::string& flag) {
  if (!a.has(flag)) return s.variants;
  std::vector<model::Variant> out;
  for (absl::string_view part : absl::StrSplit(a.get(flag), ',')) {
    const std::string name(part);
    auto v = model::ParseVariant(name);
    if (!v)
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": unknown variant \"", name,
                                                     "\"; valid: ", model::AllVariantNames()));
    out.push_back(*v);
  }
  return out;
}

absl::StatusOr<std::vector<int>> StepsFor(const Scenario& s, const ParsedArgs& a) {
  if (a.has("schedule")) {
    auto st = ParseScheduleToken(s, a.get("schedule"));
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("--schedule: ", st.status().message()));
    return st;
  }
  if (s.schedule.mode == ScheduleSpec::Mode::kReplay) {
    auto st = ScheduleIndices(s, s.schedule.steps);
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(s.file, ": /schedule/steps: ", st.status().message()));
    return st;
  }
  return std::vector<int>{};
}

int CmdRun(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto parsed = ParseArgs(args, kRunOptions);
  if (!parsed.ok()) {
    err << "fusesim run: " << parsed.status().message() << "\n" << OptionsHelp(kRunOptions);
    return kExitBadInput;
  }
  if (parsed->has("help")) {
    out << "usage: fusesim run SCENARIO [options]\n" << OptionsHelp(kRunOptions);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) {
    err << "fusesim run: give exactly one scenario file\n";
    return kExitBadInput;
  }
  const std::string format = parsed->get("format", "text");
  if (format != "text" && format != "json") {
    err << "fusesim run: --format must be text or json\n";
    return kExitBadInput;
  }
  ExecOptions opts;
  opts.trace = parsed->has("trace");
  if (parsed->has("max-steps") && (!absl::SimpleAtoi(parsed->get("max-steps"), &opts.max_steps) || opts.max_steps < 1)) {
    err << "fusesim run: --max-steps needs a positive integer\n";
    return kExitBadInput;
  }
  if (parsed->has("seed")) {
    uint64_t seed;
    if (!absl::SimpleAtoi(parsed->get("seed"), &seed)) {
      err << "fusesim run: --seed needs a non-negative integer\n";
      return kExitBadInput;
    }
  }
  auto scenario = LoadScenario(parsed->positional[0]);
  if (!scenario.ok()) {
    err << scenario.status().message() << "\n";
    return kExitBadInput;
  }
  const Scenario& s = **scenario;
  auto variants = SelectVariants(s, *parsed, "variant");
  if (!variants.ok()) {
    err << "fusesim run: " << variants.status().message() << "\n";
    return kExitBadInput;
  }
  auto steps_or = StepsFor(s, *parsed);
  if (!steps_or.ok()) {
    err << "fusesim run: " << steps_or.status().message() << "\n";
    return kExitBadInput;
  }
  const std::vector<int>& steps = *steps_or;
  int exit = kExitOk;
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (model::Variant v : *variants) {
    ReplayChooser chooser(steps);
    auto report = Execute(s, v, chooser, opts);
    if (!report.ok()) return ReportError(absl::StrCat(s.file, " [", std::string(model::VariantName(v)), "]"), report.status(), err);
    std::vector<std::string> fails = CheckRun(s, v, *report);
    if (!fails.empty()) exit = kExitFailed;
    if (format == "json") {
      nlohmann::ordered_json j = ReportToJson(*report);
      j["expectations"] = {{"passed", fails.empty()}, {"failures", fails}};
      all.push_back(j);
    } else {
      out << ReportToText(*report);
      if (fails.empty()) {
        out << "  expectations: ok\n";
      } else {
        for (const auto& f : fails) out << "  FAIL " << f << "\n";
      }
    }
  }
  if (format == "json") out << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
  return exit;
}

}  // namespace fusesim::sim
