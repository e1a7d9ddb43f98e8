#include "sim/cli/cli.h"

#include <signal.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"

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
    case kExitOk: return 0;
    case kExitIncomplete: return 1;
    case kExitFailed: return 2;
    case kExitBadInput: return 3;
    case kExitInternal: return 4;
    case kExitInterrupted:
    case kExitTerminated: return 5;
    default: return 4;
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

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a.rfind("--", 0) != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const auto& s : specs) names.push_back("--" + s.name);
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name, "; valid: ", absl::StrJoin(names, ", ")));
    }
    if (spec->takes_value && !has_value) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = args[++i];
    }
    if (!spec->takes_value && has_value)
      return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
    out.values[name] = value;
  }
  return out;
}

std::string OptionsHelp(const std::vector<OptionSpec>& specs) {
  std::string s;
  for (const auto& o : specs)
    absl::StrAppendFormat(&s, "  --%-18s %s\n", o.name + (o.takes_value ? " X" : ""), o.help);
  return s;
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

constexpr char kUsage[] =
    "usage: fusesim COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO      one execution per variant (sequential or replay schedule)\n"
    "  explore SCENARIO  explore interleavings (dpor, exhaustive, random, pct)\n"
    "  check DIR|FILE... run every scenario's expectations (the CI entry point)\n"
    "  compare DIR|FILE... round trips, time and correctness of every variant\n"
    "  trace SCENARIO    the message sequence of one run (Mermaid, text, JSON)\n"
    "  merge FILE...     combine the JSON of `explore --shard I/N` runs\n"
    "  oracle DIR|FILE... compare with a real kernel on a real FUSE mount (root)\n"
    "  help              this text\n"
    "\n"
    "`fusesim COMMAND --help` lists a command's options. Exit codes: 0 all\n"
    "expectations hold, 1 an expectation or invariant failed, 2 bad input.\n";

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return kExitBadInput;
  }
  const std::string& cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    out << kUsage;
    return kExitOk;
  }
  if (cmd == "run") return CmdRun(rest, out, err);
  if (cmd == "check") return CmdCheck(rest, out, err);
  if (cmd == "explore") return CmdExplore(rest, out, err);
  if (cmd == "compare") return CmdCompare(rest, out, err);
  if (cmd == "trace") return CmdTrace(rest, out, err);
  if (cmd == "merge") return CmdMerge(rest, out, err);
  if (cmd == "oracle") {
#ifdef FUSESIM_HAVE_ORACLE
    return CmdOracle(rest, out, err);
#else
    err << "fusesim oracle: built without libfuse3\n";
    return kExitBadInput;
#endif
  }
  err << "fusesim: unknown command \"" << cmd << "\"\n\n" << kUsage;
  return kExitBadInput;
}

}  // namespace fusesim::sim
