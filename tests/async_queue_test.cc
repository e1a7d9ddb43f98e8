// The order in which the server reads a mount's asynchronous requests
// (model/fuse_conn.cc AsyncDelivery): over /dev/fuse, a request queued into
// an empty queue is taken at once, and otherwise FORGETs go before pending
// RELEASEs (fuse_dev_do_read()); over io_uring, RELEASEs and FORGETs are
// read by two daemon actors, in either order.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

// t0 opens /g, then /f, unlinks /f and ends: its exit closes /g (RELEASE),
// then /f (RELEASE, then the FORGET of the unlinked inode).
std::string Scenario(bool io_uring) {
  return std::string(R"({"name": "async", "mounts": [{"name": "m0")") + (io_uring ? R"(, "io_uring": true)" : "") +
         R"(}], "server": {"tree": ["/f", "/g"]},
      "threads": [{"name": "t0", "ops": [{"op": "open", "path": "/g", "flags": "O_RDWR", "fd": "b"},
                                         {"op": "open", "path": "/f", "flags": "O_RDWR", "fd": "a"},
                                         {"op": "unlink", "path": "/f"}]}]})";
}

// The asynchronous requests as the server read them, under `token`.
std::vector<std::string> Delivered(const std::string& text, const std::string& token) {
  auto s = ParseScenario(text, "async.json");
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  auto steps = ParseScheduleToken(**s, token);
  EXPECT_TRUE(steps.ok()) << steps.status();
  if (!steps.ok()) return {};
  ReplayChooser chooser(*steps);
  ExecOptions eo;
  eo.trace = true;
  auto r = Execute(**s, model::Variant::kLookupCreate, chooser, eo);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  std::vector<std::string> out;
  for (const model::TraceEvent& e : r->trace)
    if (e.kind == "async") out.push_back(r->actor_names[e.actor] + " " + e.text.substr(0, e.text.find('(')));
  return out;
}

TEST(AsyncQueue, TheIdleDaemonTakesAReleaseBeforeTheForgetQueuedAfterIt) {
  // Sequential: the daemon reads as soon as anything is queued.
  EXPECT_EQ(Delivered(Scenario(false), ""),
            (std::vector<std::string>{"bg:m0 RELEASE", "bg:m0 RELEASE", "bg:m0 FORGET"}));
}

TEST(AsyncQueue, ABusyDaemonReadsForgetsBeforePendingReleases) {
  // t0 runs both exit closes before the daemon reads: RELEASE(g) was queued
  // into an empty queue (taken at once); then RELEASE(f) and FORGET(f) are
  // both pending, and the FORGET goes first.
  EXPECT_EQ(Delivered(Scenario(false), "t0*27"),
            (std::vector<std::string>{"bg:m0 RELEASE", "bg:m0 FORGET", "bg:m0 RELEASE"}));
}

TEST(AsyncQueue, OverIoUringForgetsHaveTheirOwnReader) {
  // Sequential: bg:m0 (the ring) is served before forget:m0.
  EXPECT_EQ(Delivered(Scenario(true), ""),
            (std::vector<std::string>{"bg:m0 RELEASE", "bg:m0 RELEASE", "forget:m0 FORGET"}));
  // A schedule can let forget:m0 read the FORGET first.
  EXPECT_EQ(Delivered(Scenario(true), "t0*27,forget:m0"),
            (std::vector<std::string>{"forget:m0 FORGET", "bg:m0 RELEASE", "bg:m0 RELEASE"}));
}

}  // namespace
}  // namespace fusesim::sim
