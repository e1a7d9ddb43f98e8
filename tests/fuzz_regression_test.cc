// Every input under tests/fuzz_regressions/ once crashed, hung or leaked in a
// fuzz target (fuzz/, docs/reliability.md). Each is replayed here through the
// same code the targets run (fuzz/fuzz_run.h): ParseScenario with the default
// limits, then, if it loads and is within the run bounds, Execute per variant
// and Explore (DPOR). Passing means nothing crashed; under `make asan` it also
// means no sanitizer report. With no files the test passes trivially.
//
// Files are stored as the scenario text the target loaded (for the structured
// mode of run_fuzz, the JSON it prints with FUSESIM_FUZZ_PRINT=1).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_run.h"
#include "gtest/gtest.h"

namespace fusesim::fuzz {
namespace {

std::vector<std::filesystem::path> RegressionFiles() {
  const std::filesystem::path dir = std::filesystem::path(FUSESIM_SOURCE_DIR) / "tests" / "fuzz_regressions";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FuzzRegression, EveryFileReplays) {
  for (const auto& file : RegressionFiles()) {
    SCOPED_TRACE(file.string());
    const std::string text = ReadFile(file);
    const auto start = std::chrono::steady_clock::now();
    RunSummary load = LoadOnly(text);
    RunSummary run = LoadAndRun(text);
    EXPECT_EQ(run.internal_error, "") << "a fault of fusesim (exit 3)";
    // Loading is deterministic: both paths agree.
    EXPECT_EQ(load.loaded, run.loaded);
    EXPECT_EQ(load.error, run.error);
    // A hang is a failure too (generous: sanitizers and a loaded CI machine).
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 10.0);
  }
}

// The replay itself: an input that does not load reports why; one that loads
// within the bounds is executed and explored.
TEST(FuzzRegression, HarnessRunsWhatLoads) {
  RunSummary bad = LoadAndRun("{");
  EXPECT_FALSE(bad.loaded);
  EXPECT_NE(bad.error.find("fuzz.json:"), std::string::npos) << bad.error;

  RunSummary good = LoadAndRun(R"({"name": "t", "server": {"tree": ["/d/"]},
    "threads": [{"name": "a", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY"}]},
                {"name": "b", "ops": [{"op": "stat", "path": "/d/f"}]}]})");
  EXPECT_TRUE(good.loaded) << good.error;
  EXPECT_TRUE(good.executed);
  EXPECT_TRUE(good.explored);
}

// Found by loader_fuzz (tests/fuzz_regressions/loader-number-overflow-406):
// nlohmann throws out_of_range, not parse_error, for a number beyond a double;
// ParseScenario let it escape and `fusesim run` aborted instead of exiting 2.
TEST(FuzzRegression, NumberOverflowIsALoadError) {
  auto s = sim::ParseScenario(
      "{\"name\": \"x\",\n \"threads\": [{\"name\": \"t\", \"ops\": [{\"op\": \"sleep\", \"ms\": 1e400}]}]}", "x.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.status().message()), "x.json:2:58: /threads/0/ops/0/ms: number overflow parsing '1e400'");
  EXPECT_FALSE(LoadOnly("88888889e8388\"op   t..2 }\n}\n").loaded);
}

}  // namespace
}  // namespace fusesim::fuzz
