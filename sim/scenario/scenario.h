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
#include <memory>
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

// The fields few ops have, out of line: an op without any of them holds a
// null pointer (OpSpec::rare_), not the empty strings and vectors.
struct OpSpecRare {
  std::string to;                         // rename, link: the second path, as written
  std::vector<model::NameId> to_ids;      // its components
  std::string target;                     // symlink: the target, as written
  std::vector<model::NameId> target_ids;  // its components ("." and ".." kept)
  std::string at;                         // open: fd label of the directory a relative path starts at
  std::vector<int> after;                 // global op indices that must complete first
  uint64_t size = 0;                      // truncate
  uint64_t sleep_us = 0;                  // sleep
};

// One op of a thread. Kept small (a scenario of a million creates holds two
// million of them): the path as written and its interned components, the fd
// label, and scalars inline; the flags as written and the thread's name
// shared with the other ops that have them; the rare fields (OpSpecRare) out
// of line, null when the op has none. The label ("t1.0") is made on demand
// from the thread's name and the op's index. Immutable once loaded; copies
// share the out-of-line parts.
struct OpSpec {
  std::vector<model::NameId> path_ids;
  std::string path;  // as written
  std::string fd;    // open: label to bind; close: label to close
  uint32_t flags = 0;
  uint32_t mode = 0644;
  int mount = 0;   // notify_*: the mount notified
  int global = 0;  // index in Scenario::ops
  int index = 0;   // index in the thread
  OpKind kind = OpKind::kStat;
  bool target_abs = false;  // symlink: the target starts with /
  bool nofollow = false;    // stat: lstat(2)
  bool relative = false;    // open with `at`: path does not start with /

  // "t1.0": the thread's name, a dot, the index in the thread.
  std::string label() const;
  // open: the flags as written ("O_RDONLY" when not given).
  const std::string& flags_text() const { return flags_text_ ? *flags_text_ : Empty(); }
  const std::string& to() const { return rare_ ? rare_->to : Empty(); }
  const std::vector<model::NameId>& to_ids() const { return rare_ ? rare_->to_ids : EmptyIds(); }
  const std::string& target() const { return rare_ ? rare_->target : Empty(); }
  const std::vector<model::NameId>& target_ids() const { return rare_ ? rare_->target_ids : EmptyIds(); }
  const std::string& at() const { return rare_ ? rare_->at : Empty(); }
  const std::vector<int>& after() const { return rare_ ? rare_->after : EmptyInts(); }
  uint64_t size() const { return rare_ ? rare_->size : 0; }
  uint64_t sleep_us() const { return rare_ ? rare_->sleep_us : 0; }

  // For the loader: set once, before the scenario is shared.
  OpSpecRare& MutableRare() {
    if (!rare_) rare_ = std::make_shared<OpSpecRare>();
    return *rare_;
  }
  void SetFlagsText(std::shared_ptr<const std::string> text) { flags_text_ = std::move(text); }
  void SetThreadName(std::shared_ptr<const std::string> name) { thread_name_ = std::move(name); }

 private:
  static const std::string& Empty();
  static const std::vector<model::NameId>& EmptyIds();
  static const std::vector<int>& EmptyInts();

  std::shared_ptr<const std::string> flags_text_;
  std::shared_ptr<const std::string> thread_name_;
  std::shared_ptr<OpSpecRare> rare_;
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
