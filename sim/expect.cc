#include "sim/expect.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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

std::vector<std::string> CheckRun(const Scenario& s, model::Variant v, const RunReport& r) {
  std::vector<std::string> fails;
  const std::vector<std::string> broken = BrokenInvariants(r);
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
    for (const auto& [label, accepted] : e->results) {
      std::string got = "?";
      for (const OpOutcome& o : r.results)
        if (o.label == label) got = ResultWithCreated(o);
      bool ok = false;
      for (const std::string& want : accepted) ok |= ResultMatches(want, got);
      if (!ok)
        fails.push_back(absl::StrCat(where, "/results/", label, ": expected ", absl::StrJoin(accepted, " or "),
                                     ", got ", got));
    }
    for (const auto& [key, want] : e->dentries) {
      auto it = r.dentries.find(key);
      std::string got = it == r.dentries.end() ? "absent" : it->second;
      if (got != want) fails.push_back(absl::StrCat(where, "/dentries/", key, ": expected ", want, ", got ", got));
    }
    if (e->deadlock && *e->deadlock != r.deadlock)
      fails.push_back(absl::StrCat(where, "/deadlock: expected ", *e->deadlock ? "true" : "false", ", got ",
                                   r.deadlock ? "true" : "false"));
  }
  // Violations: the variant's own list wins over "all"'s; without a list,
  // every broken invariant is a failure ("invariants": "hold" says so too).
  const Expectation* all = nullptr;
  const Expectation* own = nullptr;
  if (auto it = s.expect.find("all"); it != s.expect.end()) all = &it->second;
  if (auto it = s.expect.find(std::string(model::VariantName(v))); it != s.expect.end()) own = &it->second;
  const Expectation* source = nullptr;
  if (own != nullptr && (own->violations || own->invariants_hold)) source = own;
  else if (all != nullptr && (all->violations || all->invariants_hold)) source = all;
  std::vector<std::string> want;
  if (source != nullptr && source->violations) want = *source->violations;
  if (broken != want) {
    fails.push_back(absl::StrCat(source ? source->pointer : std::string("/expect"), "/violations: expected [",
                                 absl::StrJoin(want, ", "), "], got [", absl::StrJoin(broken, ", "), "]"));
  }
  return fails;
}

}  // namespace fusesim::sim
