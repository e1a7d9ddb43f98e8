#include "sim/scenario/workload.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/engine/random.h"

namespace fusesim::sim {
namespace {

using nlohmann::json;

struct Knobs {
  std::string kind;
  int64_t files = 100, dirs = 1, threads = 1, depth = 3;
  double existing = 0;
  uint64_t seed = 1;
  // The program workloads (git-checkout, tar, cp-a, ls-create, include-search, mdtest).
  double symlinks = 0, links = 0, executable = 0;
  int64_t creates = 1, headers = 20, include_dirs = 8, units = 10;
  bool stat = true, remove = true;
};

// The knobs each kind reads; any other key is an error naming it.
struct KindKeys {
  const char* kind;
  std::vector<std::string> keys;
};
const std::vector<KindKeys>& Kinds() {
  static const std::vector<KindKeys> kKinds = {
      {"archive", {"files", "dirs", "threads", "depth", "existing", "seed"}},
      {"rebuild", {"files", "dirs", "threads", "depth", "existing", "seed"}},
      {"mkdirp", {"files", "dirs", "threads", "depth", "existing", "seed"}},
      {"storm", {"files", "dirs", "threads", "depth", "existing", "seed"}},
      {"nfs", {"files", "dirs", "threads", "depth", "existing", "seed"}},
      {"git-checkout", {"files", "dirs", "symlinks", "executable", "existing", "seed"}},
      {"tar", {"files", "dirs", "links", "symlinks", "seed"}},
      {"cp-a", {"files", "dirs", "symlinks", "seed"}},
      {"ls-create", {"files", "creates"}},
      {"include-search", {"headers", "include_dirs", "units", "threads", "seed"}},
      {"mdtest", {"files", "threads", "stat", "remove"}},
  };
  return kKinds;
}

absl::Status Bad(const std::string& key, const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrCat("/workload", key.empty() ? "" : "/" + key, ": ", msg));
}

absl::StatusOr<Knobs> ReadKnobs(const json& w, const WorkloadLimits& lim) {
  if (!w.is_object()) return Bad("", "expected an object like {\"kind\": \"archive\", \"files\": 1000}");
  Knobs k;
  std::vector<std::string> kind_names;
  for (const KindKeys& kk : Kinds()) kind_names.push_back(kk.kind);
  const std::string valid_kinds = absl::StrJoin(kind_names, ", ");
  if (!w.contains("kind") || !w["kind"].is_string()) return Bad("kind", absl::StrCat("required: ", valid_kinds));
  k.kind = w["kind"].get<std::string>();
  const KindKeys* kind = nullptr;
  for (const KindKeys& kk : Kinds())
    if (k.kind == kk.kind) kind = &kk;
  if (kind == nullptr) return Bad("kind", absl::StrCat("unknown workload \"", k.kind, "\"; valid: ", valid_kinds));
  for (const auto& item : w.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture those
    if (key != "kind" && std::find(kind->keys.begin(), kind->keys.end(), key) == kind->keys.end())
      return Bad(key, absl::StrCat("unknown key for a ", k.kind, " workload; valid keys: kind, ",
                                   absl::StrJoin(kind->keys, ", ")));
  }
  auto integer = [&](const char* key, int64_t* out, int64_t lo, int64_t hi) -> absl::Status {
    if (!w.contains(key)) return absl::OkStatus();
    const json& v = w[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      return Bad(key, absl::StrCat("expected an integer from ", lo, " to ", hi));
    *out = v.get<int64_t>();
    return absl::OkStatus();
  };
  auto share = [&](const char* key, double* out) -> absl::Status {
    if (!w.contains(key)) return absl::OkStatus();
    if (!w[key].is_number() || w[key].get<double>() < 0 || w[key].get<double>() > 1)
      return Bad(key, "expected a share from 0 to 1");
    *out = w[key].get<double>();
    return absl::OkStatus();
  };
  auto boolean = [&](const char* key, bool* out) -> absl::Status {
    if (!w.contains(key)) return absl::OkStatus();
    if (!w[key].is_boolean()) return Bad(key, "expected true or false");
    *out = w[key].get<bool>();
    return absl::OkStatus();
  };
  if (auto s = integer("files", &k.files, 1, lim.max_files); !s.ok()) return s;
  if (auto s = integer("dirs", &k.dirs, 1, lim.max_dirs); !s.ok()) return s;
  if (auto s = integer("threads", &k.threads, 1, lim.max_threads); !s.ok()) return s;
  if (auto s = integer("depth", &k.depth, 1, lim.max_depth); !s.ok()) return s;
  if (auto s = integer("creates", &k.creates, 1, lim.max_files); !s.ok()) return s;
  if (auto s = integer("headers", &k.headers, 1, lim.max_files); !s.ok()) return s;
  if (auto s = integer("include_dirs", &k.include_dirs, 1, lim.max_dirs); !s.ok()) return s;
  if (auto s = integer("units", &k.units, 1, lim.max_files); !s.ok()) return s;
  int64_t seed = 1;
  if (auto s = integer("seed", &seed, 0, INT64_MAX); !s.ok()) return s;
  k.seed = static_cast<uint64_t>(seed);
  if (auto s = share("existing", &k.existing); !s.ok()) return s;
  if (auto s = share("symlinks", &k.symlinks); !s.ok()) return s;
  if (auto s = share("links", &k.links); !s.ok()) return s;
  if (auto s = share("executable", &k.executable); !s.ok()) return s;
  if (auto s = boolean("stat", &k.stat); !s.ok()) return s;
  if (auto s = boolean("remove", &k.remove); !s.ok()) return s;
  if (k.symlinks + k.links > 1)
    return Bad("links", absl::StrCat("links (", k.links, ") and symlinks (", k.symlinks,
                                     ") are shares of the same entries: together at most 1"));
  if (k.symlinks + k.executable > 1)
    return Bad("executable", absl::StrCat("executable (", k.executable, ") and symlinks (", k.symlinks,
                                          ") are shares of the same entries: together at most 1"));
  if (k.kind == "mdtest" && k.files < k.threads)
    return Bad("files", absl::StrCat("mdtest gives every thread at least one file: files must be at least threads (",
                                     k.threads, ")"));
  if (k.kind == "include-search" && k.units < k.threads)
    return Bad("units", absl::StrCat("every thread compiles at least one unit: units must be at least threads (",
                                     k.threads, ")"));
  return k;
}

// The ops are built member by member: an initializer list copies each
// value once more, and a workload has up to 2,500,000 ops.
json Open(const std::string& path, const char* flags, const std::string& fd) {
  json o(json::value_t::object);
  auto& m = o.get_ref<json::object_t&>();
  m.emplace("op", "open");
  m.emplace("path", path);
  m.emplace("flags", flags);
  m.emplace("fd", fd);
  return o;
}
json Close(const std::string& fd) {
  json o(json::value_t::object);
  auto& m = o.get_ref<json::object_t&>();
  m.emplace("op", "close");
  m.emplace("fd", fd);
  return o;
}

// A thread {"name": NAME, "ops": OPS} with the ops moved in: an
// initializer list would copy them, and they are most of a workload.
json Thread(std::string name, json&& ops) {
  json th(json::value_t::object);
  auto& m = th.get_ref<json::object_t&>();
  m.emplace("name", std::move(name));
  m.emplace("ops", std::move(ops));
  return th;
}

// A deterministic permutation of 0..n-1.
std::vector<int64_t> Shuffled(int64_t n, Random& rng) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(v[i], v[rng.Uniform(static_cast<uint64_t>(i) + 1)]);
  return v;
}

json PathOp(const char* op, const std::string& path) {
  json o(json::value_t::object);
  auto& m = o.get_ref<json::object_t&>();
  m.emplace("op", op);
  m.emplace("path", path);
  return o;
}
json Lstat(const std::string& path) {
  json o = PathOp("stat", path);
  o.get_ref<json::object_t&>().emplace("nofollow", true);
  return o;
}
std::string OpName(const std::string& thread, size_t index) { return absl::StrCat(thread, ".", index); }

// Entry kinds of the archive-like programs, assigned by a seeded permutation:
// the first `a` of it get kind 1, the next `b` kind 2, the rest kind 0.
std::vector<int> Assign(int64_t n, double a, double b, Random& rng) {
  const std::vector<int64_t> order = Shuffled(n, rng);
  const int64_t na = std::llround(a * static_cast<double>(n)), nb = std::llround(b * static_cast<double>(n));
  std::vector<int> kind(n, 0);
  for (int64_t j = 0; j < n; ++j) kind[order[j]] = j < na ? 1 : j < na + nb ? 2 : 0;
  return kind;
}

// git checkout into a work tree /w (entry.c, checkout_entry() and write_entry()),
// index order (sorted paths). Per entry: check_path() lstat()s the leading
// directory the first time (has_symlink_leading_path(), then remembered by the
// lstat cache) and the path; create_directories() mkdir()s a directory that is
// not there; an existing file of the old commit is unlink()ed; a regular file is
// open(O_WRONLY|O_CREAT|O_EXCL, 0666, or 0777 for an executable: the mode
// carries the x bit, there is no chmod) and closed; a symlink is symlink(2).
void GitCheckout(const Knobs& k, Random& rng, json& tree, json& threads) {
  const std::vector<int> kind = Assign(k.files, k.symlinks, k.executable, rng);  // 1 symlink, 2 executable
  // Which regular files the old commit has (they are replaced).
  std::vector<bool> existing(k.files, false);
  {
    std::vector<int64_t> regular;
    for (int64_t i : Shuffled(k.files, rng))
      if (kind[i] != 1) regular.push_back(i);
    const int64_t n = std::llround(k.existing * static_cast<double>(regular.size()));
    for (int64_t j = 0; j < n; ++j) existing[regular[j]] = true;
  }
  tree.push_back("/w/");
  std::set<std::string> dirs_on_server;
  struct Entry {
    std::string dir, path;
    int64_t i;
  };
  std::vector<Entry> index;
  for (int64_t i = 0; i < k.files; ++i) {
    const std::string dir = absl::StrCat("/w/d", i % k.dirs);
    index.push_back({dir, absl::StrCat(dir, "/", kind[i] == 1 ? "l" : "f", i), i});
    if (existing[i]) {
      tree.push_back(index.back().path);
      dirs_on_server.insert(dir);
    }
  }
  std::sort(index.begin(), index.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });
  json ops = json::array();
  std::string last_dir;
  for (const Entry& e : index) {
    const bool new_dir = e.dir != last_dir;
    last_dir = e.dir;
    if (new_dir) ops.push_back(Lstat(e.dir));
    ops.push_back(Lstat(e.path));
    if (new_dir && !dirs_on_server.count(e.dir)) ops.push_back(PathOp("mkdir", e.dir));
    if (existing[e.i]) ops.push_back(PathOp("unlink", e.path));
    if (kind[e.i] == 1) {
      ops.push_back({{"op", "symlink"}, {"target", "../README"}, {"path", e.path}});
    } else {
      const std::string fd = absl::StrCat("f", e.i);
      json o = Open(e.path, "O_WRONLY|O_CREAT|O_EXCL", fd);
      o["mode"] = kind[e.i] == 2 ? "0777" : "0666";
      ops.push_back(std::move(o));
      ops.push_back(Close(fd));
    }
  }
  threads.push_back(Thread("git", std::move(ops)));
}

// GNU tar x (extract.c), archive order: a directory's member, then its files.
// extract_dir() mkdir()s; extract_file() opens O_WRONLY|O_CREAT|O_EXCL and
// closes; extract_link() link()s a hard link to the member extracted earlier
// that it names; extract_symlink() symlink()s (a relative target without
// "..", which tar creates at once rather than as a delayed placeholder).
void Tar(const Knobs& k, Random& rng, json& tree, json& threads) {
  const std::vector<int> kind = Assign(k.files, k.links, k.symlinks, rng);  // 1 hard link, 2 symlink
  tree.push_back("/w/");
  json ops = json::array();
  std::vector<std::string> extracted;  // regular files so far, for hard links
  for (int64_t d = 0; d < k.dirs; ++d) {
    const std::string dir = absl::StrCat("/w/d", d);
    ops.push_back(PathOp("mkdir", dir));
    std::string sibling;  // a regular file of this directory, for symlink targets
    for (int64_t i = d; i < k.files; i += k.dirs) {
      const std::string path = absl::StrCat(dir, "/f", i);
      if (kind[i] == 1 && !extracted.empty()) {
        ops.push_back(
            {{"op", "link"}, {"path", extracted[rng.Uniform(static_cast<uint64_t>(extracted.size()))]}, {"to", path}});
      } else if (kind[i] == 2) {
        ops.push_back({{"op", "symlink"}, {"target", sibling.empty() ? "f0" : sibling}, {"path", path}});
      } else {
        const std::string fd = absl::StrCat("f", i);
        ops.push_back(Open(path, "O_WRONLY|O_CREAT|O_EXCL", fd));
        ops.push_back(Close(fd));
        extracted.push_back(path);
        sibling = absl::StrCat("f", i);
      }
    }
  }
  threads.push_back(Thread("tar", std::move(ops)));
}

// cp -a /src /dst (coreutils copy.c, copy_internal() and copy_dir()): stat of
// the destination (absent), then per directory mkdir(), the fstatat() that
// checks the new directory's permissions, a listing of the source (savedir():
// opendir/readdir/closedir), each entry lstat()ed, and at the end the mode
// restored (copy_acl(): chmod). Per regular file (copy_reg()): open(src,
// O_RDONLY|O_NOFOLLOW), open(dst, O_WRONLY|O_CREAT|O_EXCL) (the destination is
// known to be new), fchmod (here chmod of the path), close(dst), close(src). Per
// symlink: readlink(src), symlink(dst). The source's symlinks are made by a
// server-side thread `setup` before cp starts.
void CpA(const Knobs& k, Random& rng, json& tree, json& threads) {
  const std::vector<int> kind = Assign(k.files, k.symlinks, 0, rng);  // 1 symlink
  tree.push_back("/src/");
  std::vector<std::vector<std::string>> names(k.dirs);
  std::vector<std::string> dir_names;
  for (int64_t d = 0; d < k.dirs; ++d) {
    dir_names.push_back(absl::StrCat("d", d));
    tree.push_back(absl::StrCat("/src/d", d, "/"));
  }
  json setup = json::array();
  std::vector<std::string> first_file(k.dirs);
  for (int64_t i = 0; i < k.files; ++i)
    if (kind[i] == 0 && first_file[i % k.dirs].empty()) first_file[i % k.dirs] = absl::StrCat("f", i);
  for (int64_t i = 0; i < k.files; ++i) {
    const int64_t d = i % k.dirs;
    const std::string name = absl::StrCat(kind[i] == 1 ? "l" : "f", i);
    names[d].push_back(name);
    const std::string path = absl::StrCat("/src/d", d, "/", name);
    if (kind[i] == 1)
      setup.push_back({{"op", "symlink"}, {"target", first_file[d].empty() ? "f0" : first_file[d]}, {"path", path}});
    else
      tree.push_back(path);
  }
  // The listing order: the server lists names sorted.
  std::sort(dir_names.begin(), dir_names.end());
  for (auto& n : names) std::sort(n.begin(), n.end());
  json ops = json::array();
  ops.push_back(Lstat("/src"));
  if (!setup.empty()) ops.back()["after"] = OpName("setup", setup.size() - 1);
  ops.push_back(PathOp("stat", "/dst"));
  ops.push_back(PathOp("mkdir", "/dst"));
  ops.push_back(Lstat("/dst"));
  ops.push_back(PathOp("readdir", "/src"));
  int64_t fds = 0;
  for (const std::string& dn : dir_names) {
    const int64_t d = std::stoll(dn.substr(1));
    const std::string src = "/src/" + dn, dst = "/dst/" + dn;
    ops.push_back(Lstat(src));
    ops.push_back(PathOp("mkdir", dst));
    ops.push_back(Lstat(dst));
    ops.push_back(PathOp("readdir", src));
    for (const std::string& n : names[d]) {
      const std::string s = absl::StrCat(src, "/", n), t = absl::StrCat(dst, "/", n);
      ops.push_back(Lstat(s));
      if (n[0] == 'l') {
        ops.push_back(PathOp("readlink", s));
        ops.push_back({{"op", "symlink"}, {"target", first_file[d].empty() ? "f0" : first_file[d]}, {"path", t}});
      } else {
        const std::string sfd = absl::StrCat("s", fds), dfd = absl::StrCat("d", fds);
        ++fds;
        ops.push_back(Open(s, "O_RDONLY|O_NOFOLLOW", sfd));
        json o = Open(t, "O_WRONLY|O_CREAT|O_EXCL", dfd);
        o["mode"] = "0644";
        ops.push_back(std::move(o));
        ops.push_back({{"op", "chmod"}, {"path", t}, {"mode", "0644"}});
        ops.push_back(Close(dfd));
        ops.push_back(Close(sfd));
      }
    }
    ops.push_back({{"op", "chmod"}, {"path", dst}, {"mode", "0755"}});
  }
  ops.push_back({{"op", "chmod"}, {"path", "/dst"}, {"mode", "0755"}});
  if (!setup.empty()) {
    threads.push_back(Thread("setup", std::move(setup)));
    threads.back()["server_side"] = true;
  }
  threads.push_back(Thread("cp", std::move(ops)));
}

// ls -l /w/d, then creating in it (a shell's > /w/d/new): ls lstat()s its
// argument, lists the directory and lstat()s every entry (gobble_file()); the
// new files are open(O_WRONLY|O_CREAT|O_TRUNC) + close. The mounts'
// readdirplus decides what the listing sends and so what the lstats cost.
void LsCreate(const Knobs& k, json& tree, json& threads) {
  tree.push_back("/w/d/");
  std::vector<std::string> names;
  for (int64_t i = 0; i < k.files; ++i) names.push_back(absl::StrCat("f", i));
  for (const std::string& n : names) tree.push_back("/w/d/" + n);
  std::sort(names.begin(), names.end());
  json ops = json::array();
  ops.push_back(Lstat("/w/d"));
  ops.push_back(PathOp("readdir", "/w/d"));
  for (const std::string& n : names) ops.push_back(Lstat("/w/d/" + n));
  for (int64_t c = 0; c < k.creates; ++c) {
    const std::string fd = absl::StrCat("new", c);
    ops.push_back(Open(absl::StrCat("/w/d/new", c), "O_WRONLY|O_CREAT|O_TRUNC", fd));
    ops.push_back(Close(fd));
  }
  threads.push_back(Thread("ls", std::move(ops)));
}

// A build compiling `units` translation units (one compiler process each,
// `threads` at a time as make -jN), each including the same `headers` headers
// found along `include_dirs` -I directories. Per unit, as GCC's cpp does: a
// stat() of every include directory (incpath.c, remove_duplicates()), the
// source opened and closed, then per header an open(O_RDONLY) in each include
// directory in order until one succeeds (files.c, open_file()): the misses are
// the negative lookups; the header found is closed; the object file is
// written with open(O_WRONLY|O_CREAT|O_TRUNC) + close. A process remembers its
// own misses, so within a unit each (directory, header) pair is tried once.
void IncludeSearch(const Knobs& k, Random& rng, json& tree, json& threads) {
  std::vector<int64_t> home(k.headers);
  for (int64_t d = 0; d < k.include_dirs; ++d) tree.push_back(absl::StrCat("/inc/i", d, "/"));
  for (int64_t h = 0; h < k.headers; ++h) {
    home[h] = static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(k.include_dirs)));
    tree.push_back(absl::StrCat("/inc/i", home[h], "/h", h, ".h"));
  }
  for (int64_t u = 0; u < k.units; ++u) tree.push_back(absl::StrCat("/src/u", u, ".c"));
  tree.push_back("/obj/");
  for (int64_t t = 0; t < k.threads; ++t) {
    json ops = json::array();
    for (int64_t u = t; u < k.units; u += k.threads) {
      for (int64_t d = 0; d < k.include_dirs; ++d) ops.push_back(PathOp("stat", absl::StrCat("/inc/i", d)));
      const std::string src = absl::StrCat("u", u, ".c");
      ops.push_back(Open("/src/" + src, "O_RDONLY", src));
      ops.push_back(Close(src));
      for (int64_t h = 0; h < k.headers; ++h) {
        for (int64_t d = 0; d < home[h]; ++d)
          ops.push_back({{"op", "open"}, {"path", absl::StrCat("/inc/i", d, "/h", h, ".h")}, {"flags", "O_RDONLY"}});
        const std::string fd = absl::StrCat("u", u, "h", h);
        ops.push_back(Open(absl::StrCat("/inc/i", home[h], "/h", h, ".h"), "O_RDONLY", fd));
        ops.push_back(Close(fd));
      }
      const std::string obj = absl::StrCat("u", u, ".o");
      ops.push_back(Open("/obj/" + obj, "O_WRONLY|O_CREAT|O_TRUNC", obj));
      ops.push_back(Close(obj));
    }
    threads.push_back(Thread(absl::StrCat("cc", t), std::move(ops)));
  }
}

// mdtest -C [-T] [-r] with one shared directory (IOR's mdtest over the POSIX
// backend): rank 0 mkdir()s the tree, then every rank creates its items
// file.mdtest.RANK.I with open(O_CREAT|O_RDWR, 0664) + close (aiori-POSIX's
// POSIX_Create()), stat()s them, unlink()s them, with a barrier between the
// phases; rank 0 rmdir()s the tree at the end. Ranks are spread over the
// scenario's mounts round robin (ranks on several nodes).
void Mdtest(const Knobs& k, const json& mounts, json& tree, json& threads) {
  tree.push_back("/w/");
  const std::string dir = "/w/mdtest_tree.0";
  std::vector<json> ops(k.threads, json::array());
  auto name = [](int64_t t) { return absl::StrCat("t", t); };
  // Every thread's first op of a phase waits for every other thread's last op
  // of the previous one (MPI_Barrier).
  auto barrier = [&](size_t t, json& op) {
    json after = json::array();
    for (int64_t o = 0; o < k.threads; ++o)
      if (o != static_cast<int64_t>(t) && !ops[o].empty()) after.push_back(OpName(name(o), ops[o].size() - 1));
    if (!after.empty()) op["after"] = after;
  };
  ops[0].push_back(PathOp("mkdir", dir));
  auto item = [&](int64_t t, int64_t j) { return absl::StrCat(dir, "/file.mdtest.", t, ".", j); };
  auto phase = [&](auto&& make) {
    std::vector<json> added(k.threads, json::array());
    for (int64_t t = 0; t < k.threads; ++t)
      for (int64_t i = t, j = 0; i < k.files; i += k.threads, ++j) make(t, j, added[t]);
    for (int64_t t = 0; t < k.threads; ++t) barrier(t, added[t][0]);
    for (int64_t t = 0; t < k.threads; ++t)
      for (auto& o : added[t]) ops[t].push_back(std::move(o));
  };
  phase([&](int64_t t, int64_t j, json& out) {
    const std::string fd = absl::StrCat("c", j);
    json o = Open(item(t, j), "O_RDWR|O_CREAT", fd);
    o["mode"] = "0664";
    out.push_back(std::move(o));
    out.push_back(Close(fd));
  });
  if (k.stat) phase([&](int64_t t, int64_t j, json& out) { out.push_back(PathOp("stat", item(t, j))); });
  if (k.remove) {
    phase([&](int64_t t, int64_t j, json& out) { out.push_back(PathOp("unlink", item(t, j))); });
    json rm = PathOp("rmdir", dir);
    barrier(0, rm);
    ops[0].push_back(std::move(rm));
  }
  for (int64_t t = 0; t < k.threads; ++t) {
    json th = Thread(name(t), std::move(ops[t]));
    if (mounts.is_array() && !mounts.empty()) {
      const json& m = mounts[static_cast<size_t>(t) % mounts.size()];
      if (m.is_object() && m.contains("name")) th["mount"] = m["name"];  // else the loader reports the mount
    }
    threads.push_back(std::move(th));
  }
}

// Ops the expansion would make, an upper bound, checked before expanding.
int64_t OpsBound(const Knobs& k) {
  if (k.kind == "mkdirp") return k.dirs * (k.depth + 2);
  if (k.kind == "nfs") return 4 * k.files;
  if (k.kind == "git-checkout") return 2 * k.dirs + 5 * k.files;
  if (k.kind == "tar") return k.dirs + 2 * k.files;
  if (k.kind == "cp-a") return 5 + 5 * k.dirs + 7 * k.files;
  if (k.kind == "ls-create") return 2 + k.files + 2 * k.creates;
  if (k.kind == "include-search") return k.units * (k.include_dirs + 4 + k.headers * (k.include_dirs + 1));
  if (k.kind == "mdtest") return 4 * k.files + 2;
  return 2 * k.files + k.dirs;
}

// The knob that sizes a kind, named by the "too big" error.
const char* SizeKey(const Knobs& k) {
  if (k.kind == "mkdirp") return "dirs";
  if (k.kind == "include-search") return "units";
  return "files";
}

}  // namespace

absl::Status ExpandWorkload(json& root, const WorkloadLimits& limits) {
  auto knobs = ReadKnobs(root["workload"], limits);
  if (!knobs.ok()) return knobs.status();
  const Knobs& k = *knobs;
  // Refuse before expanding: a 60-byte block must not cost gigabytes.
  const int64_t ops = OpsBound(k);
  if (ops > limits.max_ops)
    return Bad(SizeKey(k), absl::StrCat("the workload would have ", ops, " ops, above the limit of ", limits.max_ops));
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
        ops.push_back(std::move(o));
        ops.push_back(Close(fd));
      }
      threads.push_back(Thread(absl::StrCat("t", t), std::move(ops)));
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
      threads.push_back(Thread(absl::StrCat("t", t), std::move(ops)));
    }
  } else if (k.kind == "git-checkout") {
    GitCheckout(k, rng, tree, threads);
  } else if (k.kind == "tar") {
    Tar(k, rng, tree, threads);
  } else if (k.kind == "cp-a") {
    CpA(k, rng, tree, threads);
  } else if (k.kind == "ls-create") {
    LsCreate(k, tree, threads);
  } else if (k.kind == "include-search") {
    IncludeSearch(k, rng, tree, threads);
  } else if (k.kind == "mdtest") {
    Mdtest(k, root.contains("mounts") ? root["mounts"] : json(), tree, threads);
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
      threads.push_back(Thread(absl::StrCat("c", c), std::move(ops)));
      threads.back()["mount"] = root["mounts"][c]["name"];
    }
  }
  if (!root.contains("server")) root["server"] = json::object();
  root["server"]["tree"] = std::move(tree);
  root["threads"] = std::move(threads);
  root.erase("workload");
  return absl::OkStatus();
}

}  // namespace fusesim::sim
