// fusesim merge FILE...: combines the JSON of `explore --shard I/N` runs into
// the result one process gives; with --scenario, judges it against the
// scenario's expectations as `explore` judges a run of its own.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/variant.h"
#include "sim/cli/cli.h"
#include "sim/report/explore_report.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {

const CommandSpec& MergeSpec() {
  static const CommandSpec kSpec = {
      "merge",
      "SHARD.json... [options]",
      "combine the JSON of `explore --shard I/N` runs",
      "Each shard judges only what its part of the space can refute (every schedule's\n"
      "fields, a violation or deadlock the scenario does not expect). With --scenario,\n"
      "merge replays each merged outcome's schedule and judges the whole as `explore`\n"
      "judges one run: \"expectations\" in the JSON, a line per variant on stderr, and\n"
      "the exit code of `explore` (1 failed, 4 the shards were cut by a bound).\n"
      "Without it the merged JSON has no \"expectations\".",
      {OutputOption("write the merged JSON to FILE (atomically) instead of stdout"),
       {"scenario", "FILE", "judge the merged result against FILE's expectations (the scenario the shards explored)"}},
  };
  return kSpec;
}

int CmdMerge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int exit = kExitOk;
  auto parsed = ParseCommand(MergeSpec(), args, out, err, &exit);
  if (!parsed) return exit;
  if (parsed->positional.empty()) {
    err << "fusesim merge: give the JSON files of `fusesim explore --shard I/N --format json`\n";
    return kExitBadInput;
  }
  std::vector<nlohmann::ordered_json> parts;
  for (const std::string& f : parsed->positional) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      err << "fusesim merge: " << f << ": cannot open\n";
      return kExitBadInput;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::ordered_json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      err << "fusesim merge: " << f << ": not JSON\n";
      return kExitBadInput;
    }
    if (auto shape = CheckExploreJsonShape(j); !shape.ok()) {
      err << "fusesim merge: " << f << ": " << shape.message() << "\n";
      return kExitBadInput;
    }
    parts.push_back(std::move(j));
  }
  auto merged = MergeExploreJson(parts);
  if (!merged.ok()) {
    err << "fusesim merge: " << merged.status().message() << "\n";
    return kExitBadInput;
  }
  if (parsed->has("scenario")) {
    auto s = LoadScenario(parsed->get("scenario"));
    if (!s.ok()) return ReportError("fusesim merge: --scenario", s.status(), err);
    std::vector<nlohmann::ordered_json*> each;
    if (merged->is_array()) {
      for (auto& x : *merged) each.push_back(&x);
    } else {
      each.push_back(&*merged);
    }
    for (nlohmann::ordered_json* run : each) {
      const std::string name = run->value("variant", "");
      const auto v = model::ParseVariant(name);
      if (!v) {
        err << "fusesim merge: unknown variant \"" << name << "\"\n";
        return kExitBadInput;
      }
      const bool whole = run->value("complete", false);
      auto fails = JudgeExploreJson(**s, *v, *run, /*whole_space=*/whole);
      if (!fails.ok()) return ReportError(absl::StrCat("fusesim merge: ", (*s)->file), fails.status(), err);
      (*run)["expectations"] = ExpectationsJson(*fails, whole);
      err << (*s)->name << " [" << name << "]: ";
      if (!fails->empty()) {
        exit = WorseExit(exit, kExitFailed);
        err << "FAIL\n";
        for (const auto& f : *fails) err << "  FAIL " << f << "\n";
      } else if (whole) {
        err << "expectations: ok\n";
      } else {
        exit = WorseExit(exit, kExitIncomplete);
        err << "expectations: not proven: none failed, but the shards were cut short ("
            << absl::StrJoin((*run)["bounds_hit"].get<std::vector<std::string>>(), ", ") << ")\n";
      }
    }
  }
  auto st = WriteFileAtomically(parsed->get("output", "-"), merged->dump(2) + "\n", out);
  if (!st.ok()) {
    err << "fusesim merge: " << st.message() << "\n";
    return kExitBadInput;
  }
  return exit;
}

}  // namespace fusesim::sim
