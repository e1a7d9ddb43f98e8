#include "sim/report/compare.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "sim/report/chart.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/explore_scenario.h"

namespace fusesim::sim {
namespace {

using model::Opcode;

// Server handling costs shared by the presets (microseconds): metadata
// operations of a local file system behind the daemon.
std::map<Opcode, uint64_t> LocalServerCosts(uint64_t scale) {
  std::map<Opcode, uint64_t> m = {
      {Opcode::kLookup, 2},
      {Opcode::kGetattr, 1},
      {Opcode::kCreate, 12},
      {Opcode::kAtomicCreate, 12},
      {Opcode::kCreateExt, 12},
      {Opcode::kOpenAtomic, 12},
      {Opcode::kMknod, 10},
      {Opcode::kMkdir, 12},
      {Opcode::kOpen, 3},
      {Opcode::kOpendir, 3},
      {Opcode::kFlush, 1},
      {Opcode::kRelease, 1},
      {Opcode::kReleasedir, 1},
      {Opcode::kUnlink, 8},
      {Opcode::kRmdir, 8},
      {Opcode::kRename, 10},
      {Opcode::kGetxattr, 1},
      {Opcode::kForget, 0},
      {Opcode::kBatchForget, 0},
      // The 2026 designs: a COMPOUND's own handling is nothing but the
      // transport; each part is charged as its opcode (fuse_conn.cc).
      {Opcode::kCompound, 0},
      {Opcode::kStatx, 1},
      {Opcode::kLookupHandle, 2},
      {Opcode::kLookupx, 2},
      {Opcode::kMkobjHandle, 10},
      {Opcode::kMkobjx, 10},
  };
  for (auto& [op, us] : m) us *= scale;
  return m;
}

std::string Pct(double p) { return absl::StrFormat("%.1f%%", p); }

std::string RequestsText(const std::map<std::string, int>& r) {
  std::vector<std::string> parts;
  for (const auto& [op, n] : r) parts.push_back(absl::StrCat(op, " ", n));
  return absl::StrJoin(parts, ", ");
}

int KernelOps(const Scenario& s) {
  int n = 0;
  for (const auto& t : s.threads)
    if (!t.server_side)
      for (const auto& op : t.ops)
        if (op.kind != OpKind::kSleep) ++n;
  return n;
}

// The total and per-scenario charts: one bar per variant, lookup-create first.
BarChart VariantChart(const std::string& title, const std::vector<VariantRow>& rows, bool time_ms) {
  BarChart c;
  c.title = title;
  c.unit = time_ms ? "ms" : "";
  c.axis_label = time_ms ? "simulated ms waiting for replies" : "round trips";
  c.legend = "lookup-create (mainline)";
  for (const VariantRow& r : rows)
    c.bars.emplace_back(r.variant, time_ms ? r.time_us / 1000.0 : static_cast<double>(r.round_trips));
  return c;
}

// At most `shown` items of a list, then "… and N more".
constexpr size_t kShownChanges = 12;

}  // namespace

absl::StatusOr<LatencyModel> LatencyPreset(const std::string& name) {
  LatencyModel m;
  m.name = name;
  if (name == "local") {
    m.source =
        "a FUSE daemon on the same machine: ~10 us per round trip through /dev/fuse (two context switches and "
        "copies; order of magnitude of Vangoor et al., \"To FUSE or Not to FUSE\", FAST'17), plus local "
        "file-system metadata costs";
    m.rtt_us = 10;
    m.server_us = LocalServerCosts(1);
    m.default_server_us = 2;
  } else if (name == "virtiofs") {
    m.source =
        "virtio-fs: ~30 us per request (virtqueue notification, VM exit, host daemon wake-up), plus local "
        "file-system metadata costs on the host";
    m.rtt_us = 30;
    m.server_us = LocalServerCosts(1);
    m.default_server_us = 2;
  } else if (name == "nfs") {
    m.source =
        "a FUSE client of a network file system: ~250 us LAN round trip to the remote server, remote metadata "
        "operations ~5x a local file system's";
    m.rtt_us = 250;
    m.server_us = LocalServerCosts(5);
    m.default_server_us = 10;
  } else if (name == "io-uring") {
    m.source =
        "FUSE over io_uring (Linux 6.14, protocol 7.42): the same requests as /dev/fuse, no read()/write() pair "
        "per request; ~4 us per round trip, i.e. `local`'s 10 us divided by 2.5, the low end of the +150-216 % "
        "single-thread file-creation gain measured in fuse-backend-rs pull request #247 "
        "(github.com/cloud-hypervisor/fuse-backend-rs/pull/247); FORGETs and notifications still go through "
        "/dev/fuse and are never waited for; local file-system metadata costs as `local`";
    m.rtt_us = 4;
    m.server_us = LocalServerCosts(1);
    m.default_server_us = 2;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown latency preset \"", name, "\"; valid: local, virtiofs, nfs, io-uring"));
  }
  return m;
}

absl::StatusOr<ScenarioComparison> CompareScenario(const Scenario& s, const CompareOptions& o) {
  // The server with the latency model applied: runs take it in place of the
  // scenario's (a copy of a scenario of a million ops would cost 400 MB);
  // an exploration runs a copy of the scenario with it (explored scenarios
  // are small).
  model::ServerConfig server = s.server;
  const bool own_latency = !s.server.latency_us.empty() || s.server.default_latency_us != 0;
  if (!own_latency || o.latency_overrides_scenario) {
    server.default_latency_us = o.latency.rtt_us + o.latency.default_server_us;
    server.latency_us.clear();
    for (Opcode op : model::AllOpcodes()) {
      auto it = o.latency.server_us.find(op);
      server.latency_us[op] =
          o.latency.rtt_us + (it == o.latency.server_us.end() ? o.latency.default_server_us : it->second);
    }
  }
  ScenarioComparison out;
  out.own_latency = own_latency && !o.latency_overrides_scenario;
  out.name = s.name;
  out.file = s.file;
  out.description = s.description;
  out.explored = s.schedule.mode == ScheduleSpec::Mode::kExplore;
  std::vector<int> steps;
  if (s.schedule.mode == ScheduleSpec::Mode::kReplay) {
    auto st = ScheduleIndices(s, s.schedule.steps);
    if (!st.ok()) return st.status();
    steps = *st;
  }
  // The baseline runs first so that behaviour changes can be found.
  std::vector<model::Variant> variants = o.variants.empty() ? s.variants : o.variants;
  std::stable_partition(variants.begin(), variants.end(),
                        [](model::Variant v) { return v == model::Variant::kLookupCreate; });
  for (model::Variant v : variants)
    if (std::find(s.variants.begin(), s.variants.end(), v) == s.variants.end())
      out.forced_variants.emplace_back(model::VariantName(v));
  // One variant's row. Its behaviour changes need the baseline's results,
  // which the baseline's run publishes (`baseline` is set once it is done,
  // to null if it failed or is not compared).
  const bool has_baseline = !variants.empty() && variants[0] == model::Variant::kLookupCreate;
  std::promise<const std::deque<OpOutcome>*> baseline_done;
  std::shared_future<const std::deque<OpOutcome>*> baseline = baseline_done.get_future().share();
  std::deque<OpOutcome> baseline_results;
  auto run_variant = [&](model::Variant v) -> absl::StatusOr<VariantRow> {
    const bool is_baseline = v == model::Variant::kLookupCreate;
    // Publish the baseline whatever happens, so that no other run waits forever.
    struct Publish {
      bool armed;
      std::promise<const std::deque<OpOutcome>*>& p;
      ~Publish() {
        if (armed) p.set_value(nullptr);
      }
    } publish{is_baseline, baseline_done};
    ReplayChooser chooser(steps);
    ExecOptions eo;
    eo.report_dentries = false;
    eo.describe_ops = false;
    eo.server = &server;
    auto r = Execute(s, v, chooser, eo);
    if (!r.ok()) return r.status();
    VariantRow row;
    row.variant = std::string(model::VariantName(v));
    row.requests = r->requests;
    row.round_trips = r->round_trips;
    row.syscalls = KernelOps(s);
    row.time_us = r->request_time_us;
    row.dir_changed = r->dir_changed;
    row.spurious_dir_changed = r->spurious_dir_changed;
    std::set<std::string> inv;
    for (const auto& viol : r->violations) inv.insert(viol.invariant);
    if (out.explored) {
      auto eo = ExploreOptionsFor(s);
      if (!eo.ok()) return eo.status();
      eo->max_schedules = std::min(eo->max_schedules, o.explore_max_schedules);
      eo->shrink = false;
      Scenario with_latency = s;
      with_latency.server = server;
      auto e = Explore(with_latency, v, *eo);
      if (!e.ok()) return e.status();
      for (const auto& f : e->findings) inv.insert(f.invariant);
      row.schedules = e->schedules;
    }
    row.violations.assign(inv.begin(), inv.end());
    if (is_baseline) {
      baseline_results = std::move(r->results);
      publish.armed = false;
      baseline_done.set_value(baseline_results.empty() ? nullptr : &baseline_results);
      return row;
    }
    const std::deque<OpOutcome>* base = has_baseline ? baseline.get() : nullptr;
    if (base == nullptr) return row;
    for (size_t i = 0; i < r->results.size() && i < base->size(); ++i) {
      const OpOutcome &x = (*base)[i], &y = r->results[i];
      if (x.result == y.result && x.is_open == y.is_open && x.created == y.created) continue;  // the usual case
      const std::string a = ResultWithCreated(x), b = ResultWithCreated(y);
      if (a != b)
        row.behaviour_changes.push_back(
            absl::StrCat(r->results[i].label, " (", DescribeOp(s.op(static_cast<int>(i))), "): ", a, " -> ", b));
    }
    return row;
  };
  // Up to o.jobs variants at once, taken in order (the baseline first); the
  // rows, and the first error in variant order, as one at a time gives.
  std::vector<std::optional<absl::StatusOr<VariantRow>>> rows(variants.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < variants.size(); i = next++) {
      try {  // on a thread, an exception would end the process: the caller's "internal error" instead
        rows[i] = run_variant(variants[i]);
      } catch (const std::exception& e) {
        rows[i] = absl::InternalError(absl::StrCat("uncaught exception: ", e.what()));
      }
    }
  };
  const size_t threads = std::min<size_t>(std::max(o.jobs, 1), variants.size());
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
  }
  for (auto& row : rows) {
    if (!row->ok()) return row->status();
    out.rows.push_back(std::move(**row));
  }
  return out;
}

namespace {

// What r saves against base (lookup-create), absolute and in percent.
void SetSavings(const VariantRow& base, VariantRow& r) {
  r.has_baseline = true;
  r.saved_round_trips = base.round_trips - r.round_trips;
  r.saved_round_trips_pct = base.round_trips ? 100.0 * r.saved_round_trips / base.round_trips : 0;
  r.saved_time_us = static_cast<int64_t>(base.time_us) - static_cast<int64_t>(r.time_us);
  r.saved_time_pct =
      base.time_us ? 100.0 * static_cast<double>(r.saved_time_us) / static_cast<double>(base.time_us) : 0;
}

}  // namespace

void Summarize(Comparison& c) {
  c.totals.clear();
  c.notes.clear();
  std::vector<std::string> own_latency, no_baseline, forced;
  for (ScenarioComparison& sc : c.scenarios) {
    const VariantRow* base = nullptr;
    for (const VariantRow& r : sc.rows)
      if (r.variant == "lookup-create") base = &r;
    if (sc.own_latency) own_latency.push_back(sc.name);
    if (base == nullptr) no_baseline.push_back(sc.name);
    if (!sc.forced_variants.empty())
      forced.push_back(absl::StrCat(sc.name, " (", absl::StrJoin(sc.forced_variants, ", "), ")"));
    for (VariantRow& r : sc.rows) {
      if (base != nullptr && &r != base) SetSavings(*base, r);
      VariantRow* t = nullptr;
      for (VariantRow& x : c.totals)
        if (x.variant == r.variant) t = &x;
      if (t == nullptr) {
        c.totals.push_back(VariantRow{});
        t = &c.totals.back();
        t->variant = r.variant;
        t->schedules = 0;
      }
      for (const auto& [op, n] : r.requests) t->requests[op] += n;
      t->scenarios++;
      t->round_trips += r.round_trips;
      t->syscalls += r.syscalls;
      t->time_us += r.time_us;
      t->dir_changed += r.dir_changed;
      t->spurious_dir_changed += r.spurious_dir_changed;
      t->schedules += r.violations.empty() ? 0 : 1;  // scenarios with violations
      if (r.has_baseline) {
        t->has_baseline = true;
        t->saved_round_trips += r.saved_round_trips;
        t->saved_time_us += r.saved_time_us;
        t->base_round_trips += base->round_trips;
        t->base_time_us += base->time_us;
      }
      for (const auto& b : r.behaviour_changes) t->behaviour_changes.push_back(absl::StrCat(sc.name, ": ", b));
      for (const auto& v : r.violations)
        if (std::find(t->violations.begin(), t->violations.end(), v) == t->violations.end()) t->violations.push_back(v);
    }
  }
  // Savings over exactly the scenarios where both the variant and the
  // baseline ran, so that a variant that a scenario excludes is not credited
  // with that scenario's round trips.
  for (VariantRow& r : c.totals) {
    std::sort(r.violations.begin(), r.violations.end());
    if (!r.has_baseline) continue;
    r.saved_round_trips_pct =
        r.base_round_trips ? 100.0 * r.saved_round_trips / static_cast<double>(r.base_round_trips) : 0;
    r.saved_time_pct =
        r.base_time_us ? 100.0 * static_cast<double>(r.saved_time_us) / static_cast<double>(r.base_time_us) : 0;
  }
  const size_t n = c.scenarios.size();
  auto list = [](const std::vector<std::string>& names) {
    constexpr size_t kShown = 8;
    const size_t shown = std::min(names.size(), kShown);
    std::string s = absl::StrJoin(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(shown), ", ");
    if (names.size() > kShown) absl::StrAppend(&s, " and ", names.size() - kShown, " more");
    return s;
  };
  if (!own_latency.empty())
    c.notes.push_back(absl::StrCat(own_latency.size(), " of ", n,
                                   " scenarios keep their own server.latency_us instead of the latency model "
                                   "(--preset or --rtt-us overrides it): ",
                                   list(own_latency)));
  std::vector<std::string> partial;
  for (const VariantRow& r : c.totals)
    if (r.scenarios < static_cast<int>(n)) partial.push_back(absl::StrCat(r.variant, " ", r.scenarios));
  if (!partial.empty())
    c.notes.push_back(absl::StrCat(
        "not every scenario runs every variant (\"variants\" excludes some): ", absl::StrJoin(partial, ", "), " of ", n,
        " scenarios; a variant's totals cover the scenarios it ran in, its savings those "
        "that also ran lookup-create"));
  if (!no_baseline.empty())
    c.notes.push_back(absl::StrCat(no_baseline.size(), no_baseline.size() == 1 ? " scenario has" : " scenarios have",
                                   " no lookup-create run, so no savings: ", list(no_baseline)));
  if (!forced.empty())
    c.notes.push_back(
        absl::StrCat("--variants ran variants that ", forced.size(), " scenarios exclude: ", list(forced)));
}

std::string CompareToMarkdown(const Comparison& c) {
  std::string s = "# fusesim: round trips and correctness per variant\n\n";
  absl::StrAppendFormat(&s,
                        "%d scenarios. Latency model `%s`: %d us per round trip plus the server's handling (%s). "
                        "Time is the simulated time threads spend waiting for FUSE replies.\n\n",
                        c.scenarios.size(), c.latency.name, c.latency.rtt_us, c.latency.source);
  for (const std::string& n : c.notes) absl::StrAppendFormat(&s, "**Note:** %s.\n\n", n);
  s += "## Summary\n\n";
  s += "| variant | round trips | saved vs lookup-create | time in round trips | saved | spurious dir_changed | "
       "scenarios with violations | behaviour changes |\n";
  s += "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const VariantRow& r : c.totals) {
    absl::StrAppendFormat(
        &s, "| `%s` | %d | %s | %.3f ms | %s | %d | %d | %s |\n", r.variant, r.round_trips,
        !r.has_baseline ? "—" : absl::StrCat(r.saved_round_trips, " (", Pct(r.saved_round_trips_pct), ")"),
        r.time_us / 1000.0, !r.has_baseline ? "—" : Pct(r.saved_time_pct), r.spurious_dir_changed, r.schedules,
        r.behaviour_changes.empty() ? "0" : absl::StrCat("**", r.behaviour_changes.size(), " ⚠**"));
  }
  s += "\n";
  s += MermaidBarChart(VariantChart("Round trips per variant (all scenarios)", c.totals, false));
  s += "\n";
  s += MermaidBarChart(VariantChart("Time in round trips per variant (all scenarios)", c.totals, true));
  s += "\n";
  s += "## ⚠ Behaviour changes against lookup-create\n\n";
  s += "Ops whose result (errno, or the FMODE_CREATED flag: `ok+created` / `ok+existing`) differs from mainline's.\n\n";
  bool any = false;
  for (const VariantRow& r : c.totals) {
    for (size_t i = 0; i < r.behaviour_changes.size() && i < kShownChanges; ++i) {
      absl::StrAppendFormat(&s, "- **%s** — %s\n", r.variant, r.behaviour_changes[i]);
      any = true;
    }
    if (r.behaviour_changes.size() > kShownChanges)
      absl::StrAppendFormat(&s, "- **%s** — … and %s more (`--format csv` or `json` lists them all)\n", r.variant,
                            FormatSignificant(static_cast<double>(r.behaviour_changes.size() - kShownChanges), 15));
  }
  if (!any) s += "None: every variant gives every op the result mainline gives.\n";
  s += "\n## Violations\n\n";
  any = false;
  for (const ScenarioComparison& sc : c.scenarios)
    for (const VariantRow& r : sc.rows)
      if (!r.violations.empty()) {
        absl::StrAppendFormat(&s, "- `%s` under **%s**: %s%s\n", sc.name, r.variant, absl::StrJoin(r.violations, ", "),
                              sc.explored ? absl::StrFormat(" (over %d explored schedules)", r.schedules) : "");
        any = true;
      }
  if (!any) s += "None.\n";
  s += "\n## Per scenario\n";
  for (const ScenarioComparison& sc : c.scenarios) {
    absl::StrAppendFormat(&s, "\n### %s\n\n", sc.name);
    if (sc.own_latency) s += "Latency: the scenario's own `server.latency_us`.\n\n";
    if (!sc.forced_variants.empty())
      absl::StrAppendFormat(&s, "Run by `--variants` although the scenario excludes them: %s.\n\n",
                            absl::StrJoin(sc.forced_variants, ", "));
    if (!sc.description.empty()) absl::StrAppendFormat(&s, "%s\n\n", sc.description);
    s += "| variant | requests | round trips | per syscall | saved | time (us) | dir_changed (spurious) | violations "
         "|\n";
    s += "|---|---|---:|---:|---:|---:|---:|---|\n";
    for (const VariantRow& r : sc.rows) {
      absl::StrAppendFormat(
          &s, "| `%s` | %s | %d | %.2f | %s | %d | %d (%d) | %s |\n", r.variant, RequestsText(r.requests),
          r.round_trips, r.syscalls ? static_cast<double>(r.round_trips) / r.syscalls : 0.0,
          !r.has_baseline ? "—" : absl::StrCat(r.saved_round_trips, " (", Pct(r.saved_round_trips_pct), ")"), r.time_us,
          r.dir_changed, r.spurious_dir_changed,
          r.violations.empty() ? "" : absl::StrCat("**", absl::StrJoin(r.violations, ", "), "**"));
    }
    for (const VariantRow& r : sc.rows) {
      for (size_t i = 0; i < r.behaviour_changes.size() && i < 3; ++i)
        absl::StrAppendFormat(&s, "\n⚠ `%s`: %s", r.variant, r.behaviour_changes[i]);
      if (r.behaviour_changes.size() > 3)
        absl::StrAppendFormat(&s, "\n⚠ `%s`: … and %d more", r.variant, r.behaviour_changes.size() - 3);
    }
    bool changes = false;
    for (const VariantRow& r : sc.rows) changes |= !r.behaviour_changes.empty();
    if (changes) s += "\n";
  }
  return s;
}

std::string CompareToCsv(const Comparison& c) {
  std::string s =
      "scenario,variant,round_trips,syscalls,round_trips_per_syscall,saved_round_trips,saved_round_trips_pct,"
      "time_us,saved_time_us,saved_time_pct,dir_changed,spurious_dir_changed,violations,behaviour_changes,requests\n";
  for (const ScenarioComparison& sc : c.scenarios) {
    for (const VariantRow& r : sc.rows) {
      std::vector<std::string> req;
      for (const auto& [op, n] : r.requests) req.push_back(absl::StrCat(op, "=", n));
      absl::StrAppendFormat(
          &s, "%s,%s,%d,%d,%.4f,%d,%.2f,%d,%d,%.2f,%d,%d,%s,%d,%s\n", sc.name, r.variant, r.round_trips, r.syscalls,
          r.syscalls ? static_cast<double>(r.round_trips) / r.syscalls : 0.0, r.saved_round_trips,
          r.saved_round_trips_pct, r.time_us, r.saved_time_us, r.saved_time_pct, r.dir_changed, r.spurious_dir_changed,
          absl::StrJoin(r.violations, ";"), r.behaviour_changes.size(), absl::StrJoin(req, ";"));
    }
  }
  return s;
}

namespace {
nlohmann::ordered_json RowJson(const VariantRow& r) {
  nlohmann::ordered_json j;
  j["variant"] = r.variant;
  j["requests"] = r.requests;
  j["round_trips"] = r.round_trips;
  j["syscalls"] = r.syscalls;
  j["time_us"] = r.time_us;
  j["saved_round_trips"] = r.saved_round_trips;
  j["saved_round_trips_pct"] = r.saved_round_trips_pct;
  j["saved_time_us"] = r.saved_time_us;
  j["saved_time_pct"] = r.saved_time_pct;
  j["dir_changed"] = r.dir_changed;
  j["spurious_dir_changed"] = r.spurious_dir_changed;
  j["violations"] = r.violations;
  j["behaviour_changes"] = r.behaviour_changes;
  return j;
}
}  // namespace

std::string CompareToJson(const Comparison& c) {
  nlohmann::ordered_json j;
  j["latency"] = {{"name", c.latency.name}, {"rtt_us", c.latency.rtt_us}, {"source", c.latency.source}};
  j["notes"] = c.notes;
  j["totals"] = nlohmann::ordered_json::array();
  for (const VariantRow& r : c.totals) {
    nlohmann::ordered_json t = RowJson(r);
    t["scenarios"] = r.scenarios;
    t["scenarios_with_violations"] = r.schedules;
    j["totals"].push_back(t);
  }
  j["scenarios"] = nlohmann::ordered_json::array();
  for (const ScenarioComparison& sc : c.scenarios) {
    nlohmann::ordered_json e;
    e["name"] = sc.name;
    e["file"] = sc.file;
    e["explored"] = sc.explored;
    e["own_latency"] = sc.own_latency;
    if (!sc.forced_variants.empty()) e["forced_variants"] = sc.forced_variants;
    e["variants"] = nlohmann::ordered_json::array();
    for (const VariantRow& r : sc.rows) {
      nlohmann::ordered_json row = RowJson(r);
      if (sc.explored) row["schedules_explored"] = r.schedules;
      e["variants"].push_back(row);
    }
    j["scenarios"].push_back(e);
  }
  return j.dump(2) + "\n";
}

std::string CompareToHtml(const Comparison& c) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fusesim report</title><style>"
      "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}"
      ".bad{color:#b00;font-weight:bold}.note{background:#eef4ff;border-left:4px solid #1f5fbf;padding:.4em "
      ".8em}.warn{background:#fff3cd}svg text{font:13px sans-serif}</style></head><body>\n";
  absl::StrAppendFormat(&s,
                        "<h1>fusesim: round trips and correctness per variant</h1><p>%d scenarios. Latency model "
                        "<b>%s</b>: %d&nbsp;us per round trip plus server handling (%s).</p>\n",
                        c.scenarios.size(), HtmlEscape(c.latency.name), c.latency.rtt_us, HtmlEscape(c.latency.source));
  for (const std::string& n : c.notes)
    absl::StrAppendFormat(&s, "<p class=\"note\"><b>Note:</b> %s.</p>\n", HtmlEscape(n));
  s += SvgBarChart(VariantChart("Round trips (all scenarios)", c.totals, false)) + "<br>\n" +
       SvgBarChart(VariantChart("Time in round trips (all scenarios, simulated)", c.totals, true)) + "\n";
  s += "<h2>Summary</h2><table><tr><th>variant</th><th>round trips</th><th>saved</th><th>time "
       "(ms)</th><th>saved</th><th>spurious dir_changed</th><th>scenarios with violations</th><th>behaviour "
       "changes</th></tr>\n";
  for (const VariantRow& r : c.totals) {
    absl::StrAppendFormat(&s,
                          "<tr><td>%s</td><td>%d</td><td>%s</td><td>%.3f</td><td>%s</td><td>%d</td><td "
                          "class=\"%s\">%d</td><td class=\"%s\">%d</td></tr>\n",
                          r.variant, r.round_trips, !r.has_baseline ? "—" : Pct(r.saved_round_trips_pct),
                          r.time_us / 1000.0, !r.has_baseline ? "—" : Pct(r.saved_time_pct), r.spurious_dir_changed,
                          r.schedules ? "bad" : "", r.schedules, r.behaviour_changes.empty() ? "" : "bad warn",
                          r.behaviour_changes.size());
  }
  s += "</table>\n<h2>Behaviour changes against lookup-create</h2><ul>\n";
  bool any_change = false;
  for (const VariantRow& r : c.totals) {
    for (size_t i = 0; i < r.behaviour_changes.size() && i < kShownChanges; ++i) {
      absl::StrAppendFormat(&s, "<li class=\"warn\"><b>%s</b>: %s</li>\n", r.variant,
                            HtmlEscape(r.behaviour_changes[i]));
      any_change = true;
    }
    if (r.behaviour_changes.size() > kShownChanges)
      absl::StrAppendFormat(&s,
                            "<li class=\"warn more\"><b>%s</b>: … and %s more (<code>--format csv</code> or "
                            "<code>json</code> lists them all)</li>\n",
                            r.variant,
                            FormatSignificant(static_cast<double>(r.behaviour_changes.size() - kShownChanges), 15));
  }
  if (!any_change) s += "<li>None: every variant gives every op the result mainline gives.</li>\n";
  s += "</ul>\n<h2>Per scenario</h2>\n";
  for (const ScenarioComparison& sc : c.scenarios) {
    absl::StrAppendFormat(
        &s,
        "<h3>%s</h3><p>%s</p><table><tr><th>variant</th><th>requests</th><th>round trips</th><th>saved</th><th>time "
        "(us)</th><th>dir_changed (spurious)</th><th>violations</th></tr>\n",
        HtmlEscape(sc.name),
        HtmlEscape(absl::StrCat(sc.description, sc.own_latency ? " Latency: the scenario's own server.latency_us." : "",
                                sc.forced_variants.empty()
                                    ? ""
                                    : absl::StrCat(" Run by --variants although the scenario excludes them: ",
                                                   absl::StrJoin(sc.forced_variants, ", "), "."))));
    const std::string chart = SvgBarChart(VariantChart(absl::StrCat("Round trips: ", sc.name), sc.rows, false));
    for (const VariantRow& r : sc.rows) {
      absl::StrAppendFormat(&s,
                            "<tr%s><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%d</td><td>%d (%d)</td><td "
                            "class=\"bad\">%s</td></tr>\n",
                            r.behaviour_changes.empty() ? "" : " class=\"warn\"", r.variant,
                            HtmlEscape(RequestsText(r.requests)), r.round_trips,
                            !r.has_baseline ? "—" : absl::StrCat(r.saved_round_trips), r.time_us, r.dir_changed,
                            r.spurious_dir_changed, HtmlEscape(absl::StrJoin(r.violations, ", ")));
    }
    s += "</table>\n" + chart + "\n";
  }
  return s + "</body></html>\n";
}

}  // namespace fusesim::sim
