// Tests of oracle/isolation.h: a `fusesim oracle` killed with SIGKILL leaves
// no mount behind (its mounts live in a private mount namespace), and the
// next run removes the directory it left. Needs root and /dev/fuse (the
// oracle's own requirements); skipped elsewhere.
#include "gtest/gtest.h"

#ifdef FUSESIM_HAVE_ORACLE

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "oracle/isolation.h"

namespace fusesim::oracle {
namespace {

std::set<std::string> RunDirectories() {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/tmp"))
    if (absl::StartsWith(e.path().string(), kTempPrefix)) out.insert(e.path().string());
  return out;
}

bool AnyMountBelow(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + dir + "/") != std::string::npos) return true;
  return false;
}

TEST(OracleIsolation, SigkillLeavesNoMountAndTheNextRunCleansUp) {
  if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "needs root and /dev/fuse";
  // A scenario that keeps its mount for a while: create, then sleep 20 s.
  const std::string file = absl::StrCat(testing::TempDir(), "/slow.json");
  std::ofstream(file) << R"({"name": "slow", "threads": [{"name": "t1", "ops": [
      {"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
      {"op": "sleep", "ms": 20000}, {"op": "close", "fd": "a"}]}]})";
  const std::set<std::string> before = RunDirectories();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(FUSESIM_BINARY, FUSESIM_BINARY, "oracle", file.c_str(), "--watchdog-ms", "60000", nullptr);
    _exit(127);
  }
  // Wait until its run directory and mountpoint exist and the create is done.
  std::string dir;
  for (int i = 0; i < 200 && dir.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const std::string& d : RunDirectories())
      if (!before.count(d) && std::filesystem::exists(d + "/m0")) dir = d;
  }
  ASSERT_FALSE(dir.empty()) << "the oracle made no run directory";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(pid, SIGKILL);
  // It must die within seconds (a hang in FLUSH is what the reaper ends);
  // never wait forever.
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 300 && done == 0; ++i) {
    done = waitpid(pid, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(done, pid) << "the killed oracle did not exit within 30 s: its connection was not aborted";
  ASSERT_TRUE(WIFSIGNALED(status));
  // Nothing mounted below its directory here, and the directory is stale.
  EXPECT_FALSE(AnyMountBelow(dir));
  ASSERT_TRUE(std::filesystem::exists(dir));
  struct stat st;
  EXPECT_EQ(stat((dir + "/m0").c_str(), &st), 0) << "the mountpoint is not a dead FUSE mount (ENOTCONN)";
  // The next run's clean-up removes it (its lock is free).
  EXPECT_GE(CleanStaleRuns(), 1);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(OracleIsolation, ALiveRunsDirectoryIsKept) {
  const std::string dir = absl::StrCat(kTempPrefix, "test-live-", getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const int fd = LockRunDirectory(dir);
  ASSERT_GE(fd, 0);
  CleanStaleRuns();
  EXPECT_TRUE(std::filesystem::exists(dir)) << "a locked directory belongs to a live run";
  close(fd);
  CleanStaleRuns();
  EXPECT_FALSE(std::filesystem::exists(dir)) << "once the lock is free the directory is stale";
}

// Runs share the machine lock; a run that drops caches waits for the others
// and keeps them out.
TEST(OracleIsolation, DropCachesRunsExcludeTheOthers) {
  auto shared = std::make_unique<MachineLock>(false);
  { MachineLock another_shared(false); }  // shared with shared: no wait
  std::atomic<bool> got{false};
  std::thread dropper([&got] {
    MachineLock exclusive(true);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(got.load()) << "an exclusive holder ran beside a shared one";
  shared.reset();
  dropper.join();
  EXPECT_TRUE(got.load());
}

}  // namespace
}  // namespace fusesim::oracle

#endif  // FUSESIM_HAVE_ORACLE
