// Schedule tokens: the printable, replayable form of a schedule.
//
// A schedule is the actor of every step. Its token names the actors, a run
// of one actor as "name*N", comma-separated: "t1*3,t2,t1". Explorers print
// tokens; `run --schedule` parses them back (ParseScheduleToken, with the
// scenario's actor names).
#ifndef FUSESIM_SIM_ENGINE_SCHEDULE_TOKEN_H_
#define FUSESIM_SIM_ENGINE_SCHEDULE_TOKEN_H_

#include <string>
#include <vector>

namespace fusesim::sim {

std::string ScheduleToken(const std::vector<std::string>& schedule);

// Shorter first, then the smaller token: the total order that picks an
// outcome's representative and a finding's schedule, so that neither
// depends on the order schedules were explored in.
bool ShorterSchedule(const std::vector<std::string>& a, const std::vector<std::string>& b);

// The names of a schedule of actor indices.
std::vector<std::string> ScheduleNames(const std::vector<int>& schedule, const std::vector<std::string>& actors);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_SCHEDULE_TOKEN_H_
