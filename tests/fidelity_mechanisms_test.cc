// The kernel mechanisms that differential testing against a real 6.18 kernel
// found (issue 11), each pinned per kernel version: the 6.18 side is what
// `fusesim oracle` confirmed (scenarios/fidelity-*.json), the 5.18 side is the
// older code the version switch keeps.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

struct Outcome {
  RunReport report;
  // "RESULT REQ REQ ..." of op `label`.
  std::string Op(const std::string& label) const {
    for (const OpOutcome& o : report.results) {
      if (o.label != label) continue;
      std::string s(o.result);
      if (!o.requests.empty()) absl::StrAppend(&s, " ", absl::StrJoin(RequestNames(o), " "));
      return s;
    }
    return "no op " + label;
  }
  int Count(const std::string& opcode) const {
    auto it = report.requests.find(opcode);
    return it == report.requests.end() ? 0 : it->second;
  }
  bool Violated(const std::string& invariant) const {
    for (const auto& v : report.violations)
      if (v.invariant == invariant) return true;
    return false;
  }
};

// One sequential run of lookup-create (mainline) on a one-mount scenario.
// `mount` holds the mount's extra keys, `server` the server object.
Outcome Exec(const std::string& mount, const std::string& server, const std::string& ops,
             model::Variant variant = model::Variant::kLookupCreate) {
  const std::string text =
      absl::StrCat(R"({"name": "t", "mounts": [{"name": "m0")", mount.empty() ? "" : ", ", mount, R"(}], "server": )",
                   server, R"(, "threads": [{"name": "t1", "ops": [)", ops, "]}]}");
  auto s = ParseScenario(text, "test.json");
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  SequentialChooser c;
  auto r = Execute(**s, variant, c);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  return Outcome{*r};
}

std::string Open(const std::string& path, const std::string& flags, const std::string& fd = "") {
  return absl::StrCat(R"({"op": "open", "path": ")", path, R"(", "flags": ")", flags, R"(")",
                      fd.empty() ? "" : absl::StrCat(R"(, "fd": ")", fd, R"(")"), "}");
}
std::string Close(const std::string& fd) { return absl::StrCat(R"({"op": "close", "fd": ")", fd, R"("})"); }
std::string Stat(const std::string& path) { return absl::StrCat(R"({"op": "stat", "path": ")", path, R"("})"); }
std::string Rename(const std::string& from, const std::string& to) {
  return absl::StrCat(R"({"op": "rename", "path": ")", from, R"(", "to": ")", to, R"("})");
}
std::string Mkdir(const std::string& path) { return absl::StrCat(R"({"op": "mkdir", "path": ")", path, R"("})"); }
std::string Ops(const std::vector<std::string>& ops) { return absl::StrJoin(ops, ", "); }

constexpr char kK518[] = R"("kernel": "5.18")";

// 1. build_open_flags(): O_CREAT|O_DIRECTORY is EINVAL before any request (6.4+).
TEST(FidelityMechanisms, CreatDirectoryIsEinvalWithoutRequests) {
  const std::string ops = Ops({Open("/new", "O_CREAT|O_DIRECTORY|O_RDONLY"), Open("/f", "O_CREAT|O_DIRECTORY|O_RDONLY"),
                               Open("/d", "O_CREAT|O_EXCL|O_DIRECTORY|O_RDONLY"), Stat("/new")});
  for (model::Variant v : model::AllVariants()) {
    Outcome r = Exec(R"("negative_timeout_ms": 1000)", R"({"tree": ["/f", "/d/"]})", ops, v);
    SCOPED_TRACE(model::VariantName(v));
    EXPECT_EQ(r.Op("t1.0"), "EINVAL");
    EXPECT_EQ(r.Op("t1.1"), "EINVAL");
    EXPECT_EQ(r.Op("t1.2"), "EINVAL");
    EXPECT_EQ(r.Op("t1.3").substr(0, 6), "ENOENT");  // nothing was created
  }
  // 5.18 creates the file, then do_open() fails with ENOTDIR and RELEASEs it.
  Outcome old = Exec(kK518, R"({"tree": []})", Ops({Open("/new", "O_CREAT|O_DIRECTORY|O_RDONLY"), Stat("/new")}));
  EXPECT_EQ(old.Op("t1.0"), "ENOTDIR LOOKUP CREATE RELEASE");
  EXPECT_EQ(old.Op("t1.1"), "ok");
}

// 2. No RELEASE for any regular file once fc->no_open is set (6.18), but a
// directory opened with OPENDIR keeps its RELEASEDIR.
TEST(FidelityMechanisms, NoOpenSuppressesReleaseOfEveryFileAtReleaseTime) {
  const std::string server =
      R"({"tree": ["/f1", "/f2"], "errors": [{"opcode": "OPEN", "errno": "ENOSYS", "path": "/f2"}]})";
  const std::string ops =
      Ops({Open("/f1", "O_RDONLY", "a"), Open("/c", "O_CREAT|O_WRONLY", "c"), Open("/f2", "O_RDONLY", "b"),
           Open("/f1", "O_RDONLY", "d"), Close("a"), Close("c"), Close("b"), Close("d")});
  for (const char* kernel : {"", kK518}) {
    SCOPED_TRACE(kernel);
    Outcome r = Exec(kernel, server, ops);
    EXPECT_EQ(r.Op("t1.2"), "ok LOOKUP OPEN");  // the ENOSYS
    EXPECT_EQ(r.Op("t1.3"), "ok");              // no OPEN any more
    EXPECT_EQ(r.Op("t1.4"), "ok FLUSH");        // opened by OPEN before the ENOSYS
    EXPECT_EQ(r.Op("t1.5"), "ok FLUSH");        // opened by CREATE with a handle
    EXPECT_EQ(r.Op("t1.6"), "ok FLUSH");        // fh 0 still flushes
    EXPECT_EQ(r.Count("RELEASE"), 0);
    EXPECT_TRUE(r.Violated("handle-leak"));  // the server never hears of f1 and c again
  }
}

TEST(FidelityMechanisms, NoOpendirKeepsReleasedirOfDirectoriesOpenedBefore) {
  const std::string server =
      R"({"tree": ["/d1/", "/d2/", "/d3/"], "errors": [{"opcode": "OPENDIR", "errno": "ENOSYS", "path": "/d2"}]})";
  const std::string ops = Ops({Open("/d1", "O_RDONLY", "a"), Open("/d2", "O_RDONLY", "b"), Open("/d3", "O_RDONLY", "c"),
                               Close("a"), Close("b"), Close("c")});
  Outcome r = Exec("", server, ops);
  EXPECT_EQ(r.Op("t1.2"), "ok LOOKUP");
  EXPECT_EQ(r.Op("t1.3"), "ok RELEASEDIR");  // release args allocated at its OPENDIR
  EXPECT_EQ(r.Op("t1.4"), "ok");
  EXPECT_EQ(r.Op("t1.5"), "ok");
  EXPECT_FALSE(r.Violated("handle-leak"));
  // 5.18 tests fc->no_opendir at release time: d1's handle leaks.
  Outcome old = Exec(kK518, server, ops);
  EXPECT_EQ(old.Op("t1.3"), "ok");
  EXPECT_TRUE(old.Violated("handle-leak"));
}

// 3. No NAME_MAX in the walk; FUSE_NAME_MAX in fuse_lookup_name().
TEST(FidelityMechanisms, LongNamesReachTheServerUpToFuseNameMax) {
  const std::string n256(256, 'a'), n1024(1024, 'b'), n1025(1025, 'c'), n3000(3000, 'd');
  const std::string ops =
      Ops({Stat("/" + n256), Stat("/" + n1024), Stat("/" + n1025), Open("/" + n3000, "O_CREAT|O_WRONLY", "x"),
           Close("x"), Mkdir("/" + n1025), Stat("/" + n256 + "/" + n1025)});
  Outcome r = Exec("", R"({"tree": []})", ops);
  EXPECT_EQ(r.Op("t1.0"), "ENOENT LOOKUP");
  EXPECT_EQ(r.Op("t1.1"), "ENOENT LOOKUP");
  EXPECT_EQ(r.Op("t1.2"), "ENOENT LOOKUP");
  EXPECT_EQ(r.Op("t1.3"), "ok LOOKUP CREATE");
  EXPECT_EQ(r.Op("t1.5"), "ok LOOKUP MKDIR");
  EXPECT_EQ(r.Op("t1.6"), "ENOENT LOOKUP");
  // 5.18: FUSE_NAME_MAX was 1024; a longer name fails in fuse_lookup() unsent,
  // wherever it is in the path.
  Outcome old = Exec(kK518, R"({"tree": []})", ops);
  EXPECT_EQ(old.Op("t1.1"), "ENOENT LOOKUP");
  EXPECT_EQ(old.Op("t1.2"), "ENAMETOOLONG");
  EXPECT_EQ(old.Op("t1.3"), "ENAMETOOLONG");
  EXPECT_EQ(old.Op("t1.5"), "ENAMETOOLONG");
  Outcome deep = Exec(kK518, R"({"tree": ["/d/"]})", Stat("/" + n1025 + "/x"));
  EXPECT_EQ(deep.Op("t1.0"), "ENAMETOOLONG");
}

// 4. do_renameat2(): the lock_rename() trap, after both lookups, before vfs_rename().
TEST(FidelityMechanisms, RenameOntoAncestorOrDescendantHitsTheTrap) {
  const std::string ops =
      Ops({Rename("/a", "/a/b/c/n"), Rename("/a/b/c", "/a"), Rename("/a/b", "/a/b/c/d"), Rename("/a/b/c", "/a/b"),
           Rename("/a/f", "/a"), Rename("/a", "/a"), Rename("/a/b/c", "/x/c2")});
  Outcome r = Exec(R"("negative_timeout_ms": 1000)", R"({"tree": ["/a/b/c/", "/a/f", "/x/"]})", ops);
  EXPECT_EQ(r.Op("t1.0"), "EINVAL LOOKUP LOOKUP LOOKUP LOOKUP");  // walk a/b/c, then n
  EXPECT_EQ(r.Op("t1.1"), "ENOTEMPTY LOOKUP");                    // cached; the target is revalidated
  EXPECT_EQ(r.Op("t1.2"), "EINVAL LOOKUP");                       // d
  EXPECT_EQ(r.Op("t1.3"), "ENOTEMPTY LOOKUP");
  EXPECT_EQ(r.Op("t1.4"), "ENOTEMPTY LOOKUP LOOKUP");  // f, then /a: the trap
  EXPECT_EQ(r.Op("t1.5"), "ok LOOKUP");                // source == target: no RENAME
  EXPECT_EQ(r.Op("t1.6"), "ok LOOKUP LOOKUP RENAME");
  EXPECT_EQ(r.Count("RENAME"), 1);
}

// 5. fuse_create_open() keeps the CREATE reply's attributes on O_TRUNC:
// finish_open() clears O_TRUNC before fuse_finish_open() runs.
TEST(FidelityMechanisms, CreateWithTruncKeepsAttributes) {
  const std::string ops =
      Ops({Open("/n", "O_CREAT|O_TRUNC|O_WRONLY", "a"), Stat("/n"), Open("/f", "O_TRUNC|O_WRONLY", "b"), Stat("/f")});
  const std::string mount = R"("attr_timeout_ms": 1000, "negative_timeout_ms": 1000)";
  Outcome r = Exec(mount, R"({"tree": ["/f"]})", ops);
  EXPECT_EQ(r.Op("t1.0"), "ok LOOKUP CREATE");
  EXPECT_EQ(r.Op("t1.1"), "ok");
  EXPECT_EQ(r.Op("t1.3"), "ok GETATTR");  // fuse_open(): fuse_truncate_update_attr()
  // The same on 5.18, where fuse_finish_open() held the truncate code.
  Outcome old = Exec(absl::StrCat(mount, ", ", kK518), R"({"tree": ["/f"]})", ops);
  EXPECT_EQ(old.Op("t1.1"), "ok");
  EXPECT_EQ(old.Op("t1.3"), "ok GETATTR");
  // MKNOD + OPEN: file->f_flags keeps O_TRUNC, so fuse_open() invalidates.
  Outcome mknod = Exec(mount, R"({"tree": [], "unsupported": ["CREATE"]})",
                       Ops({Open("/n", "O_CREAT|O_EXCL|O_TRUNC|O_WRONLY", "a"), Stat("/n")}));
  EXPECT_EQ(mknod.Op("t1.0"), "ok LOOKUP CREATE MKNOD OPEN");
  EXPECT_EQ(mknod.Op("t1.1"), "ok GETATTR");
}

// ... while fuse_open() invalidates after any successful O_TRUNC open, with
// or without an OPEN request (no_open).
TEST(FidelityMechanisms, TruncOpenWithoutOpenRequestStillInvalidates) {
  const std::string ops =
      Ops({Stat("/f"), Open("/f", "O_WRONLY|O_TRUNC", "a"), Stat("/f"), Close("a"), Open("/f", "O_WRONLY|O_TRUNC", "b"),
           Stat("/f"), Open("/f", "O_RDONLY", "c"), Stat("/f")});
  for (const char* kernel : {"", kK518}) {
    SCOPED_TRACE(kernel);
    Outcome r = Exec(absl::StrCat(R"("attr_timeout_ms": 5000)", *kernel ? ", " : "", kernel),
                     R"({"tree": ["/f"], "unsupported": ["OPEN"]})", ops);
    EXPECT_EQ(r.Op("t1.1"), "ok OPEN GETXATTR");  // the ENOSYS, then kill-priv
    EXPECT_EQ(r.Op("t1.2"), "ok GETATTR");
    EXPECT_EQ(r.Op("t1.4"), "ok");  // no OPEN, no_getxattr
    EXPECT_EQ(r.Op("t1.5"), "ok GETATTR");
    EXPECT_EQ(r.Op("t1.7"), "ok");  // a plain open keeps them
  }
}

// 6. vfs_rename(): may_delete(old_dir), then may_create or may_delete(new_dir),
// then the source directory's own check when it changes parent.
TEST(FidelityMechanisms, RenamePermissionChecksEachDirectoryPerCheck) {
  const std::string mount = R"("attr_timeout_ms": 0, "default_permissions": true, "negative_timeout_ms": 1000)";
  const std::string server = R"({"tree": ["/f", "/g", "/s/", "/d/", "/h"]})";
  // Warm the dcache so that only the permission checks send requests; the
  // root's GETATTR before each walk (may_lookup) comes first.
  const std::string warm = Ops({Stat("/f"), Stat("/g"), Stat("/s"), Stat("/d"), Stat("/h"), Stat("/d/x")});
  Outcome r = Exec(mount, server,
                   Ops({warm, Rename("/f", "/n"), Rename("/g", "/h"), Rename("/s", "/d/s"), Rename("/n", "/s2"),
                        Rename("/h", "/d")}));
  // may_lookup of / twice (two walks), the target's forced revalidation
  // (LOOKUP_RENAME_TARGET), may_delete(/), may_create(/).
  EXPECT_EQ(r.Op("t1.6"), "ok GETATTR GETATTR LOOKUP GETATTR GETATTR RENAME");
  // Existing target: may_delete(/) twice.
  EXPECT_EQ(r.Op("t1.7"), "ok GETATTR GETATTR LOOKUP GETATTR GETATTR RENAME FORGET");
  // Cross-directory directory: may_lookup /, /, /d; may_delete(/), may_create(/d), the source.
  EXPECT_EQ(r.Op("t1.8"), "ok GETATTR GETATTR GETATTR LOOKUP GETATTR GETATTR GETATTR RENAME");
  // File onto a directory: EISDIR from may_delete(new_dir), after its permission check.
  EXPECT_EQ(r.Op("t1.10"), "EISDIR GETATTR GETATTR LOOKUP GETATTR GETATTR");
  // With a valid attribute cache the same renames check without requests.
  Outcome cached = Exec(R"("attr_timeout_ms": 100000, "default_permissions": true, "negative_timeout_ms": 1000)",
                        server, Ops({warm, Rename("/h", "/d")}));
  EXPECT_EQ(cached.Op("t1.6"), "EISDIR LOOKUP");
}

}  // namespace
}  // namespace fusesim::sim
