#include "sim/engine/explore.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/engine/random.h"

namespace fusesim::sim {
namespace {

using Footprint = std::vector<Access>;

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// What a blocked actor's next step would touch first: the object it waits
// for (what it does once it runs is known only when it runs).
Footprint PendingFootprint(const Actor& a) {
  Footprint f;
  switch (a.wait.kind) {
    case WaitKind::kRwsemRead:
      f.push_back({static_cast<const RwSem*>(a.wait.obj)->key, AccessMode::kAdd});
      break;
    case WaitKind::kRwsemWrite:
      f.push_back({static_cast<const RwSem*>(a.wait.obj)->key, AccessMode::kWrite});
      break;
    case WaitKind::kRwsemQueued:
      f.push_back({static_cast<const RwSem*>(a.wait.obj)->key, a.queued_write ? AccessMode::kWrite : AccessMode::kAdd});
      break;
    case WaitKind::kMutex:
      f.push_back({static_cast<const Mutex*>(a.wait.obj)->key, AccessMode::kWrite});
      break;
    case WaitKind::kCompletion:
      f.push_back({static_cast<const Completion*>(a.wait.obj)->key, AccessMode::kRead});
      break;
    case WaitKind::kAfter:
      for (const Completion* c : a.after) f.push_back({c->key, AccessMode::kRead});
      break;
    case WaitKind::kCounter:
    case WaitKind::kNone:
      break;
  }
  return f;
}

struct Frame {
  std::vector<int> enabled;
  int last = -1;  // actor of the previous step
  int chosen = -1;
  Footprint fp;         // of the chosen step
  int preemptions = 0;  // before this step
  std::vector<int> backtrack;
  std::vector<int> done;
  std::vector<std::pair<int, Footprint>> sleep;     // asleep at this state
  std::vector<std::pair<int, Footprint>> explored;  // siblings already explored
  bool fixed = false;                               // part of a shard's prefix: never branched
  // Happens-before: per actor, the index of its latest step that happens
  // before this one (-1: none). Empty until computed; a frame keeps it while
  // its step is unchanged, so a run recomputes only the frames it changed.
  std::vector<int> vc;

  bool IsPreemption(int c) const { return last >= 0 && c != last && Contains(enabled, last); }
};

constexpr char kSleepBlocked[] = "sleep-set blocked";

nlohmann::json FootprintJson(const Footprint& f) {
  nlohmann::json j = nlohmann::json::array();
  for (const Access& a : f) j.push_back({a.key, static_cast<int>(a.mode)});
  return j;
}
Footprint FootprintFrom(const nlohmann::json& j) {
  Footprint f;
  for (const auto& a : j) f.push_back({a[0].get<uint64_t>(), static_cast<AccessMode>(a[1].get<int>())});
  return f;
}
nlohmann::json SetJson(const std::vector<std::pair<int, Footprint>>& v) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [a, f] : v) j.push_back({a, FootprintJson(f)});
  return j;
}
std::vector<std::pair<int, Footprint>> SetFrom(const nlohmann::json& j) {
  std::vector<std::pair<int, Footprint>> v;
  for (const auto& x : j) v.push_back({x[0].get<int>(), FootprintFrom(x[1])});
  return v;
}
nlohmann::json FrameJson(const Frame& f) {
  return {{"e", f.enabled},   {"l", f.last}, {"c", f.chosen},         {"fp", FootprintJson(f.fp)}, {"p", f.preemptions},
          {"b", f.backtrack}, {"d", f.done}, {"s", SetJson(f.sleep)}, {"x", SetJson(f.explored)},  {"f", f.fixed}};
}
Frame FrameFrom(const nlohmann::json& j) {
  Frame f;
  f.enabled = j["e"].get<std::vector<int>>();
  f.last = j["l"].get<int>();
  f.chosen = j["c"].get<int>();
  f.fp = FootprintFrom(j["fp"]);
  f.preemptions = j["p"].get<int>();
  f.backtrack = j["b"].get<std::vector<int>>();
  f.done = j["d"].get<std::vector<int>>();
  f.sleep = SetFrom(j["s"]);
  f.explored = SetFrom(j["x"]);
  f.fixed = j["f"].get<bool>();
  return f;
}

// Follows frames[0..replay) and extends the path, for dpor and exhaustive.
class DfsChooser : public Chooser {
 public:
  // `pruned` is set when the preemption bound excludes a choice; `resumed`
  // when frames[0..replay) come from a --resume file rather than this run.
  DfsChooser(std::vector<Frame>* frames, size_t replay, const ExploreOptions& o, bool* pruned,
             const std::vector<int>* forced = nullptr, bool resumed = false)
      : frames_(*frames), replay_(replay), o_(o), pruned_(*pruned), forced_(forced), resumed_(resumed) {}

  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override {
    if (step > 0) frames_[step - 1].fp = actors[frames_[step - 1].chosen]->footprint;
    if (static_cast<size_t>(step) < replay_) {
      Frame& f = frames_[step];
      if (f.enabled != enabled) {
        // A saved state of another scenario (or of this one before an edit)
        // is bad input; the explorer's own prefixes must replay exactly.
        if (resumed_)
          return absl::InvalidArgumentError(
              absl::StrCat("--resume: the saved state does not replay on this scenario (diverges at step ", step + 1,
                           "); was the scenario changed since the interrupted run?"));
        return absl::InternalError(absl::StrCat("replay is not deterministic at step ", step + 1));
      }
      return f.chosen;
    }
    Frame f;
    f.enabled = enabled;
    f.last = last;
    if (forced_ != nullptr && static_cast<size_t>(step) < forced_->size()) {
      const int pick = (*forced_)[step];
      if (!Contains(enabled, pick))
        return absl::InternalError(absl::StrCat("shard prefix not runnable at step ", step + 1));
      f.chosen = pick;
      f.fixed = true;
      f.backtrack.push_back(pick);
      if (step > 0) {
        const Frame& p = frames_[step - 1];
        f.preemptions = p.preemptions + (p.IsPreemption(p.chosen) ? 1 : 0);
      }
      frames_.push_back(std::move(f));
      return pick;
    }
    if (step > 0) {
      const Frame& p = frames_[step - 1];
      f.preemptions = p.preemptions + (p.IsPreemption(p.chosen) ? 1 : 0);
      // No sleep sets under a preemption bound: the equivalent interleaving
      // a sleeping step stands for may need a preemption the bound forbids
      // (two threads of two mounts, bound 0: b's whole run then a's is only
      // reachable with a asleep never woken).
      if (o_.strategy == Strategy::kDpor && o_.max_preemptions < 0) {
        for (const auto* set : {&p.sleep, &p.explored})
          for (const auto& [q, fq] : *set)
            if (q != p.chosen && !Dependent(fq, p.fp)) f.sleep.push_back({q, fq});
      }
    }
    auto allowed = [&](int c) {
      for (const auto& [q, fq] : f.sleep)
        if (q == c) return false;
      if (o_.max_preemptions >= 0 && f.IsPreemption(c) && f.preemptions >= o_.max_preemptions) return false;
      return true;
    };
    int pick = -1;
    if (last >= 0 && Contains(enabled, last) && allowed(last)) pick = last;
    for (int c : enabled)
      if (pick < 0 && allowed(c)) pick = c;
    if (pick < 0) return absl::CancelledError(kSleepBlocked);
    f.chosen = pick;
    if (o_.strategy == Strategy::kExhaustive) {
      for (int c : enabled) {
        if (allowed(c)) {
          f.backtrack.push_back(c);
        } else if (o_.max_preemptions >= 0 && f.IsPreemption(c) && f.preemptions >= o_.max_preemptions) {
          pruned_ = true;
        }
      }
    } else {
      f.backtrack.push_back(pick);
    }
    frames_.push_back(std::move(f));
    return pick;
  }

  void Finish(int steps, const std::vector<Actor*>& actors) override {
    if (steps > 0) frames_[steps - 1].fp = actors[frames_[steps - 1].chosen]->footprint;
    pending_.clear();
    for (const Actor* a : actors)
      if (!a->finished && !a->bugged && !a->daemon) pending_.push_back({a->index, PendingFootprint(*a)});
  }

  const std::vector<std::pair<int, Footprint>>& pending() const { return pending_; }

 private:
  std::vector<Frame>& frames_;
  size_t replay_;
  const ExploreOptions& o_;
  bool& pruned_;
  const std::vector<int>* forced_;
  bool resumed_;
  std::vector<std::pair<int, Footprint>> pending_;
};

// Records the enabled set at one depth of a forced prefix, and the prefix's
// steps: the enabled set before each and, when footprints are recorded, the
// footprint of each.
class ProbeChooser : public Chooser {
 public:
  ProbeChooser(const std::vector<int>& prefix, std::vector<int>* enabled_at_end)
      : prefix_(prefix), out_(*enabled_at_end) {}
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int last,
                             const std::vector<Actor*>& actors) override {
    if (step > 0 && static_cast<size_t>(step) <= prefix_.size()) fps_.push_back(actors[prefix_[step - 1]]->footprint);
    if (static_cast<size_t>(step) < prefix_.size()) {
      enabled_at_.push_back(enabled);
      return prefix_[step];
    }
    if (static_cast<size_t>(step) == prefix_.size()) {
      out_ = enabled;
      return absl::CancelledError("probe done");
    }
    return then_.Choose(step, enabled, last, actors);
  }
  void Finish(int steps, const std::vector<Actor*>& actors) override {
    if (steps > 0 && static_cast<size_t>(steps) <= prefix_.size())
      fps_.push_back(actors[prefix_[steps - 1]]->footprint);
  }

  // Whether no two adjacent steps of the prefix are independent, were both
  // enabled, and come in decreasing actor order: of the prefixes that are
  // one trace up to such swaps, the least keeps this form, and the states
  // after them are equal, so dpor need explore below it alone.
  bool Canonical() const {
    for (size_t k = 1; k < fps_.size() && k < prefix_.size(); ++k) {
      const int a = prefix_[k - 1], b = prefix_[k];
      if (a > b && Contains(enabled_at_[k - 1], b) && !Dependent(fps_[k - 1], fps_[k])) return false;
    }
    return true;
  }

 private:
  const std::vector<int>& prefix_;
  std::vector<int>& out_;
  SequentialChooser then_;
  std::vector<std::vector<Access>> fps_;
  std::vector<std::vector<int>> enabled_at_;
};

// Flanagan-Godefroid backtracking over an executed path: for each step (and
// each blocked actor's pending step), the last earlier dependent step of
// another actor that does not happen before it gets a backtrack point.
//
// With a preemption bound (`bounded`), a backtrack point that the bound
// would forbid can hide the interleaving it stands for; as in Coons,
// Musuvathi and McKinley's bounded POR (OOPSLA 2013), p is then also added
// at the last context switch at or before that point, where scheduling p
// costs no extra preemption.
void AddBacktrackPoints(std::vector<Frame>& frames, const std::vector<std::pair<int, Footprint>>& pending,
                        int num_actors, bool bounded = false) {
  const int n = static_cast<int>(frames.size());
  // Frames before `from` are the previous run's, unchanged: their
  // happens-before is known and their races were handled then.
  int from = 0;
  while (from < n && static_cast<int>(frames[from].vc.size()) == num_actors) ++from;
  std::vector<int> last_of(num_actors, -1);
  for (int i = 0; i < from; ++i) last_of[frames[i].chosen] = i;
  auto add = [&](Frame& f, int p) {
    if (Contains(f.enabled, p)) {
      if (!Contains(f.backtrack, p)) f.backtrack.push_back(p);
    } else {
      for (int c : f.enabled)
        if (!Contains(f.backtrack, c)) f.backtrack.push_back(c);
    }
  };
  auto consider = [&](int p, const Footprint& fp, int upto, const std::vector<int>& pre) {
    for (int j = upto - 1; j >= 0; --j) {
      const int q = frames[j].chosen;
      if (q == p || j <= pre[q] || !Dependent(frames[j].fp, fp)) continue;
      add(frames[j], p);
      if (bounded) {
        int i = j;
        while (i > 0 && frames[i - 1].chosen == frames[i].chosen) --i;
        if (i != j) add(frames[i], p);
      }
      return;
    }
  };
  const std::vector<int> none(num_actors, -1);
  for (int i = from; i < n; ++i) {
    const int p = frames[i].chosen;
    const std::vector<int>& pre = last_of[p] >= 0 ? frames[last_of[p]].vc : none;
    consider(p, frames[i].fp, i, pre);
    std::vector<int> c = pre;
    for (int j = 0; j < i; ++j) {
      if (frames[j].chosen != p && Dependent(frames[j].fp, frames[i].fp))
        for (int a = 0; a < num_actors; ++a) c[a] = std::max(c[a], frames[j].vc[a]);
    }
    c[p] = i;
    frames[i].vc = std::move(c);
    last_of[p] = i;
  }
  for (const auto& [p, fp] : pending) {
    const std::vector<int>& pre = last_of[p] >= 0 ? frames[last_of[p]].vc : none;
    consider(p, fp, n, pre);
  }
}

// PCT: random distinct priorities, d-1 priority change points.
class PctChooser : public Chooser {
 public:
  PctChooser(uint64_t seed, int num_actors, int depth, int64_t expected_steps) : rng_(seed) {
    std::vector<int> prio(num_actors);
    for (int i = 0; i < num_actors; ++i) prio[i] = depth + i;
    for (int i = num_actors - 1; i > 0; --i) std::swap(prio[i], prio[rng_.Uniform(i + 1)]);
    prio_ = prio;
    for (int i = 1; i < depth; ++i)
      change_.push_back(static_cast<int64_t>(rng_.Uniform(std::max<int64_t>(1, expected_steps))));
  }
  absl::StatusOr<int> Choose(int step, const std::vector<int>& enabled, int, const std::vector<Actor*>&) override {
    int best = enabled.front();
    for (int c : enabled)
      if (prio_[c] > prio_[best]) best = c;
    for (size_t i = 0; i < change_.size(); ++i) {
      if (change_[i] == step) {
        prio_[best] = static_cast<int>(i);  // below every initial priority
        best = enabled.front();
        for (int c : enabled)
          if (prio_[c] > prio_[best]) best = c;
      }
    }
    return best;
  }

 private:
  Random rng_;
  std::vector<int> prio_;
  std::vector<int64_t> change_;
};

int CountPreemptions(const std::vector<std::string>& schedule) {
  int n = 0;
  for (size_t i = 1; i < schedule.size(); ++i)
    if (schedule[i] != schedule[i - 1]) ++n;  // an upper bound: switches
  return n;
}

// ShorterSchedule over actor indices, naming them only when the lengths tie.
bool Shorter(const std::vector<int>& a, const std::vector<int>& b, const std::vector<std::string>& names) {
  if (a.size() != b.size()) return a.size() < b.size();
  return ShorterSchedule(ScheduleNames(a, names), ScheduleNames(b, names));
}

class Explorer {
 public:
  Explorer(Executor& program, const ExploreOptions& o)
      : ex_(program),
        o_(o),
        names_(program.ActorNames()),
        start_(std::chrono::steady_clock::now()),
        last_progress_(start_) {
    result_.strategy = StrategyName(o.strategy);
    result_.max_preemptions = o.max_preemptions;
    result_.max_schedules = o.max_schedules;
    resume_ = o.resume;
  }

  absl::StatusOr<Exploration> Run() {
    absl::Status st;
    switch (o_.strategy) {
      case Strategy::kDpor:
      case Strategy::kExhaustive:
        st = o_.shard_count > 0 ? RunShard() : RunDfs();
        break;
      case Strategy::kRandom:
      case Strategy::kPct:
        st = RunSampling();
        break;
    }
    if (!st.ok()) return st;
    if (preemption_pruned_) Stop("max-preemptions");
    if (o_.shrink) {
      for (Finding& f : result_.findings) Shrink(f);
    }
    // The detail printed with a schedule is the one its replay gives (the
    // first run that found the violation may name other threads or ops).
    for (Finding& f : result_.findings) {
      auto detail = ReplayDetail(f.schedule, f.invariant);
      if (!detail.ok()) return detail.status();
      f.detail = *detail;
    }
    for (Finding& f : result_.findings) f.preemptions = CountPreemptions(f.schedule);
    std::sort(result_.outcomes.begin(), result_.outcomes.end(),
              [](const ExploredOutcome& a, const ExploredOutcome& b) { return a.key < b.key; });
    std::sort(result_.findings.begin(), result_.findings.end(),
              [](const Finding& a, const Finding& b) { return a.invariant < b.invariant; });
    if (o_.shard_count > 0) result_.shard = absl::StrCat(o_.shard_index, "/", o_.shard_count);
    return result_;
  }

 private:
  // False when a bound stops the exploration.
  bool Budget() {
    if (result_.schedules >= o_.max_schedules) return Stop("max-schedules");
    if (o_.interrupted != nullptr && o_.interrupted->load()) return Stop("interrupted");
    if ((result_.schedules & 63) == 0) {
      auto now = std::chrono::steady_clock::now();
      if (o_.time_budget_s > 0 && std::chrono::duration<double>(now - start_).count() > o_.time_budget_s)
        return Stop("time-budget");
      if (o_.progress && std::chrono::duration<double>(now - last_progress_).count() >= o_.progress_interval_s) {
        last_progress_ = now;
        ExploreProgress p;
        p.schedules = o_.progress_offset + result_.schedules;
        p.outcomes = static_cast<int64_t>(result_.outcomes.size());
        p.violations = static_cast<int64_t>(result_.findings.size());
        p.sleep_blocked = result_.sleep_blocked;
        p.elapsed_s = std::chrono::duration<double>(now - start_).count();
        p.schedules_per_s = p.elapsed_s > 0 ? static_cast<double>(result_.schedules) / p.elapsed_s : 0;
        p.max_preemptions = o_.max_preemptions;
        p.max_schedules = o_.max_schedules;
        o_.progress(p);
      }
    }
    return true;
  }
  bool Stop(const char* why) {
    result_.complete = false;
    result_.bounds_hit.push_back(why);
    return false;
  }

  void Record(const RunSummary& r) {
    ++result_.schedules;
    if (r.step_limit &&
        std::find(result_.bounds_hit.begin(), result_.bounds_hit.end(), "max-steps") == result_.bounds_hit.end())
      result_.bounds_hit.push_back("max-steps");
    const std::string& key = r.outcome;
    auto it = index_.find(key);
    if (it == index_.end()) {
      index_[key] = result_.outcomes.size();
      result_.outcomes.push_back({key, 1, r.schedule});
    } else {
      ExploredOutcome& o = result_.outcomes[it->second];
      o.count++;
      if (Shorter(r.schedule, o.schedule, names_)) o.schedule = r.schedule;  // the representative
    }
    if (r.violations.empty()) return;
    const std::vector<std::string> schedule = ScheduleNames(r.schedule, names_);
    for (const auto& viol : r.violations) {
      Finding* f = nullptr;
      for (Finding& x : result_.findings)
        if (x.invariant == viol.invariant) f = &x;
      if (f == nullptr) {
        result_.findings.push_back({viol.invariant, viol.detail, schedule, schedule, 0});
      } else if (ShorterSchedule(schedule, f->found)) {
        f->detail = viol.detail;
        f->schedule = f->found = schedule;
      }
    }
  }

  // The shard's subtrees: every prefix of the split (see Prefixes) whose
  // index is congruent to the shard, each explored below its prefix.
  absl::Status RunShard() {
    auto prefixes = Prefixes();
    if (!prefixes.ok()) return prefixes.status();
    result_.prefixes = static_cast<int64_t>(prefixes->size());
    size_t first = 0;
    if (resume_ != nullptr && resume_->contains("prefix")) first = (*resume_)["prefix"].get<size_t>();
    for (size_t j = first; j < prefixes->size(); ++j) {
      if (static_cast<int>(j % o_.shard_count) != o_.shard_index) continue;
      absl::Status st = RunDfs(&(*prefixes)[j], static_cast<int64_t>(j));
      if (!st.ok() || !result_.complete) return st;
    }
    return absl::OkStatus();
  }

  // Splits the schedule space: all exhaustive prefixes (within the
  // preemption bound), deepened level by level until there are at least
  // kMinPrefixes or kMaxSplitDepth is reached. Independent of the shard
  // count, so any number of shards covers the same subtrees. For dpor, only
  // canonical prefixes (ProbeChooser::Canonical): one per class of prefixes
  // that differ by swapping adjacent independent steps.
  absl::StatusOr<std::vector<std::vector<int>>> Prefixes() {
    constexpr size_t kMinPrefixes = 64;
    constexpr size_t kMaxSplitDepth = 24;
    const bool reduce = o_.strategy == Strategy::kDpor;
    struct Prefix {
      std::vector<int> steps;
      int preemptions = 0;
    };
    std::vector<Prefix> level = {Prefix{}};
    for (size_t depth = 0; depth < kMaxSplitDepth && level.size() < kMinPrefixes; ++depth) {
      std::vector<Prefix> next;
      bool grew = false;
      for (const Prefix& p : level) {
        std::vector<int> enabled;
        ProbeChooser probe(p.steps, &enabled);
        auto r = ex_.Run(probe, {.record_footprints = reduce, .max_steps = o_.max_steps, .outcome = false});
        if (reduce && !probe.Canonical()) continue;  // another prefix is the same trace
        if (r.ok() || enabled.empty()) {             // the schedule ends before this depth
          next.push_back(p);
          continue;
        }
        if (!absl::IsCancelled(r.status())) return r.status();
        grew = true;
        for (int c : enabled) {
          Prefix q = p;
          const int last = p.steps.empty() ? -1 : p.steps.back();
          if (last >= 0 && c != last && Contains(enabled, last)) ++q.preemptions;
          if (o_.max_preemptions >= 0 && q.preemptions > o_.max_preemptions) {
            preemption_pruned_ = true;
            continue;
          }
          q.steps.push_back(c);
          next.push_back(std::move(q));
        }
      }
      level = std::move(next);
      if (!grew) break;
    }
    std::vector<std::vector<int>> out;
    for (Prefix& p : level) {
      if (reduce) {
        std::vector<int> enabled;
        ProbeChooser probe(p.steps, &enabled);
        auto r = ex_.Run(probe, {.record_footprints = true, .max_steps = o_.max_steps, .outcome = false});
        if (!r.ok() && !absl::IsCancelled(r.status())) return r.status();
        if (!probe.Canonical()) continue;
      }
      out.push_back(std::move(p.steps));
    }
    return out;
  }

  absl::Status RunDfs(const std::vector<int>* forced = nullptr, int64_t prefix_index = -1) {
    std::vector<Frame> frames;
    size_t replay = 0;
    bool resumed = false;
    if (resume_ != nullptr && resume_->contains("frames")) {
      for (const auto& f : (*resume_)["frames"]) frames.push_back(FrameFrom(f));
      replay = (*resume_)["replay"].get<size_t>();
      resume_ = nullptr;
      resumed = true;
    }
    const int num_actors = static_cast<int>(names_.size());
    for (;;) {
      if (!Budget()) {
        nlohmann::json st;
        st["frames"] = nlohmann::json::array();
        for (const Frame& f : frames) st["frames"].push_back(FrameJson(f));
        st["replay"] = replay;
        st["prefix"] = prefix_index;
        result_.resume = st;
        return absl::OkStatus();
      }
      DfsChooser chooser(&frames, replay, o_, &preemption_pruned_, forced, resumed);
      resumed = false;
      auto report = ex_.Run(chooser, {.record_footprints = o_.strategy == Strategy::kDpor, .max_steps = o_.max_steps});
      if (report.ok()) {
        Record(*report);
      } else if (absl::IsCancelled(report.status())) {
        ++result_.sleep_blocked;
      } else {
        return report.status();
      }
      if (o_.strategy == Strategy::kDpor)
        AddBacktrackPoints(frames, chooser.pending(), num_actors, o_.max_preemptions >= 0);
      // Next branch: the deepest frame with an unexplored, allowed choice.
      bool found = false;
      while (!frames.empty()) {
        Frame& f = frames.back();
        if (f.fixed) break;  // a shard's prefix: the other branches are other subtrees
        f.done.push_back(f.chosen);
        f.explored.push_back({f.chosen, f.fp});
        int next = -1;
        for (int c : f.backtrack) {
          if (Contains(f.done, c)) continue;
          bool asleep = false;
          for (const auto& [q, fq] : f.sleep) asleep |= q == c;
          if (asleep) continue;
          if (o_.max_preemptions >= 0 && f.IsPreemption(c) && f.preemptions >= o_.max_preemptions) {
            preemption_pruned_ = true;
            continue;
          }
          if (next < 0 || c < next) next = c;
        }
        if (next >= 0) {
          f.chosen = next;
          f.fp.clear();
          f.vc.clear();
          replay = frames.size();
          found = true;
          break;
        }
        frames.pop_back();
      }
      if (!found) return absl::OkStatus();
    }
  }

  absl::Status RunSampling() {
    // PCT needs the length of a run: take the sequential one.
    int64_t expected = 1;
    {
      SequentialChooser seq;
      auto r = ex_.Run(seq, {.max_steps = o_.max_steps, .outcome = false});
      if (!r.ok()) return absl::InternalError(absl::StrCat("the sequential run failed: ", r.status().message()));
      expected = static_cast<int64_t>(r->schedule.size());
    }
    const int num_actors = static_cast<int>(names_.size());
    Random seeds(o_.seed);
    int64_t start = 0;
    if (resume_ != nullptr && resume_->contains("run")) start = (*resume_)["run"].get<int64_t>();
    for (int64_t i = 0; i < start; ++i) seeds.Next();
    for (int64_t i = start; i < o_.runs; ++i) {
      if (!Budget()) {
        result_.resume = {{"run", i}};
        return absl::OkStatus();
      }
      const uint64_t seed = seeds.Next();
      absl::StatusOr<RunSummary> r;
      if (o_.strategy == Strategy::kRandom) {
        RandomChooser c(seed, o_.max_preemptions);
        r = ex_.Run(c, {.max_steps = o_.max_steps});
      } else {
        PctChooser c(seed, num_actors, o_.depth, expected);
        r = ex_.Run(c, {.max_steps = o_.max_steps});
      }
      if (!r.ok()) return absl::InternalError(absl::StrCat("a sampled schedule failed: ", r.status().message()));
      Record(*r);
    }
    result_.complete = false;  // sampling never proves coverage
    return absl::OkStatus();
  }

  // The detail of `invariant` in the replay of `schedule` (then
  // sequential); an error if the replay does not break it: the explorer
  // found it there, so the replay is not deterministic (a fault of the tool).
  absl::StatusOr<std::string> ReplayDetail(const std::vector<std::string>& schedule, const std::string& invariant) {
    auto idx = Indices(schedule);
    if (!idx.ok())
      return absl::InternalError(absl::StrCat("a found schedule does not parse: ", idx.status().message()));
    ReplayChooser c(*idx);
    auto r = ex_.Run(c, {.max_steps = o_.max_steps, .outcome = false});
    if (!r.ok())
      return absl::InternalError(absl::StrCat("the schedule '", ScheduleToken(schedule), "' found for ", invariant,
                                              " does not replay: ", r.status().message()));
    for (const auto& viol : r->violations)
      if (viol.invariant == invariant) return viol.detail;
    return absl::InternalError(absl::StrCat("replay is not deterministic: the schedule '", ScheduleToken(schedule),
                                            "' found for ", invariant, " does not break it when replayed"));
  }

  bool Reproduces(const std::vector<std::string>& prefix, const std::string& invariant) {
    auto idx = Indices(prefix);
    if (!idx.ok()) return false;
    ReplayChooser c(*idx);
    auto r = ex_.Run(c, {.max_steps = o_.max_steps, .outcome = false});
    if (!r.ok()) return false;
    for (const auto& viol : r->violations)
      if (viol.invariant == invariant) return true;
    return false;
  }

  // Shortest prefix that still breaks the invariant (the replay continues
  // sequentially after it), then drop single steps while it still does.
  void Shrink(Finding& f) {
    int64_t budget = o_.shrink_budget;
    std::vector<std::string> best = f.schedule;
    for (size_t len = 0; len <= f.schedule.size() && budget > 0; ++len, --budget) {
      std::vector<std::string> prefix(f.schedule.begin(), f.schedule.begin() + len);
      if (Reproduces(prefix, f.invariant)) {
        best = prefix;
        break;
      }
    }
    for (size_t i = 0; i < best.size() && budget > 0;) {
      std::vector<std::string> shorter = best;
      shorter.erase(shorter.begin() + i);
      --budget;
      if (Reproduces(shorter, f.invariant)) {
        best = shorter;
      } else {
        ++i;
      }
    }
    f.schedule = best;
  }

  // A schedule's actor names as indices.
  absl::StatusOr<std::vector<int>> Indices(const std::vector<std::string>& schedule) const {
    std::vector<int> out;
    out.reserve(schedule.size());
    for (const std::string& n : schedule) {
      auto it = std::find(names_.begin(), names_.end(), n);
      if (it == names_.end()) return absl::InternalError(absl::StrCat("no actor \"", n, "\""));
      out.push_back(static_cast<int>(it - names_.begin()));
    }
    return out;
  }

  Executor& ex_;
  const ExploreOptions& o_;
  const nlohmann::json* resume_ = nullptr;  // consumed by the first DFS that resumes
  const std::vector<std::string>& names_;
  Exploration result_;
  std::map<std::string, size_t> index_;
  bool preemption_pruned_ = false;  // the preemption bound excluded a choice
  std::chrono::steady_clock::time_point start_, last_progress_;
};

}  // namespace

bool ParseShard(std::string_view text, int* index, int* count) {
  const absl::string_view t(text.data(), text.size());
  const size_t slash = t.find('/');
  int i = -1, n = 0;
  if (slash == absl::string_view::npos || !absl::SimpleAtoi(t.substr(0, slash), &i) ||
      !absl::SimpleAtoi(t.substr(slash + 1), &n) || n < 1 || n > kMaxShards || i < 0 || i >= n)
    return false;
  *index = i;
  *count = n;
  return true;
}

absl::StatusOr<Strategy> ParseStrategy(const std::string& s) {
  if (s == "dpor") return Strategy::kDpor;
  if (s == "exhaustive") return Strategy::kExhaustive;
  if (s == "random") return Strategy::kRandom;
  if (s == "pct") return Strategy::kPct;
  return absl::InvalidArgumentError(absl::StrCat("unknown strategy \"", s, "\"; valid: dpor, exhaustive, random, pct"));
}

std::string StrategyName(Strategy s) {
  switch (s) {
    case Strategy::kDpor:
      return "dpor";
    case Strategy::kExhaustive:
      return "exhaustive";
    case Strategy::kRandom:
      return "random";
    case Strategy::kPct:
      return "pct";
  }
  return "?";
}

namespace {

// Iterative deepening: one pass per preemption bound, sharing the budget.
absl::StatusOr<Exploration> ExploreDeepening(Executor& program, const ExploreOptions& o) {
  if (o.strategy != Strategy::kDpor && o.strategy != Strategy::kExhaustive)
    return absl::InvalidArgumentError("--deepen goes with the dpor and exhaustive strategies");
  if (o.max_preemptions >= 0)
    return absl::InvalidArgumentError("--deepen raises the preemption bound itself: give no --max-preemptions");
  if (o.resume != nullptr || o.shard_count > 0)
    return absl::InvalidArgumentError("--deepen cannot be combined with --resume or --shard");
  const auto start = std::chrono::steady_clock::now();
  Exploration total;
  std::map<std::string, size_t> index;
  for (int k = 0;; ++k) {
    ExploreOptions pass = o;
    pass.deepen = false;
    pass.max_preemptions = k;
    pass.max_schedules = o.max_schedules - total.schedules;
    pass.progress_offset = o.progress_offset + total.schedules;
    if (o.time_budget_s > 0) {
      const double left =
          o.time_budget_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      pass.time_budget_s = std::max(left, 1e-9);
    }
    Explorer e(program, pass);
    auto r = e.Run();
    if (!r.ok()) return r.status();
    if (k == 0) total.strategy = r->strategy;
    total.schedules += r->schedules;
    total.sleep_blocked += r->sleep_blocked;
    for (ExploredOutcome& x : r->outcomes) {
      auto it = index.find(x.key);
      if (it == index.end()) {
        index[x.key] = total.outcomes.size();
        total.outcomes.push_back(std::move(x));
      } else {
        ExploredOutcome& t = total.outcomes[it->second];
        t.count += x.count;
        if (Shorter(x.schedule, t.schedule, program.ActorNames())) t.schedule = std::move(x.schedule);
      }
    }
    for (Finding& f : r->findings) {  // the first pass that found it: fewest preemptions
      bool known = false;
      for (const Finding& t : total.findings) known |= t.invariant == f.invariant;
      if (!known) total.findings.push_back(std::move(f));
    }
    total.deepened = true;
    total.deepened_to = k;
    std::vector<std::string> cut;
    for (const std::string& b : r->bounds_hit)
      if (b != "max-preemptions") cut.push_back(b);
    const bool pruned = std::find(r->bounds_hit.begin(), r->bounds_hit.end(), "max-preemptions") != r->bounds_hit.end();
    const bool stopped = std::find(cut.begin(), cut.end(), "max-schedules") != cut.end() ||
                         std::find(cut.begin(), cut.end(), "time-budget") != cut.end() ||
                         std::find(cut.begin(), cut.end(), "interrupted") != cut.end();
    if (!stopped) total.covered_preemptions = k;
    if (!stopped && !pruned) {  // the bound excluded nothing: the whole space
      total.complete = true;
      total.bounds_hit = cut;  // max-steps, if any
      break;
    }
    if (stopped || total.schedules >= o.max_schedules) {
      total.complete = false;
      total.bounds_hit = cut;
      if (!stopped) total.bounds_hit.push_back("max-schedules");
      break;
    }
  }
  std::sort(total.outcomes.begin(), total.outcomes.end(),
            [](const ExploredOutcome& a, const ExploredOutcome& b) { return a.key < b.key; });
  std::sort(total.findings.begin(), total.findings.end(),
            [](const Finding& a, const Finding& b) { return a.invariant < b.invariant; });
  total.max_preemptions = -1;
  total.max_schedules = o.max_schedules;
  return total;
}

}  // namespace

absl::StatusOr<Exploration> Explore(Executor& program, const ExploreOptions& o) {
  if (o.deepen) return ExploreDeepening(program, o);
  Explorer e(program, o);
  return e.Run();
}
}  // namespace fusesim::sim
