// Tests of the real-kernel oracle (oracle/). The ones that mount need root
// and /dev/fuse; where mounting is impossible they are skipped with the
// reason.
#include "gtest/gtest.h"

#ifdef FUSESIM_HAVE_ORACLE

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "absl/strings/str_cat.h"
#include "oracle/fuse_server.h"
#include "oracle/oracle.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"

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

// The oracle's server is the model's: its replies follow model::Server's
// configuration (create_existing, unsupported opcodes, error rules by path
// and count, lookup counts, handles), with names coming in as strings.
TEST(OracleNamespace, ServesTheModelsServer) {
  model::NameTable names;
  model::ServerConfig config;
  config.create_existing = model::CreateExisting::kEexist;
  config.unsupported.push_back(model::Opcode::kMknod);
  model::ErrorRule rule;
  rule.opcode = model::Opcode::kLookup;
  rule.any_path = false;
  rule.path = {names.Intern("d"), names.Intern("bad")};
  rule.err = model::Err::kEIO;
  rule.times = 1;
  config.errors.push_back(rule);
  Namespace ns(config, names, 2);
  ns.AddPath({"d", "f"}, false);
  const uint64_t d = ns.Resolve({"d"});
  const uint64_t f = ns.Resolve({"d", "f"});
  ASSERT_NE(d, 0u);
  ASSERT_NE(f, 0u);
  EntryOut o;
  EXPECT_EQ(ns.Lookup(1, d, "f", &o), 0);
  EXPECT_EQ(o.ino, f);
  EXPECT_EQ(ns.LookupCount(1, f), 1u);
  EXPECT_EQ(ns.LookupCount(0, f), 0u);
  EXPECT_EQ(ns.Lookup(0, d, "new", &o), 0);  // a name the scenario never named
  EXPECT_EQ(o.ino, 0u);                      // missing: ENOENT or negative, by the mount
  EXPECT_EQ(ns.Lookup(0, d, "bad", &o), EIO);
  EXPECT_EQ(ns.Lookup(0, d, "bad", &o), 0);                             // the rule is used up
  EXPECT_EQ(ns.CreateFile(0, d, "f", O_CREAT | O_WRONLY, &o), EEXIST);  // create_existing: eexist
  EXPECT_EQ(ns.MakeNode(0, "MKNOD", d, "g", false, &o), ENOSYS);
  ASSERT_EQ(ns.CreateFile(0, d, "g", O_CREAT | O_WRONLY, &o), 0);
  EXPECT_TRUE(o.created);
  EXPECT_EQ(ns.OpenHandles(), 1u);
  const uint64_t g = o.ino;
  const uint64_t gfh = o.fh;
  EXPECT_EQ(ns.Remove("UNLINK", d, "g"), 0);
  EXPECT_EQ(ns.Attr("GETATTR", g, &o), 0);  // open and looked up: still there
  EXPECT_EQ(o.nlink, 0u);
  EXPECT_EQ(ns.Release("RELEASE", g, gfh), 0);
  ns.Forget(0, {{g, 1}});
  EXPECT_EQ(ns.OpenHandles(), 0u);
  EXPECT_EQ(ns.Attr("GETATTR", g, &o), ENOENT);  // freed
  EXPECT_EQ(ns.Symlink(0, d, "l", "../d//f", &o), 0);
  std::string target;
  EXPECT_EQ(ns.Readlink(o.ino, &target), 0);
  EXPECT_EQ(target, "../d//f");  // as written
}

// model::Server sizes READDIR entries itself (it decides which fit and, for
// READDIRPLUS, takes their lookup counts); the sizes must be libfuse's.
TEST(OracleNamespace, ReaddirFitsWhatLibfuseFits) {
  for (const bool plus : {false, true}) {
    Namespace ns(model::ServerConfig{}, model::NameTable{}, 1);
    size_t total = 0;
    struct stat st = {};
    fuse_entry_param ep = {};
    for (const size_t len : {1, 7, 8, 9, 100, 255, 256, 300}) {
      const std::string name(len, 'n');
      ns.AddPath({"dir", name}, false);
    }
    const uint64_t dir = ns.Resolve({"dir"});
    for (const char* n : {".", ".."})
      total += plus ? fuse_add_direntry_plus(nullptr, nullptr, 0, n, &ep, 0)
                    : fuse_add_direntry(nullptr, nullptr, 0, n, &st, 0);
    for (const size_t len : {1, 7, 8, 9, 100, 255, 256, 300}) {
      const std::string name(len, 'n');
      total += plus ? fuse_add_direntry_plus(nullptr, nullptr, 0, name.c_str(), &ep, 0)
                    : fuse_add_direntry(nullptr, nullptr, 0, name.c_str(), &st, 0);
    }
    const char* op = plus ? "READDIRPLUS" : "READDIR";
    std::vector<Namespace::DirEntry> all, fewer;
    ASSERT_EQ(ns.Readdir(0, op, dir, 0, total, &all), 0);
    EXPECT_EQ(all.size(), 10u) << op;
    ASSERT_EQ(ns.Readdir(0, op, dir, 0, total - 1, &fewer), 0);
    EXPECT_EQ(fewer.size(), 9u) << op;
    EXPECT_EQ(all.back().next, 10u);
    // READDIRPLUS takes one lookup count per entry it returned (not . or ..).
    const uint64_t first = ns.Resolve({"dir", "n"});
    EXPECT_EQ(ns.LookupCount(0, first), plus ? 2u : 0u) << op;
  }
}

// The server alone on a real mount: S1 (open O_CREAT of a new file, close).
TEST(Oracle, ServerLogForNewFileIsLookupCreateFlushRelease) {
  auto ns = std::make_shared<Namespace>(model::ServerConfig{}, model::NameTable{}, 1);
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

TEST(Oracle, ExploredSchedulesAreSkipped) {
  auto s = Parse(R"({
    "name": "race",
    "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/a"}]},
                {"name": "t2", "ops": [{"op": "stat", "path": "/a"}]}],
    "schedule": {"mode": "explore"}
  })");
  ASSERT_NE(s, nullptr);
  absl::Status st = CheckSupported(*s);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(IsSkip(st));
  EXPECT_NE(std::string(st.message()).find("races cannot be forced"), std::string::npos);
}

// S6 of the traces: two threads open(O_CREAT) one new name; t1 takes the
// parent's i_rwsem, t2 blocks on it, then finds t1's positive dentry.
const char kS6[] = R"({
  "name": "s6",
  "mounts": [{"name": "m0", "entry_timeout_ms": 1000, "attr_timeout_ms": 1000, "negative_timeout_ms": 1000}],
  "threads": [
    {"name": "t1", "ops": [{"op": "open", "path": "/s6", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
                           {"op": "close", "fd": "a"}]},
    {"name": "t2", "ops": [{"op": "open", "path": "/s6", "flags": "O_CREAT|O_WRONLY", "fd": "b"},
                           {"op": "close", "fd": "b"}]}
  ],
  "schedule": {"mode": "replay", "steps": ["t1", "t1", "t1", "t2", "t2"]}
})";

TEST(Oracle, ScriptFromModelHasTheServerSteps) {
  auto s = Parse(kS6);
  ASSERT_NE(s, nullptr);
  auto steps = sim::ScheduleIndices(*s, s->schedule.steps);
  ASSERT_TRUE(steps.ok());
  auto script = ScriptFromModel(*s, *steps);
  ASSERT_TRUE(script.ok()) << script.status();
  std::vector<std::string> got;
  for (const ScriptEvent& e : *script) {
    static const char* kinds[] = {"start", "end", "request", "handle", "reply", "wait", "release-answered"};
    static_assert(std::size(kinds) == ScriptEvent::kReleaseAnswered + 1);
    got.push_back(absl::StrCat(s->threads[e.thread].name, " ", kinds[e.kind], e.opcode.empty() ? "" : " " + e.opcode));
  }
  ASSERT_GE(got.size(), 8u);
  EXPECT_EQ(std::vector<std::string>(got.begin(), got.begin() + 8),
            (std::vector<std::string>{"t1 start", "t2 start", "t2 wait", "t1 request LOOKUP", "t1 handle LOOKUP",
                                      "t1 reply LOOKUP", "t1 request CREATE", "t1 handle CREATE"}));
}

TEST(Oracle, GatedReplayFollowsTheModelSchedule) {
  auto s = Parse(kS6);
  ASSERT_NE(s, nullptr);
  auto steps = sim::ScheduleIndices(*s, s->schedule.steps);
  ASSERT_TRUE(steps.ok());
  auto script = ScriptFromModel(*s, *steps);
  ASSERT_TRUE(script.ok()) << script.status();
  OracleOptions o;
  o.any_kernel = true;
  o.gated = true;
  o.script = *script;
  auto r = RunOnRealKernel(*s, o);
  if (IsSkip(r.status())) GTEST_SKIP() << r.status().message();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->gated);
  EXPECT_EQ(r->schedule_divergence, "");
  auto names = [](const RealOp& op) {
    std::vector<std::string> v;
    for (const auto& q : op.requests) v.push_back(q.opcode);
    return v;
  };
  // Global op indices: t1.0, t1.1, t2.0, t2.1.
  EXPECT_EQ(names(r->ops[0]), (std::vector<std::string>{"LOOKUP", "CREATE"}));
  EXPECT_EQ(names(r->ops[2]), (std::vector<std::string>{"OPEN"}));
  EXPECT_EQ(names(r->ops[1]), (std::vector<std::string>{"FLUSH", "RELEASE"}));
  EXPECT_EQ(names(r->ops[3]), (std::vector<std::string>{"FLUSH", "RELEASE"}));
  for (int g = 0; g < 4; ++g) EXPECT_EQ(r->ops[g].result, "ok") << g;
}

// Runs `fusesim oracle --any-kernel` on a two-thread scenario whose t2
// opens `t2_open` (JSON of the op), under the replay schedule
// t1,t2,t2,t2,t2: the model pauses t1 right after it entered open() and
// lets t2 take the root's i_rwsem first. The real t1 runs on to its LOOKUP
// holding the lock, so the gate cannot hold that schedule. Returns the
// output and sets *code to the exit status (-1: skipped).
std::string OracleOnPausedOpen(const std::string& t2_open, int* code) {
  // One file per test: ctest runs the tests of this file in parallel.
  const std::string file = absl::StrCat(::testing::TempDir(), "/paused-open-",
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".json");
  {
    FILE* f = fopen(file.c_str(), "w");
    if (f == nullptr) return "cannot write " + file;
    fputs(absl::StrCat(R"({"name": "paused-open",
      "mounts": [{"name": "m0", "entry_timeout_ms": 1000, "attr_timeout_ms": 1000, "negative_timeout_ms": 1000}],
      "variants": ["lookup-create"],
      "threads": [
        {"name": "t1", "ops": [{"op": "open", "path": "/a", "flags": "O_CREAT|O_WRONLY", "fd": "x"}, {"op": "close", "fd": "x"}]},
        {"name": "t2", "ops": [)",
                       t2_open, R"(, {"op": "close", "fd": "y"}]}],
      "schedule": {"mode": "replay", "steps": ["t1", "t2", "t2", "t2", "t2"]}})")
              .c_str(),
          f);
    fclose(f);
  }
  const std::string cmd = absl::StrCat(FUSESIM_BINARY, " oracle --any-kernel ", file, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  *code = out.find("1 skipped") != std::string::npos ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return out;
}

// Creates of two names: the interleaving where t1 runs on to its LOOKUP has
// the same outcome in the model, so the oracle follows that one instead and
// says so.
TEST(Oracle, AnUnforceableScheduleIsReplacedByItsRunOnInterleaving) {
  int code = 0;
  const std::string out =
      OracleOnPausedOpen(R"({"op": "open", "path": "/b", "flags": "O_CREAT|O_WRONLY", "fd": "y"})", &code);
  if (code == -1) GTEST_SKIP() << "cannot run the oracle here: " << out;
  EXPECT_NE(out.find("AGREE (gated replay of the run-on interleaving, the same outcome)"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot be forced (the real kernel could not be held to the replay schedule at step 3"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("--schedule 't1*4,t2*3,t1*7,bg:m0,t2*9,bg:m0'"), std::string::npos) << out;
  EXPECT_EQ(code, 0) << out;
}

// t2 creates the same name O_EXCL: who creates it depends on the pause, so
// the run-on interleaving (t1 first) has another outcome in the model. The
// deferred one (t1's first stretch moved after t2's op: the gate holds t1 at
// the start of its op meanwhile) has the same, and is followed.
TEST(Oracle, AnUnforceableScheduleIsReplacedByItsDeferredInterleaving) {
  int code = 0;
  const std::string out =
      OracleOnPausedOpen(R"({"op": "open", "path": "/a", "flags": "O_CREAT|O_EXCL|O_WRONLY", "fd": "y"})", &code);
  if (code == -1) GTEST_SKIP() << "cannot run the oracle here: " << out;
  // The same trace: t2's stretch commutes with t1's first (which only takes
  // and drops references on the pinned root).
  EXPECT_NE(out.find("AGREE (gated replay of the deferred interleaving, the same Mazurkiewicz trace)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("cannot be forced (the real kernel could not be held to the replay schedule at step 3 (t2 "
                     "request LOOKUP"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("runs on to its next request, block or op end (t1*"), std::string::npos) << out;
  EXPECT_NE(out.find("has another outcome in the model: not tried"), std::string::npos) << out;
  EXPECT_NE(out.find("--schedule 't2*10,bg:m0,t1*7,bg:m0'"), std::string::npos) << out;
  EXPECT_EQ(out.find("DIFFER"), std::string::npos) << out;
  EXPECT_EQ(code, 0) << out;
}

// A generated race (fusesim oracle --generate --races, seed 31,
// interleaving 1): the model lets t2 send its LOOKUP while t1, between the
// reply to its first LOOKUP and taking /d's i_rwsem for mkdir, is paused;
// the real t1 runs on and takes the lock, so the real t2 blocks without a
// request. Both interleavings the gate could hold have another outcome in
// the model: the run is unforceable, with the step and the reason, never a
// difference, and it does not pass (exit 4).
TEST(Oracle, AScheduleTheGateCannotHoldIsUnforceable) {
  const std::string file = std::string(FUSESIM_SOURCE_DIR) + "/tests/oracle_fixtures/unforceable-race-31-i1.json";
  const std::string cmd = absl::StrCat(FUSESIM_BINARY, " oracle --any-kernel ", file, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  if (out.find("1 skipped") != std::string::npos) GTEST_SKIP() << "cannot run the oracle here: " << out;
  EXPECT_NE(out.find("UNFORCEABLE (gated replay)"), std::string::npos) << out;
  EXPECT_NE(out.find("at step 6 (t2 request LOOKUP(parent=3, name=b)): the model's t2 sends LOOKUP; the real one "
                     "does not: it is blocked in the kernel without a request"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("runs on to its next request, block or op end (t1*"), std::string::npos) << out;
  EXPECT_NE(out.find("runs as late as the schedule allows (t1*"), std::string::npos) << out;
  EXPECT_NE(out.find("1 unforceable"), std::string::npos) << out;
  EXPECT_EQ(out.find("DIFFER"), std::string::npos) << out;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4) << out;
}

// The mixed placements of a schedule lie between the run-on and the deferred
// interleaving: each is one the gate can hold (no thread paused between two
// gate points while another runs: deferring it changes nothing), all differ,
// and they come fewest early stretches first. Model only, no mount.
TEST(OracleSchedules, MixedPlacementsAreHoldableAndDistinct) {
  // Three threads, each paused by the schedule right after its op's start
  // (before the walk, a point the gate cannot hold) while the others go on.
  auto s = Parse(R"({
    "name": "three-paused",
    "mounts": [{"name": "m0"}],
    "server": {"tree": ["/d/"]},
    "threads": [
      {"name": "t1", "ops": [{"op": "mkdir", "path": "/d/a"}]},
      {"name": "t2", "ops": [{"op": "stat", "path": "/d/b"}]},
      {"name": "t3", "ops": [{"op": "open", "path": "/d/c", "flags": "O_CREAT|O_WRONLY", "fd": "x"}]}
    ],
    "schedule": {"mode": "replay", "steps": ["t1", "t2", "t3", "t1", "t2", "t3", "t1", "t2", "t3"]}
  })");
  ASSERT_NE(s, nullptr);
  auto steps = sim::ScheduleIndices(*s, s->schedule.steps);
  ASSERT_TRUE(steps.ok()) << steps.status();
  auto mixed = MixedSchedules(*s, *steps, 100);
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  ASSERT_GE(mixed->size(), 2u);
  auto deferred = DeferredSchedule(*s, *steps);
  ASSERT_TRUE(deferred.ok()) << deferred.status();
  std::vector<std::vector<int>> seen = {deferred->steps};
  size_t early_before = 1;
  for (const MixedPlacement& m : *mixed) {
    SCOPED_TRACE(m.early);
    EXPECT_FALSE(m.early.empty());
    const size_t early = static_cast<size_t>(std::count(m.early.begin(), m.early.end(), ',')) + 1;
    EXPECT_GE(early, early_before);
    early_before = early;
    auto again = DeferredSchedule(*s, m.model.steps);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->steps, m.model.steps) << "a thread is still paused where the gate cannot hold it";
    EXPECT_EQ(std::find(seen.begin(), seen.end(), m.model.steps), seen.end()) << "a placement came twice";
    seen.push_back(m.model.steps);
  }
  // A schedule the gate can hold as it is has nothing to place.
  auto none = MixedSchedules(*s, deferred->steps, 100);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

// A request held at the gate forever: the watchdog's Abort() must unblock
// the syscall, and unmounting must still work.
TEST(Oracle, AbortUnblocksASyscallHeldAtTheGate) {
  auto ns = std::make_shared<Namespace>(model::ServerConfig{}, model::NameTable{}, 1);
  auto log = std::make_shared<RequestLog>();
  MountOptions mo;
  mo.gated = true;
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
    log->EnableGate(true);
    std::atomic<int> err{0};
    std::atomic<pid_t> tid{0};
    std::thread t([&] {
      tid = static_cast<pid_t>(syscall(SYS_gettid));
      log->SetThreadTag(tid, 0);
      struct stat sb;
      err = stat((mp + "/x").c_str(), &sb) == 0 ? 0 : errno;
    });
    while (tid == 0) std::this_thread::yield();
    EXPECT_TRUE(log->WaitHeld(tid, std::chrono::seconds(2)).has_value());
    server.Abort();
    t.join();
    EXPECT_TRUE(err == ENOTCONN || err == ECONNABORTED) << err;
    EXPECT_TRUE(server.Unmount().ok());
  }
  EXPECT_EQ(rmdir(mp.c_str()), 0);
  EXPECT_EQ(rmdir(base), 0);
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
  for (int g : *order) labels.push_back(s->op(g).label());
  EXPECT_EQ(labels, (std::vector<std::string>{"t1.0", "t2.0", "t2.1", "t1.1", "t1.2"}));
}

}  // namespace
}  // namespace fusesim::oracle

#else  // !FUSESIM_HAVE_ORACLE

TEST(Oracle, BuiltWithoutLibfuse3) { GTEST_SKIP() << "fusesim was built without libfuse3"; }

#endif
