// Parametric workloads: a "workload" block in a scenario expands into the
// server's tree and the threads' ops, deterministically for a given seed.
//
//   {"name": "extract", "workload": {"kind": "archive", "files": 10000, "dirs": 100}}
//
// Kinds (each models what a real program does, syscall by syscall):
//   archive   extract N files into D directories, cold cache: mkdir each
//             directory, then open(O_WRONLY|O_CREAT|O_EXCL) + close per file
//             (GNU tar's extraction), K threads sharing the files;
//   rebuild   a build that re-creates its outputs: open(O_WRONLY|O_CREAT|
//             O_TRUNC) + close per file, a share `existing` of them already
//             present on the server;
//   mkdirp    mkdir -p of chains `depth` deep, then a create at the end;
//   storm     K threads creating N files, all in one directory (`dirs`: 1)
//             or each in its own (`dirs` = threads);
//   nfs       two clients (mounts m0, m1) creating N files in the same D
//             directories, half the names shared, one thread each;
//   git-checkout  git checking out N entries (files, executables, symlinks)
//             into D directories: lstat, mkdir of new directories, unlink of
//             the old version, open(O_WRONLY|O_CREAT|O_EXCL) or symlink;
//   tar       GNU tar x with hard links (link(2) to a member extracted
//             earlier) and symlinks;
//   cp-a      cp -a of a tree: listings, lstat, mkdir, open(O_CREAT|O_EXCL),
//             chmod, readlink + symlink;
//   ls-create ls -l of a directory (listing, lstat of every entry), then
//             creating in it; the mounts' readdirplus decides the cost;
//   include-search  compilers searching include paths: open of each header
//             in each -I directory until found (negative lookups);
//   mdtest    mdtest's create/stat/remove phases, threads in one directory.
// Knobs: files, dirs, threads, depth, existing (0..1), seed for the first
// five; each program kind has its own list (docs/scenario-format.md,
// Workloads); the scenario's own "mounts" (timeouts, kernel, readdirplus) and
// "server" (unsupported, ...) apply.
#ifndef FUSESIM_SIM_SCENARIO_WORKLOAD_H_
#define FUSESIM_SIM_SCENARIO_WORKLOAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fusesim::sim {

struct WorkloadLimits {
  int64_t max_files = 1000000;
  int64_t max_dirs = 100000;
  int64_t max_threads = 256;
  int64_t max_depth = 32;
  // Checked before expanding: the expansion is a DOM of about 1 KB per op,
  // so this bounds a 60-byte block's cost near 2.5 GB. A 1,000,000-file
  // archive (2,001,000 ops, 2.1 GB at peak) fits; the loader itself takes
  // up to 10,000,000 ops from a file.
  int64_t max_ops = 2500000;
};

// Expands root["workload"] into root["server"]["tree"] and root["threads"]
// (which must be absent). Errors name the JSON pointer of the bad value as
// "/workload/KEY: message".
absl::Status ExpandWorkload(nlohmann::json& root, const WorkloadLimits& limits = {});

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_WORKLOAD_H_
