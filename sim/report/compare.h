// The round-trip-savings report: every variant of every scenario side by
// side, what each saves against mainline (lookup-create), and every place a
// saving changes what an application sees.
//
// Counts come from the scenario's own schedule (sequential or replay); for a
// scenario that asks to be explored, violations are the union over its
// explored schedules, so a design that is cheap but wrong in some
// interleaving is marked. Time comes from a latency model: a round trip
// costs the transport (rtt) plus the server's handling of the opcode.
//
// Rendered from one Comparison struct as Markdown (with a Mermaid chart),
// CSV, JSON or a self-contained HTML page with SVG charts. Deterministic.
#ifndef FUSESIM_SIM_REPORT_COMPARE_H_
#define FUSESIM_SIM_REPORT_COMPARE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/opcode.h"
#include "model/variant.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

struct LatencyModel {
  std::string name;     // "local", "virtiofs", "nfs", or "custom"
  std::string source;   // where the figures come from
  uint64_t rtt_us = 0;  // transport, per request
  uint64_t default_server_us = 0;
  std::map<model::Opcode, uint64_t> server_us;
};

// The presets, documented in docs/compare.md.
absl::StatusOr<LatencyModel> LatencyPreset(const std::string& name);

struct VariantRow {
  std::string variant;
  std::map<std::string, int> requests;
  int round_trips = 0;
  int syscalls = 0;
  uint64_t time_us = 0;
  int dir_changed = 0;
  int spurious_dir_changed = 0;
  std::vector<std::string> violations;  // invariant names
  int64_t schedules = 1;                // explored schedules behind violations
  // Op results that differ from lookup-create's: "t1.0: ok+existing -> ok+created".
  std::vector<std::string> behaviour_changes;
  // Savings against lookup-create (0 for lookup-create itself, and where the
  // scenario has no lookup-create run: has_baseline false).
  bool has_baseline = false;
  int saved_round_trips = 0;
  double saved_round_trips_pct = 0;
  int64_t saved_time_us = 0;
  double saved_time_pct = 0;
  // Totals only: scenarios this variant ran in, and lookup-create's round
  // trips and time over those of them that have a baseline (the savings'
  // denominators).
  int scenarios = 0;
  int64_t base_round_trips = 0;
  uint64_t base_time_us = 0;
};

struct ScenarioComparison {
  std::string name, file, description;
  bool explored = false;
  // The scenario's own server.latency_us was used (no --preset/--rtt-us).
  bool own_latency = false;
  // Variants run although the scenario's "variants" excludes them (asked
  // for by --variants).
  std::vector<std::string> forced_variants;
  std::vector<VariantRow> rows;  // in the order asked for
};

struct Comparison {
  LatencyModel latency;
  std::vector<std::string> variants;
  std::vector<ScenarioComparison> scenarios;
  std::vector<VariantRow> totals;  // summed over scenarios
  // Where the report departs from the scenarios or the preset, one sentence
  // each (filled by Summarize): own latencies, excluded or forced variants.
  std::vector<std::string> notes;
};

struct CompareOptions {
  // Empty: the scenario's own "variants" (all five where it names none).
  // Set from --variants: these, also where the scenario excludes one.
  std::vector<model::Variant> variants;
  LatencyModel latency;
  // False: a scenario with its own server.latency_us keeps it and the
  // preset applies to the others. True (--preset or --rtt-us given): the
  // preset applies to every scenario.
  bool latency_overrides_scenario = false;
  int64_t explore_max_schedules = 20000;
  // Variants run at once, each on a thread of its own (lookup-create first,
  // whose results the others' behaviour changes need). The report is the
  // same for any value; memory grows with it (each run holds its world).
  int jobs = 1;
};

absl::StatusOr<ScenarioComparison> CompareScenario(const Scenario& s, const CompareOptions& o);
// Fills the totals and the savings.
void Summarize(Comparison& c);

std::string CompareToMarkdown(const Comparison& c);
std::string CompareToCsv(const Comparison& c);
std::string CompareToJson(const Comparison& c);
std::string CompareToHtml(const Comparison& c);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_REPORT_COMPARE_H_
