// The program workloads (git-checkout, tar, cp-a, ls-create, include-search,
// mdtest): what they expand into, their knob errors, and request counts that
// follow from the kernel's mechanisms, counted by hand rather than read from
// the model.
#include "sim/scenario/workload.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/report/compare.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {
namespace {

using nlohmann::json;

json Expand(const json& workload, const json& mounts = json()) {
  json root = {{"name", "w"}, {"workload", workload}};
  if (!mounts.is_null()) root["mounts"] = mounts;
  absl::Status st = ExpandWorkload(root);
  EXPECT_TRUE(st.ok()) << st;
  return root;
}

std::string Error(const json& workload) {
  json root = {{"name", "w"}, {"workload", workload}};
  absl::Status st = ExpandWorkload(root);
  EXPECT_FALSE(st.ok()) << workload.dump();
  return std::string(st.message());
}

// Ops by kind over the kernel-side threads; "open+" counts the opens with
// O_CREAT, "stat-l" the stats with nofollow.
std::map<std::string, int> OpCounts(const json& root) {
  std::map<std::string, int> n;
  for (const json& t : root["threads"]) {
    if (t.value("server_side", false)) continue;
    for (const json& o : t["ops"]) {
      std::string k = o["op"];
      if (k == "open" && o.value("flags", "").find("O_CREAT") != std::string::npos) k = "open+";
      if (k == "stat" && o.value("nofollow", false)) k = "stat-l";
      ++n[k];
    }
  }
  return n;
}

int Count(const VariantRow& r, const std::string& op) { return r.requests.count(op) ? r.requests.at(op) : 0; }

ScenarioComparison Compare(const json& root) {
  auto s = ParseScenario(root.dump(), "w.json");
  EXPECT_TRUE(s.ok()) << s.status();
  CompareOptions o;
  o.latency = *LatencyPreset("local");
  auto c = CompareScenario(**s, o);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

const VariantRow& Row(const ScenarioComparison& c, const std::string& v) {
  for (const auto& r : c.rows)
    if (r.variant == v) return r;
  ADD_FAILURE() << "no row for " << v;
  return c.rows.front();
}

json Mount(double negative_ms, const char* readdirplus = "off") {
  return json{{"name", "m0"},
              {"entry_timeout_ms", 1000},
              {"attr_timeout_ms", 1000},
              {"negative_timeout_ms", negative_ms},
              {"readdirplus", readdirplus}};
}

TEST(ProgramWorkloads, ExpansionShape) {
  // git checkout: 20 entries, 2 symlinks, 2 executables, in 4 new directories.
  json g = Expand({{"kind", "git-checkout"}, {"files", 20}, {"dirs", 4}, {"symlinks", 0.1}, {"executable", 0.1}});
  auto n = OpCounts(g);
  EXPECT_EQ(n["stat-l"], 20 + 4);  // every path, and every new directory once
  EXPECT_EQ(n["mkdir"], 4);
  EXPECT_EQ(n["symlink"], 2);
  EXPECT_EQ(n["open+"], 18);
  EXPECT_EQ(n["close"], 18);
  EXPECT_EQ(n["unlink"], 0);
  EXPECT_EQ(n["chmod"], 0);  // the mode of open(2) carries the x bit
  int exec = 0;
  for (const json& o : g["threads"][0]["ops"])
    if (o["op"] == "open" && o["mode"] == "0777") ++exec;
  EXPECT_EQ(exec, 2);
  // Index order: paths sorted, so a directory's entries are together.
  std::string last;
  for (const json& o : g["threads"][0]["ops"])
    if (o["op"] == "open") {
      EXPECT_LT(last, o["path"].get<std::string>());
      last = o["path"];
    }
  // Switching: half of the regular files exist and are replaced.
  auto sw = OpCounts(Expand({{"kind", "git-checkout"}, {"files", 20}, {"dirs", 4}, {"existing", 0.5}}));
  EXPECT_EQ(sw["unlink"], 10);
  EXPECT_EQ(sw["open+"], 20);
  EXPECT_LE(sw["mkdir"], 4);

  json tj = Expand({{"kind", "tar"}, {"files", 40}, {"dirs", 4}, {"links", 0.25}, {"symlinks", 0.25}});
  auto t = OpCounts(tj);
  // A hard link comes after the file it links to, and a member after its directory.
  std::set<std::string> made;
  for (const json& o : tj["threads"][0]["ops"]) {
    if (o["op"] == "close") continue;
    if (o["op"] == "link") {
      EXPECT_TRUE(made.count(o["path"].get<std::string>())) << o.dump();
    }
    const std::string p = o.contains("to") ? o["to"].get<std::string>() : o["path"].get<std::string>();
    if (o["op"] != "mkdir") {
      EXPECT_TRUE(made.count(p.substr(0, p.rfind('/')))) << o.dump();
    }
    made.insert(p);
  }
  EXPECT_EQ(t["mkdir"], 4);
  EXPECT_EQ(t["link"] + t["open+"], 30);  // a link before any file would be a file
  EXPECT_GE(t["link"], 9);
  EXPECT_EQ(t["symlink"], 10);
  EXPECT_EQ(t["stat"] + t["stat-l"] + t["chmod"], 0);

  json cp = Expand({{"kind", "cp-a"}, {"files", 30}, {"dirs", 3}, {"symlinks", 0.2}});
  auto c = OpCounts(cp);
  EXPECT_EQ(c["readdir"], 4);                  // /src and its 3 directories
  EXPECT_EQ(c["mkdir"], 4);                    // /dst and 3
  EXPECT_EQ(c["stat-l"], 1 + 1 + 3 * 2 + 30);  // /src, /dst, each directory twice, each entry
  EXPECT_EQ(c["stat"], 1);                     // is the destination there?
  EXPECT_EQ(c["readlink"], 6);
  EXPECT_EQ(c["symlink"], 6);
  EXPECT_EQ(c["open+"], 24);
  EXPECT_EQ(c["open"], 24);  // the sources, O_RDONLY|O_NOFOLLOW
  EXPECT_EQ(c["chmod"], 24 + 3 + 1);
  ASSERT_EQ(cp["threads"].size(), 2u);  // the server makes the source's symlinks first
  EXPECT_TRUE(cp["threads"][0]["server_side"].get<bool>());
  EXPECT_EQ(cp["threads"][0]["ops"].size(), 6u);
  EXPECT_EQ(cp["threads"][1]["ops"][0]["after"], "setup.5");

  auto l = OpCounts(Expand({{"kind", "ls-create"}, {"files", 7}, {"creates", 3}}));
  EXPECT_EQ(l["readdir"], 1);
  EXPECT_EQ(l["stat-l"], 1 + 7);
  EXPECT_EQ(l["open+"], 3);

  json inc = Expand({{"kind", "include-search"}, {"headers", 5}, {"include_dirs", 4}, {"units", 6}, {"threads", 2}});
  ASSERT_EQ(inc["threads"].size(), 2u);
  auto i = OpCounts(inc);
  EXPECT_EQ(i["stat"], 6 * 4);
  EXPECT_EQ(i["open+"], 6);                // the objects
  EXPECT_EQ(i["close"], 6 * (1 + 5 + 1));  // source, headers found, object
  EXPECT_GE(i["open"], 6 * (1 + 5));
  EXPECT_LE(i["open"], 6 * (1 + 5 * 4));

  json md =
      Expand({{"kind", "mdtest"}, {"files", 12}, {"threads", 3}}, json::array({{{"name", "a"}}, {{"name", "b"}}}));
  auto m = OpCounts(md);
  EXPECT_EQ(m["mkdir"], 1);
  EXPECT_EQ(m["open+"], 12);
  EXPECT_EQ(m["stat"], 12);
  EXPECT_EQ(m["unlink"], 12);
  EXPECT_EQ(m["rmdir"], 1);
  EXPECT_EQ(md["threads"][1]["mount"], "b");  // ranks over the mounts
  EXPECT_EQ(md["threads"][2]["mount"], "a");
  // Barriers: t1's first stat waits for t0's and t2's last create.
  const json& t1 = md["threads"][1]["ops"];
  EXPECT_EQ(t1[8]["op"], "stat");
  EXPECT_EQ(t1[8]["after"], json::array({"t0.8", "t2.7"}));
  auto nostat = OpCounts(Expand({{"kind", "mdtest"}, {"files", 4}, {"stat", false}, {"remove", false}}));
  EXPECT_EQ(nostat["stat"] + nostat["unlink"] + nostat["rmdir"], 0);
}

TEST(ProgramWorkloads, DeterministicForASeed) {
  for (const char* kind : {"git-checkout", "tar", "cp-a"}) {
    json w = {{"kind", kind}, {"files", 50}, {"dirs", 5}, {"symlinks", 0.2}, {"seed", 7}};
    EXPECT_EQ(Expand(w), Expand(w)) << kind;
    json other = w;
    other["seed"] = 8;
    EXPECT_NE(Expand(w), Expand(other)) << kind;
  }
  json inc = {{"kind", "include-search"}, {"headers", 20}, {"include_dirs", 6}, {"seed", 3}};
  EXPECT_EQ(Expand(inc), Expand(inc));
}

TEST(ProgramWorkloads, BadKnobsNameTheirPointer) {
  EXPECT_EQ(Error({{"kind", "tar"}, {"headers", 3}}),
            "/workload/headers: unknown key for a tar workload; valid keys: kind, files, dirs, links, symlinks, seed");
  EXPECT_EQ(Error({{"kind", "mdtest"}, {"depth", 3}}),
            "/workload/depth: unknown key for a mdtest workload; valid keys: kind, files, threads, stat, remove");
  EXPECT_EQ(Error({{"kind", "tar"}, {"links", 0.6}, {"symlinks", 0.5}}),
            "/workload/links: links (0.6) and symlinks (0.5) are shares of the same entries: together at most 1");
  EXPECT_EQ(Error({{"kind", "git-checkout"}, {"executable", 0.7}, {"symlinks", 0.5}}),
            "/workload/executable: executable (0.7) and symlinks (0.5) are shares of the same entries: together at "
            "most 1");
  EXPECT_EQ(Error({{"kind", "cp-a"}, {"symlinks", -0.1}}), "/workload/symlinks: expected a share from 0 to 1");
  EXPECT_EQ(Error({{"kind", "mdtest"}, {"stat", "yes"}}), "/workload/stat: expected true or false");
  EXPECT_EQ(Error({{"kind", "mdtest"}, {"files", 3}, {"threads", 4}}),
            "/workload/files: mdtest gives every thread at least one file: files must be at least threads (4)");
  EXPECT_EQ(Error({{"kind", "include-search"}, {"units", 2}, {"threads", 3}}),
            "/workload/units: every thread compiles at least one unit: units must be at least threads (3)");
  EXPECT_EQ(Error({{"kind", "ls-create"}, {"creates", 0}}), "/workload/creates: expected an integer from 1 to 1000000");
  EXPECT_EQ(Error({{"kind", "include-search"}, {"include_dirs", 1.5}}),
            "/workload/include_dirs: expected an integer from 1 to 100000");
  EXPECT_EQ(Error({{"kind", "untar"}}).rfind("/workload/kind: unknown workload \"untar\"; valid: archive,", 0), 0u);
  // Refused before expanding, at the knob that sizes the kind.
  EXPECT_EQ(Error({{"kind", "include-search"}, {"headers", 1000}, {"include_dirs", 1000}, {"units", 1000}})
                .rfind("/workload/units: the workload would have ", 0),
            0u);
  // Through the loader: file, line:column and pointer.
  auto s = ParseScenario(R"({"name": "w", "workload": {"kind": "mdtest", "stat": 1}})", "w.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()).rfind("w.json:1:", 0), 0u) << s.status();
  EXPECT_NE(std::string(s.status().message()).find(": /workload/stat: expected true or false"), std::string::npos)
      << s.status();
}

// git checkout into an empty tree. lstat of a missing path leaves a negative
// dentry, but open(O_CREAT|O_EXCL) and symlink(2) look up with LOOKUP_EXCL,
// which fuse_dentry_revalidate() never trusts for a negative dentry: mainline
// sends LOOKUP + CREATE for every file after the lstat's LOOKUP, an atomic
// create one request. The first path in a new directory costs no LOOKUP of its
// own: the walk stops at the directory's cached negative dentry.
TEST(ProgramWorkloads, GitCheckoutRequests) {
  const int files = 40, dirs = 4, symlinks = 4;
  json root = Expand({{"kind", "git-checkout"}, {"files", files}, {"dirs", dirs}, {"symlinks", 0.1}},
                     json::array({Mount(1000)}));
  ScenarioComparison c = Compare(root);
  const VariantRow& u = Row(c, "lookup-create");
  // /w; per directory its lstat and mkdir; per path its lstat but the first
  // of each directory; per file and symlink the LOOKUP_EXCL lookup.
  EXPECT_EQ(Count(u, "LOOKUP"), 1 + 2 * dirs + (files - dirs) + files);
  EXPECT_EQ(Count(u, "MKDIR"), dirs);
  EXPECT_EQ(Count(u, "CREATE"), files - symlinks);
  EXPECT_EQ(Count(u, "SYMLINK"), symlinks);
  const VariantRow& a = Row(c, "atomic-create");
  EXPECT_EQ(Count(a, "ATOMIC_CREATE"), files - symlinks);
  EXPECT_EQ(u.round_trips - a.round_trips, files - symlinks);
  for (const auto& r : c.rows) EXPECT_TRUE(r.violations.empty()) << r.variant;

  // Switching branches: every regular file exists (so do the directories) and
  // is replaced. The lstat finds it (LOOKUP), the unlink leaves a negative
  // dentry, and the create looks the name up again in mainline.
  json sw = Expand({{"kind", "git-checkout"}, {"files", files}, {"dirs", dirs}, {"symlinks", 0.1}, {"existing", 1}},
                   json::array({Mount(1000)}));
  ScenarioComparison cs = Compare(sw);
  const VariantRow& us = Row(cs, "lookup-create");
  EXPECT_EQ(Count(us, "UNLINK"), files - symlinks);
  EXPECT_EQ(Count(us, "MKDIR"), 0);
  EXPECT_EQ(Count(us, "LOOKUP"), 1 + dirs + files + files);  // /w, each directory, each lstat, each LOOKUP_EXCL
  EXPECT_EQ(us.round_trips - Row(cs, "atomic-create").round_trips, files - symlinks);
}

// tar x: a hard link is LOOKUP (LOOKUP_EXCL, of the new name) + LINK, the
// target's dentry being cached from its extraction; only files are creates.
TEST(ProgramWorkloads, TarRequests) {
  json root = Expand({{"kind", "tar"}, {"files", 60}, {"dirs", 3}, {"links", 0.2}, {"symlinks", 0.1}},
                     json::array({Mount(1000)}));
  auto n = OpCounts(root);
  ScenarioComparison c = Compare(root);
  const VariantRow& u = Row(c, "lookup-create");
  EXPECT_EQ(Count(u, "LINK"), n["link"]);
  EXPECT_EQ(Count(u, "SYMLINK"), 6);
  EXPECT_EQ(Count(u, "CREATE"), n["open+"]);
  EXPECT_EQ(Count(u, "LOOKUP"), 1 + 3 + 60);  // /w, each mkdir, each new name
  const VariantRow& a = Row(c, "atomic-create");
  EXPECT_EQ(Count(a, "LOOKUP"), 1 + 3 + n["link"] + 6);
  EXPECT_EQ(u.round_trips - a.round_trips, n["open+"]);
}

// cp -a: every chmod is a SETATTR, every readlink a READLINK (no
// cache_symlinks); the source's entries, listed without READDIRPLUS, are
// looked up by their lstat.
TEST(ProgramWorkloads, CpARequests) {
  const int files = 30, dirs = 3, symlinks = 6;
  json root =
      Expand({{"kind", "cp-a"}, {"files", files}, {"dirs", dirs}, {"symlinks", 0.2}}, json::array({Mount(1000)}));
  ScenarioComparison c = Compare(root);
  const VariantRow& u = Row(c, "lookup-create");
  EXPECT_EQ(Count(u, "SETATTR"), (files - symlinks) + dirs + 1);
  EXPECT_EQ(Count(u, "READLINK"), symlinks);
  EXPECT_EQ(Count(u, "SYMLINK"), symlinks);
  EXPECT_EQ(Count(u, "OPENDIR"), dirs + 1);
  EXPECT_EQ(Count(u, "READDIR"), 2 * (dirs + 1));
  EXPECT_EQ(Count(u, "MKDIR"), dirs + 1);
  EXPECT_EQ(Count(u, "CREATE"), files - symlinks);
  const VariantRow& a = Row(c, "atomic-create");
  EXPECT_EQ(u.round_trips - a.round_trips, files - symlinks);
}

// ls -l then create: without READDIRPLUS every lstat of an entry is a LOOKUP;
// with it (on, or auto for a listing that fits one reply) the entries are
// linked by the listing and their lstat sends nothing. The new names cost the
// same in every mode.
TEST(ProgramWorkloads, LsCreateRequestsByReaddirplus) {
  const int files = 20, creates = 2;
  std::map<std::string, VariantRow> rows;
  for (const char* mode : {"off", "auto", "on"}) {
    json root =
        Expand({{"kind", "ls-create"}, {"files", files}, {"creates", creates}}, json::array({Mount(1000, mode)}));
    rows[mode] = Row(Compare(root), "lookup-create");
  }
  EXPECT_EQ(Count(rows["off"], "LOOKUP"), 2 + files + creates);  // /w, /w/d, entries, new names
  EXPECT_EQ(Count(rows["off"], "READDIR"), 2);
  EXPECT_EQ(Count(rows["off"], "READDIRPLUS"), 0);
  EXPECT_EQ(Count(rows["on"], "LOOKUP"), 2 + creates);
  EXPECT_EQ(Count(rows["on"], "READDIRPLUS"), 2);
  EXPECT_EQ(Count(rows["on"], "READDIR"), 0);
  EXPECT_EQ(Count(rows["auto"], "LOOKUP"), 2 + creates);
  EXPECT_EQ(Count(rows["auto"], "READDIRPLUS"), 1);  // offset 0
  EXPECT_EQ(Count(rows["auto"], "READDIR"), 1);      // the empty end
  EXPECT_EQ(rows["off"].round_trips - rows["on"].round_trips, files);
  for (const char* mode : {"off", "auto", "on"}) EXPECT_EQ(Count(rows[mode], "CREATE"), creates) << mode;
}

// The include-path search: with negative_timeout each missing (directory,
// header) pair is looked up once and answered from the negative dentry in
// every later unit; without it (ENOENT, a negative dentry of time 0) every
// unit looks it up again.
TEST(ProgramWorkloads, IncludeSearchNegativeLookups) {
  const int headers = 5, dirs = 4, units = 3;
  json w = {{"kind", "include-search"}, {"headers", headers}, {"include_dirs", dirs}, {"units", units}};
  json cached = Expand(w, json::array({Mount(1000)}));
  json uncached = Expand(w, json::array({Mount(0)}));
  // Misses per unit, from the expansion: opens without an fd are the misses.
  int misses = 0;
  for (const json& o : cached["threads"][0]["ops"])
    if (o["op"] == "open" && !o.contains("fd")) ++misses;
  ASSERT_EQ(misses % units, 0);
  misses /= units;
  ASSERT_GT(misses, 0);
  const VariantRow c = Row(Compare(cached), "lookup-create");
  const VariantRow n = Row(Compare(uncached), "lookup-create");
  // /inc, /src, /obj, the include directories, the headers found, the
  // sources, the objects (LOOKUP before CREATE), and the misses.
  const int fixed = 3 + dirs + headers + units + units;
  EXPECT_EQ(Count(c, "LOOKUP"), fixed + misses);
  EXPECT_EQ(Count(n, "LOOKUP"), fixed + units * misses);
  EXPECT_EQ(Count(c, "CREATE"), units);
}

// mdtest in one directory, one mount: each create of a new name is LOOKUP +
// CREATE in mainline; the stats find the attributes CREATE returned, so the
// stat phase sends nothing; each remove is one UNLINK.
TEST(ProgramWorkloads, MdtestRequests) {
  const int files = 24, threads = 4;
  json root = Expand({{"kind", "mdtest"}, {"files", files}, {"threads", threads}}, json::array({Mount(1000)}));
  ScenarioComparison c = Compare(root);
  const VariantRow& u = Row(c, "lookup-create");
  EXPECT_EQ(Count(u, "LOOKUP"), 2 + files);  // /w, the tree's mkdir, each item
  EXPECT_EQ(Count(u, "CREATE"), files);
  EXPECT_EQ(Count(u, "GETATTR"), 0);
  EXPECT_EQ(Count(u, "UNLINK"), files);
  EXPECT_EQ(Count(u, "RMDIR"), 1);
  const VariantRow& a = Row(c, "atomic-create");
  EXPECT_EQ(u.round_trips - a.round_trips, files);
}

}  // namespace
}  // namespace fusesim::sim
