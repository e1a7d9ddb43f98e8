#include "sim/engine/independence_check.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/engine/trace_equivalence.h"

namespace fusesim::sim {
namespace {

using Footprint = std::vector<Access>;

std::string Describe(const Footprint& f) {
  std::vector<std::string> parts;
  for (const Access& a : f) {
    const char* mode = a.mode == AccessMode::kRead ? "r" : a.mode == AccessMode::kWrite ? "w" : "+";
    parts.push_back(absl::StrCat(mode, ":", absl::Hex(a.key)));
  }
  return absl::StrCat("{", absl::StrJoin(parts, " "), "}");
}

}  // namespace

absl::StatusOr<IndependenceReport> CheckIndependence(Executor& program, const std::vector<int>& schedule,
                                                     int64_t max_steps) {
  const std::vector<std::string>& names = program.ActorNames();
  auto base_run = RecordRun(program, schedule, max_steps);
  if (!base_run.ok()) return base_run.status();
  if (base_run->schedule != schedule)
    return absl::InvalidArgumentError("the schedule is not a complete run: it does not end where the run ends");
  const RunSummary* base = &base_run->summary;
  const std::vector<Footprint>& fp = base_run->fp;
  IndependenceReport out;
  for (size_t i = 0; i + 1 < schedule.size(); ++i) {
    const int a = schedule[i], b = schedule[i + 1];
    if (a == b) continue;
    const std::vector<int>& en = base_run->enabled[i];
    if (std::find(en.begin(), en.end(), b) == en.end()) continue;  // b was enabled by a's step
    if (Dependent(fp[i], fp[i + 1])) continue;
    ++out.pairs_checked;
    std::vector<int> swapped = schedule;
    std::swap(swapped[i], swapped[i + 1]);
    const std::string where = absl::StrCat("step ", i + 1, " (", names[a], " ", Describe(fp[i]), ", ", names[b], " ",
                                           Describe(fp[i + 1]), "): ");
    auto swapped_run = RecordRun(program, swapped, max_steps);
    if (!swapped_run.ok()) {
      out.errors.push_back(absl::StrCat(where, "swapped, the run does not replay: ", swapped_run.status().message()));
      continue;
    }
    const RunSummary* run = &swapped_run->summary;
    if (run->schedule != swapped) {
      out.errors.push_back(absl::StrCat(where, "swapped, the run ends after ", run->schedule.size(),
                                        " steps instead of ", swapped.size()));
      continue;
    }
    const std::vector<Footprint>& sfp = swapped_run->fp;
    for (size_t j = i + 2; j < schedule.size(); ++j) {
      if (sfp[j] != fp[j]) {
        out.errors.push_back(absl::StrCat(where, "swapped, step ", j + 1, " (", names[schedule[j]], ") touches ",
                                          Describe(sfp[j]), " instead of ", Describe(fp[j])));
        break;
      }
    }
    if (run->outcome != base->outcome) {
      out.errors.push_back(
          absl::StrCat(where, "swapped, the outcome differs: ", run->outcome, " instead of ", base->outcome));
      continue;
    }
    std::vector<std::string> v1, v2;
    for (const auto& v : base->violations) v1.push_back(v.invariant);
    for (const auto& v : run->violations) v2.push_back(v.invariant);
    std::sort(v1.begin(), v1.end());
    std::sort(v2.begin(), v2.end());
    if (v1 != v2)
      out.errors.push_back(absl::StrCat(where, "swapped, the violations differ: [", absl::StrJoin(v2, ", "),
                                        "] instead of [", absl::StrJoin(v1, ", "), "]"));
  }
  return out;
}

}  // namespace fusesim::sim
