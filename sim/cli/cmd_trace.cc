// fusesim trace SCENARIO --variant V: the message sequence of one run.
#include "absl/strings/str_cat.h"
#include "sim/cli/cli.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"
#include "sim/report/trace.h"

namespace fusesim::sim {
namespace {

const std::vector<OptionSpec> kTraceOptions = {
    {"variant", true, "the variant to trace (required unless the scenario has one)"},
    {"schedule", true, "replay this token first (e.g. one printed by explore), then sequential"},
    {"format", true, "mermaid (default), text or json"},
    {"o", true, "write to this file (atomically) instead of stdout"},
    {"help", false, "this text"},
};

}  // namespace

int CmdTrace(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> a = args;
  for (auto& x : a)
    if (x == "-o") x = "--o";
  auto parsed = ParseArgs(a, kTraceOptions);
  if (!parsed.ok()) {
    err << "fusesim trace: " << parsed.status().message() << "\n" << OptionsHelp(kTraceOptions);
    return kExitBadInput;
  }
  if (parsed->has("help")) {
    out << "usage: fusesim trace SCENARIO --variant V [options]\n" << OptionsHelp(kTraceOptions);
    return kExitOk;
  }
  if (parsed->positional.size() != 1) {
    err << "fusesim trace: give exactly one scenario file\n";
    return kExitBadInput;
  }
  const std::string format = parsed->get("format", "mermaid");
  if (format != "mermaid" && format != "text" && format != "json") {
    err << "fusesim trace: --format must be mermaid, text or json\n";
    return kExitBadInput;
  }
  auto scenario = LoadScenario(parsed->positional[0]);
  if (!scenario.ok()) {
    err << scenario.status().message() << "\n";
    return kExitBadInput;
  }
  const Scenario& s = **scenario;
  auto variants = SelectVariants(s, *parsed, "variant");
  if (!variants.ok() || variants->size() != 1) {
    err << "fusesim trace: " << (variants.ok() ? "give one --variant" : std::string(variants.status().message())) << "\n";
    return kExitBadInput;
  }
  auto steps = StepsFor(s, *parsed);
  if (!steps.ok()) {
    err << "fusesim trace: " << steps.status().message() << "\n";
    return kExitBadInput;
  }
  ReplayChooser chooser(*steps);
  ExecOptions o;
  o.trace = true;
  auto r = Execute(s, variants->front(), chooser, o);
  if (!r.ok()) return ReportError(s.file, r.status(), err);
  std::string text = format == "mermaid" ? TraceToMermaid(s, *r)
                     : format == "text"  ? TraceToText(*r)
                                         : ReportToJson(*r).dump(2) + "\n";
  auto st = WriteFileAtomically(parsed->get("o", "-"), text, out);
  if (!st.ok()) {
    err << "fusesim trace: " << st.message() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace fusesim::sim
