#include "sim/scenario/minimize.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

using nlohmann::ordered_json;

struct Unit {
  enum Kind { kOp, kTree, kUnsupported, kError, kServerKey, kMountKey } kind;
  int a = 0, b = 0;  // kOp: thread, op; kTree/kUnsupported/kError: index; kMountKey: mount
  std::string key;   // kServerKey, kMountKey
};

constexpr const char* kServerKeys[] = {"create_existing", "open_unlinked", "xattr", "latency_us"};
constexpr const char* kMountKeys[] = {"entry_timeout_ms",    "attr_timeout_ms", "negative_timeout_ms",
                                      "default_permissions", "parallel_dirops", "kernel"};

std::vector<Unit> Units(const ordered_json& s) {
  std::vector<Unit> u;
  if (s.contains("threads") && s["threads"].is_array()) {
    const auto& ts = s["threads"];
    for (size_t t = 0; t < ts.size(); ++t)
      if (ts[t].contains("ops") && ts[t]["ops"].is_array())
        for (size_t i = 0; i < ts[t]["ops"].size(); ++i)
          u.push_back({Unit::kOp, static_cast<int>(t), static_cast<int>(i), ""});
  }
  if (s.contains("server") && s["server"].is_object()) {
    const auto& sv = s["server"];
    auto each = [&](const char* key, Unit::Kind kind) {
      if (sv.contains(key) && sv[key].is_array())
        for (size_t i = 0; i < sv[key].size(); ++i) u.push_back({kind, static_cast<int>(i), 0, ""});
    };
    each("tree", Unit::kTree);
    each("unsupported", Unit::kUnsupported);
    each("errors", Unit::kError);
    for (const char* k : kServerKeys)
      if (sv.contains(k)) u.push_back({Unit::kServerKey, 0, 0, k});
  }
  if (s.contains("mounts") && s["mounts"].is_array())
    for (size_t m = 0; m < s["mounts"].size(); ++m)
      for (const char* k : kMountKeys)
        if (s["mounts"][m].is_object() && s["mounts"][m].contains(k))
          u.push_back({Unit::kMountKey, static_cast<int>(m), 0, k});
  return u;
}

std::vector<std::string> AfterList(const ordered_json& op) {
  std::vector<std::string> out;
  if (!op.contains("after")) return out;
  const ordered_json& a = op["after"];
  if (a.is_string())
    out.push_back(a.get<std::string>());
  else if (a.is_array())
    for (const auto& x : a)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

// The scenario with only the units in `keep` (indices into `units`).
ordered_json Build(const ordered_json& s, const std::vector<Unit>& units, const std::vector<int>& keep) {
  ordered_json out = s;
  out.erase("expect");
  std::set<int> kept(keep.begin(), keep.end());
  std::set<std::pair<int, int>> ops;
  std::map<std::string, std::set<int>> server_arrays;  // key -> kept indices
  std::set<std::string> server_keys;
  std::set<std::pair<int, std::string>> mount_keys;
  for (size_t i = 0; i < units.size(); ++i) {
    if (!kept.count(static_cast<int>(i))) continue;
    const Unit& u = units[i];
    switch (u.kind) {
      case Unit::kOp:
        ops.insert({u.a, u.b});
        break;
      case Unit::kTree:
        server_arrays["tree"].insert(u.a);
        break;
      case Unit::kUnsupported:
        server_arrays["unsupported"].insert(u.a);
        break;
      case Unit::kError:
        server_arrays["errors"].insert(u.a);
        break;
      case Unit::kServerKey:
        server_keys.insert(u.key);
        break;
      case Unit::kMountKey:
        mount_keys.insert({u.a, u.key});
        break;
    }
  }
  if (out.contains("server") && out["server"].is_object()) {
    ordered_json& sv = out["server"];
    for (const char* key : {"tree", "unsupported", "errors"}) {
      if (!sv.contains(key) || !sv[key].is_array()) continue;
      ordered_json a = ordered_json::array();
      for (size_t i = 0; i < sv[key].size(); ++i)
        if (server_arrays[key].count(static_cast<int>(i))) a.push_back(sv[key][i]);
      if (a.empty() && std::string(key) != "tree")
        sv.erase(key);
      else
        sv[key] = a;
    }
    for (const char* k : kServerKeys)
      if (!server_keys.count(k)) sv.erase(k);
  }
  if (out.contains("mounts") && out["mounts"].is_array())
    for (size_t m = 0; m < out["mounts"].size(); ++m)
      for (const char* k : kMountKeys)
        if (out["mounts"][m].is_object() && !mount_keys.count({static_cast<int>(m), k})) out["mounts"][m].erase(k);
  if (!out.contains("threads") || !out["threads"].is_array()) return out;

  // Which ops stay (a close whose open went goes too), their new labels,
  // and what each removed op waited for.
  ordered_json& ts = out["threads"];
  std::map<std::string, std::string> renamed;                     // old label -> new
  std::map<std::string, std::vector<std::string>> removed_after;  // old label -> its after
  std::vector<std::vector<ordered_json>> new_ops(ts.size());
  for (size_t t = 0; t < ts.size(); ++t) {
    if (!ts[t].contains("ops") || !ts[t]["ops"].is_array()) continue;
    const std::string name = ts[t].value("name", "");
    std::set<std::string> open_fds;
    for (size_t i = 0; i < ts[t]["ops"].size(); ++i) {
      const ordered_json& op = ts[t]["ops"][i];
      const std::string old_label = absl::StrCat(name, ".", i);
      bool keep_op = ops.count({static_cast<int>(t), static_cast<int>(i)}) > 0;
      const std::string kind = op.value("op", "");
      const bool server_side = ts[t].value("server_side", false);
      if (keep_op && !server_side && kind == "close") {
        const std::string fd = op.value("fd", "");
        keep_op = open_fds.erase(fd) > 0;
      }
      if (!keep_op) {
        removed_after[old_label] = AfterList(op);
        continue;
      }
      if (!server_side && kind == "open" && op.contains("fd") && op["fd"].is_string())
        open_fds.insert(op["fd"].get<std::string>());
      renamed[old_label] = absl::StrCat(name, ".", new_ops[t].size());
      new_ops[t].push_back(op);
    }
  }
  // A reference to a removed op becomes what that op waited for.
  std::function<void(const std::string&, std::vector<std::string>*, int)> resolve =
      [&](const std::string& label, std::vector<std::string>* acc, int depth) {
        if (auto it = renamed.find(label); it != renamed.end()) {
          if (std::find(acc->begin(), acc->end(), it->second) == acc->end()) acc->push_back(it->second);
          return;
        }
        auto it = removed_after.find(label);
        if (it == removed_after.end() || depth > 100000) return;
        for (const std::string& x : it->second) resolve(x, acc, depth + 1);
      };
  for (size_t t = 0; t < ts.size(); ++t) {
    if (!ts[t].contains("ops") || !ts[t]["ops"].is_array()) continue;
    ordered_json a = ordered_json::array();
    for (ordered_json op : new_ops[t]) {
      if (op.contains("after")) {
        std::vector<std::string> refs;
        for (const std::string& x : AfterList(op)) resolve(x, &refs, 0);
        if (refs.empty())
          op.erase("after");
        else if (refs.size() == 1)
          op["after"] = refs[0];
        else
          op["after"] = refs;
      }
      a.push_back(op);
    }
    ts[t]["ops"] = a;
  }
  return out;
}

// Threads without ops and mounts no thread uses removed (one mount stays).
ordered_json Cleanup(ordered_json s) {
  if (!s.contains("threads") || !s["threads"].is_array()) return s;
  ordered_json ts = ordered_json::array();
  for (const auto& t : s["threads"])
    if (t.contains("ops") && t["ops"].is_array() && !t["ops"].empty()) ts.push_back(t);
  if (ts.empty()) ts.push_back(s["threads"][0]);
  s["threads"] = ts;
  if (s.contains("mounts") && s["mounts"].is_array() && s["mounts"].size() > 1) {
    std::set<std::string> used;
    bool first_used = false;
    for (const auto& t : ts) {
      if (t.value("server_side", false)) continue;
      if (t.contains("mount") && t["mount"].is_string())
        used.insert(t["mount"].get<std::string>());
      else
        first_used = true;
    }
    ordered_json ms = ordered_json::array();
    for (size_t m = 0; m < s["mounts"].size(); ++m) {
      const ordered_json& mount = s["mounts"][m];
      if ((m == 0 && first_used) ||
          (mount.contains("name") && mount["name"].is_string() && used.count(mount["name"].get<std::string>())))
        ms.push_back(mount);
    }
    if (ms.empty()) ms.push_back(s["mounts"][0]);
    s["mounts"] = ms;
  }
  return s;
}

bool Loads(const ordered_json& s) { return ParseScenario(s.dump(2), "candidate").ok(); }

}  // namespace

MinimizeResult Minimize(const ordered_json& scenario, const std::function<bool(const ordered_json&)>& still,
                        const MinimizeOptions& options) {
  const std::vector<Unit> units = Units(scenario);
  MinimizeResult res;
  res.units = static_cast<int>(units.size());
  std::map<std::vector<int>, bool> cache;
  auto test = [&](const std::vector<int>& keep) -> bool {
    if (auto it = cache.find(keep); it != cache.end()) return it->second;
    bool r = false;
    const ordered_json c = Build(scenario, units, keep);
    if (Loads(c) && res.tests < options.max_tests) {
      ++res.tests;
      r = still(c);
    }
    cache[keep] = r;
    return r;
  };

  std::vector<int> cur(units.size());
  for (size_t i = 0; i < units.size(); ++i) cur[i] = static_cast<int>(i);
  size_t n = 2;
  while (cur.size() >= 2 && res.tests < options.max_tests) {
    std::vector<std::vector<int>> chunks;
    const size_t size = cur.size();
    for (size_t k = 0; k < n; ++k) {
      const size_t lo = k * size / n, hi = (k + 1) * size / n;
      if (lo < hi)
        chunks.emplace_back(cur.begin() + static_cast<std::ptrdiff_t>(lo),
                            cur.begin() + static_cast<std::ptrdiff_t>(hi));
    }
    bool reduced = false;
    for (const auto& chunk : chunks) {
      if (test(chunk)) {
        cur = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && chunks.size() > 2) {
      for (size_t k = 0; k < chunks.size() && !reduced; ++k) {
        std::vector<int> complement;
        for (size_t o = 0; o < chunks.size(); ++o)
          if (o != k) complement.insert(complement.end(), chunks[o].begin(), chunks[o].end());
        if (test(complement)) {
          cur = complement;
          n = std::max<size_t>(n - 1, 2);
          reduced = true;
        }
      }
    }
    if (!reduced) {
      if (n >= cur.size()) break;
      n = std::min(n * 2, cur.size());
    }
  }
  if (cur.size() == 1 && test({})) cur.clear();
  ordered_json best = Build(scenario, units, cur);
  const ordered_json clean = Cleanup(best);
  if (clean != best && Loads(clean) && res.tests < options.max_tests) {
    ++res.tests;
    if (still(clean)) best = clean;
  }
  res.scenario = best;
  res.kept = static_cast<int>(cur.size());
  return res;
}

}  // namespace fusesim::sim
