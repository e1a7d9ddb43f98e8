#include "sim/report/trace.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace fusesim::sim {
namespace {

// Mermaid treats ';' and '#' specially in message text.
std::string Clean(const std::string& s) { return absl::StrReplaceAll(s, {{";", ","}, {"#", "no."}}); }

}  // namespace

std::string TraceToMermaid(const Scenario& s, const RunReport& r) {
  std::string out = "sequenceDiagram\n";
  const size_t threads = s.threads.size();
  for (size_t i = 0; i < threads; ++i)
    absl::StrAppendFormat(&out, "  participant a%d as %s%s\n", i, s.threads[i].name,
                          s.threads[i].server_side ? " (other client)" : "");
  for (size_t m = 0; m < s.mounts.size(); ++m)
    absl::StrAppendFormat(&out, "  participant d%d as %s dcache\n", m, s.mounts[m].name);
  out += "  participant srv as server\n";
  // Daemon actors (sim::ActorNames): bg:MOUNT for each mount, then
  // forget:MOUNT for each io_uring mount; each draws from its mount.
  std::vector<size_t> daemon_mount;
  for (size_t m = 0; m < s.mounts.size(); ++m) daemon_mount.push_back(m);
  for (size_t m = 0; m < s.mounts.size(); ++m)
    if (s.mounts[m].io_uring) daemon_mount.push_back(m);
  auto actor = [&](int a) -> std::string {
    if (a < 0) return "srv";
    if (static_cast<size_t>(a) < threads) return absl::StrCat("a", a);
    const size_t d = static_cast<size_t>(a) - threads;
    return absl::StrCat("d", d < daemon_mount.size() ? daemon_mount[d] : d);
  };
  auto mount_of = [&](int a) -> std::string {
    if (a >= 0 && static_cast<size_t>(a) < threads)
      return absl::StrCat("d", s.threads[a].server_side ? 0 : s.threads[a].mount);
    return actor(a);
  };
  for (const model::TraceEvent& e : r.trace) {
    const std::string who = actor(e.actor);
    const std::string text = Clean(e.text);
    if (e.kind == "syscall") {
      absl::StrAppendFormat(&out, "  Note over %s: %s\n", who, text);
    } else if (e.kind == "request") {
      absl::StrAppendFormat(&out, "  %s->>srv: %s\n", who, text);
    } else if (e.kind == "reply") {
      size_t arrow = text.rfind(" -> ");
      absl::StrAppendFormat(&out, "  srv-->>%s: %s\n", who, arrow == std::string::npos ? text : text.substr(arrow + 4));
    } else if (e.kind == "async") {
      absl::StrAppendFormat(&out, "  %s-)srv: %s (background)\n", who, text);
    } else if (e.kind == "dentry") {
      absl::StrAppendFormat(&out, "  Note right of %s: %s\n", mount_of(e.actor), text);
    } else if (e.kind == "wait" || e.kind == "wake") {
      absl::StrAppendFormat(&out, "  Note over %s: %s\n", who, text);
    } else if (e.kind == "violation") {
      absl::StrAppendFormat(&out, "  Note over %s: VIOLATION %s\n", e.actor < 0 ? "srv" : who, text);
    }
  }
  return out;
}

std::string TraceToText(const RunReport& r) {
  const std::vector<std::string> schedule = r.schedule();
  std::string out = absl::StrFormat("%s [%s] schedule %s\n", r.scenario, r.variant, ScheduleToken(schedule));
  // The token's runs as step ranges: "b*17,a*13" is steps 1-17 b, 18-30 a.
  std::vector<std::string> ranges;
  for (size_t i = 0; i < schedule.size();) {
    size_t j = i;
    while (j < schedule.size() && schedule[j] == schedule[i]) ++j;
    ranges.push_back(j - i == 1 ? absl::StrCat(i + 1, " ", schedule[i])
                                : absl::StrCat(i + 1, "-", j, " ", schedule[i]));
    i = j;
  }
  absl::StrAppendFormat(&out, "steps: %s (step 0: threads starting)\n",
                        ranges.empty() ? "none" : absl::StrJoin(ranges, ", "));
  absl::StrAppendFormat(&out, "%5s %-10s %-9s %s\n", "step", "actor", "kind", "event");
  for (size_t i = 0; i < r.trace.size(); ++i) {
    const model::TraceEvent& e = r.trace[i];
    const int step = i < r.trace_steps.size() ? r.trace_steps[i] : 0;
    absl::StrAppendFormat(&out, "%5d %-10s %-9s %s\n", step, e.actor >= 0 ? r.actor_names[e.actor] : "-", e.kind,
                          e.text);
  }
  return out;
}

}  // namespace fusesim::sim
