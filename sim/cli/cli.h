// The fusesim command line: `fusesim COMMAND [ARGS]`.
//
// Exit codes (README "Exit codes"): 0 all expectations hold and no
// invariant is broken beyond those a scenario names; 1 an expectation failed,
// an invariant was violated or a deadlock was found; 2 bad input or usage,
// with a message on stderr naming the file, line:column or JSON pointer;
// 3 an internal error of fusesim (a fault of the tool, not of the input);
// 4 an exploration was cut short by a bound or budget (max-schedules,
// max-preemptions, time-budget) and nothing failed in what it covered;
// 130 interrupted by SIGINT (143 by SIGTERM), after printing what was done
// and what was not.
//
// One small parser serves every command (absl flags are global and exit with
// status 1 on a bad flag, which would break the exit-code contract): each
// command has a CommandSpec (options with a placeholder naming the value,
// short names, aliases, choices), and -h/--help, `fusesim help COMMAND` and
// the usage errors are the same everywhere. Values are converted with
// Abseil's parsers.
#ifndef FUSESIM_SIM_CLI_CLI_H_
#define FUSESIM_SIM_CLI_CLI_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/variant.h"
#include "sim/scenario/scenario.h"

namespace fusesim::sim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInternal = 3;
inline constexpr int kExitIncomplete = 4;
inline constexpr int kExitInterrupted = 130;  // 128 + SIGINT
inline constexpr int kExitTerminated = 143;   // 128 + SIGTERM

// Prints a failed status on err and returns its exit code: an internal
// error (absl::StatusCode::kInternal, a fault of fusesim itself) as
// "fusesim: internal error, please report: CONTEXT: MESSAGE" with
// kExitInternal; anything else as bad input, "CONTEXT: MESSAGE", with
// kExitBadInput.
int ReportError(const std::string& context, const absl::Status& st, std::ostream& err);
// The more serious of two exit codes: interrupted > internal > bad input >
// failed > incomplete > ok.
int WorseExit(int a, int b);

// While one exists, SIGINT and SIGTERM set a flag (InterruptFlag) instead of
// killing the process, so that a long command can stop, report what it did
// and did not do, and exit with kExitInterrupted; a second signal kills the
// process as usual. Restores the previous handlers and clears the flag when
// destroyed.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};
// The flag of the last signal (false until one arrives inside a scope).
const std::atomic<bool>* InterruptFlag();
bool Interrupted();
// kExitInterrupted after SIGINT, kExitTerminated after SIGTERM.
int InterruptedExit();

// One option of a command. Every command also takes -h/--help.
struct OptionSpec {
  OptionSpec(std::string name, std::string value, std::string help, char short_name = 0,
             std::vector<std::string> aliases = {}, std::vector<std::string> choices = {})
      : name(std::move(name)),
        value(std::move(value)),
        help(std::move(help)),
        short_name(short_name),
        aliases(std::move(aliases)),
        choices(std::move(choices)) {}
  std::string name;   // the long name, without "--"
  std::string value;  // what its value is ("N", "FILE"); empty: a switch
  std::string help;
  char short_name = 0;               // e.g. 'o' for "-o FILE"
  std::vector<std::string> aliases;  // other long names it is accepted under
  std::vector<std::string> choices;  // if not empty, the only values allowed
  // The value as help shows it: `value`, or "{a,b,c}" for choices.
  std::string Placeholder() const;
};

// A command: its name, synopsis, what it does and its options.
struct CommandSpec {
  std::string name;         // "run"
  std::string synopsis;     // "SCENARIO [options]"
  std::string summary;      // one line, for `fusesim help`
  std::string description;  // paragraphs for `fusesim help NAME` (may be empty)
  std::vector<OptionSpec> options;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // by long name; switches map to ""
  bool has(const std::string& n) const { return values.count(n) > 0; }
  std::string get(const std::string& n, const std::string& dflt = "") const {
    auto it = values.find(n);
    return it == values.end() ? dflt : it->second;
  }
};

// Parses args against specs: "--name value", "--name=value", "-X value",
// "-Xvalue", aliases (stored under the long name), "-h"/"--help" (stored as
// "help"), "--" (the rest is positional); checks choices. A lone "-" is
// positional.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);
// The option table of a help text, -h/--help last.
std::string OptionsHelp(const std::vector<OptionSpec>& specs);
// `fusesim help NAME`: usage, description, options.
std::string CommandHelp(const CommandSpec& c);

// The start of every command: parses args; prints the help on -h/--help
// (*exit = 0) or the error and the usage on bad usage (*exit = 2) and then
// returns nothing.
std::optional<ParsedArgs> ParseCommand(const CommandSpec& c, const std::vector<std::string>& args, std::ostream& out,
                                       std::ostream& err, int* exit);

// The parsed command line of a command on one scenario (run, explore, trace).
struct ScenarioArgs {
  ParsedArgs args;
  std::unique_ptr<Scenario> scenario;
  std::vector<model::Variant> variants;  // --variants, else the scenario's
};
// ParseCommand, then exactly one SCENARIO, loaded, and its variants.
std::optional<ScenarioArgs> ParseScenarioCommand(const CommandSpec& c, const std::vector<std::string>& args,
                                                 std::ostream& out, std::ostream& err, int* exit);

// --NAME as an integer in [lo, hi] into *out (unchanged when absent).
absl::Status IntFlag(const ParsedArgs& a, const std::string& name, int64_t lo, int64_t hi, int64_t* out);

// The options several commands share, spelled the same everywhere.
OptionSpec VariantsOption(const std::string& help);
OptionSpec FormatOption(const std::vector<std::string>& choices, const std::string& help);
OptionSpec OutputOption(const std::string& help);

// The version of this build (CMake's project version).
std::string Version();

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Commands (each in its own file), with their specs.
int CmdRun(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CmdCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CmdExplore(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CmdCompare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CmdMerge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CmdTrace(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// Real-kernel oracle (sim/cli/cmd_oracle.cc; built only with libfuse3).
int CmdOracle(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
const CommandSpec& RunSpec();
const CommandSpec& CheckSpec();
const CommandSpec& ExploreSpec();
const CommandSpec& CompareSpec();
const CommandSpec& MergeSpec();
const CommandSpec& TraceSpec();
const CommandSpec& OracleSpec();

// Scenario files named on the command line: files, and *.json below
// directories (sorted).
absl::StatusOr<std::vector<std::string>> CollectScenarioFiles(const std::vector<std::string>& inputs);

// The variants named by --variants (comma separated), or the scenario's.
absl::StatusOr<std::vector<model::Variant>> SelectVariants(const Scenario& s, const ParsedArgs& a);

// The steps to replay: --schedule if given, else the scenario's replay
// schedule, else none (sequential). Errors say which of the two is bad.
absl::StatusOr<std::vector<int>> StepsFor(const Scenario& s, const ParsedArgs& a);

// Writes text to path atomically (temp file + rename); "-" is stdout.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text, std::ostream& out);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_CLI_CLI_H_
