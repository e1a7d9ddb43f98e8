// The streamed JSON (sim/report/json_stream.h) is byte for byte what
// nlohmann's dump(2) writes for the same document: on small documents, and
// on the run report of every bundled scenario, against the report built as
// a DOM the straightforward way.
#include "sim/report/json_stream.h"

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/report/report.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

using nlohmann::ordered_json;

TEST(JsonStream, WritesWhatDumpWrites) {
  std::string out;
  JsonStream js(&out);
  js.BeginObject();
  js.Value("x", "name");
  js.BeginArray("empty");
  js.End();
  js.BeginObject("nested");
  js.Value(ordered_json::array({1, 2}), "list");
  js.Value(ordered_json::object(), "none");
  js.BeginArray("objects");
  js.Value(ordered_json{{"a", "line\nbreak"}, {"b", ordered_json::array()}});
  js.End();
  js.End();
  js.End();
  const ordered_json doc = {
      {"name", "x"},
      {"empty", ordered_json::array()},
      {"nested",
       {{"list", {1, 2}},
        {"none", ordered_json::object()},
        {"objects", ordered_json::array({{{"a", "line\nbreak"}, {"b", ordered_json::array()}}})}}}};
  EXPECT_EQ(out, doc.dump(2));
}

// String/Int/Bool write without a JSON value; they must still escape (and
// reject invalid UTF-8) exactly as dump() does, keys included.
TEST(JsonStream, ScalarsWithoutAValueWriteWhatDumpWrites) {
  const std::vector<std::string> texts = {"",         "plain",   "quote\"d",    "back\\slash", "tab\tnew\nline",
                                          "\x01\x1f", "del\x7f", "caf\xc3\xa9", "/w/d0/f0",    "~"};
  ordered_json doc = ordered_json::object();
  std::string out;
  JsonStream js(&out);
  js.BeginObject();
  for (const std::string& t : texts) {
    js.BeginArray(t);
    js.String(t);
    js.Int(-42);
    js.Int(int64_t{1} << 40);
    js.Bool(true);
    js.Bool(false);
    js.End();
    doc[t] = ordered_json::array({t, -42, int64_t{1} << 40, true, false});
  }
  js.End();
  EXPECT_EQ(out, doc.dump(2));
  std::string bad;
  JsonStream bs(&bad);
  bs.BeginArray();
  EXPECT_THROW(bs.String("\xff\xfe"), nlohmann::json::type_error);  // as dump() throws
}

// The report as a DOM, built field by field as docs/scenario-format.md §3
// lists them.
ordered_json ReferenceReport(const RunReport& r, const ordered_json& extra) {
  ordered_json j;
  j["scenario"] = r.scenario;
  j["variant"] = r.variant;
  j["schedule"] = r.schedule();
  j["requests"] = ordered_json::object();
  for (const auto& [op, n] : r.requests) j["requests"][op] = n;
  j["round_trips"] = r.round_trips;
  j["simulated_time_us"] = r.simulated_time_us;
  j["request_time_us"] = r.request_time_us;
  j["results"] = ordered_json::object();
  for (const OpOutcome& o : r.results) {
    ordered_json e;
    e["result"] = o.result;
    if (o.is_open && o.result == "ok") e["created"] = o.created;
    e["requests"] = RequestNames(o);
    e["round_trips"] = o.round_trips;
    j["results"][o.label] = e;
  }
  j["dentries"] = ordered_json::object();
  for (const auto& [k, v] : r.dentries) j["dentries"][k] = std::string(v);
  j["dir_changed"] = r.dir_changed;
  j["spurious_dir_changed"] = r.spurious_dir_changed;
  j["violations"] = ordered_json::array();
  for (const auto& v : r.violations) {
    ordered_json e;
    e["invariant"] = v.invariant;
    e["detail"] = v.detail;
    if (!v.op.empty()) e["op"] = v.op;
    j["violations"].push_back(e);
  }
  j["deadlock"] = r.deadlock;
  j["step_limit"] = r.step_limit;
  if (!r.trace.empty()) {
    j["trace"] = ordered_json::array();
    for (size_t i = 0; i < r.trace.size(); ++i) {
      ordered_json e;
      if (i < r.trace_steps.size()) e["step"] = r.trace_steps[i];
      e["actor"] = r.trace[i].actor >= 0 ? r.actor_names[r.trace[i].actor] : "";
      e["kind"] = r.trace[i].kind;
      e["text"] = r.trace[i].text;
      j["trace"].push_back(e);
    }
  }
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

TEST(JsonStream, EveryBundledRunReportMatchesItsDom) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(FUSESIM_SOURCE_DIR "/scenarios")) {
    if (entry.path().extension() != ".json") continue;
    auto s = LoadScenario(entry.path().string());
    ASSERT_TRUE(s.ok()) << s.status();
    SequentialChooser c;
    ExecOptions eo;
    eo.trace = true;  // the biggest report
    auto r = Execute(**s, model::Variant::kLookupCreate, c, eo);
    if (!r.ok()) continue;  // e.g. a scenario for other variants only
    const ordered_json extra = {{"expectations", {{"passed", true}, {"failures", ordered_json::array()}}}};
    const ordered_json ref = ReferenceReport(*r, extra);
    std::string alone;
    AppendReportJson(*r, extra, &alone, 0);
    EXPECT_EQ(alone, ref.dump(2)) << entry.path();
    std::string in_array = "[\n  ";
    AppendReportJson(*r, extra, &in_array, 1);
    in_array += ",\n  ";
    AppendReportJson(*r, extra, &in_array, 1);
    in_array += "\n]";
    EXPECT_EQ(in_array, ordered_json::array({ref, ref}).dump(2)) << entry.path();
    EXPECT_EQ(ReportToJson(*r), ReferenceReport(*r, ordered_json::object())) << entry.path();
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace fusesim::sim
