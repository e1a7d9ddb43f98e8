#include "sim/scenario/generate.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/engine/random.h"

namespace fusesim::sim {
namespace {

using nlohmann::ordered_json;

// The name space: few names, so that ops collide. Files are usually named
// a b c and directories d e, but any name may be either.
constexpr const char* kFileNames[] = {"a", "b", "c"};
constexpr const char* kDirNames[] = {"d", "e"};

struct ThreadState {
  std::string name;
  bool server_side = false;
  int ops = 0;                        // ops so far (the next op's index)
  int next_fd = 0;                    // fd labels f0, f1, ...
  std::vector<std::string> open_fds;  // opened, not yet closed
};

struct Ctx {
  Random& rng;
  ThreadState* thread = nullptr;
  int sleep_budget_ms = 0;
  int mounts = 1;

  bool Chance(int percent) { return static_cast<int>(rng.Uniform(100)) < percent; }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) {
    return a[rng.Uniform(N)];
  }

  std::string Name(bool dir_like) {
    if (Chance(75)) return dir_like ? Pick(kDirNames) : Pick(kFileNames);
    return Chance(50) ? Pick(kDirNames) : Pick(kFileNames);
  }
  // 1-3 components; the inner ones are usually directory names (sometimes a
  // file's, which makes ENOTDIR paths).
  std::vector<std::string> Components(bool dir_like) {
    const uint64_t r = rng.Uniform(100);
    const int depth = r < 50 ? 1 : r < 85 ? 2 : 3;
    std::vector<std::string> c;
    for (int i = 0; i + 1 < depth; ++i) c.push_back(Chance(85) ? Pick(kDirNames) : Pick(kFileNames));
    c.push_back(Name(dir_like));
    return c;
  }
  std::string Path(bool dir_like = false) { return "/" + absl::StrJoin(Components(dir_like), "/"); }
};

// ---- Op generators: one row per op kind (the extension point). ----------
// A generator returns the op's JSON object (without "after"), or null if it
// does not apply now (e.g. close with nothing open); another row is drawn.

ordered_json GenOpen(Ctx& c) {
  static constexpr const char* kFlags[] = {
      "O_RDONLY",
      "O_WRONLY",
      "O_RDWR",
      "O_WRONLY|O_CREAT",
      "O_RDWR|O_CREAT",
      "O_WRONLY|O_CREAT|O_EXCL",
      "O_WRONLY|O_CREAT|O_TRUNC",
      "O_WRONLY|O_TRUNC",
      "O_RDONLY|O_DIRECTORY",
      "O_RDONLY|O_CREAT|O_DIRECTORY",
  };
  const std::string flags = c.Pick(kFlags);
  ordered_json op = {{"op", "open"}, {"path", c.Path(flags == "O_RDONLY|O_DIRECTORY")}, {"flags", flags}};
  if (c.Chance(85)) {
    const std::string fd = absl::StrCat("f", c.thread->next_fd++);
    op["fd"] = fd;
    c.thread->open_fds.push_back(fd);
  }
  return op;
}

ordered_json GenClose(Ctx& c) {
  auto& fds = c.thread->open_fds;
  if (fds.empty()) return nullptr;
  const size_t i = c.rng.Uniform(fds.size());
  const std::string fd = fds[i];
  fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
  return {{"op", "close"}, {"fd", fd}};
}

ordered_json GenPathOp(Ctx& c, const char* name, bool dir_like) { return {{"op", name}, {"path", c.Path(dir_like)}}; }
ordered_json GenStat(Ctx& c) { return GenPathOp(c, "stat", c.Chance(30)); }
ordered_json GenUnlink(Ctx& c) { return GenPathOp(c, "unlink", false); }
ordered_json GenMkdir(Ctx& c) { return GenPathOp(c, "mkdir", true); }
ordered_json GenRmdir(Ctx& c) { return GenPathOp(c, "rmdir", true); }
ordered_json GenCreate(Ctx& c) { return GenPathOp(c, "create", false); }

// Renames: any two paths, or onto an ancestor / a descendant of the source.
ordered_json GenRename(Ctx& c) {
  std::vector<std::string> from = c.Components(c.Chance(50));
  std::vector<std::string> to;
  const uint64_t r = c.rng.Uniform(100);
  if (r < 15 && from.size() > 1) {
    to.assign(from.begin(), from.begin() + static_cast<std::ptrdiff_t>(1 + c.rng.Uniform(from.size() - 1)));
  } else if (r < 30) {
    to = from;
    to.push_back(c.Name(c.Chance(50)));
  } else {
    to = c.Components(c.Chance(50));
  }
  return {{"op", "rename"}, {"path", "/" + absl::StrJoin(from, "/")}, {"to", "/" + absl::StrJoin(to, "/")}};
}

// Sleeps inside and across the 1000 ms timeouts (see TimeoutMs).
ordered_json GenSleep(Ctx& c) {
  static constexpr int kMs[] = {20, 1100};
  const int ms = c.Pick(kMs);
  if (ms > c.sleep_budget_ms) return nullptr;
  c.sleep_budget_ms -= ms;
  return {{"op", "sleep"}, {"ms", ms}};
}

// Only with one mount: the oracle's drop_caches (/proc/sys/vm/drop_caches)
// empties every mount's caches, the op evicts one mount's.
ordered_json GenDropCaches(Ctx& c) {
  if (c.mounts > 1) return nullptr;
  return {{"op", "drop_caches"}};
}

struct OpGenerator {
  const char* name;
  int weight;
  bool server_side;  // a row of the server-side thread, else of kernel threads
  ordered_json (*gen)(Ctx&);
};

constexpr OpGenerator kOpGenerators[] = {
    {"open", 30, false, GenOpen},    {"close", 14, false, GenClose},  {"stat", 18, false, GenStat},
    {"unlink", 8, false, GenUnlink}, {"mkdir", 8, false, GenMkdir},   {"rmdir", 5, false, GenRmdir},
    {"rename", 9, false, GenRename}, {"sleep", 5, false, GenSleep},   {"drop_caches", 3, false, GenDropCaches},
    {"create", 30, true, GenCreate}, {"unlink", 20, true, GenUnlink}, {"mkdir", 20, true, GenMkdir},
    {"rmdir", 10, true, GenRmdir},   {"rename", 15, true, GenRename}, {"sleep", 5, true, GenSleep},
};

ordered_json GenOp(Ctx& c) {
  int total = 0;
  for (const OpGenerator& g : kOpGenerators)
    if (g.server_side == c.thread->server_side) total += g.weight;
  for (;;) {
    int r = static_cast<int>(c.rng.Uniform(static_cast<uint64_t>(total)));
    for (const OpGenerator& g : kOpGenerators) {
      if (g.server_side != c.thread->server_side) continue;
      if (r < g.weight) {
        ordered_json op = g.gen(c);
        if (!op.is_null()) return op;
        break;
      }
      r -= g.weight;
    }
  }
}

// ---- Mounts, tree, server quirks. ---------------------------------------

// 0 or 1000 ms. No timeouts of tens or hundreds of milliseconds: the
// oracle's real ops take real time (each at least its settling time, 30 ms)
// while the model's take none, so such a timeout expires on the real kernel
// between ops that the model runs at one instant. Sleeps (20 ms, well inside
// a timeout, or 1100 ms, across one) keep the two clocks on the same side.
int TimeoutMs(Random& rng) { return rng.Uniform(2) == 0 ? 0 : 1000; }

ordered_json GenMount(Random& rng, const std::string& name) {
  ordered_json m = {{"name", name}};
  const int entry = TimeoutMs(rng), attr = TimeoutMs(rng);
  const int neg = TimeoutMs(rng);
  if (entry != 1000) m["entry_timeout_ms"] = entry;
  if (attr != 1000) m["attr_timeout_ms"] = attr;
  if (neg != 0) m["negative_timeout_ms"] = neg;
  if (rng.Uniform(100) < 30) m["default_permissions"] = true;
  if (rng.Uniform(100) < 30) m["parallel_dirops"] = true;
  return m;
}

// Up to 6 entries; nothing below a file, no duplicates.
ordered_json GenTree(Ctx& c) {
  std::set<std::string> files, dirs;
  ordered_json tree = ordered_json::array();
  const int n = static_cast<int>(c.rng.Uniform(7));
  for (int i = 0; i < n; ++i) {
    const bool dir = c.Chance(45);
    const std::vector<std::string> comp = c.Components(dir);
    std::string prefix;
    bool ok = true;
    for (size_t k = 0; k + 1 < comp.size(); ++k) {
      prefix += "/" + comp[k];
      if (files.count(prefix)) ok = false;
    }
    const std::string path = "/" + absl::StrJoin(comp, "/");
    if (files.count(path) || dirs.count(path)) ok = false;
    if (!dir) {  // a file may not be a directory implied by another entry
      for (const std::string& d : dirs)
        if (d == path) ok = false;
      for (const std::string& f : files)
        if (f.rfind(path + "/", 0) == 0) ok = false;
      for (const std::string& d : dirs)
        if (d.rfind(path + "/", 0) == 0) ok = false;
    }
    if (!ok) continue;
    prefix.clear();
    for (size_t k = 0; k + 1 < comp.size(); ++k) {
      prefix += "/" + comp[k];
      dirs.insert(prefix);
    }
    (dir ? dirs : files).insert(path);
    tree.push_back(dir ? path + "/" : path);
  }
  return tree;
}

ordered_json GenServer(Ctx& c, const GenerateOptions& o) {
  ordered_json sv = {{"tree", GenTree(c)}};
  if (!o.quirks) return sv;
  ordered_json unsupported = ordered_json::array();
  for (const char* op : {"CREATE", "OPEN", "OPENDIR"})
    if (c.Chance(15)) unsupported.push_back(op);
  if (!unsupported.empty()) sv["unsupported"] = unsupported;
  if (c.Chance(30)) {
    static constexpr const char* kOps[] = {"LOOKUP", "GETATTR", "CREATE", "OPEN",  "OPENDIR", "MKDIR",
                                           "UNLINK", "RMDIR",   "RENAME", "MKNOD", "FLUSH"};
    static constexpr const char* kErrnos[] = {"EIO", "EACCES", "EPERM", "ENOENT", "ENOSPC", "EROFS"};
    ordered_json errors = ordered_json::array();
    const int n = 1 + static_cast<int>(c.rng.Uniform(2));
    for (int i = 0; i < n; ++i) {
      const std::string op = c.Pick(kOps);
      ordered_json rule = {{"opcode", op}, {"errno", c.Pick(kErrnos)}};
      // A GETATTR rule without a path would fire on the mount's own stat
      // of the root, which no op makes.
      if (op == "GETATTR" || c.Chance(75)) rule["path"] = c.Path(c.Chance(40));
      if (c.Chance(70)) rule["times"] = 1 + static_cast<int>(c.rng.Uniform(2));
      errors.push_back(rule);
    }
    sv["errors"] = errors;
  }
  if (c.Chance(15)) sv["create_existing"] = "eexist";
  if (c.Chance(10)) sv["open_unlinked"] = c.Chance(50) ? "ENOENT" : "ESTALE";
  return sv;
}

}  // namespace

ordered_json GenerateScenario(uint64_t seed, const GenerateOptions& o) {
  Random rng(seed);
  Ctx c{rng};
  c.sleep_budget_ms = o.max_sleep_ms;
  const int nmounts = o.max_mounts >= 2 && c.Chance(35) ? 2 : 1;
  ordered_json mounts = ordered_json::array();
  c.mounts = nmounts;
  for (int i = 0; i < nmounts; ++i) mounts.push_back(GenMount(rng, absl::StrCat("m", i)));
  ordered_json server = GenServer(c, o);

  std::vector<ThreadState> threads;
  for (int i = 0; i < nmounts; ++i) {
    ThreadState t;
    t.name = absl::StrCat("t", i + 1);
    threads.push_back(t);
  }
  if (o.server_ops && c.Chance(40)) {
    ThreadState t;
    t.name = "srv";
    t.server_side = true;
    threads.push_back(t);
  }
  std::vector<ordered_json> thread_ops(threads.size(), ordered_json::array());

  const int span = std::max(0, o.max_ops - o.min_ops);
  const int nops = o.min_ops + static_cast<int>(rng.Uniform(static_cast<uint64_t>(span) + 1));
  std::string prev_label;
  int prev_thread = -1;
  for (int i = 0; i < nops; ++i) {
    // The server-side thread takes about one op in five.
    int t = 0;
    if (threads.back().server_side && c.Chance(20))
      t = static_cast<int>(threads.size()) - 1;
    else
      t = static_cast<int>(rng.Uniform(static_cast<uint64_t>(nmounts)));
    c.thread = &threads[t];
    ordered_json op = GenOp(c);
    // One total order: an op that follows another thread's op waits for it.
    if (prev_thread >= 0 && prev_thread != t) op["after"] = prev_label;
    prev_label = absl::StrCat(threads[t].name, ".", threads[t].ops++);
    prev_thread = t;
    thread_ops[t].push_back(op);
  }

  ordered_json j;
  j["name"] = absl::StrCat("gen-", seed);
  j["description"] = absl::StrCat("Generated by fusesim oracle --generate 1 --seed ", seed, ".");
  j["variants"] = {"lookup-create"};
  j["mounts"] = mounts;
  j["server"] = server;
  ordered_json ts = ordered_json::array();
  for (size_t i = 0; i < threads.size(); ++i) {
    ordered_json t = {{"name", threads[i].name}};
    if (threads[i].server_side)
      t["server_side"] = true;
    else
      t["mount"] = absl::StrCat("m", i);
    t["ops"] = thread_ops[i];
    ts.push_back(t);
  }
  j["threads"] = ts;
  j["schedule"] = {{"mode", "sequential"}};
  return j;
}

}  // namespace fusesim::sim
