#include "sim/scenario/workload.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/engine/random.h"

namespace fusesim::sim {
namespace {

using nlohmann::json;

struct Knobs {
  std::string kind;
  int64_t files = 100, dirs = 1, threads = 1, depth = 3;
  double existing = 0;
  uint64_t seed = 1;
};

absl::Status Bad(const std::string& key, const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrCat("/workload", key.empty() ? "" : "/" + key, ": ", msg));
}

absl::StatusOr<Knobs> ReadKnobs(const json& w, const WorkloadLimits& lim) {
  if (!w.is_object()) return Bad("", "expected an object like {\"kind\": \"archive\", \"files\": 1000}");
  Knobs k;
  static const char* kKeys[] = {"kind", "files", "dirs", "threads", "depth", "existing", "seed"};
  for (const auto& item : w.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture those
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* x) { return key == x; }) == std::end(kKeys))
      return Bad(key, "unknown key; valid keys: kind, files, dirs, threads, depth, existing, seed");
  }
  if (!w.contains("kind") || !w["kind"].is_string())
    return Bad("kind", "required: archive, rebuild, mkdirp, storm or nfs");
  k.kind = w["kind"].get<std::string>();
  if (k.kind != "archive" && k.kind != "rebuild" && k.kind != "mkdirp" && k.kind != "storm" && k.kind != "nfs")
    return Bad("kind", absl::StrCat("unknown workload \"", k.kind, "\"; valid: archive, rebuild, mkdirp, storm, nfs"));
  auto integer = [&](const char* key, int64_t* out, int64_t lo, int64_t hi) -> absl::Status {
    if (!w.contains(key)) return absl::OkStatus();
    const json& v = w[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      return Bad(key, absl::StrCat("expected an integer from ", lo, " to ", hi));
    *out = v.get<int64_t>();
    return absl::OkStatus();
  };
  if (auto s = integer("files", &k.files, 1, lim.max_files); !s.ok()) return s;
  if (auto s = integer("dirs", &k.dirs, 1, lim.max_dirs); !s.ok()) return s;
  if (auto s = integer("threads", &k.threads, 1, lim.max_threads); !s.ok()) return s;
  if (auto s = integer("depth", &k.depth, 1, lim.max_depth); !s.ok()) return s;
  int64_t seed = 1;
  if (auto s = integer("seed", &seed, 0, INT64_MAX); !s.ok()) return s;
  k.seed = static_cast<uint64_t>(seed);
  if (w.contains("existing")) {
    if (!w["existing"].is_number() || w["existing"].get<double>() < 0 || w["existing"].get<double>() > 1)
      return Bad("existing", "expected a share from 0 to 1");
    k.existing = w["existing"].get<double>();
  }
  return k;
}

json Open(const std::string& path, const char* flags, const std::string& fd) {
  return json{{"op", "open"}, {"path", path}, {"flags", flags}, {"fd", fd}};
}
json Close(const std::string& fd) { return json{{"op", "close"}, {"fd", fd}}; }

// A deterministic permutation of 0..n-1.
std::vector<int64_t> Shuffled(int64_t n, Random& rng) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(v[i], v[rng.Uniform(static_cast<uint64_t>(i) + 1)]);
  return v;
}

}  // namespace

absl::Status ExpandWorkload(json& root, const WorkloadLimits& limits) {
  auto knobs = ReadKnobs(root["workload"], limits);
  if (!knobs.ok()) return knobs.status();
  const Knobs& k = *knobs;
  // Refuse before expanding: a 60-byte block must not cost gigabytes.
  const int64_t ops = k.kind == "mkdirp" ? k.dirs * (k.depth + 2)
                      : k.kind == "nfs"  ? 4 * k.files
                                         : 2 * k.files + k.dirs;
  if (ops > limits.max_ops)
    return Bad("files", absl::StrCat("the workload would have ", ops, " ops, above the limit of ", limits.max_ops));
  if (root.contains("threads"))
    return absl::InvalidArgumentError("/threads: a workload generates the threads; remove them");
  Random rng(k.seed);
  json tree = json::array();
  if (root.contains("server") && root["server"].contains("tree")) tree = root["server"]["tree"];
  json threads = json::array();
  auto file_path = [&](int64_t i, int64_t dirs) { return absl::StrCat("/w/d", i % dirs, "/f", i); };

  if (k.kind == "archive" || k.kind == "rebuild" || k.kind == "storm") {
    const bool archive = k.kind == "archive";
    const int64_t dirs = k.kind == "storm" ? std::min(k.dirs, k.threads) : k.dirs;
    tree.push_back("/w/");
    if (!archive)
      for (int64_t d = 0; d < dirs; ++d) tree.push_back(absl::StrCat("/w/d", d, "/"));
    // Which files exist before the run (rebuild: the outputs to re-create).
    const std::vector<int64_t> order = Shuffled(k.files, rng);
    const int64_t exist = std::llround(k.existing * static_cast<double>(k.files));
    for (int64_t i = 0; i < exist; ++i) tree.push_back(file_path(order[i], dirs));
    const char* flags = archive ? "O_WRONLY|O_CREAT|O_EXCL" : "O_WRONLY|O_CREAT|O_TRUNC";
    for (int64_t t = 0; t < k.threads; ++t) {
      json ops = json::array();
      if (archive && t == 0)
        for (int64_t d = 0; d < dirs; ++d) ops.push_back({{"op", "mkdir"}, {"path", absl::StrCat("/w/d", d)}});
      for (int64_t i = t; i < k.files; i += k.threads) {
        // storm with one directory per thread: thread t owns directory t.
        const std::string path =
            k.kind == "storm" && dirs > 1 ? absl::StrCat("/w/d", t % dirs, "/f", i) : file_path(i, dirs);
        const std::string fd = absl::StrCat("f", i);
        json o = Open(path, flags, fd);
        if (archive && t > 0) o["after"] = absl::StrCat("t0.", dirs - 1);  // directories first
        ops.push_back(o);
        ops.push_back(Close(fd));
      }
      threads.push_back({{"name", absl::StrCat("t", t)}, {"ops", ops}});
    }
  } else if (k.kind == "mkdirp") {
    tree.push_back("/w/");
    for (int64_t t = 0; t < k.threads; ++t) {
      json ops = json::array();
      for (int64_t c = t; c < k.dirs; c += k.threads) {
        std::string path = absl::StrCat("/w/c", c);
        // mkdir -p: each level, then the file at the end of the chain.
        for (int64_t l = 0; l < k.depth; ++l) {
          ops.push_back({{"op", "mkdir"}, {"path", path}});
          path = absl::StrCat(path, "/l", l + 1);
        }
        const std::string fd = absl::StrCat("c", c);
        ops.push_back(Open(absl::StrCat(path.substr(0, path.rfind('/')), "/file"), "O_WRONLY|O_CREAT|O_TRUNC", fd));
        ops.push_back(Close(fd));
      }
      threads.push_back({{"name", absl::StrCat("t", t)}, {"ops", ops}});
    }
  } else {  // nfs
    if (!root.contains("mounts")) root["mounts"] = json::array({{{"name", "m0"}}, {{"name", "m1"}}});
    if (root["mounts"].size() < 2) return Bad("kind", "nfs needs two mounts (m0 and m1) in \"mounts\"");
    tree.push_back("/w/");
    for (int64_t d = 0; d < k.dirs; ++d) tree.push_back(absl::StrCat("/w/d", d, "/"));
    for (int c = 0; c < 2; ++c) {
      json ops = json::array();
      const std::vector<int64_t> order = Shuffled(k.files, rng);
      for (int64_t j = 0; j < k.files; ++j) {
        // Even names are shared by both clients, odd ones are each client's own.
        const int64_t i = order[j];
        const std::string name = i % 2 == 0 ? absl::StrCat("f", i) : absl::StrCat("c", c, "f", i);
        const std::string fd = absl::StrCat("f", j);
        ops.push_back(Open(absl::StrCat("/w/d", i % k.dirs, "/", name), "O_WRONLY|O_CREAT", fd));
        ops.push_back(Close(fd));
      }
      threads.push_back({{"name", absl::StrCat("c", c)}, {"mount", root["mounts"][c]["name"]}, {"ops", ops}});
    }
  }
  if (!root.contains("server")) root["server"] = json::object();
  root["server"]["tree"] = tree;
  root["threads"] = threads;
  root.erase("workload");
  return absl::OkStatus();
}

}  // namespace fusesim::sim
