// The scenarios bundled in scenarios/, for tests that run over the corpus.
#ifndef FUSESIM_TESTS_BUNDLED_SCENARIOS_H_
#define FUSESIM_TESTS_BUNDLED_SCENARIOS_H_

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace fusesim::testing {

// Every scenarios/*.json of the source tree, sorted by path so that a test's
// order (and its failure messages) do not depend on the directory's order.
inline std::vector<std::string> BundledScenarios() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(FUSESIM_SOURCE_DIR) + "/scenarios"))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace fusesim::testing

#endif  // FUSESIM_TESTS_BUNDLED_SCENARIOS_H_
