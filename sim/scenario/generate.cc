#include "sim/scenario/generate.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/engine/random.h"
#include "sim/scenario/explore_scenario.h"
#include "sim/scenario/scenario_loader.h"

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
  int ops = 0;                         // ops so far (the next op's index)
  int next_fd = 0;                     // fd labels f0, f1, ...
  std::vector<std::string> open_fds;   // opened, not yet closed
  std::vector<std::string> open_dirs;  // those opened with O_DIRECTORY (for "at")
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
  // Sometimes a `.` or `d/..` inside a kernel-side op's path, and rarely a
  // `.` or `..` as its last component (server-side ops, the tree and error
  // rules take plain paths only). Never a `..` above the mount's root: on
  // the real mount it would leave the file system (oracle::CheckSupported).
  std::vector<std::string> Dotted(std::vector<std::string> c) {
    if (thread == nullptr || thread->server_side) return c;
    const uint64_t r = rng.Uniform(100);
    if (r < 6) {
      c.insert(c.begin() + static_cast<std::ptrdiff_t>(rng.Uniform(c.size())), ".");
    } else if (r < 12) {
      const auto at = c.begin() + static_cast<std::ptrdiff_t>(rng.Uniform(c.size()));
      c.insert(at, {Pick(kDirNames), ".."});
    } else if (r < 14) {
      c.push_back(Chance(50) ? "." : "..");
    }
    return c;
  }
  std::string Join(const std::vector<std::string>& c) { return "/" + absl::StrJoin(Dotted(c), "/"); }
  std::string Path(bool dir_like = false) { return Join(Components(dir_like)); }
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
  // The flags added with symlinks: a trailing link not followed, appends.
  static constexpr const char* kMoreFlags[] = {
      "O_RDONLY|O_NOFOLLOW",       "O_WRONLY|O_CREAT|O_NOFOLLOW",     "O_WRONLY|O_APPEND",
      "O_WRONLY|O_CREAT|O_APPEND", "O_RDONLY|O_DIRECTORY|O_NOFOLLOW",
  };
  const std::string flags = c.Chance(80) ? c.Pick(kFlags) : c.Pick(kMoreFlags);
  const bool dir = flags.find("O_DIRECTORY") != std::string::npos && flags.find("O_CREAT") == std::string::npos;
  ordered_json op = {{"op", "open"}};
  // openat() from a directory this thread holds open: a relative path
  // (no `..`, which could climb above the mount's root).
  if (!c.thread->open_dirs.empty() && c.Chance(25)) {
    std::vector<std::string> comp = c.Components(dir);
    if (c.Chance(15)) comp.insert(comp.begin(), ".");
    op["path"] = absl::StrJoin(comp, "/");
    op["at"] = c.thread->open_dirs[c.rng.Uniform(c.thread->open_dirs.size())];
  } else {
    op["path"] = c.Path(dir);
  }
  op["flags"] = flags;
  if (c.Chance(85)) {
    const std::string fd = absl::StrCat("f", c.thread->next_fd++);
    op["fd"] = fd;
    c.thread->open_fds.push_back(fd);
    if (dir) c.thread->open_dirs.push_back(fd);
  }
  return op;
}

ordered_json GenClose(Ctx& c) {
  auto& fds = c.thread->open_fds;
  if (fds.empty()) return nullptr;
  const size_t i = c.rng.Uniform(fds.size());
  const std::string fd = fds[i];
  fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
  auto& dirs = c.thread->open_dirs;
  dirs.erase(std::remove(dirs.begin(), dirs.end(), fd), dirs.end());
  return {{"op", "close"}, {"fd", fd}};
}

ordered_json GenPathOp(Ctx& c, const char* name, bool dir_like) { return {{"op", name}, {"path", c.Path(dir_like)}}; }
ordered_json GenStat(Ctx& c) {
  ordered_json op = GenPathOp(c, "stat", c.Chance(30));
  if (c.Chance(20)) op["nofollow"] = true;  // lstat(2)
  return op;
}
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
  return {{"op", "rename"}, {"path", c.Join(from)}, {"to", c.Join(to)}};
}

// A symlink's target, relative and without `..`, never `.` alone (so a
// target is never above the link's directory, and a generated `d/..` never
// climbs above the mount's root; an absolute target would leave the real
// mount, which the model reads as if chrooted into it): a name of the name
// space, one below a directory, through a file, `./name`, or the link's own
// name (a loop, ELOOP).
std::string LinkTarget(Ctx& c, const std::string& own) {
  const uint64_t r = c.rng.Uniform(100);
  if (r < 45) return c.Name(c.Chance(40));
  if (r < 70) return absl::StrCat(c.Pick(kDirNames), "/", c.Pick(kFileNames));
  if (r < 78) return absl::StrCat(c.Pick(kFileNames), "/", c.Pick(kFileNames));
  if (r < 86) return absl::StrCat("./", c.Pick(kFileNames));
  return own;
}

ordered_json GenSymlink(Ctx& c) {
  std::vector<std::string> comp = c.Components(false);
  const std::string target = LinkTarget(c, comp.back());
  return {{"op", "symlink"}, {"target", target}, {"path", c.Join(comp)}};
}
ordered_json GenReadlink(Ctx& c) { return GenPathOp(c, "readlink", false); }
ordered_json GenLink(Ctx& c) { return {{"op", "link"}, {"path", c.Path(c.Chance(15))}, {"to", c.Path(false)}}; }
ordered_json GenReaddir(Ctx& c) { return GenPathOp(c, "readdir", c.Chance(80)); }
ordered_json GenChmod(Ctx& c) {
  static constexpr const char* kModes[] = {"0755", "0644", "0600", "0700"};
  return {{"op", "chmod"}, {"path", c.Path(c.Chance(35))}, {"mode", c.Pick(kModes)}};
}
ordered_json GenTruncate(Ctx& c) {
  static constexpr int kSizes[] = {0, 100};
  return {{"op", "truncate"}, {"path", c.Path(c.Chance(15))}, {"size", c.Pick(kSizes)}};
}

// Server-side notifications, to one of the mounts.
std::string MountName(Ctx& c) { return absl::StrCat("m", c.rng.Uniform(static_cast<uint64_t>(c.mounts))); }
ordered_json GenNotify(Ctx& c, const char* name, bool dir_like) {
  const std::string mount = MountName(c);
  return {{"op", name}, {"mount", mount}, {"path", c.Path(dir_like)}};
}
ordered_json GenNotifyInvalEntry(Ctx& c) { return GenNotify(c, "notify_inval_entry", c.Chance(30)); }
ordered_json GenNotifyInvalInode(Ctx& c) { return GenNotify(c, "notify_inval_inode", c.Chance(30)); }
ordered_json GenNotifyDelete(Ctx& c) { return GenNotify(c, "notify_delete", c.Chance(30)); }
ordered_json GenNotifyIncEpoch(Ctx& c) { return {{"op", "notify_inc_epoch"}, {"mount", MountName(c)}}; }

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

// The first rows (weights 100 per side) are the original mix; the ops
// added with symlinks, readdir and notifications add 20 (kernel side) and
// 25 (server side), so the original mix still makes most of a scenario.
constexpr OpGenerator kOpGenerators[] = {
    {"open", 30, false, GenOpen},
    {"close", 14, false, GenClose},
    {"stat", 18, false, GenStat},
    {"unlink", 8, false, GenUnlink},
    {"mkdir", 8, false, GenMkdir},
    {"rmdir", 5, false, GenRmdir},
    {"rename", 9, false, GenRename},
    {"sleep", 5, false, GenSleep},
    {"drop_caches", 3, false, GenDropCaches},
    {"symlink", 4, false, GenSymlink},
    {"readlink", 3, false, GenReadlink},
    {"link", 3, false, GenLink},
    {"readdir", 4, false, GenReaddir},
    {"chmod", 3, false, GenChmod},
    {"truncate", 3, false, GenTruncate},
    {"create", 30, true, GenCreate},
    {"unlink", 20, true, GenUnlink},
    {"mkdir", 20, true, GenMkdir},
    {"rmdir", 10, true, GenRmdir},
    {"rename", 15, true, GenRename},
    {"sleep", 5, true, GenSleep},
    {"symlink", 5, true, GenSymlink},
    {"link", 4, true, GenLink},
    {"chmod", 4, true, GenChmod},
    {"notify_inval_entry", 4, true, GenNotifyInvalEntry},
    {"notify_inval_inode", 3, true, GenNotifyInvalInode},
    {"notify_delete", 3, true, GenNotifyDelete},
    {"notify_inc_epoch", 2, true, GenNotifyIncEpoch},
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
  if (rng.Uniform(100) < 20) m["cache_symlinks"] = true;
  const uint64_t rdp = rng.Uniform(100);
  if (rdp >= 70) m["readdirplus"] = rdp < 85 ? "auto" : "on";
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

// ---- Races. --------------------------------------------------------------

namespace {

// The colliding names: in / and in /d.
constexpr const char* kRacePaths[] = {"/a", "/b", "/d", "/d/a", "/d/b"};

ordered_json GenRaceOp(Random& rng, const std::string& hot) {
  auto chance = [&](int percent) { return static_cast<int>(rng.Uniform(100)) < percent; };
  auto path = [&] { return chance(80) ? hot : std::string(kRacePaths[rng.Uniform(std::size(kRacePaths))]); };
  static constexpr const char* kOpenFlags[] = {
      "O_WRONLY|O_CREAT", "O_WRONLY|O_CREAT|O_EXCL", "O_WRONLY|O_CREAT|O_TRUNC", "O_WRONLY|O_TRUNC", "O_RDONLY",
  };
  const uint64_t r = rng.Uniform(100);
  if (r < 45) {
    const std::string p = path();
    return {{"op", "open"}, {"path", p}, {"flags", kOpenFlags[rng.Uniform(std::size(kOpenFlags))]}};
  }
  if (r < 62) return {{"op", "stat"}, {"path", path()}};
  if (r < 74) return {{"op", "unlink"}, {"path", path()}};
  if (r < 86) return {{"op", "mkdir"}, {"path", path()}};
  const std::string from = path();
  const std::string to = path();
  return {{"op", "rename"}, {"path", from}, {"to", to}};
}

}  // namespace

ordered_json GenerateRaceScenario(uint64_t seed, const RaceOptions& o) {
  Random rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng.Uniform(100)) < percent; };
  const int nmounts = o.max_mounts >= 2 && chance(35) ? 2 : 1;
  ordered_json mounts = ordered_json::array();
  for (int i = 0; i < nmounts; ++i) {
    ordered_json m = {{"name", absl::StrCat("m", i)}};
    if (chance(50)) m["entry_timeout_ms"] = 0;
    if (chance(50)) m["attr_timeout_ms"] = 0;
    if (chance(40)) m["negative_timeout_ms"] = 1000;
    if (chance(30)) m["parallel_dirops"] = true;
    if (chance(20)) m["default_permissions"] = true;
    mounts.push_back(m);
  }
  ordered_json tree = ordered_json::array();
  if (chance(40)) tree.push_back("/a");
  const bool d = chance(60);
  if (d) tree.push_back("/d/");
  if (d && chance(40)) tree.push_back("/d/a");
  const std::string hot = kRacePaths[rng.Uniform(std::size(kRacePaths))];

  const int nthreads = o.max_threads >= 3 && chance(30) ? 3 : 2;
  ordered_json threads = ordered_json::array();
  for (int t = 0; t < nthreads; ++t) {
    ordered_json ops = ordered_json::array();
    // At most four ops in all (three threads: one op each), so that the
    // exploration covers the space within its bound.
    const int nops = nthreads == 2 && chance(50) ? 2 : 1;
    for (int i = 0; i < nops; ++i) ops.push_back(GenRaceOp(rng, hot));
    threads.push_back({{"name", absl::StrCat("t", t + 1)}, {"mount", absl::StrCat("m", t % nmounts)}, {"ops", ops}});
  }
  ordered_json j;
  j["name"] = absl::StrCat("race-", seed);
  j["description"] = absl::StrCat("Generated by fusesim oracle --generate 1 --races --seed ", seed, ".");
  j["variants"] = {"lookup-create"};
  j["mounts"] = mounts;
  j["server"] = {{"tree", tree}};
  j["threads"] = threads;
  j["schedule"] = {{"mode", "explore"}, {"max_preemptions", o.max_preemptions}, {"max_schedules", o.max_schedules}};
  return j;
}

absl::StatusOr<std::vector<ordered_json>> RaceReplays(const ordered_json& race, const RaceOptions& o) {
  const std::string name = race.value("name", std::string("race"));
  auto s = ParseScenario(race.dump(2), name);
  if (!s.ok()) return s.status();
  ExploreOptions eo;
  eo.strategy = Strategy::kDpor;
  eo.max_schedules = o.max_schedules;
  eo.max_preemptions = o.max_preemptions;
  eo.shrink = false;
  auto r = Explore(**s, model::Variant::kLookupCreate, eo);
  if (!r.ok()) return r.status();
  std::vector<ordered_json> out;
  for (const Outcome& oc : r->outcomes) {  // sorted by key
    if (static_cast<int>(out.size()) >= o.max_interleavings) break;
    ordered_json j = race;
    j["name"] = absl::StrCat(name, "-i", out.size());
    j["description"] =
        absl::StrCat("Interleaving ", out.size(), " of ", name,
                     " (the representative of one of its explored outcomes), generated by fusesim oracle "
                     "--generate --races.");
    j["schedule"] = {{"mode", "replay"}, {"steps", oc.report.schedule()}};
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace fusesim::sim
