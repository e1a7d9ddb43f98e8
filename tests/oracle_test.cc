// Tests of the real-kernel oracle (oracle/). The ones that mount need root
// and /dev/fuse; where mounting is impossible they are skipped with the
// reason.
#include "gtest/gtest.h"

#ifdef FUSESIM_HAVE_ORACLE

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "oracle/fuse_server.h"
#include "oracle/oracle.h"
#include "sim/scenario_loader.h"

namespace fusesim::oracle {
namespace {

std::unique_ptr<sim::Scenario> Parse(const std::string& text) {
  auto s = sim::ParseScenario(text, "test.json");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

const char kS1[] = R"({
  "name": "s1",
  "mounts": [{"name": "m0", "entry_timeout_ms": 1000, "attr_timeout_ms": 1000, "negative_timeout_ms": 1000}],
  "threads": [{"name": "t1", "ops": [
    {"op": "open", "path": "/s1", "flags": "O_CREAT|O_WRONLY", "mode": "0644", "fd": "a"},
    {"op": "close", "fd": "a"}
  ]}]
})";

std::vector<std::string> Opcodes(const std::vector<LoggedRequest>& log, int from_tag_min) {
  std::vector<std::string> out;
  for (const auto& r : log)
    if (!r.foreign && r.tag >= from_tag_min) out.push_back(r.name);
  return out;
}

// The server alone on a real mount: S1 (open O_CREAT of a new file, close).
TEST(Oracle, ServerLogForNewFileIsLookupCreateFlushRelease) {
  auto ns = std::make_shared<Namespace>(ServerBehaviour{}, 1);
  auto log = std::make_shared<RequestLog>();
  MountOptions mo;
  mo.timeouts.entry_us = mo.timeouts.attr_us = mo.timeouts.negative_us = 1000000;
  char base[] = "/tmp/fusesim-oracle-XXXXXX";
  ASSERT_NE(mkdtemp(base), nullptr);
  const std::string mp = std::string(base) + "/m0";
  ASSERT_EQ(mkdir(mp.c_str(), 0755), 0);
  {
    FuseServer server(ns, log, 0, mo);
    absl::Status st = server.Mount(mp);
    if (!st.ok()) {
      rmdir(mp.c_str());
      rmdir(base);
      GTEST_SKIP() << "cannot mount FUSE here: " << st.message();
    }
    log->WaitQuiet(std::chrono::milliseconds(30), std::chrono::seconds(1));
    log->SetTag(0);
    const int fd = open((mp + "/s1").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    if (fd >= 0) {
      EXPECT_EQ(close(fd), 0);
    }
    log->WaitQuiet(std::chrono::milliseconds(30), std::chrono::seconds(1));
    EXPECT_EQ(Opcodes(log->Snapshot(), 0), (std::vector<std::string>{"LOOKUP", "CREATE", "FLUSH", "RELEASE"}));
    // Mount time: INIT, then the root's GETATTR.
    std::vector<std::string> mount;
    for (const auto& r : log->Snapshot())
      if (r.tag == kTagMount && !r.foreign) mount.push_back(r.name);
    ASSERT_FALSE(mount.empty());
    EXPECT_EQ(mount.front(), "INIT");
    EXPECT_EQ(ns->OpenHandles(), 0u);
    const uint64_t ino = ns->Resolve({"s1"});
    EXPECT_NE(ino, 0u);
    EXPECT_EQ(ns->LookupCount(0, ino), 1u);  // from CREATE
    EXPECT_TRUE(server.Unmount().ok());
  }
  EXPECT_EQ(rmdir(mp.c_str()), 0);  // not mounted any more
  EXPECT_EQ(rmdir(base), 0);
}

// The same through RunOnRealKernel, per op.
TEST(Oracle, RunOnRealKernelAttributesRequestsToOps) {
  auto s = Parse(kS1);
  ASSERT_NE(s, nullptr);
  OracleOptions o;
  o.any_kernel = true;
  auto r = RunOnRealKernel(*s, o);
  if (IsSkip(r.status())) GTEST_SKIP() << r.status().message();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->ops.size(), 2u);
  auto names = [](const RealOp& op) {
    std::vector<std::string> v;
    for (const auto& q : op.requests) v.push_back(q.opcode);
    return v;
  };
  EXPECT_EQ(r->ops[0].result, "ok");
  EXPECT_EQ(names(r->ops[0]), (std::vector<std::string>{"LOOKUP", "CREATE"}));
  EXPECT_EQ(r->ops[1].result, "ok");
  EXPECT_EQ(names(r->ops[1]), (std::vector<std::string>{"FLUSH", "RELEASE"}));
  EXPECT_TRUE(r->exits[0].requests.empty());
}

// Server-side ops, errors and unsupported opcodes reach the real kernel.
TEST(Oracle, NoCreateServerFallsBackToMknod) {
  auto s = Parse(R"({
    "name": "nocreate",
    "mounts": [{"name": "m0", "entry_timeout_ms": 0, "attr_timeout_ms": 0, "negative_timeout_ms": 0}],
    "server": {"unsupported": ["CREATE"], "errors": [{"opcode": "UNLINK", "errno": "EACCES", "times": 1}]},
    "threads": [{"name": "t1", "ops": [
      {"op": "open", "path": "/a", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
      {"op": "unlink", "path": "/a"},
      {"op": "stat", "path": "/b", "after": "srv.0"}
    ]}, {"name": "srv", "server_side": true, "ops": [{"op": "create", "path": "/b"}]}]
  })");
  ASSERT_NE(s, nullptr);
  OracleOptions o;
  o.any_kernel = true;
  auto r = RunOnRealKernel(*s, o);
  if (IsSkip(r.status())) GTEST_SKIP() << r.status().message();
  ASSERT_TRUE(r.ok()) << r.status();
  auto names = [](const RealOp& op) {
    std::vector<std::string> v;
    for (const auto& q : op.requests) v.push_back(q.opcode);
    return v;
  };
  EXPECT_EQ(names(r->ops[0]), (std::vector<std::string>{"LOOKUP", "CREATE", "MKNOD", "OPEN"}));
  EXPECT_EQ(r->ops[1].result, "EACCES");
  EXPECT_EQ(r->ops[2].result, "ok");  // created by the server-side thread
  // The file left open by t1 is closed at its exit.
  EXPECT_EQ(names(r->exits[0]), (std::vector<std::string>{"FLUSH", "RELEASE"}));
}

TEST(Oracle, ReplaySchedulesAreSkipped) {
  auto s = Parse(R"({
    "name": "race",
    "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/a"}]},
                {"name": "t2", "ops": [{"op": "stat", "path": "/a"}]}],
    "schedule": {"mode": "replay", "steps": ["t1", "t2"]}
  })");
  ASSERT_NE(s, nullptr);
  absl::Status st = CheckSupported(*s);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(IsSkip(st));
  EXPECT_NE(std::string(st.message()).find("races cannot be forced"), std::string::npos);
}

TEST(Oracle, Kernel518MountsAreSkipped) {
  auto s = Parse(R"({
    "name": "old",
    "mounts": [{"name": "m0", "kernel": "5.18"}],
    "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/a"}]}]
  })");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(CheckSupported(*s).code(), absl::StatusCode::kUnimplemented);
}

TEST(Oracle, SequentialOrderFollowsAfter) {
  auto s = Parse(R"({
    "name": "order",
    "threads": [
      {"name": "t1", "ops": [{"op": "stat", "path": "/a"}, {"op": "stat", "path": "/a", "after": "t2.0"},
                             {"op": "stat", "path": "/b"}]},
      {"name": "t2", "ops": [{"op": "stat", "path": "/c"}, {"op": "stat", "path": "/d"}]}
    ]
  })");
  ASSERT_NE(s, nullptr);
  auto order = SequentialOrder(*s);
  ASSERT_TRUE(order.ok());
  // t1.0, then t1 waits for t2.0: t2 runs on to its end, then t1 resumes.
  std::vector<std::string> labels;
  for (int g : *order) labels.push_back(s->op(g).label);
  EXPECT_EQ(labels, (std::vector<std::string>{"t1.0", "t2.0", "t2.1", "t1.1", "t1.2"}));
}

}  // namespace
}  // namespace fusesim::oracle

#else  // !FUSESIM_HAVE_ORACLE

TEST(Oracle, BuiltWithoutLibfuse3) { GTEST_SKIP() << "fusesim was built without libfuse3"; }

#endif
