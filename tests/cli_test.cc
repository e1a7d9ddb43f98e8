// Tests of the command line (sim/cli/cli.h), run in-process through RunCli, plus
// one smoke test of the built binary. Exit codes (scenario-format.md §2):
// 0 ok, 1 an expectation or invariant failed, 2 bad input or usage.
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/cli/cli.h"
#include "sim/report/report.h"

namespace fusesim::sim {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct CliResult {
  int code = -1;
  std::string out, err;
};

CliResult Cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  CliResult r;
  r.code = RunCli(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A fresh directory under the test's temporary directory, removed with its
// contents when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::path(testing::TempDir()) / "fusesim_cli_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* dir = mkdtemp(buf.data());
    EXPECT_NE(dir, nullptr) << "mkdtemp " << tmpl;
    if (dir != nullptr) path_ = dir;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  EXPECT_TRUE(f) << "cannot write " << path;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int CountLinesStartingWith(const std::string& text, const std::string& prefix) {
  int n = 0;
  for (const std::string& l : Lines(text)) n += l.rfind(prefix, 0) == 0;
  return n;
}

int CountOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// Passes under both of its variants.
constexpr char kPassing[] = R"({
  "name": "pass",
  "variants": ["lookup-create", "open-atomic"],
  "server": {"tree": ["/d/"]},
  "threads": [{"name": "t1", "ops": [
    {"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY", "fd": "a"},
    {"op": "close", "fd": "a"}
  ]}],
  "expect": {"all": {"results": {"t1.0": "ok+created"}, "invariants": "hold", "deadlock": false}}
})";

// A stat of "/" succeeds; the scenario expects EEXIST.
constexpr char kFailing[] = R"({
  "name": "fail",
  "variants": ["lookup-create"],
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"results": {"t1.0": "EEXIST"}}}
})";

// t2 waits for t1.0 with "after".
constexpr char kAfter[] = R"({
  "name": "after",
  "variants": ["lookup-create"],
  "server": {"tree": ["/d/"]},
  "threads": [
    {"name": "t1", "ops": [{"op": "stat", "path": "/d"}]},
    {"name": "t2", "ops": [{"op": "stat", "path": "/d", "after": "t1.0"}]}
  ]
})";

// Two mounts of one server race to create /d/f: mainline reports
// FMODE_CREATED to both openers in some interleavings; open-atomic does not.
constexpr char kTwoMountRace[] = R"({
  "name": "two-mount-race",
  "variants": ["lookup-create", "open-atomic"],
  "mounts": [{"name": "m0"}, {"name": "m1"}],
  "server": {"tree": ["/d/"]},
  "threads": [
    {"name": "t1", "mount": "m0", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY"}]},
    {"name": "t2", "mount": "m1", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY"}]}
  ],
  "schedule": {"mode": "explore"},
  "expect": {
    "lookup-create": {"violations": ["fmode-created"]},
    "open-atomic": {"invariants": "hold"}
  }
})";

// Returns "" if text is well-formed XML (the subset JUnit files use:
// optional declaration, comments, elements, attributes, text with entity
// references), else what is wrong.
std::string XmlWellFormedError(const std::string& x) {
  size_t i = 0;
  std::vector<std::string> open;
  bool root_seen = false;
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':';
  };
  auto name = [&]() {
    size_t b = i;
    while (i < x.size() && is_name_char(x[i])) ++i;
    return x.substr(b, i - b);
  };
  auto ws = [&]() {
    while (i < x.size() && (x[i] == ' ' || x[i] == '\n' || x[i] == '\t' || x[i] == '\r')) ++i;
  };
  // Checks character data (text or attribute value) in [b, e).
  auto chars = [&](size_t b, size_t e) -> std::string {
    for (size_t k = b; k < e; ++k) {
      unsigned char c = static_cast<unsigned char>(x[k]);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
        return "control character " + std::to_string(c) + " at offset " + std::to_string(k);
      if (c == '<') return "raw '<' at offset " + std::to_string(k);
      if (c == '&') {
        size_t semi = x.find(';', k);
        if (semi == std::string::npos || semi >= e) return "unterminated entity at offset " + std::to_string(k);
        std::string ent = x.substr(k + 1, semi - k - 1);
        bool ok = ent == "amp" || ent == "lt" || ent == "gt" || ent == "quot" || ent == "apos";
        if (!ok && ent.size() > 1 && ent[0] == '#') ok = true;
        if (!ok) return "unknown entity &" + ent + "; at offset " + std::to_string(k);
        k = semi;
      }
    }
    return "";
  };
  if (x.rfind("<?xml", 0) == 0) {
    size_t end = x.find("?>");
    if (end == std::string::npos) return "unterminated XML declaration";
    i = end + 2;
  }
  while (i < x.size()) {
    if (x[i] != '<') {
      size_t e = x.find('<', i);
      if (e == std::string::npos) e = x.size();
      if (std::string err = chars(i, e); !err.empty()) return err;
      if (open.empty() && x.find_first_not_of(" \t\r\n", i) < e) return "text outside the root element";
      i = e;
      continue;
    }
    if (x.compare(i, 4, "<!--") == 0) {
      size_t e = x.find("-->", i);
      if (e == std::string::npos) return "unterminated comment";
      i = e + 3;
      continue;
    }
    if (x.compare(i, 2, "</") == 0) {
      i += 2;
      std::string n = name();
      ws();
      if (i >= x.size() || x[i] != '>') return "bad end tag </" + n;
      ++i;
      if (open.empty() || open.back() != n) return "end tag </" + n + "> does not match";
      open.pop_back();
      continue;
    }
    ++i;
    std::string n = name();
    if (n.empty()) return "bad tag at offset " + std::to_string(i);
    if (open.empty()) {
      if (root_seen) return "a second root element <" + n + ">";
      root_seen = true;
    }
    std::vector<std::string> attrs;
    for (;;) {
      ws();
      if (i >= x.size()) return "unterminated tag <" + n;
      if (x[i] == '>' || x.compare(i, 2, "/>") == 0) break;
      std::string a = name();
      if (a.empty()) return "bad attribute in <" + n + "> at offset " + std::to_string(i);
      for (const auto& other : attrs)
        if (other == a) return "duplicate attribute " + a + " in <" + n + ">";
      attrs.push_back(a);
      ws();
      if (i >= x.size() || x[i] != '=') return "attribute " + a + " without value";
      ++i;
      ws();
      if (i >= x.size() || (x[i] != '"' && x[i] != '\'')) return "unquoted attribute " + a;
      char q = x[i++];
      size_t e = x.find(q, i);
      if (e == std::string::npos) return "unterminated attribute " + a;
      if (std::string err = chars(i, e); !err.empty()) return err;
      i = e + 1;
    }
    if (x[i] == '>') {
      open.push_back(n);
      ++i;
    } else {
      i += 2;
    }
  }
  if (!open.empty()) return "unclosed element <" + open.back() + ">";
  if (!root_seen) return "no root element";
  return "";
}

// ---------------------------------------------------------------------------
// Usage.

TEST(Cli, XmlCheckerSelfTest) {
  EXPECT_EQ(XmlWellFormedError("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; u</a>\n"), "");
  EXPECT_NE(XmlWellFormedError("<a><b></a></b>"), "");
  EXPECT_NE(XmlWellFormedError("<a x=\"<\"/>"), "");
  EXPECT_NE(XmlWellFormedError("<a>&</a>"), "");
  EXPECT_NE(XmlWellFormedError("<a>"), "");
  EXPECT_NE(XmlWellFormedError("<a/><b/>"), "");
  EXPECT_NE(XmlWellFormedError("<a x=\"1\" x=\"2\"/>"), "");
}

TEST(Cli, NoArgumentsPrintsUsageAndExits2) {
  CliResult r = Cli({});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("usage: fusesim"));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST(Cli, UnknownCommandExits2) {
  CliResult r = Cli({"frobnicate"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, AllOf(HasSubstr("unknown command \"frobnicate\""), HasSubstr("usage: fusesim")));
}

TEST(Cli, HelpExits0) {
  CliResult r = Cli({"help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr("usage: fusesim"), HasSubstr("run"), HasSubstr("explore"), HasSubstr("check")));
  EXPECT_THAT(r.err, IsEmpty());
}

// ---------------------------------------------------------------------------
// One command-line style.

const std::vector<std::string> kCommands = {"run",   "explore", "check", "compare", "trace", "merge",
#ifdef FUSESIM_HAVE_ORACLE
                                            "oracle"
#endif
};

TEST(Cli, EveryCommandTakesDashHAndDashDashHelp) {
  for (const std::string& c : kCommands) {
    for (const char* flag : {"-h", "--help"}) {
      CliResult r = Cli({c, flag});
      EXPECT_EQ(r.code, kExitOk) << c << " " << flag << ": " << r.err;
      EXPECT_THAT(r.out, HasSubstr("usage: fusesim " + c + " ")) << c << " " << flag;
      EXPECT_THAT(r.out, HasSubstr("-h, --help")) << c;
      EXPECT_THAT(r.err, IsEmpty()) << c << " " << flag;
    }
    // Help wins over everything else on the line, even bad operands.
    CliResult r = Cli({c, "no-such-file.json", "-h"});
    EXPECT_EQ(r.code, kExitOk) << c << ": " << r.err;
  }
}

TEST(Cli, HelpCommandPrintsThatCommandsHelp) {
  for (const std::string& c : kCommands) {
    CliResult help = Cli({"help", c});
    CliResult dash = Cli({c, "--help"});
    EXPECT_EQ(help.code, kExitOk) << c;
    EXPECT_EQ(help.out, dash.out) << c;
    EXPECT_THAT(help.out, Not(HasSubstr("commands:"))) << "the global help for " << c;
  }
  CliResult bad = Cli({"help", "frobnicate"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_THAT(bad.err, HasSubstr("unknown command \"frobnicate\""));
}

TEST(Cli, VersionComesFromTheBuild) {
  // The version CMakeLists.txt gives the project.
  const std::string cmake = ReadFile(std::string(FUSESIM_SOURCE_DIR) + "/CMakeLists.txt");
  const std::string key = "project(fusesim VERSION ";
  const size_t at = cmake.find(key);
  ASSERT_NE(at, std::string::npos) << "no project version in CMakeLists.txt";
  const std::string version = cmake.substr(at + key.size(), cmake.find(' ', at + key.size()) - at - key.size());
  ASSERT_FALSE(version.empty());
  CliResult r = Cli({"--version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "fusesim " + version + "\n");
  EXPECT_EQ(Version(), version);
}

TEST(Cli, PlaceholdersNameTheValue) {
  for (const std::string& c : kCommands) {
    CliResult r = Cli({"help", c});
    EXPECT_THAT(r.out, Not(HasSubstr(" X "))) << c;
    for (const std::string& line : Lines(r.out)) {
      // No option line ends its name with a bare "X" placeholder.
      EXPECT_EQ(line.find(" X  "), std::string::npos) << c << ": " << line;
    }
  }
  EXPECT_THAT(Cli({"help", "run"}).out, AllOf(HasSubstr("--format {text,json}"), HasSubstr("--schedule TOKEN"),
                                              HasSubstr("--seed N"), HasSubstr("-o, --output FILE"),
                                              HasSubstr("--variants NAME[,NAME...]"), HasSubstr("(also --variant)")));
  EXPECT_THAT(Cli({"help", "explore"}).out,
              AllOf(HasSubstr("--strategy {dpor,exhaustive,random,pct}"), HasSubstr("--shard I/N"),
                    HasSubstr("--time-budget SECONDS"), HasSubstr("--max-schedules N")));
  EXPECT_THAT(Cli({"help", "compare"}).out,
              AllOf(HasSubstr("--format {md,csv,json,html}"), HasSubstr("--preset {local,virtiofs,nfs,io-uring}")));
  EXPECT_THAT(Cli({"help", "trace"}).out, HasSubstr("--format {mermaid,text,json}"));
}

TEST(Cli, ChoicesAreCheckedWithTheValidValues) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "pass.json", kPassing);
  CliResult r = Cli({"run", file, "--format", "yaml"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("--format must be one of text, json (got \"yaml\")"));
  CliResult n = Cli({"run", file, "--max-steps", "zero"});
  EXPECT_EQ(n.code, kExitBadInput);
  EXPECT_THAT(n.err, HasSubstr("--max-steps needs an integer >= 1 (got \"zero\")"));
  CliResult missing = Cli({"run", file, "--schedule"});
  EXPECT_EQ(missing.code, kExitBadInput);
  EXPECT_THAT(missing.err, HasSubstr("--schedule needs a value: --schedule TOKEN"));
}

TEST(Cli, VariantsHasOneSpellingAndAcceptsTheSingularAsAnAlias) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "pass.json", kPassing);
  for (const std::string& c : {std::string("run"), std::string("explore"), std::string("check")}) {
    CliResult plural = Cli({c, file, "--variants", "open-atomic"});
    CliResult singular = Cli({c, file, "--variant", "open-atomic"});
    CliResult eq = Cli({c, file, "--variant=open-atomic"});
    EXPECT_EQ(plural.code, kExitOk) << c << plural.err;
    EXPECT_EQ(plural.out, singular.out) << c;
    EXPECT_EQ(plural.out, eq.out) << c;
    EXPECT_THAT(plural.out, AllOf(HasSubstr("[open-atomic]"), Not(HasSubstr("[lookup-create]")))) << c;
    CliResult bad = Cli({c, file, "--variants", "bogus"});
    EXPECT_EQ(bad.code, kExitBadInput) << c;
    EXPECT_THAT(bad.err, AllOf(HasSubstr("--variants: unknown variant \"bogus\""), HasSubstr("open-atomic"))) << c;
  }
  CliResult help = Cli({"help", "compare"});
  EXPECT_THAT(help.out, AllOf(HasSubstr("--variants NAME[,NAME...]"), HasSubstr("(also --variant)")));
}

TEST(Cli, DashOAndDashDashOutputWriteTheSameFile) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "race.json", kTwoMountRace);
  const std::vector<std::vector<std::string>> commands = {
      {"run", file, "--format", "json"},
      {"explore", file, "--variants", "open-atomic"},
      {"explore", file, "--variants", "open-atomic", "--format", "json"},
      {"trace", file, "--variants", "open-atomic", "--format", "text"},
      {"compare", file, "--format", "csv"},
  };
  for (const auto& base : commands) {
    CliResult to_stdout = Cli(base);
    ASSERT_FALSE(to_stdout.out.empty()) << base[0];
    int k = 0;
    for (const std::vector<std::string>& flag : {std::vector<std::string>{"-o", dir + "/a"},
                                                 {"--output", dir + "/b"},
                                                 {"--output=" + dir + "/c"},
                                                 {"-o" + dir + "/d"}}) {
      std::vector<std::string> args = base;
      args.insert(args.end(), flag.begin(), flag.end());
      CliResult r = Cli(args);
      EXPECT_EQ(r.code, to_stdout.code) << base[0] << " " << flag[0] << r.err;
      EXPECT_THAT(r.out, IsEmpty()) << base[0] << " " << flag[0];
      EXPECT_EQ(ReadFile(dir + "/" + std::string(1, static_cast<char>('a' + k))), to_stdout.out)
          << base[0] << " " << flag[0];
      ++k;
    }
  }
}

TEST(Cli, DoubleDashEndsOptions) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "-odd.json", kPassing);
  CliResult r = Cli({"run", "--variants", "open-atomic", "--", file});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pass [open-atomic]"));
}

TEST(Cli, ParseArgsShortNamesAliasesAndErrors) {
  const std::vector<OptionSpec> specs = {
      OptionSpec("output", "FILE", "out", 'o'),
      OptionSpec("variants", "NAME", "v", 0, {"variant"}),
      OptionSpec("format", "", "f", 0, {}, {"text", "json"}),
      OptionSpec("trace", "", "t"),
  };
  auto p = ParseArgs({"a", "-o", "x", "--variant=v1", "--format", "json", "--trace", "b"}, specs);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->positional, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p->get("output"), "x");
  EXPECT_EQ(p->get("variants"), "v1");
  EXPECT_EQ(p->get("format"), "json");
  EXPECT_TRUE(p->has("trace"));
  EXPECT_FALSE(p->has("variant"));
  auto dash = ParseArgs({"-"}, specs);  // a lone "-" is an operand
  ASSERT_TRUE(dash.ok());
  EXPECT_EQ(dash->positional, std::vector<std::string>{"-"});
  EXPECT_TRUE(ParseArgs({"-h"}, specs)->has("help"));
  EXPECT_THAT(std::string(ParseArgs({"-x"}, specs).status().message()),
              AllOf(HasSubstr("unknown option -x"), HasSubstr("-o/--output"), HasSubstr("-h/--help")));
  EXPECT_THAT(std::string(ParseArgs({"--trace=1"}, specs).status().message()), HasSubstr("--trace takes no value"));
  EXPECT_THAT(std::string(ParseArgs({"--format", "xml"}, specs).status().message()),
              HasSubstr("--format must be one of text, json"));
  EXPECT_THAT(std::string(ParseArgs({"-o"}, specs).status().message()), HasSubstr("-o needs a value"));
}

// ---------------------------------------------------------------------------
// run.

TEST(Cli, RunUnknownOptionListsValidOptions) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "pass.json", kPassing);
  CliResult r = Cli({"run", file, "--bogus"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("unknown option --bogus"));
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("--variant"), HasSubstr("--schedule"), HasSubstr("--format"), HasSubstr("--trace")));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST(Cli, RunPassingScenarioExits0) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "pass.json", kPassing);
  CliResult r = Cli({"run", file});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("pass [lookup-create]"), HasSubstr("pass [open-atomic]")));
  EXPECT_EQ(CountOccurrences(r.out, "expectations: ok"), 2) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("FAIL")));
}

TEST(Cli, RunFailingExpectationExits1WithItsPointer) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "fail.json", kFailing);
  CliResult r = Cli({"run", file});
  EXPECT_EQ(r.code, kExitFailed) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAIL /expect/all/results/t1.0"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("EEXIST"), HasSubstr("got ok")));
  EXPECT_THAT(r.out, Not(HasSubstr("expectations: ok")));
}

TEST(Cli, RunBadScenarioExits2WithLocation) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "bad.json", R"({
  "name": "bad",
  "threads": [{"name": "t1", "ops": [{"op": "opne", "path": "/f"}]}]
})");
  CliResult r = Cli({"run", file});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr(file + ":3:45: /threads/0/ops/0/op: unknown op \"opne\""));
  EXPECT_THAT(r.out, IsEmpty());

  CliResult missing = Cli({"run", dir + "/no-such.json"});
  EXPECT_EQ(missing.code, kExitBadInput);
  EXPECT_THAT(missing.err, HasSubstr(dir + "/no-such.json"));
}

TEST(Cli, RunFormatJsonHasTheReportKeys) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "pass.json", kPassing);
  CliResult r = Cli({"run", file, "--variants", "lookup-create", "--format", "json"});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_TRUE(j.is_object()) << r.out;
  for (const char* key : {"scenario", "variant", "schedule", "requests", "round_trips", "simulated_time_us", "results",
                          "dentries", "dir_changed", "violations", "deadlock"})
    EXPECT_TRUE(j.contains(key)) << "missing key " << key << " in " << r.out;
  EXPECT_EQ(j["scenario"], "pass");
  EXPECT_EQ(j["variant"], "lookup-create");
  EXPECT_TRUE(j["schedule"].is_array());
  EXPECT_TRUE(j["violations"].is_array());
  EXPECT_EQ(j["deadlock"], false);
  EXPECT_EQ(j["results"]["t1.0"]["result"], "ok");
  EXPECT_EQ(j["results"]["t1.0"]["created"], true);

  // Several variants: an array of reports.
  CliResult all = Cli({"run", file, "--format", "json"});
  EXPECT_EQ(all.code, kExitOk);
  nlohmann::json a = nlohmann::json::parse(all.out, nullptr, false);
  ASSERT_TRUE(a.is_array()) << all.out;
  EXPECT_EQ(a.size(), 2u);
}

TEST(Cli, RunScheduleNamingAnUnknownThreadExits2) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "after.json", kAfter);
  CliResult r = Cli({"run", file, "--schedule", "t1,t9"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, AllOf(HasSubstr("unknown thread \"t9\""), HasSubstr("t1, t2")));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST(Cli, RunScheduleNamingABlockedThreadDiverges) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "after.json", kAfter);
  // t2 waits for t1.0, so it cannot take the first step.
  CliResult r = Cli({"run", file, "--schedule", "t2"});
  EXPECT_EQ(r.code, kExitBadInput) << r.out;
  EXPECT_THAT(r.err, AllOf(HasSubstr("diverges at step 1"), HasSubstr("t2"), HasSubstr("blocked")));
  // Starting with t1 is fine (the rest of the run is sequential).
  CliResult ok = Cli({"run", file, "--schedule", "t1"});
  EXPECT_EQ(ok.code, kExitOk) << ok.out << ok.err;
}

// ---------------------------------------------------------------------------
// check.

TEST(Cli, CheckDirectoryPrintsOneLinePerScenarioAndVariant) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  WriteFile(dir, "a-pass.json", kPassing);
  WriteFile(dir, "b-fail.json", kFailing);
  WriteFile(dir, "notes.txt", "not a scenario");
  CliResult r = Cli({"check", dir});
  EXPECT_EQ(r.code, kExitFailed) << r.out << r.err;
  EXPECT_EQ(CountLinesStartingWith(r.out, "PASS "), 2) << r.out;
  EXPECT_EQ(CountLinesStartingWith(r.out, "FAIL "), 1) << r.out;
  EXPECT_EQ(CountLinesStartingWith(r.out, "PASS pass [lookup-create]"), 1) << r.out;
  EXPECT_EQ(CountLinesStartingWith(r.out, "PASS pass [open-atomic]"), 1) << r.out;
  EXPECT_EQ(CountLinesStartingWith(r.out, "FAIL fail [lookup-create]"), 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("/expect/all/results/t1.0"));
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "2 passed, 1 failed");

  // Only passing scenarios: exit 0.
  ScratchDir dir2_scratch;
  const std::string dir2 = dir2_scratch.path();
  WriteFile(dir2, "a-pass.json", kPassing);
  CliResult ok = Cli({"check", dir2});
  EXPECT_EQ(ok.code, kExitOk) << ok.out << ok.err;
  lines = Lines(ok.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "2 passed, 0 failed");
}

// kPassing names lookup-create and open-atomic: --variants may add another,
// and the line says that the scenario did not ask for it.
TEST(Cli, CheckVariantsFlagOverridesTheScenarioAndSaysSo) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  WriteFile(dir, "a-pass.json", kPassing);
  CliResult r = Cli({"check", dir + "/a-pass.json", "--variants", "lookup-create,atomic-create"});
  EXPECT_THAT(r.out, HasSubstr("pass [lookup-create]"));
  EXPECT_THAT(r.out, Not(HasSubstr("[lookup-create] (1 run; not in the scenario")));
  EXPECT_THAT(r.out, HasSubstr("pass [atomic-create]"));
  EXPECT_THAT(r.out, HasSubstr("not in the scenario's variants, run because --variants asks"));
  EXPECT_THAT(r.out, Not(HasSubstr("[open-atomic]")));
  // Without the flag, only the scenario's own.
  CliResult own = Cli({"check", dir + "/a-pass.json"});
  EXPECT_THAT(own.out, Not(HasSubstr("atomic-create")));
  EXPECT_THAT(own.out, Not(HasSubstr("--variants asks")));
}

TEST(Cli, CheckBadJsonExits2AndStillChecksTheOthers) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  WriteFile(dir, "a-pass.json", kPassing);
  const std::string bad = WriteFile(dir, "b-bad.json", "{\n  \"name\": \"bad\",\n  \"threads\": [\n");
  WriteFile(dir, "c-fail.json", kFailing);
  CliResult r = Cli({"check", dir});
  EXPECT_EQ(r.code, kExitBadInput) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(bad + ":"));
  // The files before and after the bad one are still checked.
  EXPECT_EQ(CountLinesStartingWith(r.out, "PASS pass ["), 2) << r.out;
  EXPECT_EQ(CountLinesStartingWith(r.out, "FAIL fail [lookup-create]"), 1) << r.out;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "2 passed, 2 failed");
}

TEST(Cli, CheckJunitWritesWellFormedXml) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string scenarios = dir + "/scenarios";
  std::filesystem::create_directory(scenarios);
  WriteFile(scenarios, "a-pass.json", kPassing);
  WriteFile(scenarios, "b-fail.json", kFailing);
  // A name with XML metacharacters must be escaped.
  WriteFile(scenarios, "c-escape.json", R"({
  "name": "a<b> & \"c\" 'd'",
  "variants": ["create-ext"],
  "threads": [{"name": "t1", "ops": [{"op": "stat", "path": "/"}]}],
  "expect": {"all": {"results": {"t1.0": "ENOENT"}}}
})");
  const std::string junit = dir + "/junit.xml";
  CliResult r = Cli({"check", scenarios, "--junit", junit});
  EXPECT_EQ(r.code, kExitFailed) << r.out << r.err;
  const std::string xml = ReadFile(junit);
  ASSERT_FALSE(xml.empty()) << "no " << junit;
  EXPECT_EQ(XmlWellFormedError(xml), "") << xml;
  EXPECT_THAT(xml, HasSubstr("<testsuite"));
  EXPECT_EQ(CountOccurrences(xml, "<testcase "), 4) << xml;  // 2 + 1 + 1 scenario x variant
  EXPECT_EQ(CountOccurrences(xml, "<failure"), 2) << xml;
  EXPECT_THAT(xml, HasSubstr("name=\"open-atomic\""));
  EXPECT_THAT(xml, HasSubstr("/expect/all/results/t1.0"));
  EXPECT_THAT(xml, HasSubstr("a&lt;b&gt; &amp; &quot;c&quot;"));
  EXPECT_FALSE(std::filesystem::exists(junit + ".tmp"));
}

// ---------------------------------------------------------------------------
// explore.

TEST(Cli, ExploreTwoMountRaceFindsAReplayableViolation) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "race.json", kTwoMountRace);
  CliResult r = Cli({"explore", file});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;

  // The report of each variant starts with "NAME [VARIANT]".
  const size_t lc = r.out.find("two-mount-race [lookup-create]");
  const size_t oa = r.out.find("two-mount-race [open-atomic]");
  ASSERT_NE(lc, std::string::npos) << r.out;
  ASSERT_NE(oa, std::string::npos) << r.out;
  const std::string lookup_create = lc < oa ? r.out.substr(lc, oa - lc) : r.out.substr(lc);
  const std::string open_atomic = oa < lc ? r.out.substr(oa, lc - oa) : r.out.substr(oa);
  EXPECT_THAT(lookup_create, HasSubstr("violation fmode-created"));
  EXPECT_THAT(open_atomic, Not(HasSubstr("violation")));
  EXPECT_EQ(CountOccurrences(r.out, "expectations: ok"), 2) << r.out;

  const std::string marker = "--variants lookup-create --schedule '";
  const size_t at = lookup_create.find(marker);
  ASSERT_NE(at, std::string::npos) << lookup_create;
  const size_t begin = at + marker.size();
  const size_t end = lookup_create.find('\'', begin);
  ASSERT_NE(end, std::string::npos);
  const std::string token = lookup_create.substr(begin, end - begin);
  ASSERT_FALSE(token.empty());

  // The token replays the violation.
  CliResult replay = Cli({"run", file, "--variants", "lookup-create", "--schedule", token});
  EXPECT_EQ(replay.code, kExitOk) << replay.out << replay.err;  // the violation is expected
  EXPECT_THAT(replay.out, HasSubstr("fmode-created"));
  CliResult json = Cli({"run", file, "--variants", "lookup-create", "--schedule", token, "--format", "json"});
  nlohmann::json j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json.out;
  ASSERT_TRUE(j["violations"].is_array());
  bool found = false;
  for (const auto& v : j["violations"]) found |= v.dump().find("fmode-created") != std::string::npos;
  EXPECT_TRUE(found) << json.out;
}

TEST(Cli, ExploreUnknownStrategyExits2) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "race.json", kTwoMountRace);
  CliResult r = Cli({"explore", file, "--strategy", "bogus"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, AllOf(HasSubstr("bogus"), HasSubstr("dpor")));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST(Cli, ExploreCutByMaxSchedulesExits4AndNamesTheBound) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "race.json", kTwoMountRace);
  CliResult r = Cli({"explore", file, "--variants", "open-atomic", "--max-schedules", "2"});
  EXPECT_EQ(r.code, kExitIncomplete) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("(incomplete: max-schedules 2 reached)"));
  EXPECT_THAT(r.out, Not(HasSubstr("expectations: ok")));
  EXPECT_THAT(r.out, HasSubstr("expectations: not proven"));
  EXPECT_THAT(r.out, HasSubstr("not finished: open-atomic (max-schedules 2 reached; 2 schedules explored)"));

  CliResult j = Cli({"explore", file, "--variants", "open-atomic", "--max-schedules", "2", "--format", "json"});
  EXPECT_EQ(j.code, kExitIncomplete) << j.err;
  nlohmann::json x = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_TRUE(x.is_object()) << j.out;
  EXPECT_EQ(x["complete"], false);
  EXPECT_EQ(x["bounds_hit"], nlohmann::json::array({"max-schedules"}));
  EXPECT_EQ(x["expectations"]["proven"], false);
  EXPECT_THAT(j.err, HasSubstr("not finished: open-atomic"));

  // Without the bound the same exploration is complete: exit 0, "ok".
  CliResult full = Cli({"explore", file, "--variants", "open-atomic"});
  EXPECT_EQ(full.code, kExitOk) << full.out << full.err;
  EXPECT_THAT(full.out, HasSubstr("expectations: ok"));
  EXPECT_THAT(full.out, Not(HasSubstr("not finished")));
}

// A run over part of the space cannot refute "outcomes: 2" by seeing one:
// not FAIL, but not proven either (exit 4 under a bound).
TEST(Cli, ExploreCutShortDoesNotFailAnOutcomeItMayNotHaveReached) {
  const std::string file = std::string(FUSESIM_SOURCE_DIR) + "/scenarios/explore-same-name-two-threads.json";
  CliResult r = Cli({"explore", file, "--variants", "lookup-create", "--max-schedules", "20"});
  EXPECT_EQ(r.code, kExitIncomplete) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 outcomes (incomplete"));
  EXPECT_THAT(r.out, Not(HasSubstr("FAIL")));
  EXPECT_THAT(r.out, HasSubstr("expectations: not proven"));
}

// Shards judge their part (exit 0 when nothing in it failed, never "ok");
// `merge --scenario` judges the whole: exit 0 and "expectations: ok" for
// the complete merge, exit 1 when the merged outcomes refute the scenario.
TEST(Cli, MergeWithScenarioJudgesTheShardsAsOneRun) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = std::string(FUSESIM_SOURCE_DIR) + "/scenarios/explore-same-name-two-threads.json";
  std::vector<std::string> shards;
  for (int i = 0; i < 3; ++i) {
    const std::string out = dir + "/shard-" + std::to_string(i) + ".json";
    CliResult t = Cli({"explore", file, "--variants", "lookup-create", "--shard", std::to_string(i) + "/3"});
    EXPECT_EQ(t.code, kExitOk) << t.out << t.err;
    EXPECT_THAT(t.out, HasSubstr("judge the merged shards with `fusesim merge --scenario"));
    EXPECT_THAT(t.out, Not(HasSubstr("expectations: ok")));
    CliResult j = Cli({"explore", file, "--variants", "lookup-create", "--shard", std::to_string(i) + "/3", "--format",
                       "json", "-o", out});
    EXPECT_EQ(j.code, kExitOk) << j.err;
    nlohmann::json x = nlohmann::json::parse(ReadFile(out), nullptr, false);
    EXPECT_EQ(x["expectations"]["proven"], false);
    EXPECT_EQ(x["expectations"]["scope"], "shard");
    shards.push_back(out);
  }
  std::vector<std::string> args = {"merge"};
  args.insert(args.end(), shards.begin(), shards.end());
  CliResult plain = Cli(args);
  EXPECT_EQ(plain.code, kExitOk) << plain.err;
  EXPECT_FALSE(nlohmann::json::parse(plain.out).contains("expectations"));

  args.insert(args.end(), {"--scenario", file});
  CliResult judged = Cli(args);
  EXPECT_EQ(judged.code, kExitOk) << judged.err;
  EXPECT_THAT(judged.err, HasSubstr("explore-same-name-two-threads [lookup-create]: expectations: ok"));
  nlohmann::json m = nlohmann::json::parse(judged.out);
  EXPECT_EQ(m["expectations"]["proven"], true);
  EXPECT_EQ(m["outcomes"].size(), 2u);

  // The same shards against a scenario that expects 3 outcomes: FAIL.
  nlohmann::json other = nlohmann::json::parse(ReadFile(file));
  other["expect"]["lookup-create"]["outcomes"] = 3;
  const std::string three = WriteFile(dir, "three.json", other.dump());
  args.back() = three;
  CliResult failed = Cli(args);
  EXPECT_EQ(failed.code, kExitFailed) << failed.err;
  EXPECT_THAT(failed.err, HasSubstr("outcomes: expected 3, got 2"));

  // Shards of another scenario: bad input, named.
  other["name"] = "another";
  args.back() = WriteFile(dir, "another.json", other.dump());
  CliResult wrong = Cli(args);
  EXPECT_EQ(wrong.code, kExitBadInput) << wrong.err;
  EXPECT_THAT(wrong.err, HasSubstr("not an exploration of another"));
}

// A shard file that is JSON but not explore's: exit 2 naming the file and
// the JSON pointer of the first bad value (never an internal error).
TEST(Cli, MergeAndResumeNameTheBadValueOfAMalformedResult) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = std::string(FUSESIM_SOURCE_DIR) + "/scenarios/explore-same-name-two-threads.json";
  const std::string shard = dir + "/s.json";
  CliResult t =
      Cli({"explore", file, "--variants", "lookup-create", "--shard", "0/1", "--format", "json", "-o", shard});
  ASSERT_EQ(t.code, kExitOk) << t.err;
  const nlohmann::json good = nlohmann::json::parse(ReadFile(shard));
  struct Case {
    const char* pointer;
    nlohmann::json value;
    const char* message;
  };
  const Case cases[] = {
      {"/complete", "yes", "/complete: expected true or false"},
      {"/bounds_hit", 5, "/bounds_hit: expected an array of strings"},
      {"/outcomes/0/count", "x", "/outcomes/0/count: expected an integer"},
      {"/outcomes/0/schedule/0", 7, "/outcomes/0/schedule/0: expected a string"},
      {"/shard", "9/3", "/shard: expected \"I/N\" with 0 <= I < N"},
      {"/violations", nullptr, "/violations: expected an array"},
  };
  for (const Case& c : cases) {
    nlohmann::json bad = good;
    bad[nlohmann::json::json_pointer(c.pointer)] = c.value;
    const std::string f = WriteFile(dir, "bad.json", bad.dump());
    CliResult m = Cli({"merge", f, "--scenario", file});
    EXPECT_EQ(m.code, kExitBadInput) << c.pointer << m.err;
    EXPECT_THAT(m.err, HasSubstr(f + ": " + c.message)) << m.err;
    CliResult r = Cli({"explore", file, "--variants", "lookup-create", "--format", "json", "--resume", f});
    EXPECT_EQ(r.code, kExitBadInput) << c.pointer << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << r.err;
  }
  // A merged result merged again: said so (was an uncaught std::stoi).
  const std::string merged = dir + "/merged.json";
  CliResult once = Cli({"merge", shard, "-o", merged});
  ASSERT_EQ(once.code, kExitOk) << once.err;
  CliResult twice = Cli({"merge", merged});
  EXPECT_EQ(twice.code, kExitBadInput) << twice.err;
  EXPECT_THAT(twice.err, HasSubstr("a merged result (merged 1) cannot be merged again"));
  const std::string not_runs = WriteFile(dir, "list.json", "[1, 2]");
  CliResult m = Cli({"merge", not_runs});
  EXPECT_EQ(m.code, kExitBadInput) << m.err;
  EXPECT_THAT(m.err, HasSubstr("/0: not the JSON of `fusesim explore --format json`"));
}

TEST(Cli, ExplorePreemptionBoundMakesTheRunIncomplete) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "race.json", kTwoMountRace);
  for (const char* strategy : {"dpor", "exhaustive"}) {
    CliResult j = Cli({"explore", file, "--variants", "open-atomic", "--strategy", strategy, "--max-preemptions", "0",
                       "--format", "json"});
    EXPECT_EQ(j.code, kExitIncomplete) << strategy << j.out << j.err;
    nlohmann::json x = nlohmann::json::parse(j.out, nullptr, false);
    ASSERT_TRUE(x.is_object()) << j.out;
    EXPECT_EQ(x["complete"], false) << strategy;
    EXPECT_EQ(x["bounds_hit"], nlohmann::json::array({"max-preemptions"})) << strategy;
    CliResult t = Cli({"explore", file, "--variants", "open-atomic", "--strategy", strategy, "--max-preemptions", "0"});
    EXPECT_EQ(t.code, kExitIncomplete);
    EXPECT_THAT(t.out, HasSubstr("preemption bound 0 excluded schedules"));
    EXPECT_THAT(t.out, Not(HasSubstr("expectations: ok")));
  }
  // A bound the space never reaches cuts nothing.
  CliResult wide = Cli({"explore", file, "--variants", "open-atomic", "--max-preemptions", "1000", "--format", "json"});
  EXPECT_EQ(wide.code, kExitOk) << wide.err;
  nlohmann::json x = nlohmann::json::parse(wide.out, nullptr, false);
  ASSERT_TRUE(x.is_object());
  EXPECT_EQ(x["complete"], true);
  EXPECT_EQ(x["expectations"]["proven"], true);
}

TEST(Cli, ExploreResumeOfAnotherScenarioIsBadInputNotAnInternalError) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  const std::string file = WriteFile(dir, "race.json", kTwoMountRace);
  const std::string saved = dir + "/saved.json";
  CliResult a = Cli({"explore", file, "--variants", "open-atomic", "--strategy", "exhaustive", "--max-schedules", "3",
                     "--format", "json", "-o", saved});
  ASSERT_EQ(a.code, kExitIncomplete) << a.err;
  nlohmann::json j = nlohmann::json::parse(ReadFile(saved), nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("resume")) << ReadFile(saved);
  ASSERT_FALSE(j["resume"]["frames"].empty());
  j["resume"]["frames"][0]["e"] = nlohmann::json::array({0, 1, 2, 3, 4, 5, 6});  // not what the scenario enables
  WriteFile(dir, "saved.json", j.dump());
  CliResult r = Cli({"explore", file, "--variants", "open-atomic", "--strategy", "exhaustive", "--format", "json",
                     "--resume", saved});
  EXPECT_EQ(r.code, kExitBadInput) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--resume: the saved state does not replay on this scenario"));
  EXPECT_THAT(r.err, Not(HasSubstr("internal error")));

  // A state of the wrong shape is bad input too, not a crash.
  j["resume"]["frames"][0]["e"] = "not a list";
  WriteFile(dir, "saved.json", j.dump());
  CliResult m = Cli({"explore", file, "--variants", "open-atomic", "--strategy", "exhaustive", "--format", "json",
                     "--resume", saved});
  EXPECT_EQ(m.code, kExitBadInput) << m.out << m.err;
  EXPECT_THAT(m.err, HasSubstr("--resume: malformed saved state"));
}

TEST(Cli, InternalErrorsHaveTheirOwnExitCodeAndAskForAReport) {
  std::ostringstream err;
  EXPECT_EQ(ReportError("s.json [lookup-create]", absl::InternalError("replay is not deterministic at step 3"), err),
            kExitInternal);
  EXPECT_EQ(err.str(),
            "fusesim: internal error, please report: s.json [lookup-create]: replay is not deterministic at step 3\n");
  std::ostringstream bad;
  EXPECT_EQ(ReportError("s.json", absl::FailedPreconditionError("the schedule diverges at step 1"), bad),
            kExitBadInput);
  EXPECT_EQ(bad.str(), "s.json: the schedule diverges at step 1\n");
  EXPECT_NE(kExitInternal, kExitBadInput);
  EXPECT_NE(kExitIncomplete, kExitFailed);
  // The worst of two codes wins: interrupted > internal > bad input > failed > incomplete > ok.
  EXPECT_EQ(WorseExit(kExitOk, kExitIncomplete), kExitIncomplete);
  EXPECT_EQ(WorseExit(kExitIncomplete, kExitFailed), kExitFailed);
  EXPECT_EQ(WorseExit(kExitFailed, kExitIncomplete), kExitFailed);
  EXPECT_EQ(WorseExit(kExitBadInput, kExitFailed), kExitBadInput);
  EXPECT_EQ(WorseExit(kExitInternal, kExitBadInput), kExitInternal);
  EXPECT_EQ(WorseExit(kExitInternal, kExitInterrupted), kExitInterrupted);
}

TEST(Cli, InterruptScopeTurnsSignalsIntoAFlagAndAnExitCode) {
  EXPECT_FALSE(Interrupted());
  {
    InterruptScope scope;
    EXPECT_FALSE(Interrupted());
    ASSERT_EQ(raise(SIGINT), 0);  // handled: the test goes on
    EXPECT_TRUE(Interrupted());
    EXPECT_TRUE(InterruptFlag()->load());
    EXPECT_EQ(InterruptedExit(), kExitInterrupted);
    EXPECT_EQ(kExitInterrupted, 130);
  }
  EXPECT_FALSE(Interrupted()) << "the flag outlived its scope";
  {
    InterruptScope scope;
    ASSERT_EQ(raise(SIGTERM), 0);
    EXPECT_TRUE(Interrupted());
    EXPECT_EQ(InterruptedExit(), kExitTerminated);
    EXPECT_EQ(kExitTerminated, 143);
  }
}

TEST(Cli, ShellQuote) {
  EXPECT_EQ(ShellQuote("scenarios/a-b_c.json"), "scenarios/a-b_c.json");
  EXPECT_EQ(ShellQuote("my dir/x.json"), "'my dir/x.json'");
  EXPECT_EQ(ShellQuote("it's.json"), "'it'\\''s.json'");
  EXPECT_EQ(ShellQuote("$HOME/x"), "'$HOME/x'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("a*3,b", /*always=*/true), "'a*3,b'");
  EXPECT_EQ(ShellQuote("a", /*always=*/true), "'a'");
}

// The replay line names the real file, quoted for the shell, and runs as
// printed; its violation detail is the one the replay shows.
TEST(Cli, ExploreReplayLineRunsAsPrinted) {
  ScratchDir dir_scratch;
  const std::string sub = dir_scratch.path() + "/my race's dir";
  std::filesystem::create_directory(sub);
  const std::string file = WriteFile(sub, "two mounts.json", kTwoMountRace);
  CliResult r = Cli({"explore", file, "--variants", "lookup-create"});
  ASSERT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("SCENARIO")));
  std::string replay, detail;
  for (const std::string& line : Lines(r.out)) {
    if (line.rfind("    replay: ", 0) == 0) replay = line.substr(12);
    if (line.rfind("  violation fmode-created: ", 0) == 0) detail = line.substr(27);
  }
  ASSERT_FALSE(replay.empty()) << r.out;
  ASSERT_FALSE(detail.empty()) << r.out;
  EXPECT_THAT(replay, HasSubstr("fusesim run '" + dir_scratch.path() + "/my race'\\''s dir/two mounts.json'"));
  ASSERT_EQ(replay.rfind("fusesim ", 0), 0u) << replay;
  // Through a real shell, with the built binary in place of "fusesim".
  const std::string json_out = dir_scratch.path() + "/replay.json";
  const std::string cmd =
      "'" FUSESIM_BINARY "' " + replay.substr(8) + " --format json > '" + json_out + "' 2>/dev/null";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << cmd;
  EXPECT_EQ(WEXITSTATUS(status), 0) << cmd;
  nlohmann::json j = nlohmann::json::parse(ReadFile(json_out), nullptr, false);
  ASSERT_TRUE(j.is_object()) << ReadFile(json_out);
  std::string replayed;
  for (const auto& v : j["violations"])
    if (v["invariant"] == "fmode-created") replayed = v["detail"].get<std::string>();
  EXPECT_EQ(replayed, detail) << "the printed detail is not the replay's";
}

// A scenario whose exploration takes minutes.
constexpr char kBig[] = R"({
  "name": "big",
  "variants": ["lookup-create", "atomic-create"],
  "mounts": [{"name": "m0"}, {"name": "m1"}],
  "server": {"tree": ["/d/"]},
  "threads": [
    {"name": "a", "mount": "m0", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY", "fd": "x"}, {"op": "close", "fd": "x"}, {"op": "stat", "path": "/d/g"}]},
    {"name": "b", "mount": "m1", "ops": [{"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY", "fd": "x"}, {"op": "close", "fd": "x"}, {"op": "stat", "path": "/d/g"}]},
    {"name": "c", "mount": "m0", "ops": [{"op": "open", "path": "/d/g", "flags": "O_CREAT|O_WRONLY", "fd": "x"}, {"op": "close", "fd": "x"}, {"op": "stat", "path": "/d/f"}]}
  ],
  "schedule": {"mode": "explore", "max_schedules": 1000000000}
})";

struct Interrupted {
  bool exited = false;  // false: killed by a signal
  int code = -1;
  std::string out, err;
};

// Runs the built binary with args, waits (up to 120 s) until `marker` shows
// on its stderr (or stdout), sends SIGINT, and collects the rest. Waiting
// for output rather than for time makes the test independent of speed.
Interrupted RunAndInterrupt(const std::vector<std::string>& args, bool wait_on_stderr, const std::string& marker) {
  Interrupted res;
  int out_pipe[2], err_pipe[2];
  EXPECT_EQ(pipe(out_pipe), 0);
  EXPECT_EQ(pipe(err_pipe), 0);
  std::vector<std::string> argv_s = {"fusesim"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  EXPECT_GE(pid, 0);
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    execv(FUSESIM_BINARY, argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  const int wait_fd = wait_on_stderr ? err_pipe[0] : out_pipe[0];
  std::string& waited = wait_on_stderr ? res.err : res.out;
  char buf[4096];
  bool seen = false;
  for (int waited_ms = 0; !seen && waited_ms < 120000;) {
    struct pollfd p = {wait_fd, POLLIN, 0};
    if (poll(&p, 1, 100) == 0) {
      waited_ms += 100;
      continue;
    }
    const ssize_t got = read(wait_fd, buf, sizeof(buf));
    if (got <= 0) break;
    waited.append(buf, static_cast<size_t>(got));
    seen = waited.find(marker) != std::string::npos;
  }
  EXPECT_TRUE(seen) << "never printed \"" << marker << "\": " << waited;
  kill(pid, SIGINT);
  for (ssize_t got; (got = read(out_pipe[0], buf, sizeof(buf))) > 0;) res.out.append(buf, static_cast<size_t>(got));
  for (ssize_t got; (got = read(err_pipe[0], buf, sizeof(buf))) > 0;) res.err.append(buf, static_cast<size_t>(got));
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  res.exited = WIFEXITED(status);
  res.code = res.exited ? WEXITSTATUS(status) : -1;
  return res;
}

// Interrupting a long exploration: exit 130, the partial result, the variant
// not finished and the one not explored, and no "expectations: ok".
TEST(Cli, BinaryExploreInterruptedBySigintExits130AndSaysWhatIsMissing) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "big.json", kBig);
  Interrupted r = RunAndInterrupt({"explore", file, "--strategy", "exhaustive", "--max-schedules", "1000000000"},
                                  /*wait_on_stderr=*/true, "\n");
  ASSERT_TRUE(r.exited) << "killed by a signal";
  EXPECT_EQ(r.code, kExitInterrupted) << r.out << r.err;
  const std::string& out_text = r.out;
  EXPECT_THAT(out_text, HasSubstr("big [lookup-create] exhaustive: "));
  EXPECT_THAT(out_text, HasSubstr("(incomplete: interrupted)"));
  EXPECT_THAT(out_text, HasSubstr("not finished: lookup-create (interrupted; "));
  EXPECT_THAT(out_text, HasSubstr("not explored: atomic-create"));
  EXPECT_THAT(out_text, HasSubstr("interrupted: the result is partial"));
  EXPECT_THAT(out_text, Not(HasSubstr("expectations: ok")));
  EXPECT_THAT(out_text, Not(HasSubstr("[atomic-create]")));
  // The progress line it waited for names the variant, the rate, what was
  // found and the bounds.
  EXPECT_THAT(r.err,
              ContainsRegex("explore \\[lookup-create\\] [0-9,]+ schedules \\([0-9.,]+/s\\), [0-9,]+ outcomes, "
                            "0 violations, [0-9.,]+ s elapsed; bounds: 1,000,000,000 schedules, no preemption bound"))
      << r.err;
}

// The same in JSON with -o: the partial result is written, says complete:
// false and can be resumed; what is missing goes to stderr.
TEST(Cli, BinaryExploreJsonInterruptedWritesThePartialResult) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "big.json", kBig);
  const std::string saved = dir_scratch.path() + "/partial.json";
  Interrupted r = RunAndInterrupt({"explore", file, "--format", "json", "-o", saved}, /*wait_on_stderr=*/true, "\n");
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.code, kExitInterrupted) << r.err;
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, AllOf(HasSubstr("not finished: lookup-create (interrupted; "),
                           HasSubstr("not explored: atomic-create"), HasSubstr("--resume")));
  nlohmann::json j = nlohmann::json::parse(ReadFile(saved), nullptr, false);
  ASSERT_TRUE(j.is_object()) << ReadFile(saved);
  EXPECT_EQ(j["variant"], "lookup-create");
  EXPECT_EQ(j["complete"], false);
  EXPECT_EQ(j["bounds_hit"], nlohmann::json::array({"interrupted"}));
  EXPECT_TRUE(j.contains("resume"));
  // Whatever failed so far is reported, but nothing is proven.
  EXPECT_TRUE(j["expectations"]["passed"].is_boolean());
  EXPECT_EQ(j["expectations"]["proven"], false);
}

// Interrupting check: the cases judged so far, the one cut and the ones not
// checked are named, and the exit code is 130.
TEST(Cli, BinaryCheckInterruptedBySigintExits130AndNamesWhatWasNotChecked) {
  ScratchDir dir_scratch;
  const std::string dir = dir_scratch.path();
  WriteFile(dir, "a-pass.json", kPassing);
  const std::string big = WriteFile(dir, "b-big.json", kBig);
  const std::string after = WriteFile(dir, "c-after.json", kPassing);
  Interrupted r = RunAndInterrupt({"check", dir}, /*wait_on_stderr=*/false, "PASS pass [open-atomic]");
  ASSERT_TRUE(r.exited) << "killed by a signal";
  EXPECT_EQ(r.code, kExitInterrupted) << r.out << r.err;
  EXPECT_EQ(CountLinesStartingWith(r.out, "PASS pass ["), 2) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("big [")));  // no verdict for the case the signal cut
  // The signal lands before b-big.json is loaded (then the file is named),
  // after (then its variants are), or while it is explored (then the first
  // variant is marked "(interrupted while checking)"): all name b and c.
  std::string line;
  for (const std::string& l : Lines(r.out))
    if (l.rfind("interrupted: not checked: ", 0) == 0) line = l;
  ASSERT_FALSE(line.empty()) << r.out;
  const size_t b = line.find(big), c = line.find(after);
  EXPECT_NE(b, std::string::npos) << line;
  EXPECT_NE(c, std::string::npos) << line;
  EXPECT_LT(b, c) << line;
  const std::vector<std::string> forms = {
      "interrupted: not checked: " + big + ", " + after,
      "interrupted: not checked: " + big + " [lookup-create], " + big + " [atomic-create], " + after,
      "interrupted: not checked: " + big + " [lookup-create] (interrupted while checking), " + big +
          " [atomic-create], " + after};
  EXPECT_NE(std::find(forms.begin(), forms.end(), line), forms.end()) << line;
}

// Text traces number the steps as schedule tokens count them.
TEST(Cli, TraceTextNumbersTheStepsOfTheToken) {
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "race.json", kTwoMountRace);
  CliResult r = Cli({"trace", file, "--variants", "lookup-create", "--schedule", "t1*4,t2*3", "--format", "text"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 4u) << r.out;
  EXPECT_THAT(lines[1], HasSubstr("steps: 1-4 t1, 5-"));
  EXPECT_EQ(lines[2], " step actor      kind      event");
  // The schedule of the run, one actor per step, from the JSON report.
  CliResult j = Cli({"trace", file, "--variants", "lookup-create", "--schedule", "t1*4,t2*3", "--format", "json"});
  nlohmann::json x = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_TRUE(x.is_object()) << j.out;
  const std::vector<std::string> schedule = x["schedule"].get<std::vector<std::string>>();
  ASSERT_GE(schedule.size(), 7u);
  int checked = 0, last = 0;
  for (size_t i = 3; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    int step = -1;
    std::string actor, kind;
    in >> step >> actor >> kind;
    ASSERT_GE(step, last) << "steps go back at: " << lines[i];
    ASSERT_LE(step, static_cast<int>(schedule.size())) << lines[i];
    last = step;
    // A syscall or request is made by the thread that takes the step.
    if (step > 0 && (kind == "syscall" || kind == "request")) {
      EXPECT_EQ(actor, schedule[step - 1]) << lines[i];
      ++checked;
    }
  }
  EXPECT_GE(checked, 4) << r.out;
  // The JSON trace carries the same numbers.
  ASSERT_TRUE(x["trace"].is_array());
  for (const auto& e : x["trace"]) EXPECT_TRUE(e.contains("step")) << e.dump();
}

// The README's example scenario (its first ```json block) is true: `check`
// passes on it, and `explore` prints the schedule the README quotes.
TEST(Cli, ReadmeExampleScenarioPassesCheck) {
  const std::string readme = ReadFile(std::string(FUSESIM_SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(readme.empty());
  const std::string fence = "```json\n";
  const size_t begin = readme.find(fence);
  ASSERT_NE(begin, std::string::npos) << "README.md has no ```json block";
  const size_t end = readme.find("```", begin + fence.size());
  ASSERT_NE(end, std::string::npos);
  const std::string example = readme.substr(begin + fence.size(), end - begin - fence.size());
  ScratchDir dir_scratch;
  const std::string file = WriteFile(dir_scratch.path(), "readme-example.json", example);
  CliResult r = Cli({"check", file});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("FAIL")));
  EXPECT_EQ(CountLinesStartingWith(r.out, "PASS two-clients-create ["), 5) << r.out;
  // The prose after the example quotes the shortest schedule explore prints.
  const size_t quoted = readme.find("--schedule 'a*10,b'", end);
  ASSERT_NE(quoted, std::string::npos) << "the README no longer quotes the schedule";
  CliResult e = Cli({"explore", file, "--variants", "lookup-create"});
  EXPECT_EQ(e.code, kExitOk) << e.out << e.err;
  EXPECT_THAT(e.out, HasSubstr("--variants lookup-create --schedule 'a*10,b'"));
}

// ---------------------------------------------------------------------------
// The built binary.

TEST(Cli, BinaryHelpExits0) {
  ASSERT_TRUE(std::filesystem::exists(FUSESIM_BINARY)) << FUSESIM_BINARY;
  const int status = std::system("'" FUSESIM_BINARY "' help >/dev/null 2>&1");
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace fusesim::sim
