// Tests of the model's symlinks, hard links, setattr and path walk through
// symlinks, `.` and `..` (model/namei.cc, model/fuse_dir.cc, model/server.cc):
// each runs a small scenario on lookup-create and checks what every op sent
// and returned. The bundled ops-*.json scenarios pin the same behaviour as the
// real kernel showed it to `fusesim oracle`.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/server.h"
#include "model/variant.h"
#include "sim/engine/scheduler.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Op {
  std::string result;
  std::vector<std::string> requests;
};

// Runs `ops` (one thread's op objects, JSON) on a tree and mount config.
std::vector<Op> RunOps(const std::string& ops, const std::string& tree = R"(["/d/", "/d/f"])",
                       const std::string& mount = R"({"name": "m0"})", const std::string& extra_threads = "") {
  const std::string text = R"({"name": "x", "variants": ["lookup-create"], "mounts": [)" + mount +
                           R"(], "server": {"tree": )" + tree + R"(}, "threads": [{"name": "t1", "ops": [)" + ops +
                           "]}" + extra_threads + "]}";
  absl::StatusOr<std::unique_ptr<Scenario>> s = ParseScenario(text, "x.json");
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  SequentialChooser chooser;
  absl::StatusOr<RunReport> r = Execute(**s, model::Variant::kLookupCreate, chooser);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  EXPECT_THAT(r->violations, IsEmpty());
  std::vector<Op> out;
  for (const OpOutcome& o : r->results) out.push_back({std::string(o.result), RequestNames(o)});
  return out;
}

TEST(Links, SymlinkInstantiatesTheDentry) {
  auto r = RunOps(R"({"op": "symlink", "target": "f", "path": "/d/l"},
                  {"op": "stat", "path": "/d/l", "nofollow": true},
                  {"op": "symlink", "target": "g", "path": "/d/l"},
                  {"op": "symlink", "target": "g", "path": "/d/f/x"})");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].result, "ok");
  EXPECT_THAT(r[0].requests, ElementsAre("LOOKUP", "LOOKUP", "SYMLINK"));
  EXPECT_THAT(r[1].requests, IsEmpty());  // positive dentry, attributes from the reply
  EXPECT_EQ(r[2].result, "EEXIST");
  EXPECT_THAT(r[2].requests, ElementsAre("LOOKUP"));  // LOOKUP_EXCL revalidates
  EXPECT_EQ(r[3].result, "ENOTDIR");
}

TEST(Links, ReadlinkEveryTimeUnlessCacheSymlinks) {
  const std::string ops = R"({"op": "symlink", "target": "f", "path": "/d/l"},
                             {"op": "readlink", "path": "/d/l"},
                             {"op": "readlink", "path": "/d/l"},
                             {"op": "stat", "path": "/d/l", "nofollow": true},
                             {"op": "readlink", "path": "/d/f"})";
  auto r = RunOps(ops);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_THAT(r[1].requests, ElementsAre("READLINK"));
  EXPECT_THAT(r[2].requests, ElementsAre("READLINK"));
  EXPECT_THAT(r[3].requests, ElementsAre("GETATTR"));  // fuse_invalidate_atime()
  EXPECT_EQ(r[4].result, "EINVAL");
  EXPECT_THAT(r[4].requests, ElementsAre("LOOKUP"));  // f, never looked up; no READLINK
  auto c = RunOps(ops, R"(["/d/", "/d/f"])", R"({"name": "m0", "cache_symlinks": true})");
  ASSERT_EQ(c.size(), 5u);
  EXPECT_THAT(c[1].requests, ElementsAre("READLINK"));
  EXPECT_THAT(c[2].requests, IsEmpty());
}

TEST(Links, WalkFollowsIntermediateAndTrailingLinks) {
  auto r = RunOps(R"({"op": "symlink", "target": "/d", "path": "/e/abs"},
                  {"op": "symlink", "target": "../d/f", "path": "/e/rel"},
                  {"op": "stat", "path": "/e/abs/f"},
                  {"op": "stat", "path": "/e/rel"},
                  {"op": "stat", "path": "/e/rel", "nofollow": true},
                  {"op": "open", "path": "/e/rel", "flags": "O_RDONLY|O_NOFOLLOW"},
                  {"op": "open", "path": "/e/rel", "flags": "O_CREAT|O_EXCL|O_WRONLY"})",
                  R"(["/d/", "/d/f", "/e/"])");
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[2].result, "ok");
  EXPECT_THAT(r[2].requests, ElementsAre("READLINK", "LOOKUP", "LOOKUP"));  // abs: from the root: d, f
  EXPECT_EQ(r[3].result, "ok");
  EXPECT_THAT(r[3].requests, ElementsAre("READLINK"));  // d and f are cached now
  EXPECT_THAT(r[4].requests, ElementsAre("GETATTR"));   // the link's atime
  EXPECT_EQ(r[5].result, "ELOOP");
  EXPECT_EQ(r[6].result, "EEXIST");
}

TEST(Links, DanglingSymlinkOCreatCreatesTheTarget) {
  auto r = RunOps(R"({"op": "symlink", "target": "new", "path": "/d/l"},
                  {"op": "open", "path": "/d/l", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
                  {"op": "close", "fd": "a"},
                  {"op": "stat", "path": "/d/new"})");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1].result, "ok");
  EXPECT_THAT(r[1].requests, ElementsAre("READLINK", "LOOKUP", "CREATE"));
  EXPECT_THAT(r[3].requests, IsEmpty());
}

TEST(Links, MaxSymlinks) {
  std::string ops;
  for (int i = 0; i <= 40; ++i) {
    ops += R"({"op": "symlink", "target": ")" + (i < 40 ? "l" + std::to_string(i + 1) : std::string("f")) +
           R"(", "path": "/d/l)" + std::to_string(i) + R"("},)";
  }
  ops += R"({"op": "stat", "path": "/d/l1"}, {"op": "stat", "path": "/d/l0"})";
  auto r = RunOps(ops);
  ASSERT_EQ(r.size(), 43u);
  EXPECT_EQ(r[41].result, "ok");  // 40 links
  EXPECT_EQ(r[42].result, "ELOOP");
  EXPECT_EQ(r[42].requests.size(), 40u);  // a READLINK per link followed, then ELOOP
}

TEST(Links, LinkKeepsTheReplysAttributes) {
  auto r = RunOps(R"({"op": "link", "path": "/d/f", "to": "/d/h"},
                  {"op": "stat", "path": "/d/f"},
                  {"op": "link", "path": "/d", "to": "/e"},
                  {"op": "unlink", "path": "/d/f"},
                  {"op": "stat", "path": "/d/h"})");
  ASSERT_EQ(r.size(), 5u);
  EXPECT_THAT(r[0].requests, ElementsAre("LOOKUP", "LOOKUP", "LOOKUP", "LINK"));
  EXPECT_THAT(r[1].requests, IsEmpty());
  EXPECT_EQ(r[2].result, "EPERM");
  EXPECT_THAT(r[2].requests, ElementsAre("LOOKUP"));  // the new name's LOOKUP comes first
  EXPECT_EQ(r[4].result, "ok");
  EXPECT_THAT(r[4].requests, ElementsAre("GETATTR"));  // unlink invalidated the shared inode
}

TEST(Links, ChmodOfADirectoryExpiresItsDentry) {
  auto r = RunOps(R"({"op": "stat", "path": "/d/f"},
                  {"op": "chmod", "path": "/d/f", "mode": "0600"},
                  {"op": "stat", "path": "/d/f"},
                  {"op": "chmod", "path": "/d", "mode": "0700"},
                  {"op": "stat", "path": "/d/f"},
                  {"op": "truncate", "path": "/d/f", "size": 1},
                  {"op": "truncate", "path": "/d/f", "size": 2},
                  {"op": "truncate", "path": "/d", "size": 0})");
  ASSERT_EQ(r.size(), 8u);
  EXPECT_THAT(r[1].requests, ElementsAre("SETATTR"));
  EXPECT_THAT(r[2].requests, IsEmpty());
  EXPECT_THAT(r[3].requests, ElementsAre("SETATTR"));
  EXPECT_THAT(r[4].requests, ElementsAre("LOOKUP"));
  EXPECT_THAT(r[5].requests, ElementsAre("GETXATTR", "SETATTR"));
  EXPECT_THAT(r[6].requests, ElementsAre("SETATTR"));  // no_getxattr after ENOSYS
  EXPECT_EQ(r[7].result, "EISDIR");
}

TEST(Links, DotAndDotDot) {
  auto r = RunOps(R"({"op": "stat", "path": "/d/../e/./f"},
                  {"op": "stat", "path": "/.."},
                  {"op": "rmdir", "path": "/d/.."},
                  {"op": "rmdir", "path": "/d/."},
                  {"op": "unlink", "path": "/d/."},
                  {"op": "mkdir", "path": "/d/.."},
                  {"op": "open", "path": "/d/..", "flags": "O_CREAT|O_WRONLY"})",
                  R"(["/d/", "/e/", "/e/f"])");
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[0].result, "ok");
  EXPECT_THAT(r[0].requests, ElementsAre("LOOKUP", "LOOKUP", "LOOKUP"));  // d, e, f: no request for . or ..
  EXPECT_EQ(r[1].result, "ok");
  EXPECT_THAT(r[1].requests, IsEmpty());
  EXPECT_EQ(r[2].result, "ENOTEMPTY");
  EXPECT_EQ(r[3].result, "EINVAL");
  EXPECT_EQ(r[4].result, "EISDIR");
  EXPECT_EQ(r[5].result, "EEXIST");
  EXPECT_EQ(r[6].result, "EISDIR");
}

TEST(Links, ServerSideOpsSendNothing) {
  auto r = RunOps(R"({"op": "stat", "path": "/d/f"},
                  {"op": "stat", "path": "/d/h", "after": "srv.1"},
                  {"op": "stat", "path": "/d/l", "nofollow": true})",
                  R"(["/d/", "/d/f"])", R"({"name": "m0"})",
                  R"(, {"name": "srv", "server_side": true, "ops": [
                    {"op": "link", "path": "/d/f", "to": "/d/h"},
                    {"op": "symlink", "target": "f", "path": "/d/l"},
                    {"op": "link", "path": "/d", "to": "/e"},
                    {"op": "chmod", "path": "/d/missing", "mode": "0600"}]})");
  ASSERT_EQ(r.size(), 7u);
  EXPECT_THAT(r[1].requests, ElementsAre("LOOKUP"));  // the same inode: nothing else
  EXPECT_THAT(r[2].requests, ElementsAre("LOOKUP"));
  EXPECT_EQ(r[3].result, "ok");
  EXPECT_EQ(r[4].result, "ok");
  EXPECT_EQ(r[5].result, "EPERM");
  EXPECT_EQ(r[6].result, "ENOENT");
}

TEST(Readdir, PlusLinksEntriesPerMountMode) {
  const std::string ops = R"({"op": "readdir", "path": "/d"},
                             {"op": "stat", "path": "/d/f"},
                             {"op": "readdir", "path": "/d"})";
  auto off = RunOps(ops, R"(["/d/", "/d/f"])", R"({"name": "m0", "readdirplus": "off"})");
  ASSERT_EQ(off.size(), 3u);
  EXPECT_THAT(off[0].requests, ElementsAre("LOOKUP", "OPENDIR", "READDIR", "READDIR", "RELEASEDIR"));
  EXPECT_THAT(off[1].requests, ElementsAre("LOOKUP"));
  // The listing invalidated the directory's atime: its fstat sends GETATTR.
  EXPECT_THAT(off[2].requests, ElementsAre("OPENDIR", "GETATTR", "READDIR", "READDIR", "RELEASEDIR"));
  auto on = RunOps(ops, R"(["/d/", "/d/f"])", R"({"name": "m0", "readdirplus": "on"})");
  ASSERT_EQ(on.size(), 3u);
  EXPECT_THAT(on[0].requests, ElementsAre("LOOKUP", "OPENDIR", "READDIRPLUS", "READDIRPLUS", "RELEASEDIR"));
  EXPECT_THAT(on[1].requests, IsEmpty());  // fuse_direntplus_link() made the dentry
  auto au = RunOps(ops, R"(["/d/", "/d/f"])", R"({"name": "m0", "readdirplus": "auto"})");
  ASSERT_EQ(au.size(), 3u);
  EXPECT_THAT(au[0].requests, ElementsAre("LOOKUP", "OPENDIR", "READDIRPLUS", "READDIR", "RELEASEDIR"));
  EXPECT_THAT(au[1].requests, IsEmpty());
}

TEST(Readdir, BigDirectorySplitsByBufferSize) {
  std::string tree = R"(["/d/")";
  for (int i = 0; i < 300; ++i)
    tree += ",\"/d/f" + std::string(i < 10 ? "00" : i < 100 ? "0" : "") + std::to_string(i) + "\"";
  tree += "]";
  // 302 entries (with . and ..): READDIRPLUS holds 204 of 160 bytes in 32 KiB.
  auto on = RunOps(R"({"op": "readdir", "path": "/d"})", tree, R"({"name": "m0", "readdirplus": "on"})");
  ASSERT_EQ(on.size(), 1u);
  EXPECT_THAT(on[0].requests,
              ElementsAre("LOOKUP", "OPENDIR", "READDIRPLUS", "READDIRPLUS", "READDIRPLUS", "RELEASEDIR"));
  auto au = RunOps(R"({"op": "readdir", "path": "/d"})", tree, R"({"name": "m0", "readdirplus": "auto"})");
  ASSERT_EQ(au.size(), 1u);
  EXPECT_THAT(au[0].requests, ElementsAre("LOOKUP", "OPENDIR", "READDIRPLUS", "READDIR", "READDIR", "RELEASEDIR"));
  auto off = RunOps(R"({"op": "readdir", "path": "/d"})", tree);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_THAT(off[0].requests, ElementsAre("LOOKUP", "OPENDIR", "READDIR", "READDIR", "RELEASEDIR"));
}

TEST(OpenAt, RelativeToADirectoryDescriptor) {
  auto r = RunOps(R"({"op": "open", "path": "/d", "flags": "O_RDONLY|O_DIRECTORY", "fd": "D"},
                     {"op": "open", "at": "D", "path": "f", "fd": "a"},
                     {"op": "open", "at": "D", "path": "../e/x", "flags": "O_CREAT|O_WRONLY|O_APPEND", "fd": "b"},
                     {"op": "open", "at": "a", "path": "x"},
                     {"op": "open", "at": "D", "path": "/d/f", "fd": "c"})",
                  R"(["/d/", "/d/f", "/e/"])");
  ASSERT_EQ(r.size(), 5u);
  EXPECT_THAT(r[0].requests, ElementsAre("LOOKUP", "OPENDIR"));
  EXPECT_EQ(r[1].result, "ok");
  EXPECT_THAT(r[1].requests, ElementsAre("LOOKUP", "OPEN"));  // f only: the walk starts at /d
  EXPECT_EQ(r[2].result, "ok");
  EXPECT_THAT(r[2].requests, ElementsAre("LOOKUP", "LOOKUP", "CREATE"));  // e, x
  EXPECT_EQ(r[3].result, "ENOTDIR");
  EXPECT_THAT(r[3].requests, IsEmpty());
  EXPECT_EQ(r[4].result, "ok");  // an absolute path ignores the descriptor
  EXPECT_THAT(r[4].requests, ElementsAre("OPEN"));
}

TEST(Notify, InvalEntryDeleteInodeAndEpoch) {
  auto r =
      RunOps(R"({"op": "stat", "path": "/d/f"},
                     {"op": "stat", "path": "/d/f", "after": "srv.0"},
                     {"op": "stat", "path": "/d", "after": "srv.1"},
                     {"op": "stat", "path": "/d/f", "after": "srv.3"},
                     {"op": "stat", "path": "/d/g", "after": "srv.4"})",
             R"(["/d/", "/d/f", "/d/g"])", R"({"name": "m0", "entry_timeout_ms": 100000, "attr_timeout_ms": 100000})",
             R"(, {"name": "srv", "server_side": true, "ops": [
                       {"op": "notify_inval_entry", "mount": "m0", "path": "/d/f", "after": "t1.0"},
                       {"op": "notify_inval_inode", "mount": "m0", "path": "/d/f", "after": "t1.1"},
                       {"op": "unlink", "path": "/d/f", "after": "t1.2"},
                       {"op": "notify_delete", "mount": "m0", "path": "/d/f"},
                       {"op": "notify_inc_epoch", "mount": "m0", "after": "t1.3"},
                       {"op": "notify_inval_entry", "mount": "m0", "path": "/d/nothere"},
                       {"op": "notify_inval_inode", "mount": "m0", "path": "/nothere"}]})");
  ASSERT_EQ(r.size(), 12u);
  EXPECT_THAT(r[1].requests, ElementsAre("LOOKUP"));   // the name was invalidated
  EXPECT_THAT(r[2].requests, ElementsAre("GETATTR"));  // and the parent's attributes
  EXPECT_EQ(r[3].result, "ENOENT");
  EXPECT_THAT(r[3].requests, ElementsAre("LOOKUP"));
  EXPECT_EQ(r[4].result, "ok");
  // Every dentry is stale after the epoch: /d is invalidated (its dentry and
  // inode go: FORGET) and both components are LOOKUPed again.
  EXPECT_THAT(r[4].requests, ElementsAre("FORGET", "LOOKUP", "LOOKUP"));
  EXPECT_EQ(r[5].result, "ok");       // notify_inval_entry
  EXPECT_EQ(r[6].result, "ok");       // notify_inval_inode: f's inode was cached
  EXPECT_EQ(r[8].result, "ok");       // notify_delete
  EXPECT_EQ(r[10].result, "ENOENT");  // a name the mount does not hold
  EXPECT_EQ(r[11].result, "ENOENT");  // a name the server cannot resolve
}

TEST(Readdir, NewInodeAfterAnEvictionKeepsInvalidAttributes) {
  auto r = RunOps(R"({"op": "stat", "path": "/d/a"},
                     {"op": "readdir", "path": "/d", "after": "srv.1"},
                     {"op": "stat", "path": "/d/a"})",
                  R"(["/d/", "/d/a"])", R"({"name": "m0", "readdirplus": "on"})",
                  R"(, {"name": "srv", "server_side": true, "ops": [
                       {"op": "unlink", "path": "/d/a", "after": "t1.0"}, {"op": "mkdir", "path": "/d/a"}]})");
  ASSERT_EQ(r.size(), 5u);
  // The old inode of a is evicted while the READDIRPLUS is handled, so the
  // new directory inode's attributes are not trusted: GETATTR.
  EXPECT_THAT(r[2].requests, ElementsAre("GETATTR"));
}

TEST(Links, LinkRefreshesARegularSourceWithDefaultPermissions) {
  auto r = RunOps(R"({"op": "stat", "path": "/d/f"},
                     {"op": "link", "path": "/d/f", "to": "/d/h"})",
                  R"(["/d/", "/d/f"])", R"({"name": "m0", "attr_timeout_ms": 0, "default_permissions": true})");
  ASSERT_EQ(r.size(), 2u);
  // may_lookup() of / and /d for each walk, the new name's LOOKUP, then
  // may_linkat() (source f) and may_create() (/d).
  EXPECT_THAT(r[1].requests,
              ElementsAre("GETATTR", "GETATTR", "GETATTR", "GETATTR", "LOOKUP", "GETATTR", "GETATTR", "LINK"));
}

TEST(LinksServer, HardLinkCountsNames) {
  model::Server s(model::ServerConfig{}, 1);
  const model::NodeId d = s.AddPath({0}, true);
  const model::NodeId f = s.AddPath({0, 1}, false);
  ASSERT_EQ(s.RemoteLink({0, 1}, {0, 2}), model::Err::kOk);
  EXPECT_EQ(s.Resolve({0, 2}), f);
  EXPECT_EQ(s.RemoteLink({0}, {3}), model::Err::kEPERM);
  EXPECT_EQ(s.RemoteLink({0, 1}, {0, 2}), model::Err::kEEXIST);
  ASSERT_EQ(s.RemoteUnlink({0, 1}), model::Err::kOk);
  ASSERT_NE(s.Find(f), nullptr);
  EXPECT_TRUE(s.Find(f)->linked);  // still /d/2
  EXPECT_EQ(s.Find(f)->links, 1u);
  ASSERT_EQ(s.RemoteUnlink({0, 2}), model::Err::kOk);
  EXPECT_EQ(s.Find(f), nullptr);  // no name, no lookup count, no handle: freed
  (void)d;
}

}  // namespace
}  // namespace fusesim::sim
