// fusesim compare SCENARIO|DIR...: the round-trip-savings report.
#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/cli/cli.h"
#include "sim/report/compare.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {

const CommandSpec& CompareSpec() {
  static const CommandSpec kSpec = {
      "compare",
      "DIR|SCENARIO... [options]",
      "round trips, time and correctness per variant (savings report)",
      "See docs/compare.md: latency presets, workloads, the report's columns.",
      {
          VariantsOption("variants to compare (default: each scenario's own)"),
          {"preset", "", "latency model (default local)", 0, {}, {"local", "virtiofs", "nfs", "io-uring"}},
          {"rtt-us", "MICROSECONDS", "transport cost per round trip (overrides the preset's)"},
          FormatOption({"md", "csv", "json", "html"}, "md (default), csv, json or html"),
          OutputOption("write the report to FILE (atomically) instead of stdout"),
          {"jobs", "N", "variants run at once, on threads (default: the machine's cores; the report is the same)"},
      },
  };
  return kSpec;
}

absl::StatusOr<std::vector<std::string>> CollectScenarioFiles(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& p : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".json") found.push_back(it->path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) return absl::InvalidArgumentError(absl::StrCat(p, ": no .json scenarios found"));
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(p, ec)) {
      files.push_back(p);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(p, ": no such file or directory"));
    }
  }
  return files;
}

int CmdCompare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit = kExitOk;
  auto parsed = ParseCommand(CompareSpec(), args, out, err, &exit);
  if (!parsed) return exit;
  if (parsed->positional.empty()) {
    err << "fusesim compare: give scenario files or directories\n";
    return kExitBadInput;
  }
  const std::string format = parsed->get("format", "md");
  auto latency = LatencyPreset(parsed->get("preset", "local"));
  if (!latency.ok()) {
    err << "fusesim compare: --preset: " << latency.status().message() << "\n";
    return kExitBadInput;
  }
  if (parsed->has("rtt-us")) {
    if (!absl::SimpleAtoi(parsed->get("rtt-us"), &latency->rtt_us)) {
      err << "fusesim compare: --rtt-us needs a non-negative integer\n";
      return kExitBadInput;
    }
    latency->source = absl::StrCat(latency->source, "; round trip set to ", latency->rtt_us, " us by --rtt-us");
  }
  auto files = CollectScenarioFiles(parsed->positional);
  if (!files.ok()) {
    err << "fusesim compare: " << files.status().message() << "\n";
    return kExitBadInput;
  }
  Comparison c;
  c.latency = *latency;
  CompareOptions o;
  o.latency = *latency;
  o.latency_overrides_scenario = parsed->has("preset") || parsed->has("rtt-us");
  {
    int64_t jobs = std::max(1u, std::thread::hardware_concurrency());
    if (absl::Status st = IntFlag(*parsed, "jobs", 1, 256, &jobs); !st.ok()) {
      err << "fusesim compare: " << st.message() << "\n";
      return kExitBadInput;
    }
    o.jobs = static_cast<int>(jobs);
  }
  InterruptScope interrupt_scope;
  for (size_t fi = 0; fi < files->size(); ++fi) {
    const std::string& f = (*files)[fi];
    auto s = LoadScenario(f);
    if (!s.ok()) {
      err << s.status().message() << "\n";
      return kExitBadInput;
    }
    if (parsed->has("variants")) {
      auto v = SelectVariants(**s, *parsed);
      if (!v.ok()) {
        err << "fusesim compare: " << v.status().message() << "\n";
        return kExitBadInput;
      }
      o.variants = *v;
    } else {
      o.variants.clear();  // the scenario's own
    }
    auto sc = CompareScenario(**s, o);
    if (!sc.ok()) return ReportError(f, sc.status(), err);
    if (Interrupted()) {  // a partial table would read as a result: none is written
      std::vector<std::string> rest(files->begin() + static_cast<std::ptrdiff_t>(fi), files->end());
      err << "fusesim compare: interrupted; no report written; not compared: " << absl::StrJoin(rest, ", ") << "\n";
      return InterruptedExit();
    }
    c.scenarios.push_back(std::move(*sc));
  }
  Summarize(c);
  std::string text = format == "md"     ? CompareToMarkdown(c)
                     : format == "csv"  ? CompareToCsv(c)
                     : format == "json" ? CompareToJson(c)
                                        : CompareToHtml(c);
  auto st = WriteFileAtomically(parsed->get("output", "-"), text, out);
  if (!st.ok()) {
    err << "fusesim compare: " << st.message() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace fusesim::sim
