// Renders the message trace of one run: threads, each mount's dentry cache
// and the server, as a Mermaid sequence diagram or plain text. The JSON form
// is the run report with its "trace" array (report.h).
#ifndef FUSESIM_SIM_REPORT_TRACE_H_
#define FUSESIM_SIM_REPORT_TRACE_H_

#include <string>

#include "sim/report/report.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

std::string TraceToMermaid(const Scenario& s, const RunReport& r);
std::string TraceToText(const RunReport& r);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_REPORT_TRACE_H_
