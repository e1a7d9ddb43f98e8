// Everything one execution of a scenario mutates: the server, the mounts, the
// record of each scenario op, and what the run observed (request counts,
// fuse_dir_changed calls, violations, an optional trace).
//
// A World is built fresh for every schedule, so a run is a pure function of
// (scenario, variant, schedule).
#ifndef FUSESIM_MODEL_WORLD_H_
#define FUSESIM_MODEL_WORLD_H_

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"

#include "model/errno.h"
#include "model/mount.h"
#include "model/names.h"
#include "model/opcode.h"
#include "model/server.h"
#include "model/variant.h"
#include "sim/engine/runtime.h"

namespace fusesim::model {

// One op's state during a run, indexed by the op's number (World::ops).
// Small: a run of a million ops holds a million of these. Its name ("t1.0")
// is not kept; World::op_label gives it when a violation needs it.
struct OpRecord {
  int actor = -1;
  bool started = false;
  bool done = false;
  bool bug = false;
  Err err = Err::kOk;
  bool is_open = false;
  bool created = false;                     // FMODE_CREATED of a successful open
  bool server_created = false;              // a request of this op created the file opened
  absl::InlinedVector<Opcode, 6> requests;  // usually a few: no allocation
  int round_trips = 0;
  sim::Completion completion;
};

struct Violation {
  std::string invariant;
  std::string detail;
  std::string op;  // "t1.0" or ""
};

struct TraceEvent {
  int actor;
  std::string kind;  // syscall, request, reply, async, dentry, wait, violation
  std::string text;
};

class World {
 public:
  World(const NameTable* names, const ServerConfig& server, int num_mounts, Variant variant)
      : names(names), server(server, num_mounts), variant(variant) {
    this->server.set_names(names);
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  Mount& AddMount(const MountConfig& config) {
    int index = static_cast<int>(mounts.size());
    mounts.push_back(std::make_unique<Mount>(index, config, [this](const std::string& inv, const std::string& detail) {
      AddViolation(inv, detail, current_op);
    }));
    return *mounts.back();
  }

  void AddViolation(const std::string& invariant, const std::string& detail, int op) {
    violations.push_back({invariant, detail, op >= 0 && op_label ? op_label(op) : ""});
    if (tracing) trace.push_back({op >= 0 ? ops[op].actor : -1, "violation", invariant + ": " + detail});
  }
  void CountRequest(Opcode op, int op_index, bool waited) {
    request_counts[OpcodeIndex(op)]++;
    if (waited) round_trips++;
    if (op_index >= 0) {
      ops[op_index].requests.push_back(op);
      if (waited) ops[op_index].round_trips++;
    }
  }
  void Trace(int actor, const char* kind, std::string text) { trace.push_back({actor, kind, std::move(text)}); }

  const NameTable* names;
  Server server;
  Variant variant;
  std::vector<std::unique_ptr<Mount>> mounts;
  std::deque<OpRecord> ops;  // stable addresses: completions are waited on
  // The name of op i ("t1.0"), for violations; set by whoever fills ops.
  std::function<std::string(int)> op_label;
  std::vector<Violation> violations;
  std::array<int, kNumOpcodes> request_counts{};
  int round_trips = 0;
  sim::Clock waited_us = 0;  // simulated time threads spent waiting for replies
  int dir_changed = 0;
  int spurious_dir_changed = 0;
  int current_op = -1;  // op of the step being run, for violations
  bool tracing = false;
  std::vector<TraceEvent> trace;
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_WORLD_H_
