// The same create workload on a real FUSE mount, side by side with
// BM_FileToJsonReport (simulate_bench.cc) in one run: the oracle's server
// (oracle/fuse_server.h, libfuse3, an in-memory namespace) on /dev/fuse,
// open(O_CREAT|O_WRONLY) + close of N new files spread over 20 directories,
// as the scenario of BM_FileToJsonReport does. Skipped where FUSE cannot be
// mounted (no /dev/fuse, not root). docs/performance.md states the ratio.
#ifdef FUSESIM_HAVE_ORACLE

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "oracle/fuse_server.h"

namespace fusesim::oracle {
namespace {

void BM_RealMountCreates(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  constexpr int kDirs = 20;
  char base[] = "/tmp/fusesim-bench-XXXXXX";
  if (mkdtemp(base) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string mp = std::string(base) + "/m0";
  mkdir(mp.c_str(), 0755);
  int64_t creates = 0;
  int round = 0;
  {
    auto ns = std::make_shared<Namespace>(model::ServerConfig{}, model::NameTable{}, 1);
    auto log = std::make_shared<RequestLog>();
    MountOptions mo;
    mo.timeouts.entry_us = mo.timeouts.attr_us = mo.timeouts.negative_us = 1000000;
    FuseServer server(ns, log, 0, mo);
    if (absl::Status st = server.Mount(mp); !st.ok()) {
      rmdir(mp.c_str());
      rmdir(base);
      state.SkipWithError(absl::StrCat("cannot mount FUSE here: ", st.message()).c_str());
      return;
    }
    for (auto _ : state) {
      // Fresh directories each round: every create is of a new name.
      state.PauseTiming();
      const std::string top = absl::StrCat(mp, "/r", round++);
      mkdir(top.c_str(), 0755);
      for (int d = 0; d < kDirs; ++d) mkdir(absl::StrCat(top, "/d", d).c_str(), 0755);
      state.ResumeTiming();
      for (int i = 0; i < n; ++i) {
        const int fd = open(absl::StrCat(top, "/d", i % kDirs, "/f", i).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) {
          state.SkipWithError("open failed on the real mount");
          break;
        }
        close(fd);
      }
      creates += n;
    }
    (void)server.Unmount();
  }
  rmdir(mp.c_str());
  rmdir(base);
  state.counters["creates/s"] = benchmark::Counter(static_cast<double>(creates), benchmark::Counter::kIsRate);
  state.counters["syscalls/s"] = benchmark::Counter(static_cast<double>(2 * creates), benchmark::Counter::kIsRate);
  state.SetLabel(absl::StrCat(n, " creates on /dev/fuse, libfuse3 in-memory server"));
}
// Wall time: the work is in the kernel and the server's thread.
BENCHMARK(BM_RealMountCreates)->Arg(20000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace fusesim::oracle

#endif  // FUSESIM_HAVE_ORACLE
