// A scenario as loaded from JSON (docs/scenario-format.md): mounts, the
// server's initial tree and behaviour, threads and their ops, the schedule,
// and the expectations per variant.
//
// A Scenario is immutable once loaded and is shared by every execution of it.
// Paths are kept both as written (for reports) and as interned components.
#ifndef FUSESIM_SIM_SCENARIO_SCENARIO_H_
#define FUSESIM_SIM_SCENARIO_SCENARIO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/errno.h"
#include "model/mount.h"
#include "model/names.h"
#include "model/opcode.h"
#include "model/server.h"
#include "model/variant.h"

namespace fusesim::sim {

enum class OpKind : uint8_t {
  // Kernel-side syscalls.
  kOpen,
  kClose,
  kStat,
  kUnlink,
  kMkdir,
  kRmdir,
  kRename,
  kSleep,
  kDropCaches,
  kSymlink,
  kReadlink,
  kLink,
  kChmod,
  kTruncate,
  kReaddir,
  // Server-side ops (another client of the file system).
  kServerCreate,
  kServerUnlink,
  kServerMkdir,
  kServerRmdir,
  kServerRename,
  kServerSleep,
  kServerSymlink,
  kServerLink,
  kServerChmod,
  // Notifications from the server to one mount (`mount`).
  kNotifyInvalEntry,
  kNotifyInvalInode,
  kNotifyDelete,
  kNotifyIncEpoch,
};

struct OpSpec {
  OpKind kind = OpKind::kStat;
  std::string path, to;
  std::vector<model::NameId> path_ids, to_ids;
  uint32_t flags = 0;
  std::string flags_text;  // as written
  uint32_t mode = 0644;
  std::string target;                     // symlink: the target, as written
  std::vector<model::NameId> target_ids;  // its components ("." and ".." kept)
  bool target_abs = false;                // it starts with /
  bool nofollow = false;                  // stat: lstat(2)
  uint64_t size = 0;                      // truncate
  std::string at;                         // open: fd label of the directory a relative path starts at
  bool relative = false;                  // open with `at`: path does not start with /
  int mount = 0;                          // notify_*: the mount notified
  std::string fd;                         // open: label to bind; close: label to close
  uint64_t sleep_us = 0;
  std::vector<int> after;  // global op indices that must complete first
  int global = 0;          // index in Scenario::ops
  std::string label;       // "t1.0"
};

struct ThreadSpec {
  std::string name;
  int mount = 0;
  bool server_side = false;
  std::vector<OpSpec> ops;
};

struct ScheduleSpec {
  enum class Mode { kSequential, kReplay, kRandom, kPct, kExplore };
  Mode mode = Mode::kSequential;
  std::vector<std::string> steps;  // replay
  uint64_t seed = 1;
  int64_t runs = 1000;
  int depth = 3;
  int max_preemptions = -1;  // -1: unbounded
  int64_t max_schedules = -1;
};

// An expected op result: "ok", "ok+created", "ok+existing", an errno name,
// "BUG", "hung" or "not-run".
struct ExpectedResult {
  std::string result;
};

struct Expectation {
  // Each alternative is a full map of expected counts; any one must match.
  std::vector<std::map<model::Opcode, int>> requests;
  std::optional<int> round_trips;
  // requests_per_op: op label -> acceptable ordered opcode lists (several
  // with any_of). The token "FORGET*" matches one or more FORGET or
  // BATCH_FORGET requests in a row, however the kernel batched them.
  std::map<std::string, std::vector<std::vector<std::string>>> requests_per_op;
  // op label -> acceptable results (several with any_of).
  std::map<std::string, std::vector<std::string>> results;
  std::map<std::string, std::string> dentries;  // "m0:/d/f" -> state
  bool invariants_hold = false;
  std::optional<std::vector<std::string>> violations;
  std::optional<bool> deadlock;
  std::optional<int> outcomes;
  std::optional<int> dir_changed;
  std::optional<int> spurious_dir_changed;
  std::string pointer;  // JSON pointer of this block, for messages
};

struct Scenario {
  std::string file;  // as given on the command line
  std::string name;
  std::string description;
  std::vector<model::Variant> variants;
  bool variants_given = false;
  std::vector<model::MountConfig> mounts;
  model::ServerConfig server;
  struct TreeEntry {
    std::string path;
    std::vector<model::NameId> ids;
    bool is_dir;
  };
  std::vector<TreeEntry> tree;
  std::vector<ThreadSpec> threads;
  ScheduleSpec schedule;
  std::map<std::string, Expectation> expect;  // variant name or "all"
  model::NameTable names;
  // Every op by global index: (thread, index in thread).
  std::vector<std::pair<int, int>> ops;
  const OpSpec& op(int global) const { return threads[ops[global].first].ops[ops[global].second]; }
  // Every path the scenario names (tree and ops), sorted, for the dentries
  // report; path_ids[i] are the interned components of paths[i].
  std::vector<std::string> paths;
  std::vector<std::vector<model::NameId>> path_ids;
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_SCENARIO_H_
