// fusesim check DIR|SCENARIO...: the CI entry point.
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "sim/cli/cli.h"
#include "sim/scenario/check.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {

const CommandSpec& CheckSpec() {
  static const CommandSpec kSpec = {
      "check",
      "DIR|SCENARIO... [options]",
      "run every scenario's expectations (the CI entry point)",
      "Runs or explores each scenario as its schedule says and prints one PASS or\n"
      "FAIL line per scenario and variant, then the totals.",
      {
          VariantsOption("check only these variants (default: each scenario's)"),
          {"junit", "FILE", "also write JUnit XML to FILE"},
      },
  };
  return kSpec;
}

namespace {

std::string XmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

struct Case {
  std::string file, name, variant;
  bool passed;
  bool error;  // bad input
  std::vector<std::string> messages;
};

}  // namespace

int CmdCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit = kExitOk;
  auto parsed = ParseCommand(CheckSpec(), args, out, err, &exit);
  if (!parsed) return exit;
  if (parsed->positional.empty()) {
    err << "fusesim check: give scenario files or directories\n";
    return kExitBadInput;
  }
  auto collected = CollectScenarioFiles(parsed->positional);
  if (!collected.ok()) {
    err << "fusesim check: " << collected.status().message() << "\n";
    return kExitBadInput;
  }
  const std::vector<std::string>& files = *collected;
  std::vector<Case> cases;
  int passed = 0, failed = 0;
  bool bad_input = false, internal = false;
  std::vector<std::string> not_checked;  // after an interrupt: "FILE [VARIANT]" or "FILE"
  InterruptScope interrupt_scope;
  for (const std::string& f : files) {
    if (Interrupted()) {
      not_checked.push_back(f);
      continue;
    }
    auto sc = LoadScenario(f);
    if (!sc.ok()) {
      err << sc.status().message() << "\n";
      out << "FAIL " << f << " (bad input: " << sc.status().message() << ")\n";
      cases.push_back({f, f, "", false, true, {std::string(sc.status().message())}});
      bad_input = true;
      ++failed;
      continue;
    }
    const Scenario& s = **sc;
    auto variants = SelectVariants(s, *parsed);
    if (!variants.ok()) {
      err << "fusesim check: " << variants.status().message() << "\n";
      return kExitBadInput;
    }
    for (model::Variant v : *variants) {
      const std::string vname(model::VariantName(v));
      if (Interrupted()) {
        not_checked.push_back(absl::StrCat(f, " [", vname, "]"));
        continue;
      }
      auto verdict = CheckScenario(s, v);
      if (!verdict.ok()) {
        const int code = ReportError(absl::StrCat(f, " [", vname, "]"), verdict.status(), err);
        cases.push_back({f, s.name, vname, false, true, {std::string(verdict.status().message())}});
        (code == kExitInternal ? internal : bad_input) = true;
        ++failed;
        continue;
      }
      if (Interrupted()) {  // an exploration the signal cut: no verdict
        not_checked.push_back(absl::StrCat(f, " [", vname, "] (interrupted while checking)"));
        continue;
      }
      // --variants overrides the scenario's own list; the line says so.
      const bool forced = std::find(s.variants.begin(), s.variants.end(), v) == s.variants.end();
      const std::string summary =
          forced ? absl::StrCat(verdict->summary, "; not in the scenario's variants, run because --variants asks")
                 : verdict->summary;
      if (verdict->passed) {
        ++passed;
        out << absl::StrFormat("PASS %s [%s] (%s)\n", s.name, vname, summary);
      } else {
        ++failed;
        out << absl::StrFormat("FAIL %s [%s] (%s)\n", s.name, vname, summary);
        for (const auto& m : verdict->failures) out << "    " << f << ": " << m << "\n";
      }
      out.flush();  // one line per case as it is judged, also into a pipe
      cases.push_back({f, s.name, vname, verdict->passed, false, verdict->failures});
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  if (Interrupted()) out << "interrupted: not checked: " << absl::StrJoin(not_checked, ", ") << "\n";
  if (parsed->has("junit")) {
    std::string xml = absl::StrFormat(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"fusesim\" tests=\"%d\" "
        "failures=\"%d\">\n",
        passed + failed, failed);
    for (const Case& c : cases) {
      absl::StrAppendFormat(&xml, "  <testcase classname=\"%s\" name=\"%s\"", XmlEscape(c.name),
                            XmlEscape(c.variant.empty() ? "load" : c.variant));
      if (c.passed) {
        xml += "/>\n";
      } else {
        std::string msg;
        for (const auto& m : c.messages) msg += m + "\n";
        absl::StrAppendFormat(&xml, ">\n    <failure message=\"%s\">%s</failure>\n  </testcase>\n",
                              c.error ? "bad input" : "expectation failed", XmlEscape(msg));
      }
    }
    xml += "</testsuite>\n</testsuites>\n";
    auto st = WriteFileAtomically(parsed->get("junit"), xml, out);
    if (!st.ok()) {
      err << "fusesim check: --junit: " << st.message() << "\n";
      return kExitBadInput;
    }
  }
  if (Interrupted()) return InterruptedExit();
  if (internal) return kExitInternal;
  if (bad_input) return kExitBadInput;
  return failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace fusesim::sim
