// Tests of the expectation checker (sim/scenario/expect.h) for the checks
// whose matching is more than equality: requests_per_op's ordered lists and
// the "FORGET*" token. Each scenario runs on the model, so a change in the
// model's request order shows here as well as in the corpus.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/variant.h"
#include "sim/engine/scheduler.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// One thread creates /d/f (LOOKUP of the uncached /d first), closes it, unlinks it and drops caches, on
// lookup-create; `expect` is the scenario's "expect" object.
std::vector<std::string> Failures(const std::string& expect) {
  const std::string text = R"({
  "name": "x",
  "server": {"tree": ["/d/"]},
  "threads": [{"name": "t1", "ops": [
    {"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
    {"op": "close", "fd": "a"},
    {"op": "unlink", "path": "/d/f"},
    {"op": "stat", "path": "/d/g"},
    {"op": "drop_caches"}
  ]}],
  "variants": ["lookup-create"],
  "expect": )" + expect + "}";
  absl::StatusOr<std::unique_ptr<Scenario>> s = ParseScenario(text, "x.json");
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {"<load error>"};
  SequentialChooser chooser;
  absl::StatusOr<RunReport> r = Execute(**s, model::Variant::kLookupCreate, chooser);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {"<run error>"};
  return CheckRun(**s, model::Variant::kLookupCreate, *r);
}

TEST(ExpectRequestsPerOp, ExactOrderPasses) {
  EXPECT_THAT(Failures(R"({"all": {"requests_per_op": {
    "t1.0": ["LOOKUP", "LOOKUP", "CREATE"], "t1.1": ["FLUSH", "RELEASE"], "t1.2": ["UNLINK", "FORGET"],
    "t1.3": ["LOOKUP"]}}})"),
              IsEmpty());
}

TEST(ExpectRequestsPerOp, WrongOrderFailsAndSaysWhatWasSent) {
  std::vector<std::string> f = Failures(R"({"all": {"requests_per_op": {"t1.0": ["CREATE", "LOOKUP"]}}})");
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_THAT(f[0],
              HasSubstr("/expect/all/requests_per_op/t1.0: expected [CREATE LOOKUP], got [LOOKUP LOOKUP CREATE]"));
}

TEST(ExpectRequestsPerOp, MissingOrExtraRequestFails) {
  EXPECT_THAT(Failures(R"({"all": {"requests_per_op": {"t1.0": ["LOOKUP"]}}})"), SizeIs(1));
  EXPECT_THAT(Failures(R"({"all": {"requests_per_op": {"t1.0": ["LOOKUP", "LOOKUP", "CREATE", "GETATTR"]}}})"),
              SizeIs(1));
  EXPECT_THAT(Failures(R"({"all": {"requests_per_op": {"t1.2": []}}})"), SizeIs(1));
}

TEST(ExpectRequestsPerOp, AnyOfAcceptsOneAlternative) {
  EXPECT_THAT(
      Failures(R"({"all": {"requests_per_op": {"t1.0": {"any_of": [["CREATE"], ["LOOKUP", "LOOKUP", "CREATE"]]}}}})"),
      IsEmpty());
  std::vector<std::string> f =
      Failures(R"({"all": {"requests_per_op": {"t1.0": {"any_of": [["CREATE"], ["LOOKUP"]]}}}})");
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_THAT(f[0], HasSubstr("expected [CREATE] or [LOOKUP], got [LOOKUP LOOKUP CREATE]"));
}

TEST(ExpectRequestsPerOp, ForgetStarMatchesAnyBatching) {
  // drop_caches forgets the negative /d/g and the directory /d: however the
  // model batches them, FORGET* matches, a literal single FORGET need not.
  EXPECT_THAT(Failures(R"({"all": {"requests_per_op": {"t1.4": ["FORGET*"]}}})"), IsEmpty());
  EXPECT_THAT(Failures(R"({"all": {"requests_per_op": {"t1.2": ["UNLINK", "FORGET*"]}}})"), IsEmpty());
  // FORGET* needs at least one.
  EXPECT_THAT(Failures(R"({"all": {"requests_per_op": {"t1.3": ["LOOKUP", "FORGET*"]}}})"), SizeIs(1));
}

TEST(ExpectRequestsPerOp, VariantBlockApplies) {
  EXPECT_THAT(Failures(R"({"lookup-create": {"requests_per_op": {"t1.0": ["CREATE"]}}})"), SizeIs(1));
}

TEST(ExpectRequestsPerOp, LoaderKeepsTheAlternativesInOrder) {
  absl::StatusOr<std::unique_ptr<Scenario>> s = ParseScenario(R"({
  "name": "x",
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/f"}]}],
  "expect": {"all": {"requests_per_op": {"t1.0": {"any_of": [["LOOKUP"], ["FORGET*", "LOOKUP"]]}}}}
})",
                                                              "x.json");
  ASSERT_TRUE(s.ok()) << s.status();
  const Expectation& e = (*s)->expect.at("all");
  ASSERT_EQ(e.requests_per_op.count("t1.0"), 1);
  EXPECT_THAT(e.requests_per_op.at("t1.0"), ElementsAre(ElementsAre("LOOKUP"), ElementsAre("FORGET*", "LOOKUP")));
}

}  // namespace
}  // namespace fusesim::sim
