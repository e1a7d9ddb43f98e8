// The order in which the server reads a mount's asynchronous requests
// (model/fuse_conn.cc AsyncDelivery): over /dev/fuse, a request queued into
// an empty queue is taken at once, and otherwise FORGETs go before pending
// RELEASEs (fuse_dev_do_read()); over io_uring, RELEASEs and FORGETs are
// read by two daemon actors, in either order. A RELEASE holds its file's
// inode until it is answered (fuse_release_end()).
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

// t0 opens /g and /h, looks /f up, closes both files (two RELEASEs) and
// unlinks /f, whose inode nothing holds: the unlink queues its FORGET at
// once, behind the RELEASEs.
std::string ForgetBehindReleases(bool io_uring) {
  return std::string(R"({"name": "async2", "mounts": [{"name": "m0")") + (io_uring ? R"(, "io_uring": true)" : "") +
         R"(}], "server": {"tree": ["/f", "/g", "/h"]},
      "threads": [{"name": "t0", "ops": [{"op": "open", "path": "/g", "flags": "O_RDWR", "fd": "b"},
                                         {"op": "open", "path": "/h", "flags": "O_RDWR", "fd": "c"},
                                         {"op": "stat", "path": "/f"},
                                         {"op": "close", "fd": "b"}, {"op": "close", "fd": "c"},
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
  // t0 runs its ops to the end of the unlink before the daemon reads:
  // RELEASE(g) was queued into an empty queue (taken at once); then
  // RELEASE(h) and FORGET(f) are both pending, and the FORGET goes first.
  EXPECT_EQ(Delivered(ForgetBehindReleases(false), "t0*33"),
            (std::vector<std::string>{"bg:m0 RELEASE", "bg:m0 FORGET", "bg:m0 RELEASE"}));
}

TEST(AsyncQueue, AClosedFilesInodeIsHeldUntilItsReleaseIsAnswered) {
  // fuse_release_args.inode: the last close of the unlinked /f drops the
  // dentry, but the RELEASE holds the inode until its reply, so the FORGET
  // comes after RELEASE(f) however long the daemon waits to read.
  for (const char* token : {"", "t0*20", "t0*27"}) {
    SCOPED_TRACE(token);
    EXPECT_EQ(Delivered(Scenario(false), token),
              (std::vector<std::string>{"bg:m0 RELEASE", "bg:m0 RELEASE", "bg:m0 FORGET"}));
  }
  // Over io_uring too: the FORGET reader has nothing to read before the
  // ring's reader has answered the RELEASE.
  EXPECT_EQ(Delivered(Scenario(true), "t0*27,bg:m0,bg:m0,forget:m0"),
            (std::vector<std::string>{"bg:m0 RELEASE", "bg:m0 RELEASE", "forget:m0 FORGET"}));
}

TEST(AsyncQueue, OverIoUringForgetsHaveTheirOwnReader) {
  // Sequential: bg:m0 (the ring) is served before forget:m0.
  EXPECT_EQ(Delivered(ForgetBehindReleases(true), ""),
            (std::vector<std::string>{"bg:m0 RELEASE", "bg:m0 RELEASE", "forget:m0 FORGET"}));
  // A schedule can let forget:m0 read the FORGET first.
  EXPECT_EQ(Delivered(ForgetBehindReleases(true), "t0*33,forget:m0"),
            (std::vector<std::string>{"forget:m0 FORGET", "bg:m0 RELEASE", "bg:m0 RELEASE"}));
}

}  // namespace
}  // namespace fusesim::sim
