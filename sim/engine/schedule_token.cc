#include "sim/engine/schedule_token.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fusesim::sim {

std::string ScheduleToken(const std::vector<std::string>& schedule) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < schedule.size();) {
    size_t j = i;
    while (j < schedule.size() && schedule[j] == schedule[i]) ++j;
    parts.push_back(j - i == 1 ? schedule[i] : absl::StrCat(schedule[i], "*", j - i));
    i = j;
  }
  return absl::StrJoin(parts, ",");
}

bool ShorterSchedule(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return ScheduleToken(a) < ScheduleToken(b);
}

std::vector<std::string> ScheduleNames(const std::vector<int>& schedule, const std::vector<std::string>& actors) {
  std::vector<std::string> names;
  names.reserve(schedule.size());
  for (int a : schedule) names.push_back(actors[a]);
  return names;
}

}  // namespace fusesim::sim
