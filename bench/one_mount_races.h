// The races on one mount that the exploration benchmarks share, as scenario
// text: n threads open(O_CREAT) one name (default timeouts), and two threads
// open(O_CREAT) in two directories.
#ifndef FUSESIM_BENCH_ONE_MOUNT_RACES_H_
#define FUSESIM_BENCH_ONE_MOUNT_RACES_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace fusesim::sim {

inline std::string SameNameRace(int n) {
  std::string threads;
  for (int i = 1; i <= n; ++i)
    absl::StrAppend(&threads, i > 1 ? ", " : "", R"({"name": "t)", i,
                    R"(", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]})");
  return absl::StrCat(R"({"name": "same-name-)", n, R"(", "mounts": [{"name": "m0"}], "threads": [)", threads, "]}");
}

inline constexpr char kTwoDirsRace[] =
    R"({"name": "two-dirs", "mounts": [{"name": "m0"}], "server": {"tree": ["/d/", "/e/"]},
        "threads": [{"name": "a", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY"}]},
                    {"name": "b", "ops": [{"op": "open", "path": "/e/f", "flags": "O_CREAT|O_WRONLY"}]}]})";

}  // namespace fusesim::sim

#endif  // FUSESIM_BENCH_ONE_MOUNT_RACES_H_
