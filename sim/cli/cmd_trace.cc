// fusesim trace SCENARIO --variants V: the message sequence of one run.
#include "absl/strings/str_cat.h"
#include "sim/cli/cli.h"
#include "sim/report/trace.h"
#include "sim/scenario/execution.h"

namespace fusesim::sim {

const CommandSpec& TraceSpec() {
  static const CommandSpec kSpec = {
      "trace",
      "SCENARIO [--variants NAME] [options]",
      "the message sequence of one run (Mermaid, text, JSON)",
      "The text form numbers every event with the step it happened in, counted as\n"
      "schedule tokens count them (`b*17,a*13` is steps 1-17 b, 18-30 a).",
      {
          VariantsOption("the variant to trace (required unless the scenario has one)"),
          {"schedule", "TOKEN", "replay this token first (e.g. one printed by explore), then sequential"},
          FormatOption({"mermaid", "text", "json"}, "mermaid (default), text or json"),
          OutputOption("write the trace to FILE (atomically) instead of stdout"),
      },
  };
  return kSpec;
}

int CmdTrace(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit = kExitOk;
  auto cmd = ParseScenarioCommand(TraceSpec(), args, out, err, &exit);
  if (!cmd) return exit;
  const ParsedArgs& a = cmd->args;
  const Scenario& s = *cmd->scenario;
  if (cmd->variants.size() != 1) {
    err << "fusesim trace: give one variant with --variants NAME (the scenario has " << cmd->variants.size() << ")\n";
    return kExitBadInput;
  }
  auto steps = StepsFor(s, a);
  if (!steps.ok()) {
    err << "fusesim trace: " << steps.status().message() << "\n";
    return kExitBadInput;
  }
  ReplayChooser chooser(*steps);
  ExecOptions o;
  o.trace = true;
  auto r = Execute(s, cmd->variants.front(), chooser, o);
  if (!r.ok()) return ReportError(s.file, r.status(), err);
  const std::string format = a.get("format", "mermaid");
  std::string text = format == "mermaid" ? TraceToMermaid(s, *r)
                     : format == "text"  ? TraceToText(*r)
                                         : ReportToJson(*r).dump(2) + "\n";
  auto st = WriteFileAtomically(a.get("output", "-"), text, out);
  if (!st.ok()) {
    err << "fusesim trace: " << st.message() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace fusesim::sim
