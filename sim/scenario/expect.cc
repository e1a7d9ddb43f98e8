#include "sim/scenario/expect.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/scenario/explore_scenario.h"

namespace fusesim::sim {
namespace {

bool ResultMatches(const std::string& want, const std::string& got) {
  if (want == got) return true;
  return want == "ok" && (got == "ok+created" || got == "ok+existing");
}

std::string CountsText(const std::map<model::Opcode, int>& m) {
  std::vector<std::string> parts;
  for (const auto& [op, n] : m) parts.push_back(absl::StrCat(std::string(model::OpcodeName(op)), "=", n));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

bool IsForget(const std::string& op) { return op == "FORGET" || op == "BATCH_FORGET"; }

// True if the requests an op caused match the expected list; "FORGET*"
// matches one or more FORGET/BATCH_FORGET in a row.
bool SequenceMatches(const std::vector<std::string>& want, const std::vector<std::string>& got) {
  size_t g = 0;
  for (const std::string& w : want) {
    if (w == "FORGET*") {
      if (g >= got.size() || !IsForget(got[g])) return false;
      while (g < got.size() && IsForget(got[g])) ++g;
    } else {
      if (g >= got.size() || got[g] != w) return false;
      ++g;
    }
  }
  return g == got.size();
}

std::string SequenceText(const std::vector<std::string>& seq) {
  return absl::StrCat("[", absl::StrJoin(seq, " "), "]");
}

}  // namespace

std::vector<const Expectation*> ExpectationsFor(const Scenario& s, model::Variant v) {
  std::vector<const Expectation*> out;
  if (auto it = s.expect.find("all"); it != s.expect.end()) out.push_back(&it->second);
  if (auto it = s.expect.find(std::string(model::VariantName(v))); it != s.expect.end()) out.push_back(&it->second);
  return out;
}

std::vector<std::string> BrokenInvariants(const RunReport& r) {
  std::set<std::string> names;
  for (const auto& v : r.violations) names.insert(v.invariant);
  return {names.begin(), names.end()};
}

namespace {

// Everything but violations, deadlock and outcomes.
void CheckFields(const Scenario& s, model::Variant v, const RunReport& r, std::vector<std::string>& fails) {
  for (const Expectation* e : ExpectationsFor(s, v)) {
    const std::string where = e->pointer;
    if (!e->requests.empty()) {
      bool any = false;
      for (const auto& alt : e->requests) {
        bool ok = true;
        for (const auto& [op, n] : alt) {
          auto it = r.requests.find(std::string(model::OpcodeName(op)));
          ok &= (it == r.requests.end() ? 0 : it->second) == n;
        }
        any |= ok;
      }
      if (!any) {
        std::vector<std::string> want;
        for (const auto& alt : e->requests) want.push_back(CountsText(alt));
        std::vector<std::string> got;
        for (const auto& [op, n] : r.requests) got.push_back(absl::StrCat(op, "=", n));
        fails.push_back(absl::StrCat(where, "/requests: expected ", absl::StrJoin(want, " or "), ", got {",
                                     absl::StrJoin(got, ", "), "}"));
      }
    }
    if (e->round_trips && *e->round_trips != r.round_trips)
      fails.push_back(absl::StrCat(where, "/round_trips: expected ", *e->round_trips, ", got ", r.round_trips));
    if (e->dir_changed && *e->dir_changed != r.dir_changed)
      fails.push_back(absl::StrCat(where, "/dir_changed: expected ", *e->dir_changed, ", got ", r.dir_changed));
    if (e->spurious_dir_changed && *e->spurious_dir_changed != r.spurious_dir_changed)
      fails.push_back(absl::StrCat(where, "/spurious_dir_changed: expected ", *e->spurious_dir_changed, ", got ",
                                   r.spurious_dir_changed));
    // Found by label in one pass (a scenario may expect something of each
    // of 100,000 ops); a label given twice in a report: the last one.
    absl::flat_hash_map<std::string_view, const OpOutcome*> by_label;
    if (!e->results.empty() || !e->requests_per_op.empty())
      for (const OpOutcome& o : r.results) by_label[o.label] = &o;
    auto find = [&](const std::string& label) -> const OpOutcome* {
      auto it = by_label.find(label);
      return it == by_label.end() ? nullptr : it->second;
    };
    for (const auto& [label, accepted] : e->results) {
      const OpOutcome* o = find(label);
      const std::string got = o ? ResultWithCreated(*o) : "?";
      bool ok = false;
      for (const std::string& want : accepted) ok |= ResultMatches(want, got);
      if (!ok)
        fails.push_back(
            absl::StrCat(where, "/results/", label, ": expected ", absl::StrJoin(accepted, " or "), ", got ", got));
    }
    for (const auto& [label, accepted] : e->requests_per_op) {
      const OpOutcome* got = find(label);
      const std::vector<std::string> seq = got ? RequestNames(*got) : std::vector<std::string>{};
      bool ok = false;
      for (const auto& want : accepted) ok |= SequenceMatches(want, seq);
      if (!ok) {
        std::vector<std::string> wants;
        for (const auto& want : accepted) wants.push_back(SequenceText(want));
        fails.push_back(absl::StrCat(where, "/requests_per_op/", label, ": expected ", absl::StrJoin(wants, " or "),
                                     ", got ", SequenceText(seq)));
      }
    }
    for (const auto& [key, want] : e->dentries) {
      const std::string got(DentryState(r, key));
      if (got != want) fails.push_back(absl::StrCat(where, "/dentries/", key, ": expected ", want, ", got ", got));
    }
  }
}

// The violations a scenario expects for a variant; the variant's own list
// wins over "all"'s; without a list, none.
std::pair<std::vector<std::string>, std::string> WantedViolations(const Scenario& s, model::Variant v) {
  const Expectation* all = nullptr;
  const Expectation* own = nullptr;
  if (auto it = s.expect.find("all"); it != s.expect.end()) all = &it->second;
  if (auto it = s.expect.find(std::string(model::VariantName(v))); it != s.expect.end()) own = &it->second;
  const Expectation* source = nullptr;
  if (own != nullptr && (own->violations || own->invariants_hold))
    source = own;
  else if (all != nullptr && (all->violations || all->invariants_hold))
    source = all;
  std::vector<std::string> want;
  if (source != nullptr && source->violations) want = *source->violations;
  return {want, source ? source->pointer : std::string("/expect")};
}

std::optional<bool> WantedDeadlock(const Scenario& s, model::Variant v) {
  std::optional<bool> d;
  for (const Expectation* e : ExpectationsFor(s, v))
    if (e->deadlock) d = e->deadlock;
  return d;
}

}  // namespace

std::vector<std::string> CheckRun(const Scenario& s, model::Variant v, const RunReport& r) {
  std::vector<std::string> fails;
  CheckFields(s, v, r, fails);
  if (auto d = WantedDeadlock(s, v); d && *d != r.deadlock)
    fails.push_back(
        absl::StrCat("/expect/deadlock: expected ", *d ? "true" : "false", ", got ", r.deadlock ? "true" : "false"));
  const std::vector<std::string> broken = BrokenInvariants(r);
  auto [want, where] = WantedViolations(s, v);
  if (broken != want)
    fails.push_back(absl::StrCat(where, "/violations: expected [", absl::StrJoin(want, ", "), "], got [",
                                 absl::StrJoin(broken, ", "), "]"));
  return fails;
}

std::vector<std::string> CheckExplore(const Scenario& s, model::Variant v, const ExploreResult& r, bool whole_space) {
  std::vector<std::string> fails;
  std::set<std::string> broken;
  bool any_deadlock = false;
  int shown = 0;
  for (size_t i = 0; i < r.outcomes.size(); ++i) {
    const RunReport& rep = r.outcomes[i].report;
    std::vector<std::string> f;
    CheckFields(s, v, rep, f);
    for (const auto& b : BrokenInvariants(rep)) broken.insert(b);
    any_deadlock |= rep.deadlock;
    if (!f.empty() && shown < 5) {
      ++shown;
      for (const auto& x : f)
        fails.push_back(absl::StrCat("outcome ", i + 1, " (", r.outcomes[i].count, " schedules, e.g. --schedule '",
                                     ScheduleToken(rep.schedule()), "'): ", x));
    }
  }
  if (auto d = WantedDeadlock(s, v); d && *d != any_deadlock && (whole_space || any_deadlock))
    fails.push_back(absl::StrCat("/expect/deadlock: expected ", *d ? "true" : "false", ", got ",
                                 any_deadlock ? "a deadlock" : "no deadlock"));
  auto [want, where] = WantedViolations(s, v);
  std::vector<std::string> got(broken.begin(), broken.end());
  std::vector<std::string> want_sorted = want;
  std::sort(want_sorted.begin(), want_sorted.end());
  const bool unexpected = !std::includes(want_sorted.begin(), want_sorted.end(), got.begin(), got.end());
  if (whole_space ? got != want : unexpected)
    fails.push_back(absl::StrCat(where, "/violations: expected [", absl::StrJoin(want, ", "),
                                 "] over all schedules, got [", absl::StrJoin(got, ", "), "]",
                                 whole_space ? "" : " in the part explored"));
  // More outcomes than expected refutes in any part; fewer only over the
  // whole space.
  const int got_outcomes = static_cast<int>(r.outcomes.size());
  for (const Expectation* e : ExpectationsFor(s, v)) {
    if (e->outcomes && (whole_space ? *e->outcomes != got_outcomes : *e->outcomes < got_outcomes))
      fails.push_back(absl::StrCat(e->pointer, "/outcomes: expected ", *e->outcomes, ", got ", got_outcomes,
                                   whole_space ? "" : " in the part explored"));
  }
  return fails;
}

}  // namespace fusesim::sim
