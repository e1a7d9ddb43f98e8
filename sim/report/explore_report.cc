#include "sim/report/explore_report.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/engine/scheduler.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/expect.h"

namespace fusesim::sim {

nlohmann::ordered_json ExploreToJson(const ExploreResult& r) {
  nlohmann::ordered_json j;
  j["scenario"] = r.scenario;
  j["variant"] = r.variant;
  j["strategy"] = r.strategy;
  j["max_preemptions"] = r.max_preemptions;
  j["max_schedules"] = r.max_schedules;
  j["schedules_explored"] = r.schedules;
  j["sleep_blocked"] = r.sleep_blocked;
  j["complete"] = r.complete;
  j["bounds_hit"] = r.bounds_hit;
  if (!r.shard.empty()) {
    j["shard"] = r.shard;
    j["prefixes"] = r.prefixes;
  }
  if (!r.resume.is_null()) j["resume"] = r.resume;
  if (r.deepened) {
    j["deepened_to"] = r.deepened_to;
    j["covered_preemptions"] = r.covered_preemptions;
  }
  j["outcomes"] = nlohmann::ordered_json::array();
  for (const Outcome& o : r.outcomes) {
    nlohmann::ordered_json e;
    e["count"] = o.count;
    e["key"] = o.key;
    const nlohmann::ordered_json report = ReportToJson(o.report);
    for (auto it = report.begin(); it != report.end(); ++it) e[it.key()] = it.value();
    j["outcomes"].push_back(e);
  }
  j["violations"] = nlohmann::ordered_json::array();
  for (const Finding& f : r.findings) {
    nlohmann::ordered_json e;
    e["invariant"] = f.invariant;
    e["detail"] = f.detail;
    e["schedule"] = f.schedule;
    e["token"] = ScheduleToken(f.schedule);
    e["found"] = f.found;
    j["violations"].push_back(e);
  }
  return j;
}

namespace {

std::vector<std::string> Strings(const nlohmann::ordered_json& a) {
  std::vector<std::string> v;
  for (const auto& x : a) v.push_back(x.get<std::string>());
  return v;
}

}  // namespace

// Sums the runs of one scenario and variant: counts, outcomes by key with
// the shortest representative, findings by invariant with the shortest.
nlohmann::ordered_json AccumulateRuns(const std::vector<const nlohmann::ordered_json*>& runs) {
  const auto& first = *runs.front();
  nlohmann::ordered_json m;
  m["scenario"] = first["scenario"];
  m["variant"] = first["variant"];
  m["strategy"] = first["strategy"];
  m["max_preemptions"] = first["max_preemptions"];
  m["max_schedules"] = first["max_schedules"];
  int64_t schedules = 0, blocked = 0;
  bool complete = true;
  std::set<std::string> bounds;
  std::map<std::string, nlohmann::ordered_json> outcomes;
  std::map<std::string, nlohmann::ordered_json> findings;
  for (const auto* r : runs) {
    schedules += (*r)["schedules_explored"].get<int64_t>();
    blocked += (*r)["sleep_blocked"].get<int64_t>();
    complete = complete && (*r)["complete"].get<bool>();
    for (const auto& b : (*r)["bounds_hit"]) bounds.insert(b.get<std::string>());
    for (const auto& o : (*r)["outcomes"]) {
      const std::string k = o["key"].get<std::string>();
      auto it = outcomes.find(k);
      if (it == outcomes.end()) {
        outcomes[k] = o;
      } else {
        const int64_t count = it->second["count"].get<int64_t>() + o["count"].get<int64_t>();
        if (ShorterSchedule(Strings(o["schedule"]), Strings(it->second["schedule"]))) it->second = o;
        it->second["count"] = count;
      }
    }
    for (const auto& f : (*r)["violations"]) {
      const std::string inv = f["invariant"].get<std::string>();
      auto it = findings.find(inv);
      if (it == findings.end() || ShorterSchedule(Strings(f["found"]), Strings(it->second["found"]))) findings[inv] = f;
    }
  }
  m["schedules_explored"] = schedules;
  m["sleep_blocked"] = blocked;
  m["complete"] = complete;
  m["bounds_hit"] = std::vector<std::string>(bounds.begin(), bounds.end());
  m["prefixes"] = first.value("prefixes", 0);
  m["outcomes"] = nlohmann::ordered_json::array();
  for (auto& [k, o] : outcomes) m["outcomes"].push_back(o);
  m["violations"] = nlohmann::ordered_json::array();
  for (auto& [k, f] : findings) m["violations"].push_back(f);
  return m;
}

namespace {

absl::Status ShapeError(const std::string& pointer, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(pointer, ": ", what));
}

absl::Status CheckStrings(const nlohmann::ordered_json& a, const std::string& pointer) {
  if (!a.is_array()) return ShapeError(pointer, "expected an array of strings");
  for (size_t i = 0; i < a.size(); ++i)
    if (!a[i].is_string()) return ShapeError(absl::StrCat(pointer, "/", i), "expected a string");
  return absl::OkStatus();
}

absl::Status CheckRunShape(const nlohmann::ordered_json& r, const std::string& at) {
  if (!r.is_object()) return ShapeError(at.empty() ? "/" : at, "not the JSON of `fusesim explore --format json`");
  for (const char* k : {"scenario", "variant", "strategy"})
    if (!r.contains(k) || !r[k].is_string()) return ShapeError(absl::StrCat(at, "/", k), "expected a string");
  for (const char* k : {"max_preemptions", "max_schedules", "schedules_explored", "sleep_blocked"})
    if (!r.contains(k) || !r[k].is_number_integer()) return ShapeError(absl::StrCat(at, "/", k), "expected an integer");
  if (r.contains("prefixes") && !r["prefixes"].is_number_integer())
    return ShapeError(absl::StrCat(at, "/prefixes"), "expected an integer");
  if (!r.contains("complete") || !r["complete"].is_boolean())
    return ShapeError(absl::StrCat(at, "/complete"), "expected true or false");
  if (!r.contains("bounds_hit")) return ShapeError(absl::StrCat(at, "/bounds_hit"), "missing");
  if (auto st = CheckStrings(r["bounds_hit"], absl::StrCat(at, "/bounds_hit")); !st.ok()) return st;
  // A shard's "I/N", or what a merge wrote ("merged N", which cannot be
  // merged again: MergeExploreJson says so).
  if (r.contains("shard")) {
    const auto& sh = r["shard"];
    int i = 0, n = 0;
    if (!sh.is_string() ||
        (sh.get<std::string>().rfind("merged ", 0) != 0 && !ParseShard(sh.get<std::string>(), &i, &n)))
      return ShapeError(absl::StrCat(at, "/shard"), "expected \"I/N\" with 0 <= I < N");
  }
  // Outcomes and findings: named by a string, with a schedule.
  struct List {
    const char* list;
    const char* name;   // "key" or "invariant"
    const char* steps;  // "schedule" or "found"
    bool counted;       // has "count"
  };
  for (const List& l : {List{"outcomes", "key", "schedule", true}, List{"violations", "invariant", "found", false}}) {
    const std::string p = absl::StrCat(at, "/", l.list);
    if (!r.contains(l.list) || !r[l.list].is_array()) return ShapeError(p, "expected an array");
    for (size_t i = 0; i < r[l.list].size(); ++i) {
      const auto& o = r[l.list][i];
      const std::string q = absl::StrCat(p, "/", i);
      if (!o.is_object()) return ShapeError(q, "expected an object");
      if (!o.contains(l.name) || !o[l.name].is_string())
        return ShapeError(absl::StrCat(q, "/", l.name), "expected a string");
      if (l.counted && (!o.contains("count") || !o["count"].is_number_integer()))
        return ShapeError(absl::StrCat(q, "/count"), "expected an integer");
      if (!o.contains(l.steps)) return ShapeError(absl::StrCat(q, "/", l.steps), "missing");
      if (auto st = CheckStrings(o[l.steps], absl::StrCat(q, "/", l.steps)); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckExploreJsonShape(const nlohmann::ordered_json& part) {
  if (!part.is_array()) return CheckRunShape(part, "");
  for (size_t i = 0; i < part.size(); ++i)
    if (auto st = CheckRunShape(part[i], absl::StrCat("/", i)); !st.ok()) return st;
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::ordered_json> MergeExploreJson(const std::vector<nlohmann::ordered_json>& parts) {
  for (const auto& part : parts)
    if (auto st = CheckExploreJsonShape(part); !st.ok()) return st;
  struct Group {
    std::vector<const nlohmann::ordered_json*> runs;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& part : parts) {
    std::vector<const nlohmann::ordered_json*> runs;
    if (part.is_array()) {
      for (const auto& x : part) runs.push_back(&x);
    } else {
      runs.push_back(&part);
    }
    for (const auto* r : runs) {
      if (!r->is_object() || !r->contains("scenario") || !r->contains("variant") || !r->contains("outcomes"))
        return absl::InvalidArgumentError("not the JSON of `fusesim explore --format json`");
      auto key = std::make_pair((*r)["scenario"].get<std::string>(), (*r)["variant"].get<std::string>());
      if (!groups.count(key)) order.push_back(key);
      groups[key].runs.push_back(r);
    }
  }
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& key : order) {
    const auto& runs = groups[key].runs;
    const auto& first = *runs.front();
    // Shards must be 0..N-1 of one N, once each.
    int n = -1;
    std::vector<int> seen;
    for (const auto* r : runs) {
      if ((*r)["strategy"] != first["strategy"] || (*r)["max_preemptions"] != first["max_preemptions"])
        return absl::InvalidArgumentError(
            absl::StrCat(key.first, " [", key.second, "]: runs with different strategies or bounds"));
      if (!r->contains("shard"))
        return absl::InvalidArgumentError(
            absl::StrCat(key.first, " [", key.second, "]: a run without --shard cannot be merged"));
      int i = 0, count = 0;
      if (!ParseShard((*r)["shard"].get<std::string>(), &i, &count))
        return absl::InvalidArgumentError(absl::StrCat(key.first, " [", key.second, "]: a merged result (",
                                                       (*r)["shard"].get<std::string>(),
                                                       ") cannot be merged again: merge the shards themselves"));
      if (n >= 0 && count != n)
        return absl::InvalidArgumentError(
            absl::StrCat(key.first, " [", key.second, "]: shards of different counts (", n, " and ", count, ")"));
      n = count;
      if (std::find(seen.begin(), seen.end(), i) != seen.end())
        return absl::InvalidArgumentError(
            absl::StrCat(key.first, " [", key.second, "]: shard ", i, "/", n, " given twice"));
      seen.push_back(i);
    }
    std::vector<std::string> missing;
    for (int i = 0; i < n; ++i)
      if (std::find(seen.begin(), seen.end(), i) == seen.end()) missing.push_back(absl::StrCat(i, "/", n));
    if (!missing.empty())
      return absl::InvalidArgumentError(
          absl::StrCat(key.first, " [", key.second, "]: missing shards ", absl::StrJoin(missing, ", ")));
    nlohmann::ordered_json m = AccumulateRuns(runs);
    m["shard"] = absl::StrCat("merged ", n);
    all.push_back(m);
  }
  if (all.size() == 1) return all[0];
  return all;
}

absl::StatusOr<nlohmann::ordered_json> MergeContinuation(const nlohmann::ordered_json& partial,
                                                         const nlohmann::ordered_json& rest) {
  if (auto st = CheckExploreJsonShape(partial); !st.ok()) return st;
  if (auto st = CheckExploreJsonShape(rest); !st.ok()) return st;
  auto runs_of = [](const nlohmann::ordered_json& j) {
    std::vector<const nlohmann::ordered_json*> v;
    if (j.is_array()) {
      for (const auto& x : j) v.push_back(&x);
    } else {
      v.push_back(&j);
    }
    return v;
  };
  const auto a = runs_of(partial), b = runs_of(rest);
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto* r : b) {
    const nlohmann::ordered_json* p = nullptr;
    for (const auto* x : a)
      if ((*x)["scenario"] == (*r)["scenario"] && (*x)["variant"] == (*r)["variant"]) p = x;
    if (p == nullptr) {
      all.push_back(*r);
      continue;
    }
    nlohmann::ordered_json m = AccumulateRuns({p, r});
    // Only the continuation says whether the whole is complete, and its
    // bounds are the ones that held at the end.
    m["max_schedules"] = (*r)["max_schedules"];
    m["complete"] = (*r)["complete"];
    m["bounds_hit"] = (*r)["bounds_hit"];
    // A preemption bound that cut the first part cut the whole.
    for (const auto& b : (*p)["bounds_hit"]) {
      if (b != "max-preemptions" ||
          std::find(m["bounds_hit"].begin(), m["bounds_hit"].end(), b) != m["bounds_hit"].end())
        continue;
      m["bounds_hit"].push_back(b);
      m["complete"] = false;
    }
    if (r->contains("shard")) {
      m["shard"] = (*r)["shard"];
      m["prefixes"] = (*r)["prefixes"];
    } else {
      m.erase("shard");
      m.erase("prefixes");
    }
    if (r->contains("resume")) m["resume"] = (*r)["resume"];
    all.push_back(m);
  }
  if (all.size() == 1) return all[0];
  return all;
}

std::string IncompleteReason(const ExploreResult& r) {
  if (r.complete) return "";
  std::vector<std::string> why;
  for (const std::string& b : r.bounds_hit) {
    if (b == "max-steps") continue;  // a livelock outcome, not a cut
    if (b == "max-schedules") {
      why.push_back(absl::StrCat("max-schedules ", r.max_schedules, " reached"));
    } else if (b == "max-preemptions") {
      why.push_back(absl::StrCat("preemption bound ", r.max_preemptions, " excluded schedules"));
    } else {
      why.push_back(b);
    }
  }
  if (why.empty()) return absl::StrCat(r.strategy, " sampling does not prove coverage");
  if (r.deepened)
    why.push_back(r.covered_preemptions < 0
                      ? std::string("not even the schedules without preemptions covered")
                      : absl::StrCat("every interleaving with at most ", r.covered_preemptions,
                                     r.covered_preemptions == 1 ? " preemption" : " preemptions", " covered"));
  return absl::StrJoin(why, ", ");
}

bool CutByBound(const ExploreResult& r) {
  for (const std::string& b : r.bounds_hit)
    if (b == "max-schedules" || b == "max-preemptions" || b == "time-budget") return true;
  return false;
}

absl::StatusOr<std::vector<std::string>> JudgeExploreJson(const Scenario& s, model::Variant v,
                                                          const nlohmann::ordered_json& run, bool whole_space) {
  if (auto st = CheckRunShape(run, ""); !st.ok()) return st;
  const std::string where =
      absl::StrCat(run["scenario"].get<std::string>(), " [", run["variant"].get<std::string>(), "]");
  if (run["scenario"] != s.name || run["variant"] != model::VariantName(v))
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": not an exploration of ", s.name, " [", std::string(model::VariantName(v)), "]"));
  ExploreResult r;
  r.complete = run.value("complete", false);
  for (const auto& o : run["outcomes"]) {
    const std::vector<std::string> names = Strings(o["schedule"]);
    auto steps = ScheduleIndices(s, names);
    if (!steps.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", steps.status().message()));
    ReplayChooser c(*steps);
    auto rep = Execute(s, v, c);
    if (!rep.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", rep.status().message()));
    Outcome out;
    out.key = OutcomeKey(*rep);
    if (out.key != o["key"].get<std::string>())
      return absl::InvalidArgumentError(absl::StrCat(where,
                                                     ": an outcome's schedule does not replay to its outcome (explored "
                                                     "with another scenario file or another fusesim?)"));
    out.count = o["count"].get<int64_t>();
    out.report = *std::move(rep);
    r.outcomes.push_back(std::move(out));
  }
  return CheckExplore(s, v, r, whole_space);
}

nlohmann::ordered_json ExpectationsJson(const std::vector<std::string>& fails, bool whole_space) {
  return {{"passed", fails.empty()}, {"proven", fails.empty() && whole_space}, {"failures", fails}};
}

std::string ExploreToText(const ExploreResult& r) {
  std::string s =
      absl::StrFormat("%s [%s] %s: %d schedules%s, %d outcomes%s\n", r.scenario, r.variant, r.strategy, r.schedules,
                      r.sleep_blocked ? absl::StrFormat(" (+%d redundant cut)", r.sleep_blocked) : "",
                      r.outcomes.size(), r.complete ? "" : absl::StrCat(" (incomplete: ", IncompleteReason(r), ")"));
  for (size_t i = 0; i < r.outcomes.size(); ++i) {
    const Outcome& o = r.outcomes[i];
    std::vector<std::string> reqs, res;
    for (const auto& [op, n] : o.report.requests) reqs.push_back(absl::StrCat(op, "=", n));
    for (const OpOutcome& x : o.report.results) res.push_back(absl::StrCat(x.label, "=", ResultWithCreated(x)));
    std::set<std::string> inv;
    for (const auto& v : o.report.violations) inv.insert(v.invariant);
    absl::StrAppendFormat(&s, "  outcome %d (%d schedules): %s | %s%s%s\n", i + 1, o.count, absl::StrJoin(res, " "),
                          absl::StrJoin(reqs, " "),
                          inv.empty() ? "" : absl::StrCat(" | VIOLATES ", absl::StrJoin(inv, ", ")),
                          o.report.deadlock ? " | DEADLOCK" : "");
  }
  for (const Finding& f : r.findings) {
    absl::StrAppendFormat(&s, "  violation %s: %s\n    replay: fusesim run %s --variants %s --schedule %s\n",
                          f.invariant, f.detail, r.file.empty() ? std::string("SCENARIO") : ShellQuote(r.file),
                          r.variant, ShellQuote(ScheduleToken(f.schedule), /*always=*/true));
  }
  return s;
}

}  // namespace fusesim::sim
