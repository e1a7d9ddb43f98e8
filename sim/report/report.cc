#include "sim/report/report.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/json_stream.h"

namespace fusesim::sim {

std::string ResultWithCreated(const OpOutcome& o) {
  if (o.result == "ok" && o.is_open) return o.created ? "ok+created" : "ok+existing";
  return std::string(o.result);
}

std::string_view DentryState(const RunReport& r, std::string_view key) {
  auto it = std::lower_bound(r.dentries.begin(), r.dentries.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  return it != r.dentries.end() && it->first == key ? it->second : "absent";
}

std::vector<std::string> RequestNames(const OpOutcome& o) {
  std::vector<std::string> names;
  names.reserve(o.requests.size());
  for (model::Opcode q : o.requests) names.emplace_back(model::OpcodeName(q));
  return names;
}

std::string ScheduleTokenOf(const RunReport& r, size_t max_chars, bool* cut) {
  std::string token;
  *cut = false;
  for (size_t i = 0; i < r.steps.size();) {
    size_t j = i;
    while (j < r.steps.size() && r.steps[j] == r.steps[i]) ++j;
    if (max_chars > 0 && token.size() > max_chars) {
      *cut = true;
      break;
    }
    if (!token.empty()) token += ',';
    token += r.actor_names[r.steps[i]];
    if (j - i > 1) absl::StrAppend(&token, "*", j - i);
    i = j;
  }
  return token;
}

std::string ShellQuote(const std::string& text, bool always) {
  bool plain = !text.empty() && !always;
  for (char c : text)
    plain = plain && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                      std::string_view("@%+=:,./_-").find(c) != std::string_view::npos);
  if (plain) return text;
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

namespace {

// Appends key: value to an ordered_json object without the linear search for
// an existing key that operator[] and emplace do (quadratic over 100,000 ops).
// The caller guarantees that keys are unique.
void AppendUnique(nlohmann::ordered_json& object, std::string key, nlohmann::ordered_json value) {
  auto& members =
      static_cast<nlohmann::ordered_json::object_t::Container&>(object.get_ref<nlohmann::ordered_json::object_t&>());
  members.emplace_back(std::move(key), std::move(value));
}

}  // namespace

void AppendReportJson(const RunReport& r, const nlohmann::ordered_json& extra, std::string* out, int level,
                      std::ostream* flush) {
  using nlohmann::ordered_json;
  JsonStream js(out, level, flush);
  js.BeginObject();
  js.Value(r.scenario, "scenario");
  js.Value(r.variant, "variant");
  js.BeginArray("schedule");
  for (int a : r.steps) js.String(r.actor_names[a]);
  js.End();
  ordered_json requests = ordered_json::object();
  for (const auto& [op, n] : r.requests) AppendUnique(requests, op, n);
  js.Value(requests, "requests");
  js.Value(r.round_trips, "round_trips");
  js.Value(r.simulated_time_us, "simulated_time_us");
  js.Value(r.request_time_us, "request_time_us");
  // Op labels and dentry keys are unique (one per op, keys of a map).
  js.BeginObject("results");
  for (const OpOutcome& o : r.results) {
    js.BeginObject(o.label);
    js.String(o.result, "result");
    if (o.is_open && o.result == "ok") js.Bool(o.created, "created");
    js.BeginArray("requests");
    for (model::Opcode q : o.requests) js.String(model::OpcodeName(q));
    js.End();
    js.Int(o.round_trips, "round_trips");
    js.End();
  }
  js.End();
  js.BeginObject("dentries");
  for (const auto& [k, v] : r.dentries) js.String(v, k);
  js.End();
  js.Value(r.dir_changed, "dir_changed");
  js.Value(r.spurious_dir_changed, "spurious_dir_changed");
  js.BeginArray("violations");
  for (const auto& v : r.violations) {
    ordered_json e = ordered_json::object();
    AppendUnique(e, "invariant", v.invariant);
    AppendUnique(e, "detail", v.detail);
    if (!v.op.empty()) AppendUnique(e, "op", v.op);
    js.Value(e);
  }
  js.End();
  js.Value(r.deadlock, "deadlock");
  js.Value(r.step_limit, "step_limit");
  if (!r.trace.empty()) {
    js.BeginArray("trace");
    for (size_t i = 0; i < r.trace.size(); ++i) {
      const model::TraceEvent& t = r.trace[i];
      ordered_json e = ordered_json::object();
      if (i < r.trace_steps.size()) AppendUnique(e, "step", r.trace_steps[i]);
      AppendUnique(e, "actor", t.actor >= 0 ? r.actor_names[t.actor] : "");
      AppendUnique(e, "kind", t.kind);
      AppendUnique(e, "text", t.text);
      js.Value(e);
    }
    js.End();
  }
  for (auto it = extra.begin(); it != extra.end(); ++it) js.Value(it.value(), it.key());
  js.End();
}

nlohmann::ordered_json ReportToJson(const RunReport& r) {
  std::string text;
  AppendReportJson(r, nlohmann::ordered_json::object(), &text, 0);
  return nlohmann::ordered_json::parse(text);
}

std::string ReportToText(const RunReport& r) {
  std::string s = absl::StrFormat("%s [%s]\n", r.scenario, r.variant);
  std::vector<std::string> reqs;
  for (const auto& [op, n] : r.requests) reqs.push_back(absl::StrCat(op, "=", n));
  absl::StrAppendFormat(&s, "  requests: %s (round trips %d, simulated %dus)\n",
                        reqs.empty() ? "none" : absl::StrJoin(reqs, " "), r.round_trips, r.simulated_time_us);
  for (size_t i = 0; i < r.results.size(); ++i) {
    const OpOutcome& o = r.results[i];
    absl::StrAppendFormat(&s, "  %-8s %-40s %-12s %s\n", o.label, i < r.op_texts.size() ? r.op_texts[i] : "",
                          ResultWithCreated(o), absl::StrJoin(RequestNames(o), " "));
  }
  for (const auto& [k, v] : r.dentries) absl::StrAppendFormat(&s, "  dentry %s: %s\n", k, v);
  absl::StrAppendFormat(&s, "  dir_changed %d (spurious %d)\n", r.dir_changed, r.spurious_dir_changed);
  for (const auto& v : r.violations)
    absl::StrAppendFormat(&s, "  VIOLATION %s%s: %s\n", v.invariant, v.op.empty() ? "" : " at " + v.op, v.detail);
  if (r.deadlock) s += "  DEADLOCK: some thread never finished\n";
  if (r.step_limit) s += "  STEP LIMIT reached: the run did not finish (livelock?)\n";
  bool cut = false;
  std::string token = ScheduleTokenOf(r, 160, &cut);
  if (cut || token.size() > 160)
    token = absl::StrCat(token.substr(0, 160), "... (", r.steps.size(), " steps; --format json has all)");
  absl::StrAppendFormat(&s, "  schedule: %s\n", token);
  if (!r.trace.empty()) {
    s += "  trace:\n";
    for (const auto& t : r.trace)
      absl::StrAppendFormat(&s, "    %-8s %-9s %s\n", t.actor >= 0 ? r.actor_names[t.actor] : "-", t.kind, t.text);
  }
  return s;
}

}  // namespace fusesim::sim
