// The round-trip-savings report, checked against counts made independently.
#include "sim/report/compare.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/variant.h"
#include "nlohmann/json.hpp"
#include "sim/scenario/scenario_loader.h"
#include "tests/bundled_scenarios.h"

namespace fusesim::sim {
namespace {

const VariantRow& Row(const ScenarioComparison& c, const std::string& v) {
  for (const auto& r : c.rows)
    if (r.variant == v) return r;
  ADD_FAILURE() << "no row for " << v;
  return c.rows.front();
}

// Variants run on threads (CompareOptions::jobs) give the report one thread
// gives, byte for byte: every bundled scenario (explored ones included) and
// the workloads, with jobs from 1 to more than the variants.
TEST(Compare, TheReportIsTheSameForAnyNumberOfJobs) {
  std::vector<std::string> files = testing::BundledScenarios();
  for (const char* w : {"archive-10k", "git-checkout-1k", "nfs-two-clients", "mdtest-8x50"})
    files.push_back(absl::StrCat(FUSESIM_SOURCE_DIR, "/workloads/", w, ".json"));
  std::string reference;
  for (int jobs : {1, 2, 3, 8}) {
    Comparison c;
    c.latency = *LatencyPreset("local");
    CompareOptions o;
    o.latency = c.latency;
    o.jobs = jobs;
    for (const std::string& f : files) {
      auto s = LoadScenario(f);
      ASSERT_TRUE(s.ok()) << s.status();
      auto sc = CompareScenario(**s, o);
      ASSERT_TRUE(sc.ok()) << f << ": " << sc.status();
      c.scenarios.push_back(std::move(*sc));
    }
    Summarize(c);
    const std::string text = CompareToJson(c);
    if (jobs == 1) {
      reference = text;
      EXPECT_NE(text.find("\"behaviour_changes\": [\n"), std::string::npos);  // some, found against the baseline
    } else {
      EXPECT_TRUE(text == reference) << "jobs " << jobs << " differs from jobs 1";
    }
  }
}

TEST(Compare, Archive10kMatchesAnIndependentCount) {
  auto s = LoadScenario(std::string(FUSESIM_SOURCE_DIR) + "/workloads/archive-10k.json");
  ASSERT_TRUE(s.ok()) << s.status();
  CompareOptions o;
  o.latency = *LatencyPreset("local");
  auto c = CompareScenario(**s, o);
  ASSERT_TRUE(c.ok()) << c.status();
  const int files = 10000, dirs = 100;
  // Counted by hand from what tar does, not from the model: every directory
  // is one mkdir (LOOKUP + MKDIR; /w is looked up once), every file an
  // uncached absent name (mainline: LOOKUP + CREATE, an atomic create: one
  // request) and a close (FLUSH waited for, RELEASE in the background).
  const VariantRow& u = Row(*c, "lookup-create");
  EXPECT_EQ(u.requests.at("LOOKUP"), 1 + dirs + files);
  EXPECT_EQ(u.requests.at("CREATE"), files);
  EXPECT_EQ(u.requests.at("MKDIR"), dirs);
  EXPECT_EQ(u.requests.at("FLUSH"), files);
  EXPECT_EQ(u.requests.at("RELEASE"), files);
  EXPECT_EQ(u.round_trips, 1 + 2 * dirs + 2 * files + files);
  const VariantRow& a = Row(*c, "atomic-create");
  EXPECT_EQ(a.requests.at("ATOMIC_CREATE"), files);
  EXPECT_EQ(a.requests.at("LOOKUP"), 1 + dirs);
  EXPECT_EQ(a.round_trips, 1 + 2 * dirs + files + files);
  // Per create: 2 round trips against 1 (plus the close's FLUSH).
  EXPECT_EQ(u.round_trips - a.round_trips, files);
  for (const auto& r : c->rows) {
    EXPECT_TRUE(r.violations.empty()) << r.variant;
    EXPECT_TRUE(r.behaviour_changes.empty()) << r.variant;
  }
  // Time: rtt + server cost per waited request (local preset: LOOKUP 2 us,
  // CREATE 12 us, ATOMIC_CREATE 12 us, MKDIR 12 us, FLUSH 1 us).
  EXPECT_EQ(u.time_us, static_cast<uint64_t>((1 + dirs + files) * 12 + dirs * 22 + files * 22 + files * 11));
  EXPECT_EQ(a.time_us, static_cast<uint64_t>((1 + dirs) * 12 + dirs * 22 + files * 22 + files * 11));
}

TEST(Compare, SavingsAndBehaviourChangesAreReported) {
  auto s = ParseScenario(R"({"name": "existing", "server": {"tree": ["/f"]},
      "threads": [{"name": "t", "ops": [{"op": "open", "path": "/f", "flags": "O_CREAT|O_WRONLY"}]}]})",
                         "x.json");
  ASSERT_TRUE(s.ok());
  CompareOptions o;
  o.latency = *LatencyPreset("nfs");
  Comparison c;
  c.latency = o.latency;
  auto sc = CompareScenario(**s, o);
  ASSERT_TRUE(sc.ok());
  c.scenarios.push_back(*sc);
  Summarize(c);
  const VariantRow& a = Row(c.scenarios[0], "atomic-create");
  EXPECT_EQ(a.saved_round_trips, 1);  // LOOKUP+OPEN -> ATOMIC_CREATE
  ASSERT_EQ(a.behaviour_changes.size(), 1u);
  EXPECT_NE(a.behaviour_changes[0].find("ok+existing -> ok+created"), std::string::npos);
  EXPECT_EQ(a.violations, std::vector<std::string>{"fmode-created"});
  EXPECT_TRUE(Row(c.scenarios[0], "open-atomic").behaviour_changes.empty());
  const std::string md = CompareToMarkdown(c);
  EXPECT_NE(md.find("⚠"), std::string::npos);
  EXPECT_NE(md.find("```mermaid"), std::string::npos);
  const std::string csv = CompareToCsv(c);
  EXPECT_EQ(csv.substr(0, 18), "scenario,variant,r");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 5);
  auto j = nlohmann::json::parse(CompareToJson(c));
  EXPECT_EQ(j["totals"].size(), 5u);
  const std::string html = CompareToHtml(c);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  // Byte-identical when rendered again.
  EXPECT_EQ(md, CompareToMarkdown(c));
}

// Long lists of behaviour changes are cut with a count in both formats, and
// the HTML has one chart per scenario plus the two totals.
TEST(Compare, LongListsAreTruncatedWithACount) {
  Comparison c;
  c.latency = *LatencyPreset("local");
  ScenarioComparison sc;
  sc.name = "big";
  VariantRow base, v;
  base.variant = "lookup-create";
  v.variant = "atomic-create";
  for (int i = 0; i < 2000; ++i) v.behaviour_changes.push_back(absl::StrCat("t1.", i, ": ok -> EIO"));
  sc.rows = {base, v};
  c.scenarios.push_back(sc);
  Summarize(c);
  const std::string html = CompareToHtml(c);
  EXPECT_NE(html.find("t1.11: ok -&gt; EIO"), std::string::npos);
  EXPECT_EQ(html.find("t1.12: ok -&gt; EIO"), std::string::npos);
  EXPECT_NE(html.find("and 1,988 more"), std::string::npos);
  EXPECT_EQ(std::count(html.begin(), html.end(), '\n') < 200, true);
  size_t charts = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++charts;
  EXPECT_EQ(charts, 3u);
  const std::string md = CompareToMarkdown(c);
  EXPECT_NE(md.find("and 1,988 more"), std::string::npos);
  EXPECT_NE(md.find(" 0 --> "), std::string::npos);
}

// One uncached create and close: LOOKUP, CREATE, FLUSH waited for.
constexpr const char* kOwnLatency = R"({"name": "own", "server": {"tree": ["/d/"], "latency_us": {"default": 400}},
    "variants": ["lookup-create", "open-atomic"],
    "threads": [{"name": "t", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
                                       {"op": "close", "fd": "a"}]}]})";

TEST(Compare, HonoursTheScenarioVariantsAndLatency) {
  auto s = ParseScenario(kOwnLatency, "own.json");
  ASSERT_TRUE(s.ok()) << s.status();
  CompareOptions o;
  o.latency = *LatencyPreset("nfs");
  auto sc = CompareScenario(**s, o);
  ASSERT_TRUE(sc.ok()) << sc.status();
  ASSERT_EQ(sc->rows.size(), 2u);
  EXPECT_EQ(sc->rows[0].variant, "lookup-create");
  EXPECT_EQ(sc->rows[1].variant, "open-atomic");
  EXPECT_TRUE(sc->own_latency);
  EXPECT_TRUE(sc->forced_variants.empty());
  // 400 us per waited request, as `run` reports, not the preset's.
  EXPECT_EQ(sc->rows[0].time_us, 400u * static_cast<uint64_t>(sc->rows[0].round_trips));
  Comparison c;
  c.latency = o.latency;
  c.scenarios.push_back(*sc);
  Summarize(c);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("1 of 1 scenarios keep their own server.latency_us"), std::string::npos) << c.notes[0];
  EXPECT_NE(CompareToMarkdown(c).find("Latency: the scenario's own `server.latency_us`."), std::string::npos);
}

TEST(Compare, FlagsOverrideTheScenarioAndTheReportSaysSo) {
  auto s = ParseScenario(kOwnLatency, "own.json");
  ASSERT_TRUE(s.ok()) << s.status();
  CompareOptions o;
  o.latency = *LatencyPreset("nfs");
  o.latency_overrides_scenario = true;
  o.variants = {model::Variant::kAtomicCreate, model::Variant::kLookupCreate};
  auto sc = CompareScenario(**s, o);
  ASSERT_TRUE(sc.ok()) << sc.status();
  ASSERT_EQ(sc->rows.size(), 2u);
  EXPECT_EQ(sc->rows[0].variant, "lookup-create");  // the baseline first
  EXPECT_FALSE(sc->own_latency);
  EXPECT_EQ(sc->forced_variants, std::vector<std::string>{"atomic-create"});
  EXPECT_NE(sc->rows[0].time_us, 400u * static_cast<uint64_t>(sc->rows[0].round_trips));
  Comparison c;
  c.latency = o.latency;
  c.scenarios.push_back(*sc);
  Summarize(c);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("--variants ran variants that 1 scenarios exclude: own (atomic-create)"), std::string::npos)
      << c.notes[0];
}

// A variant that a scenario excludes is not credited with that scenario's
// round trips: its savings are over the scenarios where it ran.
TEST(Compare, TotalsSaveOnlyOverScenariosBothRan) {
  auto one =
      ParseScenario(R"({"name": "one", "server": {"tree": ["/d/"]}, "variants": ["lookup-create", "atomic-create"],
      "threads": [{"name": "t", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY"}]}]})",
                    "1.json");
  auto two = ParseScenario(R"({"name": "two", "server": {"tree": ["/d/"]}, "variants": ["lookup-create"],
      "threads": [{"name": "t", "ops": [{"op": "mkdir", "path": "/d/e"}, {"op": "mkdir", "path": "/d/e/f"},
                                         {"op": "mkdir", "path": "/d/e/g"}]}]})",
                           "2.json");
  ASSERT_TRUE(one.ok() && two.ok());
  CompareOptions o;
  o.latency = *LatencyPreset("local");
  Comparison c;
  c.scenarios.push_back(*CompareScenario(**one, o));
  c.scenarios.push_back(*CompareScenario(**two, o));
  Summarize(c);
  ASSERT_EQ(c.totals.size(), 2u);
  const VariantRow& base = c.totals[0];
  const VariantRow& atomic = c.totals[1];
  EXPECT_EQ(atomic.scenarios, 1);
  const VariantRow& one_base = Row(c.scenarios[0], "lookup-create");
  const VariantRow& one_atomic = Row(c.scenarios[0], "atomic-create");
  EXPECT_EQ(atomic.saved_round_trips, one_base.round_trips - one_atomic.round_trips);
  EXPECT_GT(atomic.saved_round_trips, 0);
  EXPECT_DOUBLE_EQ(atomic.saved_round_trips_pct, 100.0 * atomic.saved_round_trips / one_base.round_trips);
  EXPECT_GT(base.round_trips, one_base.round_trips);  // lookup-create's total includes "two"
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("atomic-create 1 of 2 scenarios"), std::string::npos) << c.notes[0];
}

TEST(Compare, UnknownPresetIsAnError) { EXPECT_FALSE(LatencyPreset("carrier-pigeon").ok()); }

}  // namespace
}  // namespace fusesim::sim

namespace fusesim::sim {
namespace {

TEST(Workload, TooBigIsRefusedBeforeExpanding) {
  auto s = ParseScenario(R"({"name": "w", "workload": {"kind": "cp-a", "files": 1000000, "dirs": 1}})", "w.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message())
                .find("/workload/files: the workload would have 7000010 ops, above the limit of 2500000"),
            std::string::npos)
      << s.status();
}

}  // namespace
}  // namespace fusesim::sim

namespace fusesim::sim {
namespace {

// io-uring: the same requests as local, a cheaper round trip; a COMPOUND is
// one round trip that costs the transport once plus each part's handling.
TEST(Compare, IoUringPresetSameRequestsCheaperRoundTrips) {
  auto preset = LatencyPreset("io-uring");
  ASSERT_TRUE(preset.ok()) << preset.status();
  EXPECT_EQ(preset->rtt_us, 4u);
  EXPECT_LT(preset->rtt_us, LatencyPreset("local")->rtt_us);
  auto s = LoadScenario(std::string(FUSESIM_SOURCE_DIR) + "/workloads/archive-10k.json");
  ASSERT_TRUE(s.ok()) << s.status();
  CompareOptions local, uring;
  local.latency = *LatencyPreset("local");
  uring.latency = *preset;
  local.variants = uring.variants = {model::Variant::kLookupCreate, model::Variant::kCompoundCreate};
  auto cl = CompareScenario(**s, local);
  auto cu = CompareScenario(**s, uring);
  ASSERT_TRUE(cl.ok() && cu.ok());
  const int files = 10000, dirs = 100;
  for (const std::string v : {"lookup-create", "compound-create"}) {
    EXPECT_EQ(Row(*cl, v).requests, Row(*cu, v).requests) << v;
    EXPECT_EQ(Row(*cl, v).round_trips, Row(*cu, v).round_trips) << v;
  }
  // Counted by hand (rtt 4 us): LOOKUP 4+2, MKDIR 4+12, CREATE 4+12, FLUSH 4+1.
  const VariantRow& u = Row(*cu, "lookup-create");
  EXPECT_EQ(u.time_us, static_cast<uint64_t>((1 + dirs + files) * 6 + dirs * 16 + files * 16 + files * 5));
  // compound-create: one COMPOUND(LOOKUP+MKNOD+OPEN) per file: 4 + 2 + 10 + 3.
  const VariantRow& c = Row(*cu, "compound-create");
  EXPECT_EQ(c.requests.at("COMPOUND"), files);
  EXPECT_EQ(c.requests.count("CREATE") ? c.requests.at("CREATE") : 0, 0);
  EXPECT_EQ(c.round_trips, 1 + 2 * dirs + files + files);
  EXPECT_EQ(c.time_us, static_cast<uint64_t>((1 + dirs) * 6 + dirs * 16 + files * 19 + files * 5));
  EXPECT_FALSE(LatencyPreset("uring").ok());
}

}  // namespace
}  // namespace fusesim::sim
