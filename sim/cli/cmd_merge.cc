// fusesim merge FILE...: combines the JSON of `explore --shard I/N` runs into
// the result one process gives.
#include <fstream>
#include <sstream>

#include "sim/cli/cli.h"
#include "sim/report/explore_report.h"

namespace fusesim::sim {

const CommandSpec& MergeSpec() {
  static const CommandSpec kSpec = {
      "merge",
      "SHARD.json... [options]",
      "combine the JSON of `explore --shard I/N` runs",
      "",
      {OutputOption("write the merged JSON to FILE (atomically) instead of stdout")},
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
    parts.push_back(std::move(j));
  }
  auto merged = MergeExploreJson(parts);
  if (!merged.ok()) {
    err << "fusesim merge: " << merged.status().message() << "\n";
    return kExitBadInput;
  }
  auto st = WriteFileAtomically(parsed->get("output", "-"), merged->dump(2) + "\n", out);
  if (!st.ok()) {
    err << "fusesim merge: " << st.message() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace fusesim::sim
