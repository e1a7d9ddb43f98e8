// Loads and validates a scenario file (docs/scenario-format.md).
//
// Every error names the file, line:column and JSON pointer of the offending
// value, and, for unknown names, lists the valid ones:
//   scenarios/x.json:12:15: /threads/0/ops/1/op: unknown op "opne"; valid: open, ...
// Loading never aborts or throws; input limits (kLimits) are checked and
// reported the same way.
#ifndef FUSESIM_SIM_SCENARIO_SCENARIO_LOADER_H_
#define FUSESIM_SIM_SCENARIO_SCENARIO_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

struct LoaderLimits {
  size_t max_file_bytes = size_t{1} << 30;  // 1 GiB: about 9 M creates, loaded in a few GB
  int max_json_depth = 32;
  int max_mounts = 16;
  int max_threads = 256;
  int max_ops = 10000000;
  int max_path_components = 64;
  size_t max_path_bytes = 4095;  // PATH_MAX - 1
};
inline constexpr LoaderLimits kLimits{};

// Parses text (named `file` in messages).
absl::StatusOr<std::unique_ptr<Scenario>> ParseScenario(const std::string& text, const std::string& file,
                                                        const LoaderLimits& limits = kLimits);
// Reads and parses a file.
absl::StatusOr<std::unique_ptr<Scenario>> LoadScenario(const std::string& file, const LoaderLimits& limits = kLimits);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_SCENARIO_LOADER_H_
