// Tests of the scenario loader (sim/scenario/scenario_loader.h): every class of bad
// input is reported as "x.json:LINE:COL: /json/pointer: message", with the
// valid names listed for unknown ones; and valid input loads with the
// documented defaults (scenario-format.md §1).
//
// The JSON texts are raw string literals written flush left, so the line and
// column of a value are those seen in this file relative to the literal's
// opening brace (line 1, column 1).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/kernel_version.h"
#include "model/request.h"
#include "model/variant.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The message of the error ParseScenario reports for text (named "x.json"),
// or "<loaded>" if it loads. Every load error is InvalidArgument.
std::string LoadError(const std::string& text, const LoaderLimits& limits = kLimits) {
  absl::StatusOr<std::unique_ptr<Scenario>> s = ParseScenario(text, "x.json", limits);
  if (s.ok()) return "<loaded>";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
  return std::string(s.status().message());
}

// Loads text that must be valid.
std::unique_ptr<Scenario> Load(const std::string& text) {
  absl::StatusOr<std::unique_ptr<Scenario>> s = ParseScenario(text, "x.json");
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return nullptr;
  return std::move(*s);
}

// A path in the test's temporary directory.
std::string TempPath(const std::string& name) { return (std::filesystem::path(testing::TempDir()) / name).string(); }

// ---------------------------------------------------------------------------
// Malformed JSON.

TEST(Loader, MalformedJsonMissingComma) {
  // The offending token is the key "threads" at 3:3; the value being scanned
  // is the root object.
  const std::string msg = LoadError(R"({
  "name": "x"
  "threads": []
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:3: /: "));
  EXPECT_THAT(msg, AnyOf(HasSubstr("malformed JSON"), HasSubstr("syntax error")));
}

TEST(Loader, MalformedJsonTruncatedFile) {
  // The closing brace is missing: the error is at the end of the text (4:1),
  // while the root object is being scanned.
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": []
)");
  EXPECT_THAT(msg, StartsWith("x.json:4:1: /: "));
  EXPECT_THAT(msg, AnyOf(HasSubstr("malformed JSON"), HasSubstr("end of input")));
}

TEST(Loader, MalformedJsonTruncatedInsideString) {
  // Cut in the middle of the string value of /threads/0/ops/0/op; the text
  // ends at 4:38.
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": [{"op": "st)");
  EXPECT_THAT(msg, StartsWith("x.json:4:38: /threads/0/ops/0/op: "));
  EXPECT_THAT(msg, AnyOf(HasSubstr("malformed JSON"), HasSubstr("syntax error")));
}

TEST(Loader, MalformedJsonEmptyFile) {
  const std::string msg = LoadError("");
  EXPECT_THAT(msg, StartsWith("x.json:1:1: /: "));
}

TEST(Loader, MalformedJsonInvalidUtf8) {
  // The byte 0xFF cannot occur in UTF-8; it is in the string at /description
  // (which starts at 3:18; the bad byte is at 3:20).
  const std::string msg = LoadError(
      "{\n  \"name\": \"x\",\n  \"description\": \"a\xff"
      "b\",\n  \"threads\": []\n}\n");
  EXPECT_THAT(msg, AnyOf(StartsWith("x.json:3:18: /description: "), StartsWith("x.json:3:20: /description: ")));
}

TEST(Loader, RootMustBeAnObject) {
  EXPECT_THAT(LoadError("[1, 2]"), AllOf(StartsWith("x.json:1:1: /: "), HasSubstr("JSON object"), HasSubstr("array")));
}

TEST(Loader, DuplicateJsonKey) {
  // Reported by the position scanner at the second occurrence of the key.
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "name": "t2", "ops": []}
  ]
})");
  EXPECT_EQ(msg, R"(x.json:4:20: /threads/0/name: duplicate key "name")");
}

TEST(Loader, NestingDeeperThanTheLimit) {
  // The root object is level 1, so the 32nd '[' (column 41) is level 33.
  const std::string text = "{\"name\": " + std::string(40, '[') + std::string(40, ']') + "}";
  std::string pointer = "/name";
  for (int i = 0; i < 31; ++i) pointer += "/0";
  const std::string msg = LoadError(text);
  EXPECT_THAT(msg, StartsWith("x.json:1:41: " + pointer + ": "));
  EXPECT_THAT(msg, HasSubstr("nesting deeper than 32 levels"));
}

TEST(Loader, NestingDeeperThanACustomLimit) {
  LoaderLimits limits;
  limits.max_json_depth = 3;  // root, "threads", a thread; not its "ops"
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": [{"op": "stat", "path": "/"}]}
  ]
})",
                                    limits);
  EXPECT_THAT(msg, StartsWith("x.json:4:27: /threads/0/ops: "));
  EXPECT_THAT(msg, HasSubstr("nesting deeper than 3 levels"));
}

// ---------------------------------------------------------------------------
// Limits.

TEST(Loader, FileAboveMaxFileBytes) {
  LoaderLimits limits;
  limits.max_file_bytes = 16;
  const std::string text = R"({"name": "x", "threads": [{"name": "t1", "ops": []}]})";
  const std::string msg = LoadError(text, limits);
  EXPECT_THAT(msg, StartsWith("x.json:1:1: /: "));
  EXPECT_THAT(msg, HasSubstr(std::to_string(text.size()) + " bytes"));
  EXPECT_THAT(msg, HasSubstr("limit of 16"));
  // At the limit it loads.
  limits.max_file_bytes = text.size();
  EXPECT_EQ(LoadError(text, limits), "<loaded>");
}

TEST(Loader, TooManyThreads) {
  LoaderLimits limits;
  limits.max_threads = 2;
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": []},
    {"name": "t2", "ops": []},
    {"name": "t3", "ops": []}
  ]
})",
                                    limits);
  EXPECT_THAT(msg, StartsWith("x.json:3:14: /threads: "));
  EXPECT_THAT(msg, HasSubstr("3 threads is above the limit of 2"));
}

// ---------------------------------------------------------------------------
// Unknown keys and wrong types.

TEST(Loader, UnknownTopLevelKey) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "nmae": "y",
  "threads": [{"name": "t1", "ops": []}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:11: /nmae: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown key "nmae")"));
  EXPECT_THAT(msg, HasSubstr("valid keys: "));
  EXPECT_THAT(msg, AllOf(HasSubstr("name"), HasSubstr("threads"), HasSubstr("expect")));
}

TEST(Loader, UnknownKeyInsideAnOp) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "open", "path": "/f", "flgs": "O_RDONLY"}]}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:75: /threads/0/ops/0/flgs: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown key "flgs")"));
  EXPECT_THAT(msg, AllOf(HasSubstr("flags"), HasSubstr("path"), HasSubstr("mode"), HasSubstr("fd")));
}

TEST(Loader, MissingRequiredKeyPointsAtTheObject) {
  EXPECT_THAT(LoadError(R"({"threads": [{"name": "t1", "ops": []}]})"),
              AllOf(StartsWith("x.json:1:1: /: "), HasSubstr(R"(missing required key "name")")));
}

TEST(Loader, WrongTypeStringWhereNumberExpected) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "mounts": [{"name": "m0", "entry_timeout_ms": "1000"}],
  "threads": [{"name": "t1", "ops": []}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:49: /mounts/0/entry_timeout_ms: "));
  EXPECT_THAT(msg, AllOf(HasSubstr("expected a number"), HasSubstr("string")));

  const std::string msg2 = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "schedule": {"mode": "random", "seed": "7"}
})");
  EXPECT_THAT(msg2, StartsWith("x.json:4:42: /schedule/seed: "));
  EXPECT_THAT(msg2, AllOf(HasSubstr("expected a non-negative integer"), HasSubstr("string")));
}

TEST(Loader, WrongTypeObjectWhereArrayExpected) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": {"name": "t1", "ops": []}
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:14: /threads: "));
  EXPECT_THAT(msg, AllOf(HasSubstr("expected an array"), HasSubstr("object")));

  const std::string msg2 = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": {"op": "stat"}}]
})");
  EXPECT_THAT(msg2, StartsWith("x.json:3:37: /threads/0/ops: "));
  EXPECT_THAT(msg2, AllOf(HasSubstr("expected an array"), HasSubstr("object")));
}

// ---------------------------------------------------------------------------
// Unknown names: ops, opcodes, errnos, variants, invariants.

TEST(Loader, UnknownOpNameListsValidOps) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "opne", "path": "/f"}]}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:45: /threads/0/ops/0/op: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown op "opne")"));
  EXPECT_THAT(msg, HasSubstr("valid: open, close, stat, unlink, mkdir, rmdir, rename, sleep, drop_caches"));

  // A server-side thread has its own ops.
  const std::string msg2 = LoadError(R"({
  "name": "x",
  "threads": [{"name": "r", "server_side": true, "ops": [{"op": "open", "path": "/f"}]}]
})");
  EXPECT_THAT(msg2, StartsWith("x.json:3:65: /threads/0/ops/0/op: "));
  EXPECT_THAT(msg2, HasSubstr(R"(unknown server-side op "open")"));
  EXPECT_THAT(msg2, HasSubstr("valid: create, unlink, mkdir, rmdir, rename, sleep"));
}

TEST(Loader, UnknownOpcodeInServerUnsupported) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "server": {"unsupported": ["ATOMIC_CRAETE"]}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:30: /server/unsupported/0: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown opcode "ATOMIC_CRAETE")"));
  EXPECT_THAT(msg, AllOf(HasSubstr("valid: "), HasSubstr("ATOMIC_CREATE"), HasSubstr("LOOKUP"), HasSubstr("CREATE")));
}

TEST(Loader, UnknownOpcodeInExpectRequests) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "expect": {"all": {"requests": {"LOKUP": 1}}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:44: /expect/all/requests/LOKUP: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown opcode "LOKUP")"));
  EXPECT_THAT(msg, AllOf(HasSubstr("valid: "), HasSubstr("LOOKUP"), HasSubstr("CREATE")));
}

TEST(Loader, RequestsPerOpErrorsArePlaced) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"requests_per_op": {"t1.0": ["LOOKUP", "GETATR"]}}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:61: /expect/all/requests_per_op/t1.0/1: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(unknown opcode "GETATR")"), HasSubstr("FORGET*"), HasSubstr("GETATTR")));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"requests_per_op": {"t9.0": []}}}
})"),
              AllOf(StartsWith("x.json:4:50: /expect/all/requests_per_op/t9.0: "), HasSubstr(R"(unknown op "t9.0")")));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"requests_per_op": {"t1.0": "LOOKUP"}}}
})"),
              AllOf(HasSubstr("/expect/all/requests_per_op/t1.0: "), HasSubstr("expected an array of opcode names")));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"requests_per_op": {"t1.0": {"any_of": []}}}}
})"),
              HasSubstr("/expect/all/requests_per_op/t1.0: expected {\"any_of\""));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"requests_per_op": {"t1.0": {"any_of": [["LOOKUP"], [7]]}}}}
})"),
              HasSubstr("/expect/all/requests_per_op/t1.0/any_of/1/0: expected an opcode name, got number"));
}

TEST(Loader, UnknownErrnoInServerErrors) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "server": {"errors": [{"opcode": "CREATE", "errno": "EFOO"}]}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:55: /server/errors/0/errno: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown errno "EFOO")"));
  EXPECT_THAT(msg, AllOf(HasSubstr("valid: "), HasSubstr("EIO"), HasSubstr("EEXIST")));
}

TEST(Loader, UnknownErrnoInExpectResults) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"results": {"t1.0": "EFOO"}}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:42: /expect/all/results/t1.0: "));
  EXPECT_THAT(msg, HasSubstr(R"("EFOO")"));
  EXPECT_THAT(msg, AllOf(HasSubstr("valid: "), HasSubstr("ok+created"), HasSubstr("EEXIST"), HasSubstr("ENOENT")));
}

TEST(Loader, UnknownVariantInVariants) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "variants": ["lookup-craete"]
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:16: /variants/0: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown variant "lookup-craete")"));
  EXPECT_THAT(msg, HasSubstr("valid: lookup-create, atomic-create, create-skip-lookup, create-ext, open-atomic"));
}

TEST(Loader, UnknownVariantAsExpectKey) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "expect": {"lookup-craete": {}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:31: /expect/lookup-craete: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown variant "lookup-craete")"));
  EXPECT_THAT(msg, HasSubstr("valid: all, lookup-create"));
}

TEST(Loader, ExpectForAVariantNotInVariants) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "variants": ["lookup-create"],
  "expect": {"open-atomic": {"invariants": "hold"}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:5:29: /expect/open-atomic: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"("open-atomic")"), HasSubstr("not in"), HasSubstr(R"("variants")")));
}

TEST(Loader, InvariantNameTypoInViolations) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "expect": {"all": {"violations": ["fmode-create"]}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:37: /expect/all/violations/0: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown invariant "fmode-create")"));
  EXPECT_THAT(msg, AllOf(HasSubstr("valid: "), HasSubstr("fmode-created"), HasSubstr("bug:d_splice_alias-hashed")));
}

TEST(Loader, InvariantsHoldContradictsViolations) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "expect": {"all": {"invariants": "hold", "violations": ["fmode-created"]}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:36: /expect/all/invariants: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"("hold")"), HasSubstr("violations")));
  // An empty list agrees with "hold".
  EXPECT_EQ(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "expect": {"all": {"invariants": "hold", "violations": []}}
})"),
            "<loaded>");
}

// ---------------------------------------------------------------------------
// File descriptors.

TEST(Loader, CloseOfAnUndefinedFd) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": [
      {"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
      {"op": "close", "fd": "b"}
    ]}
  ]
})");
  EXPECT_THAT(msg, StartsWith("x.json:6:29: /threads/0/ops/1/fd: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(fd "b")"), HasSubstr(R"(thread "t1")"), HasSubstr("defined: a")));
}

TEST(Loader, FdClosedTwice) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": [
      {"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
      {"op": "close", "fd": "a"},
      {"op": "close", "fd": "a"}
    ]}
  ]
})");
  EXPECT_THAT(msg, StartsWith("x.json:7:29: /threads/0/ops/2/fd: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(fd "a")"), HasSubstr("closed twice")));
}

TEST(Loader, DuplicateFdLabel) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": [
      {"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
      {"op": "open", "path": "/g", "fd": "a"}
    ]}
  ]
})");
  EXPECT_THAT(msg, StartsWith("x.json:6:42: /threads/0/ops/1/fd: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(duplicate fd label "a")"), HasSubstr(R"(thread "t1")")));
}

// ---------------------------------------------------------------------------
// Mounts and threads.

TEST(Loader, UnknownMountInAThread) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "mount": "m9", "ops": []}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:39: /threads/0/mount: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(unknown mount "m9")"), HasSubstr("m0")));
}

TEST(Loader, DuplicateThreadName) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": []},
    {"name": "t1", "ops": []}
  ]
})");
  EXPECT_THAT(msg, StartsWith("x.json:5:14: /threads/1/name: "));
  EXPECT_THAT(msg, HasSubstr(R"(duplicate thread name "t1")"));
}

TEST(Loader, DuplicateMountName) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "mounts": [{"name": "m0"}, {"name": "m0"}],
  "threads": [{"name": "t1", "ops": []}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:39: /mounts/1/name: "));
  EXPECT_THAT(msg, HasSubstr(R"(duplicate mount name "m0")"));
}

TEST(Loader, PointerTokensAreEscaped) {
  // "/" in a key is "~1" in a JSON pointer (RFC 6901).
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "expect": {"all": {"dentries": {"m9:/d/f": "positive"}}}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:46: /expect/all/dentries/m9:~1d~1f: "));
  EXPECT_THAT(msg, HasSubstr(R"(unknown mount "m9")"));
}

// ---------------------------------------------------------------------------
// Paths.

// The error for a stat of `path` (its value is at 3:61).
std::string PathError(const std::string& path) {
  return LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": ")" +
                   path + R"("}]}]
})");
}

TEST(Loader, PathNotAbsolute) {
  const std::string msg = PathError("d/f");
  EXPECT_THAT(msg, StartsWith("x.json:3:61: /threads/0/ops/0/path: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"("d/f")"), HasSubstr("not absolute")));
  EXPECT_THAT(PathError(""), AllOf(StartsWith("x.json:3:61: /threads/0/ops/0/path: "), HasSubstr("not absolute")));
}

TEST(Loader, PathWithTrailingSlash) {
  const std::string msg = PathError("/d/");
  EXPECT_THAT(msg, StartsWith("x.json:3:61: /threads/0/ops/0/path: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"("/d/")"), HasSubstr("ends with /")));
}

TEST(Loader, PathWithEmptyComponentOrDotDot) {
  EXPECT_THAT(PathError("/d//f"),
              AllOf(StartsWith("x.json:3:61: /threads/0/ops/0/path: "), HasSubstr(R"("/d//f")"), HasSubstr("//")));
  // Kernel-side ops may use . and .. (the walk handles them).
  const std::string ok = R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/d/../f"}, {"op": "rename", "path": "/./a", "to": "/b/.."}]}]
})";
  EXPECT_EQ(LoadError(ok), "<loaded>");
  // Server-side ops and the tree may not.
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "r", "server_side": true, "ops": [{"op": "rename", "path": "/a", "to": "/b/.."}]}]
})"),
              AllOf(StartsWith("x.json:3:95: /threads/0/ops/0/to: "), HasSubstr("only the paths of kernel-side ops")));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "server": {"tree": ["/d/", "/d/./e"]}
})"),
              AllOf(StartsWith("x.json:4:30: /server/tree/1: "), HasSubstr(R"("/d/./e")")));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "server": {"tree": ["/d/", "/d//"]}
})"),
              AllOf(StartsWith("x.json:4:30: /server/tree/1: "), HasSubstr(R"("/d//")")));
}

// ---------------------------------------------------------------------------
// symlink, readlink, link, chmod, truncate, lstat, cache_symlinks.

std::string OpError(const std::string& op, bool server_side = false) {
  return LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", )" +
                   std::string(server_side ? R"("server_side": true, )" : "") + R"("ops": [)" + op + R"(]}]
})");
}

TEST(Loader, LinkOpsLoad) {
  auto s = Load(R"({
  "name": "x",
  "mounts": [{"name": "m0", "cache_symlinks": true}],
  "threads": [
    {"name": "t1", "ops": [
      {"op": "symlink", "target": "../a/./b", "path": "/d/l"},
      {"op": "readlink", "path": "/d/l"},
      {"op": "link", "path": "/d/f", "to": "/d/g"},
      {"op": "chmod", "path": "/d/f", "mode": "0600"},
      {"op": "truncate", "path": "/d/f", "size": 4096},
      {"op": "stat", "path": "/d/l", "nofollow": true},
      {"op": "open", "path": "/d/l", "flags": "O_RDONLY|O_NOFOLLOW|O_APPEND"}]},
    {"name": "r", "server_side": true, "ops": [
      {"op": "symlink", "target": "/abs", "path": "/d/m"},
      {"op": "link", "path": "/d/f", "to": "/d/h"},
      {"op": "chmod", "path": "/d/f", "mode": 384}]}]
})");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->mounts[0].cache_symlinks);
  const auto& ops = s->threads[0].ops;
  EXPECT_EQ(ops[0].kind, OpKind::kSymlink);
  EXPECT_EQ(ops[0].target(), "../a/./b");
  EXPECT_FALSE(ops[0].target_abs);
  ASSERT_EQ(ops[0].target_ids().size(), 4u);
  EXPECT_EQ(s->names.Name(ops[0].target_ids()[0]), "..");
  EXPECT_EQ(ops[1].kind, OpKind::kReadlink);
  EXPECT_EQ(ops[2].kind, OpKind::kLink);
  EXPECT_EQ(ops[3].mode, 0600u);
  EXPECT_EQ(ops[4].size(), 4096u);
  EXPECT_TRUE(ops[5].nofollow);
  EXPECT_EQ(ops[6].flags, model::kONofollow | model::kOAppend);
  const auto& rops = s->threads[1].ops;
  EXPECT_EQ(rops[0].kind, OpKind::kServerSymlink);
  EXPECT_TRUE(rops[0].target_abs);
  EXPECT_EQ(rops[1].kind, OpKind::kServerLink);
  EXPECT_EQ(rops[2].kind, OpKind::kServerChmod);
  EXPECT_EQ(rops[2].mode, 0600u);
}

TEST(Loader, LinkOpErrorsAreLocated) {
  EXPECT_THAT(OpError(R"({"op": "symlink", "path": "/l"})"),
              AllOf(StartsWith("x.json:3:38: /threads/0/ops/0: "), HasSubstr(R"(missing required key "target")")));
  EXPECT_THAT(OpError(R"({"op": "symlink", "target": "", "path": "/l"})"),
              AllOf(StartsWith("x.json:3:66: /threads/0/ops/0/target: "), HasSubstr("must not be empty")));
  EXPECT_THAT(OpError(R"({"op": "symlink", "target": 5, "path": "/l"})"),
              StartsWith("x.json:3:66: /threads/0/ops/0/target: expected a string"));
  EXPECT_THAT(OpError(R"({"op": "readlink", "path": "/l", "to": "/m"})"),
              AllOf(StartsWith("x.json:3:77: /threads/0/ops/0/to: "), HasSubstr(R"(unknown key "to")")));
  EXPECT_THAT(OpError(R"({"op": "link", "path": "/f"})"),
              AllOf(StartsWith("x.json:3:38: /threads/0/ops/0: "), HasSubstr(R"(missing required key "to")")));
  EXPECT_THAT(OpError(R"({"op": "chmod", "path": "/f"})"),
              AllOf(StartsWith("x.json:3:38: /threads/0/ops/0: "), HasSubstr(R"(missing required key "mode")")));
  EXPECT_THAT(OpError(R"({"op": "chmod", "path": "/f", "mode": "0999"})"),
              AllOf(StartsWith("x.json:3:76: /threads/0/ops/0/mode: "), HasSubstr("octal")));
  EXPECT_THAT(OpError(R"({"op": "truncate", "path": "/f"})"),
              AllOf(StartsWith("x.json:3:38: /threads/0/ops/0: "), HasSubstr(R"(missing required key "size")")));
  EXPECT_THAT(OpError(R"({"op": "truncate", "path": "/f", "size": -1})"),
              AllOf(StartsWith("x.json:3:79: /threads/0/ops/0/size: "), HasSubstr("non-negative integer")));
  EXPECT_THAT(OpError(R"({"op": "stat", "path": "/f", "nofollow": 1})"),
              AllOf(StartsWith("x.json:3:79: /threads/0/ops/0/nofollow: "), HasSubstr("true or false")));
  EXPECT_THAT(OpError(R"({"op": "open", "path": "/f", "flags": "O_NOFOLOW"})"),
              AllOf(StartsWith("x.json:3:76: /threads/0/ops/0/flags: "), HasSubstr("O_NOFOLLOW, O_APPEND")));
  // Server-side: no readlink or truncate, and no . or ...
  EXPECT_THAT(OpError(R"({"op": "readlink", "path": "/l"})", true),
              AllOf(StartsWith("x.json:3:66: /threads/0/ops/0/op: "), HasSubstr("symlink, link, chmod")));
  EXPECT_THAT(OpError(R"({"op": "symlink", "target": "a", "path": "/d/../l"})", true),
              AllOf(StartsWith("x.json:3:100: /threads/0/ops/0/path: "), HasSubstr("kernel-side")));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "mounts": [{"name": "m0", "cache_symlinks": "yes"}],
  "threads": [{"name": "t1", "ops": []}]
})"),
              StartsWith("x.json:3:47: /mounts/0/cache_symlinks: expected true or false"));
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "mounts": [{"name": "m0", "readdirplus": "always"}],
  "threads": [{"name": "t1", "ops": []}]
})"),
              StartsWith("x.json:3:44: /mounts/0/readdirplus: unknown readdirplus \"always\"; valid: off, auto, on"));
  EXPECT_THAT(OpError(R"({"op": "open", "path": "f", "at": "D"})"),
              AllOf(StartsWith("x.json:3:72: /threads/0/ops/0/at: "), HasSubstr("is not opened earlier")));
  EXPECT_THAT(OpError(R"({"op": "open", "path": "/d", "fd": "D"}, {"op": "close", "fd": "D"},
                         {"op": "open", "path": "f", "at": "D"})"),
              AllOf(StartsWith("x.json:4:60: /threads/0/ops/2/at: "), HasSubstr("is closed before this op")));
  EXPECT_THAT(OpError(R"({"op": "open", "path": "/d", "fd": "D"}, {"op": "open", "path": "a//b", "at": "D"})"),
              AllOf(StartsWith("x.json:3:102: /threads/0/ops/1/path: "), HasSubstr("empty component")));
  EXPECT_THAT(OpError(R"({"op": "open", "path": "/d", "fd": "D"}, {"op": "stat", "path": "f", "at": "D"})"),
              AllOf(StartsWith("x.json:3:113: /threads/0/ops/1/at: "), HasSubstr(R"(unknown key "at")")));
  EXPECT_THAT(OpError(R"({"op": "notify_inval_entry", "path": "/d"})", true),
              AllOf(StartsWith("x.json:3:59: /threads/0/ops/0: "), HasSubstr(R"(missing required key "mount")")));
  EXPECT_THAT(
      OpError(R"({"op": "notify_delete", "mount": "m9", "path": "/d"})", true),
      AllOf(StartsWith("x.json:3:92: /threads/0/ops/0/mount: "), HasSubstr(R"(unknown mount "m9"; defined: m0)")));
  EXPECT_THAT(OpError(R"({"op": "notify_inval_entry", "mount": "m0", "path": "/"})", true),
              AllOf(StartsWith("x.json:3:111: /threads/0/ops/0/path: "), HasSubstr("needs a name")));
  EXPECT_THAT(OpError(R"({"op": "notify_inc_epoch", "mount": "m0", "path": "/d"})", true),
              AllOf(StartsWith("x.json:3:109: /threads/0/ops/0/path: "), HasSubstr(R"(unknown key "path")")));
  EXPECT_THAT(OpError(R"({"op": "notify_inc_epoch", "mount": "m0"})"),
              AllOf(StartsWith("x.json:3:45: /threads/0/ops/0/op: "), HasSubstr(R"(unknown op "notify_inc_epoch")")));
  EXPECT_THAT(OpError(R"({"op": "readdir", "path": "/d", "fd": "a"})"),
              AllOf(StartsWith("x.json:3:76: /threads/0/ops/0/fd: "), HasSubstr(R"(unknown key "fd")")));
}

// ---------------------------------------------------------------------------
// "after".

TEST(Loader, UnknownAfterOp) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/", "after": "t9.0"}]}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:75: /threads/0/ops/0/after: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(unknown op "t9.0")"), HasSubstr("t1.0")));
}

TEST(Loader, AfterCycleBetweenThreads) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": [{"op": "stat", "path": "/", "after": "t2.0"}]},
    {"name": "t2", "ops": [{"op": "stat", "path": "/", "after": "t1.0"}]}
  ]
})");
  // Either end of the cycle is a fine place to report it.
  EXPECT_THAT(msg, AnyOf(StartsWith("x.json:4:65: /threads/0/ops/0/after: "),
                         StartsWith("x.json:5:65: /threads/1/ops/0/after: ")));
  EXPECT_THAT(msg, AllOf(HasSubstr("t1.0"), HasSubstr("t2.0"), HasSubstr("cycle")));
}

TEST(Loader, AfterCycleThroughThreadOrder) {
  // t1.0 waits for t1.1, which runs after t1.0 in its thread. The only
  // "after" in the cycle is t1.0's, so that is where the error points.
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [
    {"name": "t1", "ops": [
      {"op": "stat", "path": "/", "after": "t1.1"},
      {"op": "stat", "path": "/"}
    ]}
  ]
})");
  EXPECT_THAT(msg, StartsWith("x.json:5:44: /threads/0/ops/0/after: "));
  EXPECT_THAT(msg, AllOf(HasSubstr("t1.0"), HasSubstr("t1.1"), HasSubstr("cycle")));
}

TEST(Loader, AfterItself) {
  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/", "after": ["t1.0"]}]}]
})"),
              AllOf(StartsWith("x.json:3:76: /threads/0/ops/0/after/0: "), HasSubstr("itself")));
}

// ---------------------------------------------------------------------------
// Schedules.

TEST(Loader, UnknownScheduleMode) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "schedule": {"mode": "explor"}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:24: /schedule/mode: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(unknown schedule mode "explor")"),
                         HasSubstr("valid: sequential, replay, random, pct, explore")));
}

TEST(Loader, UnknownReplayStepName) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": []}],
  "schedule": {"mode": "replay", "steps": ["t1", "bg:m0", "t2"]}
})");
  EXPECT_THAT(msg, StartsWith("x.json:4:59: /schedule/steps/2: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(unknown thread "t2")"), HasSubstr("valid: t1, bg:m0")));
}

TEST(Loader, ReplayStepsAcceptBackgroundActors) {
  auto s = Load(R"({
  "name": "x",
  "mounts": [{"name": "m0"}, {"name": "m1"}],
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "schedule": {"mode": "replay", "steps": ["t1", "bg:m0", "bg:m1", "t1"]}
})");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->schedule.mode, ScheduleSpec::Mode::kReplay);
  EXPECT_EQ(s->schedule.steps, (std::vector<std::string>{"t1", "bg:m0", "bg:m1", "t1"}));
}

// ---------------------------------------------------------------------------
// Open flags and modes.

TEST(Loader, BadFlagsToken) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONY"}]}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:76: /threads/0/ops/0/flags: "));
  EXPECT_THAT(msg, AllOf(HasSubstr(R"(unknown flag "O_WRONY")"), HasSubstr("O_WRONLY"), HasSubstr("O_CREAT")));
}

TEST(Loader, TwoAccessModes) {
  const std::string msg = LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "open", "path": "/f", "flags": "O_RDONLY|O_WRONLY"}]}]
})");
  EXPECT_THAT(msg, StartsWith("x.json:3:76: /threads/0/ops/0/flags: "));
  EXPECT_THAT(msg, HasSubstr("at most one of O_RDONLY, O_WRONLY, O_RDWR"));
}

TEST(Loader, ModeParsing) {
  auto s = Load(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [
    {"op": "open", "path": "/f", "flags": "O_CREAT | O_RDWR", "mode": "0644"},
    {"op": "open", "path": "/g", "flags": "O_CREAT|O_WRONLY", "mode": "600"},
    {"op": "open", "path": "/h", "flags": "O_CREAT|O_WRONLY", "mode": 420},
    {"op": "open", "path": "/i"}
  ]}]
})");
  ASSERT_NE(s, nullptr);
  const auto& ops = s->threads[0].ops;
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].mode, 0644u);
  EXPECT_EQ(ops[0].flags, static_cast<uint32_t>(model::kOCreat | model::kORdwr));
  EXPECT_EQ(ops[0].flags_text(), "O_CREAT | O_RDWR");
  EXPECT_EQ(ops[1].mode, 0600u);
  EXPECT_EQ(ops[2].mode, 0644u);  // 420 decimal
  EXPECT_EQ(ops[3].mode, 0644u);  // default
  EXPECT_EQ(ops[3].flags, static_cast<uint32_t>(model::kORdonly));
  EXPECT_EQ(ops[3].flags_text(), "O_RDONLY");

  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "open", "path": "/f", "mode": "0968"}]}]
})"),
              AllOf(StartsWith("x.json:3:75: /threads/0/ops/0/mode: "), HasSubstr("octal"), HasSubstr(R"("0968")")));
}

// ---------------------------------------------------------------------------
// Valid scenarios.

TEST(Loader, MinimalScenarioLoadsWithDefaults) {
  auto s = Load(R"({"name": "x", "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}]})");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->file, "x.json");
  EXPECT_EQ(s->name, "x");
  EXPECT_EQ(s->description, "");
  ASSERT_EQ(s->mounts.size(), 1u);
  EXPECT_EQ(s->mounts[0].name, "m0");
  EXPECT_EQ(s->mounts[0].timeouts.entry_us, 1000000u);
  EXPECT_EQ(s->mounts[0].timeouts.attr_us, 1000000u);
  EXPECT_EQ(s->mounts[0].timeouts.negative_us, 0u);
  EXPECT_EQ(s->mounts[0].kernel, model::KernelVersion::k6_18);
  EXPECT_FALSE(s->mounts[0].parallel_dirops);
  EXPECT_FALSE(s->mounts[0].default_permissions);
  EXPECT_FALSE(s->variants_given);
  EXPECT_EQ(s->variants, (std::vector<model::Variant>{model::Variant::kLookupCreate, model::Variant::kAtomicCreate,
                                                      model::Variant::kCreateSkipLookup, model::Variant::kCreateExt,
                                                      model::Variant::kOpenAtomic}));
  EXPECT_EQ(s->schedule.mode, ScheduleSpec::Mode::kSequential);
  EXPECT_TRUE(s->tree.empty());
  EXPECT_TRUE(s->expect.empty());
  ASSERT_EQ(s->threads.size(), 1u);
  EXPECT_EQ(s->threads[0].mount, 0);
  EXPECT_FALSE(s->threads[0].server_side);
  ASSERT_EQ(s->threads[0].ops.size(), 1u);
  EXPECT_EQ(s->threads[0].ops[0].kind, OpKind::kStat);
  EXPECT_EQ(s->threads[0].ops[0].path, "/");
  EXPECT_TRUE(s->threads[0].ops[0].path_ids.empty());
}

TEST(Loader, FractionalMilliseconds) {
  auto s = Load(R"({
  "name": "x",
  "mounts": [{"name": "m0", "entry_timeout_ms": 0.5, "attr_timeout_ms": 2,
              "negative_timeout_ms": 1.25, "kernel": "5.18"}],
  "threads": [{"name": "t1", "ops": [{"op": "sleep", "ms": 0.001}, {"op": "sleep", "ms": 2.5}]}]
})");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->mounts[0].timeouts.entry_us, 500u);
  EXPECT_EQ(s->mounts[0].timeouts.attr_us, 2000u);
  EXPECT_EQ(s->mounts[0].timeouts.negative_us, 1250u);
  EXPECT_EQ(s->mounts[0].kernel, model::KernelVersion::k5_18);
  EXPECT_EQ(s->threads[0].ops[0].sleep_us(), 1u);
  EXPECT_EQ(s->threads[0].ops[1].sleep_us(), 2500u);

  EXPECT_THAT(LoadError(R"({
  "name": "x",
  "mounts": [{"name": "m0", "entry_timeout_ms": -1}],
  "threads": [{"name": "t1", "ops": []}]
})"),
              AllOf(StartsWith("x.json:3:49: /mounts/0/entry_timeout_ms: "), HasSubstr("-1")));
}

TEST(Loader, OpLabelsAndGlobalIndices) {
  auto s = Load(R"({
  "name": "x",
  "server": {"tree": ["/d/", "/d/e"]},
  "threads": [
    {"name": "t1", "ops": [{"op": "stat", "path": "/d"}, {"op": "unlink", "path": "/d/e"}]},
    {"name": "r", "server_side": true, "ops": [{"op": "create", "path": "/d/e", "after": ["t1.1", "t1.0"]}]},
    {"name": "t2", "ops": [{"op": "stat", "path": "/d/e", "after": "r.0"}]}
  ]
})");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->threads.size(), 3u);
  EXPECT_EQ(s->threads[0].ops[0].label(), "t1.0");
  EXPECT_EQ(s->threads[0].ops[1].label(), "t1.1");
  EXPECT_EQ(s->threads[1].ops[0].label(), "r.0");
  EXPECT_EQ(s->threads[2].ops[0].label(), "t2.0");
  EXPECT_EQ(s->threads[0].ops[0].global, 0);
  EXPECT_EQ(s->threads[0].ops[1].global, 1);
  EXPECT_EQ(s->threads[1].ops[0].global, 2);
  EXPECT_EQ(s->threads[2].ops[0].global, 3);
  EXPECT_EQ(s->ops, (std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 0}, {2, 0}}));
  EXPECT_EQ(s->op(2).label(), "r.0");
  EXPECT_EQ(s->op(2).kind, OpKind::kServerCreate);
  EXPECT_EQ(s->op(2).after(), (std::vector<int>{1, 0}));
  EXPECT_EQ(s->op(3).after(), (std::vector<int>{2}));
  EXPECT_TRUE(s->threads[1].server_side);
  ASSERT_EQ(s->tree.size(), 2u);
  EXPECT_EQ(s->tree[0].path, "/d");
  EXPECT_TRUE(s->tree[0].is_dir);
  EXPECT_EQ(s->tree[1].path, "/d/e");
  EXPECT_FALSE(s->tree[1].is_dir);
  EXPECT_EQ(s->paths, (std::vector<std::string>{"/d", "/d/e"}));
}

TEST(Loader, LoadScenarioMissingFileNamesTheFile) {
  const std::string path = TempPath("fusesim-loader-test-no-such-file.json");
  std::remove(path.c_str());
  absl::StatusOr<std::unique_ptr<Scenario>> s = LoadScenario(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), StartsWith(path + ": "));
}

TEST(Loader, LoadScenarioOnADirectorySaysSo) {
  const std::string dir = TempPath("fusesim-loader-test-dir");
  std::filesystem::create_directories(dir);
  absl::StatusOr<std::unique_ptr<Scenario>> s = LoadScenario(dir);
  ASSERT_FALSE(s.ok());
  const std::string msg(s.status().message());
  EXPECT_THAT(msg, StartsWith(dir + ": "));
  EXPECT_THAT(msg, HasSubstr("directory"));
  EXPECT_THAT(msg, Not(HasSubstr("syntax error")));
  std::filesystem::remove(dir);
}

TEST(Loader, LoadScenarioReadsAFile) {
  const std::string path = TempPath("fusesim-loader-test-ok.json");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string text = "{\n  \"name\": \"from-file\",\n  \"threads\": 1\n}\n";
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  absl::StatusOr<std::unique_ptr<Scenario>> s = LoadScenario(path);
  ASSERT_FALSE(s.ok());
  // Errors name the file as given.
  EXPECT_THAT(std::string(s.status().message()), StartsWith(path + ":3:14: /threads: "));
  std::remove(path.c_str());
}

// compound_excl (compound-create): both values load, the default is
// "server", anything else is an error at its JSON pointer.
TEST(Loader, CompoundExclKnob) {
  const std::string head =
      R"({"name": "x", "threads": [{"name": "t", "ops": [{"op": "stat", "path": "/f"}]}], "server": {)";
  auto def = Load(head + "}}");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(def->server.compound_excl, model::CompoundExcl::kServer);
  auto recheck = Load(head + R"("compound_excl": "kernel-recheck"}})");
  ASSERT_NE(recheck, nullptr);
  EXPECT_EQ(recheck->server.compound_excl, model::CompoundExcl::kKernelRecheck);
  std::string msg = LoadError(head + R"("compound_excl": "kernel"}})");
  EXPECT_THAT(msg, HasSubstr("/server/compound_excl"));
  EXPECT_THAT(msg, HasSubstr("valid: server, kernel-recheck"));
}

// An op is about 160 bytes (a scenario of a million creates holds two million
// of them): the rare fields are out of line and the label is made on demand.
TEST(Loader, OpSpecIsCompact) {
  EXPECT_LE(sizeof(OpSpec), 160u);
  auto s = ParseScenario(R"({"name": "x", "threads": [{"name": "t1", "ops": [
    {"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"}, {"op": "close", "fd": "a"},
    {"op": "stat", "path": "/f", "after": "t1.0"}]}]})",
                         "x.json");
  ASSERT_TRUE(s.ok()) << s.status();
  const auto& ops = (*s)->threads[0].ops;
  EXPECT_EQ(ops[1].label(), "t1.1");
  EXPECT_EQ(ops[0].flags_text(), "O_CREAT|O_WRONLY");
  EXPECT_TRUE(ops[0].to().empty());
  EXPECT_EQ(ops[2].after(), std::vector<int>{0});
  EXPECT_EQ(ops[1].flags_text(), "");
}

// Labels are looked up by thread name and index, not in a table of every
// label: only the index as OpSpec::label writes it names an op.
TEST(Loader, AfterNamesAnOpOnlyByItsExactLabel) {
  const std::string head = R"({"name": "x", "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/f"},
  {"op": "stat", "path": "/f", "after": ")";
  for (const char* bad : {"t1.00", "t1.+0", "t1.", "t1.2", "t1.0x", ".0", "t2.0", "t1.99999999999"}) {
    EXPECT_THAT(LoadError(head + bad + "\"}]}]}"), HasSubstr(absl::StrCat("unknown op \"", bad, "\"")));
  }
  EXPECT_EQ(LoadError(head + "t1.0\"}]}]}"), "<loaded>");
}

}  // namespace
}  // namespace fusesim::sim
