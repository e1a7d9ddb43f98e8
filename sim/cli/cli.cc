#include "sim/cli/cli.h"

#include <signal.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/scenario/execution.h"
#include "sim/scenario/scenario_loader.h"

namespace fusesim::sim {

namespace {

std::atomic<bool> g_interrupted{false};
volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_old_int, g_old_term;

extern "C" void OnInterrupt(int sig) {
  g_signal = sig;
  if (g_interrupted.exchange(true)) {  // the second signal: stop now
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

int Severity(int code) {
  switch (code) {
    case kExitOk:
      return 0;
    case kExitIncomplete:
      return 1;
    case kExitFailed:
      return 2;
    case kExitBadInput:
      return 3;
    case kExitInternal:
      return 4;
    case kExitInterrupted:
    case kExitTerminated:
      return 5;
    default:
      return 4;
  }
}

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted.store(false);
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_interrupted.store(false);  // later work in this process is not interrupted
}

const std::atomic<bool>* InterruptFlag() { return &g_interrupted; }
bool Interrupted() { return g_interrupted.load(); }
int InterruptedExit() { return g_signal == SIGTERM ? kExitTerminated : kExitInterrupted; }

int ReportError(const std::string& context, const absl::Status& st, std::ostream& err) {
  const std::string where = context.empty() ? "" : context + ": ";
  if (st.code() == absl::StatusCode::kInternal) {
    err << "fusesim: internal error, please report: " << where << st.message() << "\n";
    return kExitInternal;
  }
  err << where << st.message() << "\n";
  return kExitBadInput;
}

int WorseExit(int a, int b) { return Severity(a) >= Severity(b) ? a : b; }

std::string OptionSpec::Placeholder() const {
  if (!choices.empty()) return absl::StrCat("{", absl::StrJoin(choices, ","), "}");
  return value;
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
  static const OptionSpec kHelp{"help", "", "print this help", 'h'};
  auto by_long = [&](const std::string& n) -> const OptionSpec* {
    if (n == kHelp.name) return &kHelp;
    for (const auto& s : specs) {
      if (s.name == n) return &s;
      for (const auto& a : s.aliases)
        if (a == n) return &s;
    }
    return nullptr;
  };
  auto by_short = [&](char c) -> const OptionSpec* {
    if (c == kHelp.short_name) return &kHelp;
    for (const auto& s : specs)
      if (s.short_name != 0 && s.short_name == c) return &s;
    return nullptr;
  };
  auto valid = [&]() {
    std::vector<std::string> names;
    for (const auto& s : specs)
      names.push_back((s.short_name != 0 ? absl::StrCat("-", std::string(1, s.short_name), "/") : "") + "--" + s.name);
    names.emplace_back("-h/--help");
    return absl::StrJoin(names, ", ");
  };
  ParsedArgs out;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::string shown, value;  // shown: the option as written, for errors
    bool has_value = false;
    if (a[1] == '-') {
      std::string name = a.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      shown = "--" + name;
      spec = by_long(name);
    } else {
      shown = a.substr(0, 2);
      spec = by_short(a[1]);
      if (a.size() > 2) {  // "-oFILE"
        value = a.substr(2);
        has_value = true;
      }
    }
    if (spec == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("unknown option ", shown, "; valid: ", valid()));
    const bool takes_value = !spec->Placeholder().empty();
    if (takes_value && !has_value) {
      if (i + 1 >= args.size())
        return absl::InvalidArgumentError(absl::StrCat(shown, " needs a value: ", shown, " ", spec->Placeholder()));
      value = args[++i];
    }
    if (!takes_value && has_value) return absl::InvalidArgumentError(absl::StrCat(shown, " takes no value"));
    if (!spec->choices.empty() && std::find(spec->choices.begin(), spec->choices.end(), value) == spec->choices.end())
      return absl::InvalidArgumentError(
          absl::StrCat(shown, " must be one of ", absl::StrJoin(spec->choices, ", "), " (got \"", value, "\")"));
    out.values[spec->name] = value;
  }
  return out;
}

std::string OptionsHelp(const std::vector<OptionSpec>& specs) {
  std::vector<std::pair<std::string, std::string>> rows;
  auto add = [&](const OptionSpec& o) {
    std::string left = o.short_name != 0 ? absl::StrCat("-", std::string(1, o.short_name), ", ") : "    ";
    absl::StrAppend(&left, "--", o.name);
    if (!o.Placeholder().empty()) absl::StrAppend(&left, " ", o.Placeholder());
    std::string help = o.help;
    if (!o.aliases.empty()) {
      std::vector<std::string> al;
      for (const auto& x : o.aliases) al.push_back("--" + x);
      absl::StrAppend(&help, " (also ", absl::StrJoin(al, ", "), ")");
    }
    rows.emplace_back(left, help);
  };
  for (const auto& o : specs) add(o);
  add(OptionSpec{"help", "", "print this help and exit", 'h'});
  size_t width = 0;
  for (const auto& [l, h] : rows)
    if (l.size() <= 30) width = std::max(width, l.size());
  // Help text in a column from `indent` to 79, words wrapped.
  const size_t indent = width + 4;
  std::string s;
  for (const auto& [l, h] : rows) {
    std::string line = absl::StrCat("  ", l);
    if (line.size() + 2 > indent) {
      s += line + "\n";
      line.clear();
    }
    line.resize(indent, ' ');
    size_t col = indent;
    bool first = true;
    for (absl::string_view word : absl::StrSplit(h, ' ', absl::SkipEmpty())) {
      if (!first && col + 1 + word.size() > 79) {
        s += line + "\n";
        line.assign(indent, ' ');
        col = indent;
        first = true;
      }
      if (!first) {
        line += ' ';
        ++col;
      }
      absl::StrAppend(&line, word);
      col += word.size();
      first = false;
    }
    s += line + "\n";
  }
  return s;
}

std::string CommandHelp(const CommandSpec& c) {
  std::string s = absl::StrCat("usage: fusesim ", c.name, " ", c.synopsis, "\n\n", c.summary, "\n");
  if (!c.description.empty()) absl::StrAppend(&s, "\n", c.description, "\n");
  absl::StrAppend(&s, "\noptions:\n", OptionsHelp(c.options));
  return s;
}

std::optional<ParsedArgs> ParseCommand(const CommandSpec& c, const std::vector<std::string>& args, std::ostream& out,
                                       std::ostream& err, int* exit) {
  auto parsed = ParseArgs(args, c.options);
  if (!parsed.ok()) {
    err << "fusesim " << c.name << ": " << parsed.status().message() << "\n"
        << "usage: fusesim " << c.name << " " << c.synopsis << " (`fusesim help " << c.name
        << "` explains the options)\n";
    *exit = kExitBadInput;
    return std::nullopt;
  }
  if (parsed->has("help")) {
    out << CommandHelp(c);
    *exit = kExitOk;
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::optional<ScenarioArgs> ParseScenarioCommand(const CommandSpec& c, const std::vector<std::string>& args,
                                                 std::ostream& out, std::ostream& err, int* exit) {
  auto parsed = ParseCommand(c, args, out, err, exit);
  if (!parsed) return std::nullopt;
  *exit = kExitBadInput;
  if (parsed->positional.size() != 1) {
    err << "fusesim " << c.name << ": give exactly one scenario file\n"
        << "usage: fusesim " << c.name << " " << c.synopsis << "\n";
    return std::nullopt;
  }
  auto scenario = LoadScenario(parsed->positional[0]);
  if (!scenario.ok()) {
    err << scenario.status().message() << "\n";
    return std::nullopt;
  }
  auto variants = SelectVariants(**scenario, *parsed);
  if (!variants.ok()) {
    err << "fusesim " << c.name << ": " << variants.status().message() << "\n";
    return std::nullopt;
  }
  *exit = kExitOk;
  return ScenarioArgs{std::move(*parsed), std::move(*scenario), std::move(*variants)};
}

absl::Status IntFlag(const ParsedArgs& a, const std::string& name, int64_t lo, int64_t hi, int64_t* out) {
  if (!a.has(name)) return absl::OkStatus();
  int64_t v = 0;
  if (!absl::SimpleAtoi(a.get(name), &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        hi == std::numeric_limits<int64_t>::max()
            ? absl::StrCat("--", name, " needs an integer >= ", lo, " (got \"", a.get(name), "\")")
            : absl::StrCat("--", name, " needs an integer from ", lo, " to ", hi, " (got \"", a.get(name), "\")"));
  }
  *out = v;
  return absl::OkStatus();
}

OptionSpec VariantsOption(const std::string& help) {
  return OptionSpec{
      "variants", "NAME[,NAME...]", absl::StrCat(help, "; names: ", model::AllVariantNames()), 0, {"variant"}};
}

OptionSpec FormatOption(const std::vector<std::string>& choices, const std::string& help) {
  return OptionSpec{"format", "", help, 0, {}, choices};
}

OptionSpec OutputOption(const std::string& help) { return OptionSpec{"output", "FILE", help, 'o'}; }

std::string Version() { return FUSESIM_VERSION; }

absl::StatusOr<std::vector<model::Variant>> SelectVariants(const Scenario& s, const ParsedArgs& a) {
  if (!a.has("variants")) return s.variants;
  std::vector<model::Variant> out;
  for (absl::string_view part : absl::StrSplit(a.get("variants"), ',')) {
    const std::string name(part);
    auto v = model::ParseVariant(name);
    if (!v)
      return absl::InvalidArgumentError(
          absl::StrCat("--variants: unknown variant \"", name, "\"; valid: ", model::AllVariantNames()));
    out.push_back(*v);
  }
  return out;
}

absl::StatusOr<std::vector<int>> StepsFor(const Scenario& s, const ParsedArgs& a) {
  if (a.has("schedule")) {
    auto st = ParseScheduleToken(s, a.get("schedule"));
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("--schedule: ", st.status().message()));
    return st;
  }
  if (s.schedule.mode == ScheduleSpec::Mode::kReplay) {
    auto st = ScheduleIndices(s, s.schedule.steps);
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(s.file, ": /schedule/steps: ", st.status().message()));
    return st;
  }
  return std::vector<int>{};
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& text, std::ostream& out) {
  if (path == "-" || path.empty()) {
    out << text;
    return absl::OkStatus();
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return absl::UnavailableError(absl::StrCat(path, ": cannot write ", tmp));
    f << text;
    f.flush();
    if (!f) return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(absl::StrCat(path, ": cannot rename ", tmp, " into place"));
  }
  return absl::OkStatus();
}

namespace {

struct Command {
  const CommandSpec& (*spec)();
  int (*run)(const std::vector<std::string>&, std::ostream&, std::ostream&);
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {RunSpec, CmdRun},         {ExploreSpec, CmdExplore}, {CheckSpec, CmdCheck},
      {CompareSpec, CmdCompare}, {TraceSpec, CmdTrace},     {MergeSpec, CmdMerge},
#ifdef FUSESIM_HAVE_ORACLE
      {OracleSpec, CmdOracle},
#endif
  };
  return kCommands;
}

std::string Usage() {
  std::string s =
      "usage: fusesim COMMAND [ARGS]\n"
      "       fusesim help [COMMAND]\n"
      "       fusesim --version\n"
      "\n"
      "commands:\n";
  for (const Command& c : Commands()) {
    const CommandSpec& spec = c.spec();
    // The name and its operands, without options.
    std::string left = spec.name;
    for (absl::string_view w : absl::StrSplit(spec.synopsis, ' ')) {
      if (w.empty() || w[0] == '[' || w[0] == '-') break;
      absl::StrAppend(&left, " ", w);
    }
    absl::StrAppendFormat(&s, "  %-26s %s\n", left, spec.summary);
  }
#ifndef FUSESIM_HAVE_ORACLE
  absl::StrAppendFormat(&s, "  %-26s %s\n", "oracle", "(not in this build: needs libfuse3)");
#endif
  s += "\n"
       "`fusesim help COMMAND` or `fusesim COMMAND -h` shows a command's options.\n"
       "Exit codes: 0 all expectations hold; 1 an expectation or invariant failed;\n"
       "2 bad input or usage; 3 internal error of fusesim; 4 explore cut short by a\n"
       "bound; 130 interrupted (Ctrl-C). See README.md \"Exit codes\".\n";
  return s;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << Usage();
    return kExitBadInput;
  }
  const std::string& cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--version") {
    out << "fusesim " << Version() << "\n";
    return kExitOk;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    if (rest.empty()) {
      out << Usage();
      return kExitOk;
    }
    for (const Command& c : Commands()) {
      if (c.spec().name == rest[0]) {
        out << CommandHelp(c.spec());
        return kExitOk;
      }
    }
    err << "fusesim help: unknown command \"" << rest[0] << "\"\n\n" << Usage();
    return kExitBadInput;
  }
  for (const Command& c : Commands())
    if (c.spec().name == cmd) return c.run(rest, out, err);
#ifndef FUSESIM_HAVE_ORACLE
  if (cmd == "oracle") {
    err << "fusesim oracle: built without libfuse3\n";
    return kExitBadInput;
  }
#endif
  err << "fusesim: unknown command \"" << cmd << "\"\n\n" << Usage();
  return kExitBadInput;
}

}  // namespace fusesim::sim
