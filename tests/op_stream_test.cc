// Tests of sim/scenario/op_stream.h: the ops are dropped from the DOM and
// handed out one by one in document order, whatever the order of the keys,
// and a scenario loads the same whether its ops come before or after what
// they need (mounts, the thread's name and side).
#include "sim/scenario/op_stream.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(OpStream, DropsOpsAndCountsThem) {
  const std::string text = R"({"threads": [{"ops": [{"op": "stat", "path": "/a"}, 5, [1, {"x": 2}], "s"], "name": "t1"},
    {"name": "t2"}, 7, {"name": "t3", "ops": []}, {"name": "t4", "ops": {"op": "stat"}},
    {"name": "t5", "ops": [{"op": "open", "after": ["t1.0"]}]}], "ops": [1], "x": {"threads": [{"ops": [1]}]}})";
  std::vector<size_t> counts;
  json root = ParseWithoutOps(text, &counts);
  EXPECT_THAT(counts, ElementsAre(4, 0, 0, 0, 0, 1));
  EXPECT_EQ(root["threads"][0]["ops"], json::array());
  EXPECT_EQ(root["threads"][0]["name"], "t1");
  EXPECT_EQ(root["threads"][2], 7);
  EXPECT_EQ(root["threads"][4]["ops"], json::parse(R"({"op": "stat"})"));  // not an array: kept
  EXPECT_EQ(root["threads"][5]["ops"], json::array());
  EXPECT_EQ(root["ops"], json::array({1}));  // not a thread's
  EXPECT_EQ(root["x"]["threads"][0]["ops"], json::array({1}));
}

TEST(OpStream, VisitsOpsInDocumentOrder) {
  const std::string text = R"({"threads": [{"ops": [{"op": "stat", "path": "/a"}, 5, [1, {"x": 2}], "s"], "name": "t1"},
    {"name": "t2"}, {"name": "t5", "ops": [{"op": "open", "after": ["t1.0"]}]}], "mounts": [{"name": "m0"}]})";
  std::vector<std::string> seen;
  absl::Status st = ForEachOp(text, [&](int t, size_t i, const json& op) {
    seen.push_back(absl::StrCat(t, ".", i, "=", op.dump()));
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_THAT(seen, ElementsAre(R"(0.0={"op":"stat","path":"/a"})", "0.1=5", "0.2=[]", R"(0.3="s")",
                                R"(2.0={"after":["t1.0"],"op":"open"})"));
  // The first failed visit stops the walk.
  int visits = 0;
  st = ForEachOp(text, [&](int, size_t i, const json&) {
    ++visits;
    return i == 1 ? absl::InvalidArgumentError("stop") : absl::OkStatus();
  });
  EXPECT_EQ(st.message(), "stop");
  EXPECT_EQ(visits, 2);
}

// An op's own DOM is whole, as json::parse builds it: nested containers,
// every scalar type, a repeated key's last value.
TEST(OpStream, VisitsEachOpAsParseBuildsIt) {
  const std::string op = R"({"op": "stat", "x": {"y": [1, {"z": [true, null, -2, 3.5, 18446744073709551615]}, []]},
    "e": {}, "k": 1, "k": "last"})";
  const std::string text = absl::StrCat(R"({"threads": [{"name": "t1", "ops": [)", op, ", ", op, "]}]}");
  std::vector<json> seen;
  absl::Status st = ForEachOp(text, [&](int, size_t, const json& o) {
    seen.push_back(o);
    return absl::OkStatus();
  });
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], json::parse(op));
  EXPECT_EQ(seen[1].dump(), json::parse(op).dump());
  EXPECT_EQ(seen[0]["k"], "last");
}

// The same scenario with its keys in two orders: the ops (which name a
// mount, fds, other ops) before everything they refer to, and after.
TEST(OpStream, ScenarioLoadsTheSameInAnyKeyOrder) {
  const std::string ops = R"("ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
      {"op": "close", "fd": "a", "after": "s.0"}])";
  const std::string server_ops = R"("ops": [{"mount": "m1", "op": "notify_inval_entry", "path": "/d/f"}])";
  const std::string last = absl::StrCat(R"({"threads": [{)", ops, R"(, "mount": "m1", "name": "t1"},
      {)",
                                        server_ops, R"(, "server_side": true, "name": "s"}],
    "server": {"tree": ["/d/"]}, "mounts": [{"name": "m0"}, {"name": "m1"}], "name": "x"})");
  const std::string first = absl::StrCat(R"({"name": "x", "mounts": [{"name": "m0"}, {"name": "m1"}],
    "server": {"tree": ["/d/"]}, "threads": [{"name": "t1", "mount": "m1", )",
                                         ops, R"(}, {"name": "s", "server_side": true, )", server_ops, "}]}");
  auto a = ParseScenario(first, "a.json");
  auto b = ParseScenario(last, "b.json");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ((*a)->ops.size(), 3u);
  ASSERT_EQ((*b)->ops.size(), 3u);
  for (int g = 0; g < 3; ++g) {
    EXPECT_EQ(DescribeOp((*a)->op(g)), DescribeOp((*b)->op(g)));
    EXPECT_EQ((*a)->op(g).label(), (*b)->op(g).label());
    EXPECT_EQ((*a)->op(g).after(), (*b)->op(g).after());
    EXPECT_EQ((*a)->op(g).mount, (*b)->op(g).mount);
  }
  EXPECT_EQ((*b)->threads[0].mount, 1);
  EXPECT_EQ((*b)->op(2).kind, OpKind::kNotifyInvalEntry);
  EXPECT_EQ((*b)->paths, (*a)->paths);
}

// Errors come in the loader's order, not the text's: a bad mount (after the
// ops in the text) before a bad op, a bad op before a bad schedule.
TEST(OpStream, ErrorsInTheLoadersOrder) {
  auto msg = [](const std::string& text) {
    auto s = ParseScenario(text, "x.json");
    return s.ok() ? std::string("<loaded>") : std::string(s.status().message());
  };
  EXPECT_THAT(msg(R"({"threads": [{"ops": [{"op": "opne"}], "name": "t1"}], "name": "x", "mounts": [{"name": ""}]})"),
              HasSubstr("/mounts/0/name: a mount name is"));
  EXPECT_THAT(msg(R"({"schedule": {"mode": "nope"}, "threads": [{"ops": [{"op": "stat", "path": "/a"}, {"op": "opne"}],
    "name": "t1"}], "name": "x"})"),
              HasSubstr("x.json:1:90: /threads/0/ops/1/op: unknown op \"opne\""));
  EXPECT_THAT(msg(R"({"threads": [{"ops": [{"op": "stat", "path": "/a"}], "name": "t1"},
    {"ops": [{"op": "stat", "path": "/a"}]}], "name": "x"})"),
              HasSubstr("/threads/1: missing required key \"name\""));
}

}  // namespace
}  // namespace fusesim::sim
