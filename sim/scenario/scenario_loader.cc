#include "sim/scenario/scenario_loader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "model/invariants.h"
#include "model/kernel_version.h"
#include "nlohmann/json.hpp"
#include "sim/scenario/json_positions.h"
#include "sim/scenario/op_stream.h"
#include "sim/scenario/workload.h"

namespace fusesim::sim {
namespace {

using model::Opcode;
using nlohmann::json;

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// Builds located errors and reads typed values.
class Reader {
 public:
  Reader(std::string file, const JsonPositions* pos) : file_(std::move(file)), pos_(pos) {}

  absl::Status Error(const std::string& pointer, const std::string& msg) const {
    TextPosition p = pos_->Find(pointer);
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", p.line, ":", p.column, ": ", pointer.empty() ? "/" : pointer, ": ", msg));
  }

  static std::string Child(const std::string& ptr, const std::string& key) {
    return absl::StrCat(ptr, "/", EscapePointerToken(key));
  }
  static std::string Child(const std::string& ptr, size_t i) { return absl::StrCat(ptr, "/", i); }

  absl::Status ExpectType(const json& v, const std::string& ptr, json::value_t t, const char* what) const {
    bool ok = v.type() == t;
    if (t == json::value_t::number_integer) ok = v.is_number_integer();  // signed or unsigned
    if (!ok) return Error(ptr, absl::StrCat("expected ", what, ", got ", v.type_name()));
    return absl::OkStatus();
  }

  absl::Status CheckKeys(const json& obj, const std::string& ptr, const std::vector<std::string>& allowed) const {
    if (!obj.is_object()) return Error(ptr, absl::StrCat("expected an object, got ", obj.type_name()));
    for (const auto& [key, value] : obj.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        return Error(Child(ptr, key),
                     absl::StrCat("unknown key ", Quote(key), "; valid keys: ", absl::StrJoin(allowed, ", ")));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const json& obj, const std::string& ptr, const std::string& key, bool required,
                                     const std::string& dflt = "") const {
    if (!obj.contains(key)) {
      if (required) return Error(ptr, absl::StrCat("missing required key ", Quote(key)));
      return dflt;
    }
    const json& v = obj[key];
    if (!v.is_string()) return Error(Child(ptr, key), absl::StrCat("expected a string, got ", v.type_name()));
    return v.get<std::string>();
  }

  absl::StatusOr<bool> Bool(const json& obj, const std::string& ptr, const std::string& key, bool dflt) const {
    if (!obj.contains(key)) return dflt;
    const json& v = obj[key];
    if (!v.is_boolean()) return Error(Child(ptr, key), absl::StrCat("expected true or false, got ", v.type_name()));
    return v.get<bool>();
  }

  // A non-negative integer within [0, max].
  absl::StatusOr<int64_t> Int(const json& v, const std::string& ptr, int64_t max) const {
    if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0))
      return Error(ptr, absl::StrCat("expected a non-negative integer, got ",
                                     v.is_number() ? v.dump() : std::string(v.type_name())));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max))
      return Error(ptr, absl::StrCat("value ", v.dump(), " is above the limit ", max));
    return v.get<int64_t>();
  }
  absl::StatusOr<int64_t> IntKey(const json& obj, const std::string& ptr, const std::string& key, int64_t dflt,
                                 int64_t max) const {
    if (!obj.contains(key)) return dflt;
    return Int(obj[key], Child(ptr, key), max);
  }
  // Milliseconds (integer or fraction) as microseconds.
  absl::StatusOr<uint64_t> Millis(const json& obj, const std::string& ptr, const std::string& key,
                                  uint64_t dflt_us) const {
    if (!obj.contains(key)) return dflt_us;
    const json& v = obj[key];
    const std::string p = Child(ptr, key);
    if (!v.is_number()) return Error(p, absl::StrCat("expected a number of milliseconds, got ", v.type_name()));
    double ms = v.get<double>();
    if (!(ms >= 0) || ms > 1e12) return Error(p, absl::StrCat("expected 0 <= ms <= 1e12, got ", v.dump()));
    return static_cast<uint64_t>(std::llround(ms * 1000.0));
  }

 private:
  std::string file_;
  const JsonPositions* pos_;
};

#define FUSESIM_ASSIGN(lhs, expr)     \
  do {                                \
    auto _r = (expr);                 \
    if (!_r.ok()) return _r.status(); \
    (lhs) = std::move(*_r);           \
  } while (0)
#define FUSESIM_RETURN_IF_ERROR(expr) \
  do {                                \
    absl::Status _s = (expr);         \
    if (!_s.ok()) return _s;          \
  } while (0)

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

class Loader {
 public:
  Loader(const std::string& file, const JsonPositions* pos, const LoaderLimits& limits)
      : r_(file, pos), limits_(limits) {}

  // The ops are not in the DOM given to Load: they are read from text
  // (op_stream.h), op_counts[t] of them in thread t.
  void StreamOps(const std::string* text, std::vector<size_t> op_counts) {
    text_ = text;
    op_counts_ = std::move(op_counts);
  }

  absl::StatusOr<std::unique_ptr<Scenario>> Load(const json& root, const std::string& file) {
    auto sc = std::make_unique<Scenario>();
    s_ = sc.get();
    s_->file = file;
    FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(
        root, "",
        {"name", "description", "variants", "mounts", "server", "threads", "schedule", "expect", "workload"}));
    FUSESIM_ASSIGN(s_->name, r_.String(root, "", "name", true));
    if (s_->name.empty()) return r_.Error("/name", "the name must not be empty");
    FUSESIM_ASSIGN(s_->description, r_.String(root, "", "description", false));
    FUSESIM_RETURN_IF_ERROR(LoadVariants(root));
    FUSESIM_RETURN_IF_ERROR(LoadMounts(root));
    FUSESIM_RETURN_IF_ERROR(LoadServer(root));
    FUSESIM_RETURN_IF_ERROR(LoadThreads(root));
    FUSESIM_RETURN_IF_ERROR(LoadSchedule(root));
    FUSESIM_RETURN_IF_ERROR(LoadExpect(root));
    std::sort(paths_.begin(), paths_.end());
    paths_.erase(std::unique(paths_.begin(), paths_.end()), paths_.end());
    s_->paths = std::move(paths_);
    for (const std::string& p : s_->paths) s_->path_ids.push_back(model::InternPath(s_->names, p));
    return sc;
  }

 private:
  absl::Status LoadVariants(const json& root) {
    if (!root.contains("variants")) {
      s_->variants = model::AllVariants();
      return absl::OkStatus();
    }
    s_->variants_given = true;
    const json& v = root["variants"];
    if (!v.is_array())
      return r_.Error("/variants", absl::StrCat("expected an array of variant names, got ", v.type_name()));
    if (v.empty()) return r_.Error("/variants", "the list of variants is empty");
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string p = Reader::Child("/variants", i);
      if (!v[i].is_string()) return r_.Error(p, absl::StrCat("expected a variant name, got ", v[i].type_name()));
      auto var = model::ParseVariant(v[i].get<std::string>());
      if (!var)
        return r_.Error(
            p, absl::StrCat("unknown variant ", Quote(v[i].get<std::string>()), "; valid: ", model::AllVariantNames()));
      if (std::find(s_->variants.begin(), s_->variants.end(), *var) != s_->variants.end())
        return r_.Error(p, absl::StrCat("duplicate variant ", Quote(v[i].get<std::string>())));
      s_->variants.push_back(*var);
    }
    return absl::OkStatus();
  }

  absl::Status LoadMounts(const json& root) {
    if (!root.contains("mounts")) {
      s_->mounts.push_back(model::MountConfig{});
      return absl::OkStatus();
    }
    const json& ms = root["mounts"];
    if (!ms.is_array()) return r_.Error("/mounts", absl::StrCat("expected an array of mounts, got ", ms.type_name()));
    if (ms.empty()) return r_.Error("/mounts", "at least one mount is needed");
    if (static_cast<int>(ms.size()) > limits_.max_mounts)
      return r_.Error("/mounts", absl::StrCat(ms.size(), " mounts is above the limit of ", limits_.max_mounts));
    for (size_t i = 0; i < ms.size(); ++i) {
      const std::string p = Reader::Child("/mounts", i);
      const json& m = ms[i];
      FUSESIM_RETURN_IF_ERROR(
          r_.CheckKeys(m, p,
                       {"name", "entry_timeout_ms", "attr_timeout_ms", "negative_timeout_ms", "kernel",
                        "parallel_dirops", "default_permissions", "cache_symlinks", "readdirplus", "io_uring"}));
      model::MountConfig c;
      FUSESIM_ASSIGN(c.name, r_.String(m, p, "name", true));
      if (!IsIdentifier(c.name))
        return r_.Error(Reader::Child(p, "name"), "a mount name is 1-64 letters, digits, '_' or '-'");
      for (const auto& other : s_->mounts)
        if (other.name == c.name)
          return r_.Error(Reader::Child(p, "name"), absl::StrCat("duplicate mount name ", Quote(c.name)));
      FUSESIM_ASSIGN(c.timeouts.entry_us, r_.Millis(m, p, "entry_timeout_ms", 1000000));
      FUSESIM_ASSIGN(c.timeouts.attr_us, r_.Millis(m, p, "attr_timeout_ms", 1000000));
      FUSESIM_ASSIGN(c.timeouts.negative_us, r_.Millis(m, p, "negative_timeout_ms", 0));
      std::string kernel;
      FUSESIM_ASSIGN(kernel, r_.String(m, p, "kernel", false, "6.18"));
      auto kv = model::ParseKernelVersion(kernel);
      if (!kv)
        return r_.Error(Reader::Child(p, "kernel"),
                        absl::StrCat("unknown kernel ", Quote(kernel), "; valid: 5.18, 6.18"));
      c.kernel = *kv;
      FUSESIM_ASSIGN(c.parallel_dirops, r_.Bool(m, p, "parallel_dirops", false));
      FUSESIM_ASSIGN(c.default_permissions, r_.Bool(m, p, "default_permissions", false));
      FUSESIM_ASSIGN(c.cache_symlinks, r_.Bool(m, p, "cache_symlinks", false));
      FUSESIM_ASSIGN(c.io_uring, r_.Bool(m, p, "io_uring", false));
      std::string rdplus;
      FUSESIM_ASSIGN(rdplus, r_.String(m, p, "readdirplus", false, "off"));
      if (rdplus == "off") {
        c.readdirplus = model::ReaddirPlus::kOff;
      } else if (rdplus == "auto") {
        c.readdirplus = model::ReaddirPlus::kAuto;
      } else if (rdplus == "on") {
        c.readdirplus = model::ReaddirPlus::kOn;
      } else {
        return r_.Error(Reader::Child(p, "readdirplus"),
                        absl::StrCat("unknown readdirplus ", Quote(rdplus), "; valid: off, auto, on"));
      }
      s_->mounts.push_back(c);
    }
    return absl::OkStatus();
  }

  // An absolute path in the scenario: "/" or "/a/b" (no trailing slash).
  absl::StatusOr<std::vector<model::NameId>> Path(const std::string& path, const std::string& ptr,
                                                  bool allow_trailing_slash = false, bool allow_dots = false,
                                                  bool report = true) {
    return PathWith(
        path, [&] { return ptr; }, allow_trailing_slash, allow_dots, report);
  }
  // The same, with the value's pointer made only for an error (`ptr()`):
  // the per-op path of a big scenario.
  template <typename PointerFn>
  absl::StatusOr<std::vector<model::NameId>> PathWith(const std::string& path, const PointerFn& ptr,
                                                      bool allow_trailing_slash, bool allow_dots, bool report) {
    if (path.empty() || path[0] != '/')
      return r_.Error(ptr(), absl::StrCat("path ", Quote(path), " is not absolute (it must start with /)"));
    if (path.size() > limits_.max_path_bytes)
      return r_.Error(
          ptr(), absl::StrCat("path is ", path.size(), " bytes long, above PATH_MAX (", limits_.max_path_bytes, ")"));
    std::string_view body = path;
    if (allow_trailing_slash && body.size() > 1 && body.back() == '/') body.remove_suffix(1);
    if (body.size() > 1 && body.back() == '/')
      return r_.Error(ptr(), absl::StrCat("path ", Quote(path), " ends with /"));
    // The components: what lies between the slashes after the first.
    const size_t parts = body == "/" ? 0 : std::count(body.begin() + 1, body.end(), '/') + 1;
    if (static_cast<int64_t>(parts) > limits_.max_path_components)
      return r_.Error(
          ptr(), absl::StrCat("path has ", parts, " components, above the limit of ", limits_.max_path_components));
    std::vector<model::NameId> ids;
    ids.reserve(parts);
    bool has_dots = false;
    for (size_t start = 1; ids.size() < parts;) {
      size_t end = body.find('/', start);
      if (end == std::string_view::npos) end = body.size();
      const std::string_view part = body.substr(start, end - start);
      start = end + 1;
      if (part.empty()) return r_.Error(ptr(), absl::StrCat("path ", Quote(path), " has an empty component (//)"));
      const bool dots = part == "." || part == "..";
      if (dots && !allow_dots)
        return r_.Error(ptr(),
                        absl::StrCat("path ", Quote(path), " uses . or ..; only the paths of kernel-side ops may"));
      has_dots |= dots;
      ids.push_back(s_->names.Intern(part));
    }
    // The dentries report lists the paths as the dcache names them.
    if (!has_dots && report) paths_.emplace_back(body);
    return ids;
  }

  absl::StatusOr<Opcode> ParseOpcodeAt(const json& v, const std::string& ptr) {
    if (!v.is_string()) return r_.Error(ptr, absl::StrCat("expected an opcode name, got ", v.type_name()));
    auto op = model::ParseOpcode(v.get<std::string>());
    if (!op)
      return r_.Error(
          ptr, absl::StrCat("unknown opcode ", Quote(v.get<std::string>()), "; valid: ", model::AllOpcodeNames()));
    return *op;
  }

  absl::StatusOr<model::Err> ParseErrnoAt(const json& v, const std::string& ptr) {
    if (!v.is_string()) return r_.Error(ptr, absl::StrCat("expected an errno name, got ", v.type_name()));
    auto e = model::ParseErr(v.get<std::string>());
    if (!e)
      return r_.Error(ptr,
                      absl::StrCat("unknown errno ", Quote(v.get<std::string>()), "; valid: ", model::AllErrNames()));
    return *e;
  }

  absl::Status LoadServer(const json& root) {
    if (!root.contains("server")) return absl::OkStatus();
    const json& sv = root["server"];
    const std::string p = "/server";
    FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(
        sv, p,
        {"tree", "unsupported", "errors", "create_existing", "open_unlinked", "xattr", "latency_us", "compound_excl"}));
    model::ServerConfig& c = s_->server;
    if (sv.contains("tree")) {
      const json& t = sv["tree"];
      if (!t.is_array()) return r_.Error(p + "/tree", absl::StrCat("expected an array of paths, got ", t.type_name()));
      std::set<std::string> seen;
      for (size_t i = 0; i < t.size(); ++i) {
        const std::string ep = Reader::Child(p + "/tree", i);
        if (!t[i].is_string()) return r_.Error(ep, absl::StrCat("expected a path, got ", t[i].type_name()));
        std::string path = t[i].get<std::string>();
        bool is_dir = path.size() > 1 && path.back() == '/';
        std::vector<model::NameId> ids;
        FUSESIM_ASSIGN(ids, Path(path, ep, /*allow_trailing_slash=*/true));
        if (ids.empty()) continue;  // "/" always exists
        std::string norm = is_dir ? path.substr(0, path.size() - 1) : path;
        if (!seen.insert(norm).second) return r_.Error(ep, absl::StrCat("duplicate tree entry ", Quote(path)));
        s_->tree.push_back({norm, ids, is_dir});
      }
      // A file cannot have children.
      for (const auto& e : s_->tree) {
        if (e.is_dir) continue;
        for (size_t i = 0; i < s_->tree.size(); ++i) {
          const auto& o = s_->tree[i];
          if (o.ids.size() > e.ids.size() && std::equal(e.ids.begin(), e.ids.end(), o.ids.begin()))
            return r_.Error(Reader::Child(p + "/tree", i), absl::StrCat(Quote(o.path), " is below ", Quote(e.path),
                                                                        ", which is a file (end a directory with /)"));
        }
      }
    }
    if (sv.contains("unsupported")) {
      const json& u = sv["unsupported"];
      if (!u.is_array())
        return r_.Error(p + "/unsupported", absl::StrCat("expected an array of opcode names, got ", u.type_name()));
      for (size_t i = 0; i < u.size(); ++i) {
        Opcode op;
        FUSESIM_ASSIGN(op, ParseOpcodeAt(u[i], Reader::Child(p + "/unsupported", i)));
        if (op == Opcode::kForget || op == Opcode::kBatchForget)
          return r_.Error(Reader::Child(p + "/unsupported", i), "FORGET has no reply, so it cannot answer ENOSYS");
        c.unsupported.push_back(op);
      }
    }
    if (sv.contains("errors")) {
      const json& es = sv["errors"];
      if (!es.is_array())
        return r_.Error(p + "/errors", absl::StrCat("expected an array of error rules, got ", es.type_name()));
      for (size_t i = 0; i < es.size(); ++i) {
        const std::string ep = Reader::Child(p + "/errors", i);
        FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(es[i], ep, {"opcode", "path", "errno", "times"}));
        model::ErrorRule rule;
        if (!es[i].contains("opcode")) return r_.Error(ep, "missing required key \"opcode\"");
        FUSESIM_ASSIGN(rule.opcode, ParseOpcodeAt(es[i]["opcode"], ep + "/opcode"));
        if (rule.opcode == Opcode::kForget || rule.opcode == Opcode::kBatchForget)
          return r_.Error(ep + "/opcode", "FORGET has no reply, so it cannot fail");
        if (!es[i].contains("errno")) return r_.Error(ep, "missing required key \"errno\"");
        FUSESIM_ASSIGN(rule.err, ParseErrnoAt(es[i]["errno"], ep + "/errno"));
        if (es[i].contains("path")) {
          std::string path;
          FUSESIM_ASSIGN(path, r_.String(es[i], ep, "path", true));
          rule.any_path = false;
          FUSESIM_ASSIGN(rule.path, Path(path, ep + "/path"));
        }
        int64_t times;
        FUSESIM_ASSIGN(times, r_.IntKey(es[i], ep, "times", 0, 1000000000));
        rule.times = static_cast<int>(times);
        c.errors.push_back(rule);
      }
    }
    std::string ce;
    FUSESIM_ASSIGN(ce, r_.String(sv, p, "create_existing", false, "open"));
    if (ce == "open")
      c.create_existing = model::CreateExisting::kOpen;
    else if (ce == "eexist")
      c.create_existing = model::CreateExisting::kEexist;
    else
      return r_.Error(p + "/create_existing", absl::StrCat("unknown value ", Quote(ce), "; valid: open, eexist"));
    std::string ou;
    FUSESIM_ASSIGN(ou, r_.String(sv, p, "open_unlinked", false, "open"));
    if (ou == "open")
      c.open_unlinked = model::OpenUnlinked::kOpen;
    else if (ou == "ENOENT")
      c.open_unlinked = model::OpenUnlinked::kENOENT;
    else if (ou == "ESTALE")
      c.open_unlinked = model::OpenUnlinked::kESTALE;
    else
      return r_.Error(p + "/open_unlinked", absl::StrCat("unknown value ", Quote(ou), "; valid: open, ENOENT, ESTALE"));
    FUSESIM_ASSIGN(c.xattr, r_.Bool(sv, p, "xattr", false));
    std::string cx;
    FUSESIM_ASSIGN(cx, r_.String(sv, p, "compound_excl", false, "server"));
    if (cx == "server")
      c.compound_excl = model::CompoundExcl::kServer;
    else if (cx == "kernel-recheck")
      c.compound_excl = model::CompoundExcl::kKernelRecheck;
    else
      return r_.Error(p + "/compound_excl",
                      absl::StrCat("unknown value ", Quote(cx), "; valid: server, kernel-recheck"));
    if (sv.contains("latency_us")) {
      const json& l = sv["latency_us"];
      const std::string lp = p + "/latency_us";
      if (!l.is_object())
        return r_.Error(lp, absl::StrCat("expected an object of opcode: microseconds, got ", l.type_name()));
      for (const auto& [key, value] : l.items()) {
        int64_t us;
        FUSESIM_ASSIGN(us, r_.Int(value, Reader::Child(lp, key), 1000000000000LL));
        if (key == "default") {
          c.default_latency_us = us;
          continue;
        }
        auto op = model::ParseOpcode(key);
        if (!op)
          return r_.Error(Reader::Child(lp, key),
                          absl::StrCat("unknown opcode ", Quote(key), "; valid: default, ", model::AllOpcodeNames()));
        c.latency_us[*op] = us;
      }
    }
    return absl::OkStatus();
  }

  // A mode: an octal string ("0644") or an integer taken as is, <= 07777.
  absl::StatusOr<uint32_t> Mode(const json& m, const std::string& ptr) {
    if (m.is_string()) {
      const std::string ms = m.get<std::string>();
      char* end = nullptr;
      unsigned long v = std::strtoul(ms.c_str(), &end, 8);
      if (ms.empty() || *end != '\0' || v > 07777)
        return r_.Error(ptr, absl::StrCat("expected an octal mode like \"0644\", got ", Quote(ms)));
      return static_cast<uint32_t>(v);
    }
    if (m.is_number_integer() && m.get<int64_t>() >= 0 && m.get<int64_t>() <= 07777)
      return static_cast<uint32_t>(m.get<int64_t>());
    return r_.Error(ptr, "expected an octal mode like \"0644\"");
  }

  absl::StatusOr<uint32_t> Flags(const json& op, const std::string& ptr) {
    if (!op.contains("flags")) return 0u;  // O_RDONLY
    const json& v = op["flags"];
    if (!v.is_string())
      return r_.Error(ptr + "/flags", absl::StrCat("expected flags like \"O_CREAT|O_WRONLY\", got ", v.type_name()));
    // A big scenario spells the same few flag sets again and again.
    const std::string& text = v.get_ref<const std::string&>();
    if (auto hit = flags_parsed_.find(text); hit != flags_parsed_.end()) return hit->second;
    absl::StatusOr<uint32_t> parsed = ParseFlags(text, ptr);
    if (parsed.ok()) flags_parsed_.emplace(text, *parsed);
    return parsed;
  }

  absl::StatusOr<uint32_t> ParseFlags(const std::string& text, const std::string& ptr) {
    static const std::pair<const char*, uint32_t> kFlags[] = {
        {"O_RDONLY", model::kORdonly},       {"O_WRONLY", model::kOWronly},     {"O_RDWR", model::kORdwr},
        {"O_CREAT", model::kOCreat},         {"O_EXCL", model::kOExcl},         {"O_TRUNC", model::kOTrunc},
        {"O_DIRECTORY", model::kODirectory}, {"O_NOFOLLOW", model::kONofollow}, {"O_APPEND", model::kOAppend}};
    uint32_t flags = 0;
    int access_modes = 0;
    for (absl::string_view piece : absl::StrSplit(text, '|')) {
      std::string part(piece);
      part.erase(0, part.find_first_not_of(' '));
      part.erase(part.find_last_not_of(' ') + 1);
      bool found = false;
      for (const auto& [name, bit] : kFlags) {
        if (part == name) {
          flags |= bit;
          found = true;
          if (part == "O_RDONLY" || part == "O_WRONLY" || part == "O_RDWR") access_modes++;
        }
      }
      if (!found)
        return r_.Error(
            ptr + "/flags",
            absl::StrCat(
                "unknown flag ", Quote(part),
                "; valid: O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_APPEND"));
    }
    if (access_modes > 1) return r_.Error(ptr + "/flags", "give at most one of O_RDONLY, O_WRONLY, O_RDWR");
    return flags;
  }

  // The fd labels of one thread's opens so far (views of the ops' own
  // labels), each with whether it is closed yet.
  using Fds = absl::flat_hash_map<absl::string_view, bool>;

  // "; defined: a, b" (sorted) for an error about an unknown fd label.
  static std::string KnownFds(const Fds& fds) {
    if (fds.empty()) return "";
    std::vector<absl::string_view> known;
    for (const auto& [label, closed] : fds) known.push_back(label);
    std::sort(known.begin(), known.end());
    return absl::StrCat("; defined: ", absl::StrJoin(known, ", "));
  }

  // The global index of the op labelled "THREAD.INDEX" (the index in
  // decimal, as OpSpec::label writes it), or -1.
  int OpByLabel(absl::string_view label) const {
    const size_t dot = label.rfind('.');
    if (dot == absl::string_view::npos) return -1;
    const absl::string_view digits = label.substr(dot + 1);
    if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0')) return -1;
    int index = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return -1;
      index = index * 10 + (c - '0');
    }
    auto t = thread_index_.find(label.substr(0, dot));
    if (t == thread_index_.end()) return -1;
    const ThreadSpec& th = s_->threads[t->second];
    if (index >= static_cast<int>(th.ops.size())) return -1;
    return th.ops[index].global;
  }

  static std::string OpPointer(size_t thread, size_t index) {
    return absl::StrCat("/threads/", thread, "/ops/", index);
  }

  absl::Status LoadThreads(const json& root) {
    if (!root.contains("threads")) return r_.Error("", "missing required key \"threads\"");
    const json& ts = root["threads"];
    if (!ts.is_array()) return r_.Error("/threads", absl::StrCat("expected an array of threads, got ", ts.type_name()));
    if (ts.empty()) return r_.Error("/threads", "at least one thread is needed");
    if (static_cast<int>(ts.size()) > limits_.max_threads)
      return r_.Error("/threads", absl::StrCat(ts.size(), " threads is above the limit of ", limits_.max_threads));
    // Pass 1: names, so that "after" can refer to any thread.
    for (size_t t = 0; t < ts.size(); ++t) {
      const std::string p = Reader::Child("/threads", t);
      FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(ts[t], p, {"name", "mount", "server_side", "ops"}));
      ThreadSpec th;
      FUSESIM_ASSIGN(th.name, r_.String(ts[t], p, "name", true));
      if (!IsIdentifier(th.name)) return r_.Error(p + "/name", "a thread name is 1-64 letters, digits, '_' or '-'");
      for (const auto& o : s_->threads)
        if (o.name == th.name) return r_.Error(p + "/name", absl::StrCat("duplicate thread name ", Quote(th.name)));
      FUSESIM_ASSIGN(th.server_side, r_.Bool(ts[t], p, "server_side", false));
      if (ts[t].contains("mount")) {
        if (th.server_side)
          return r_.Error(p + "/mount", "a server-side thread acts on the server, not through a mount");
        std::string m;
        FUSESIM_ASSIGN(m, r_.String(ts[t], p, "mount", true));
        th.mount = -1;
        for (size_t i = 0; i < s_->mounts.size(); ++i)
          if (s_->mounts[i].name == m) th.mount = static_cast<int>(i);
        if (th.mount < 0) {
          std::vector<std::string> names;
          for (const auto& mc : s_->mounts) names.push_back(mc.name);
          return r_.Error(p + "/mount",
                          absl::StrCat("unknown mount ", Quote(m), "; defined: ", absl::StrJoin(names, ", ")));
        }
      }
      if (!ts[t].contains("ops")) return r_.Error(p, "missing required key \"ops\"");
      if (!ts[t]["ops"].is_array())
        return r_.Error(p + "/ops", absl::StrCat("expected an array of ops, got ", ts[t]["ops"].type_name()));
      th.ops.resize(text_ == nullptr ? ts[t]["ops"].size() : t < op_counts_.size() ? op_counts_[t] : 0);
      auto shared_name = std::make_shared<const std::string>(th.name);
      for (size_t i = 0; i < th.ops.size(); ++i) {
        th.ops[i].SetThreadName(shared_name);
        th.ops[i].index = static_cast<int>(i);
        th.ops[i].global = static_cast<int>(s_->ops.size());
        s_->ops.push_back({static_cast<int>(t), static_cast<int>(i)});
      }
      thread_index_[th.name] = static_cast<int>(t);
      if (static_cast<int>(s_->ops.size()) > limits_.max_ops)
        return r_.Error(p + "/ops", absl::StrCat("the scenario has more than ", limits_.max_ops, " ops"));
      s_->threads.push_back(std::move(th));
    }
    // Pass 2: ops, in document order.
    if (text_ != nullptr) {
      int last = -1;
      Fds fds;
      FUSESIM_RETURN_IF_ERROR(ForEachOp(*text_, [&](int t, size_t i, const json& o) {
        if (t != last) fds.clear();
        last = t;
        ThreadSpec& th = s_->threads[t];
        op_ptr_.clear();  // reused: no allocation per op
        absl::StrAppend(&op_ptr_, "/threads/", t, "/ops/", i);
        return LoadOp(o, op_ptr_, th, th.ops[i], &fds);
      }));
    } else {
      for (size_t t = 0; t < ts.size(); ++t) {
        ThreadSpec& th = s_->threads[t];
        Fds fds;
        for (size_t i = 0; i < th.ops.size(); ++i)
          FUSESIM_RETURN_IF_ERROR(LoadOp(ts[t]["ops"][i], OpPointer(t, i), th, th.ops[i], &fds));
      }
    }
    return CheckAfterCycles();
  }

  // The keys an op of a kind may have, built once per kind.
  static const std::vector<std::string>& KeysOf(OpKind kind) {
    static const std::vector<std::vector<std::string>>* const kKeys = [] {
      auto* all = new std::vector<std::vector<std::string>>();
      for (int k = 0; k <= static_cast<int>(OpKind::kNotifyIncEpoch); ++k) {
        std::vector<std::string> keys = {"op", "after"};
        switch (static_cast<OpKind>(k)) {
          case OpKind::kOpen:
            keys.insert(keys.end(), {"path", "flags", "mode", "fd", "at"});
            break;
          case OpKind::kClose:
            keys.push_back("fd");
            break;
          case OpKind::kRename:
          case OpKind::kServerRename:
          case OpKind::kLink:
          case OpKind::kServerLink:
            keys.insert(keys.end(), {"path", "to"});
            break;
          case OpKind::kStat:
            keys.insert(keys.end(), {"path", "nofollow"});
            break;
          case OpKind::kSymlink:
          case OpKind::kServerSymlink:
            keys.insert(keys.end(), {"target", "path"});
            break;
          case OpKind::kChmod:
          case OpKind::kServerChmod:
            keys.insert(keys.end(), {"path", "mode"});
            break;
          case OpKind::kTruncate:
            keys.insert(keys.end(), {"path", "size"});
            break;
          case OpKind::kNotifyInvalEntry:
          case OpKind::kNotifyInvalInode:
          case OpKind::kNotifyDelete:
            keys.insert(keys.end(), {"mount", "path"});
            break;
          case OpKind::kNotifyIncEpoch:
            keys.push_back("mount");
            break;
          case OpKind::kSleep:
          case OpKind::kServerSleep:
            keys.push_back("ms");
            break;
          case OpKind::kDropCaches:
            break;
          default:
            keys.push_back("path");
        }
        all->push_back(std::move(keys));
      }
      return all;
    }();
    return (*kKeys)[static_cast<int>(kind)];
  }

  absl::Status LoadOp(const json& o, const std::string& p, const ThreadSpec& th, OpSpec& op, Fds* fds) {
    if (!o.is_object()) return r_.Error(p, absl::StrCat("expected an op object, got ", o.type_name()));
    std::string name;
    FUSESIM_ASSIGN(name, r_.String(o, p, "op", true));
    static const std::vector<std::pair<std::string, OpKind>> kKernelOps = {
        {"open", OpKind::kOpen},       {"close", OpKind::kClose},       {"stat", OpKind::kStat},
        {"unlink", OpKind::kUnlink},   {"mkdir", OpKind::kMkdir},       {"rmdir", OpKind::kRmdir},
        {"rename", OpKind::kRename},   {"sleep", OpKind::kSleep},       {"drop_caches", OpKind::kDropCaches},
        {"symlink", OpKind::kSymlink}, {"readlink", OpKind::kReadlink}, {"link", OpKind::kLink},
        {"chmod", OpKind::kChmod},     {"truncate", OpKind::kTruncate}, {"readdir", OpKind::kReaddir}};
    static const std::vector<std::pair<std::string, OpKind>> kServerOps = {
        {"create", OpKind::kServerCreate},
        {"unlink", OpKind::kServerUnlink},
        {"mkdir", OpKind::kServerMkdir},
        {"rmdir", OpKind::kServerRmdir},
        {"rename", OpKind::kServerRename},
        {"sleep", OpKind::kServerSleep},
        {"symlink", OpKind::kServerSymlink},
        {"link", OpKind::kServerLink},
        {"chmod", OpKind::kServerChmod},
        {"notify_inval_entry", OpKind::kNotifyInvalEntry},
        {"notify_inval_inode", OpKind::kNotifyInvalInode},
        {"notify_delete", OpKind::kNotifyDelete},
        {"notify_inc_epoch", OpKind::kNotifyIncEpoch}};
    const auto& table = th.server_side ? kServerOps : kKernelOps;
    bool found = false;
    for (const auto& [n, k] : table)
      if (n == name) {
        op.kind = k;
        found = true;
      }
    if (!found) {
      std::vector<std::string> names;
      for (const auto& [n, k] : table) names.push_back(n);
      return r_.Error(p + "/op", absl::StrCat("unknown ", th.server_side ? "server-side " : "", "op ", Quote(name),
                                              "; valid: ", absl::StrJoin(names, ", ")));
    }
    const std::vector<std::string>& keys = KeysOf(op.kind);
    FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(o, p, keys));
    const bool kernel_side = !th.server_side;
    if (op.kind == OpKind::kOpen && o.contains("at")) {
      std::string& at = op.MutableRare().at;
      FUSESIM_ASSIGN(at, r_.String(o, p, "at", true));
      auto fd = fds->find(at);
      if (fd == fds->end())
        return r_.Error(p + "/at", absl::StrCat("fd ", Quote(at), " is not opened earlier in thread ", Quote(th.name),
                                                KnownFds(*fds)));
      if (fd->second) return r_.Error(p + "/at", absl::StrCat("fd ", Quote(at), " is closed before this op"));
      FUSESIM_ASSIGN(op.path, r_.String(o, p, "path", true));
      if (!op.path.empty() && op.path[0] != '/') {
        // openat(): a relative path from the directory `at` names.
        op.relative = true;
        FUSESIM_ASSIGN(op.path_ids, Path("/" + op.path, p + "/path", false, true, /*report=*/false));
      }
    }
    if (std::find(keys.begin(), keys.end(), "path") != keys.end() && !op.relative) {
      FUSESIM_ASSIGN(op.path, r_.String(o, p, "path", true));
      FUSESIM_ASSIGN(op.path_ids, PathWith(
                                      op.path, [&] { return p + "/path"; }, false, kernel_side, true));
    }
    if (std::find(keys.begin(), keys.end(), "to") != keys.end()) {
      OpSpecRare& rare = op.MutableRare();
      FUSESIM_ASSIGN(rare.to, r_.String(o, p, "to", true));
      FUSESIM_ASSIGN(rare.to_ids, Path(rare.to, p + "/to", false, kernel_side));
    }
    if (op.kind == OpKind::kSymlink || op.kind == OpKind::kServerSymlink) {
      OpSpecRare& rare = op.MutableRare();
      std::string& target = rare.target;
      FUSESIM_ASSIGN(target, r_.String(o, p, "target", true));
      if (target.empty())
        return r_.Error(p + "/target", "a symlink target must not be empty (symlink(2) answers ENOENT)");
      if (target.size() > limits_.max_path_bytes)
        return r_.Error(p + "/target", absl::StrCat("target is ", target.size(), " bytes long, above PATH_MAX (",
                                                    limits_.max_path_bytes, ")"));
      if (target.find('\0') != std::string::npos)
        return r_.Error(p + "/target", "a symlink target cannot hold a NUL byte");
      op.target_abs = target[0] == '/';
      rare.target_ids = model::InternPath(s_->names, target);
    }
    if (op.kind == OpKind::kStat) FUSESIM_ASSIGN(op.nofollow, r_.Bool(o, p, "nofollow", false));
    if (std::find(keys.begin(), keys.end(), "mount") != keys.end()) {
      std::string m;
      FUSESIM_ASSIGN(m, r_.String(o, p, "mount", true));
      op.mount = -1;
      for (size_t i = 0; i < s_->mounts.size(); ++i)
        if (s_->mounts[i].name == m) op.mount = static_cast<int>(i);
      if (op.mount < 0) {
        std::vector<std::string> names;
        for (const auto& mc : s_->mounts) names.push_back(mc.name);
        return r_.Error(p + "/mount",
                        absl::StrCat("unknown mount ", Quote(m), "; defined: ", absl::StrJoin(names, ", ")));
      }
    }
    if ((op.kind == OpKind::kNotifyInvalEntry || op.kind == OpKind::kNotifyDelete) && op.path_ids.empty())
      return r_.Error(p + "/path", "a notification about an entry needs a name: not /");
    if (op.kind == OpKind::kTruncate) {
      if (!o.contains("size")) return r_.Error(p, "missing required key \"size\"");
      int64_t size = 0;
      FUSESIM_ASSIGN(size, r_.Int(o["size"], p + "/size", int64_t{1} << 62));
      op.MutableRare().size = static_cast<uint64_t>(size);
    }
    if (op.kind == OpKind::kChmod || op.kind == OpKind::kServerChmod) {
      if (!o.contains("mode")) return r_.Error(p, "missing required key \"mode\"");
      FUSESIM_ASSIGN(op.mode, Mode(o["mode"], p + "/mode"));
    }
    if (op.kind == OpKind::kOpen) {
      FUSESIM_ASSIGN(op.flags, Flags(o, p));
      // (Flags() checked that "flags", if given, is a string.)
      static const std::string kRdonly = "O_RDONLY";
      const std::string& flags_text = o.contains("flags") ? o["flags"].get_ref<const std::string&>() : kRdonly;
      auto shared = flags_texts_.find(flags_text);
      if (shared == flags_texts_.end())
        shared = flags_texts_.emplace(flags_text, std::make_shared<const std::string>(flags_text)).first;
      op.SetFlagsText(shared->second);
      if (o.contains("mode")) FUSESIM_ASSIGN(op.mode, Mode(o["mode"], p + "/mode"));
      if (o.contains("fd")) {
        FUSESIM_ASSIGN(op.fd, r_.String(o, p, "fd", true));
        if (op.fd.empty()) return r_.Error(p + "/fd", "an fd label must not be empty");
        if (!fds->emplace(op.fd, false).second)
          return r_.Error(p + "/fd", absl::StrCat("duplicate fd label ", Quote(op.fd), " in thread ", Quote(th.name)));
      }
    }
    if (op.kind == OpKind::kClose) {
      FUSESIM_ASSIGN(op.fd, r_.String(o, p, "fd", true));
      auto fd = fds->find(op.fd);
      if (fd == fds->end())
        return r_.Error(p + "/fd", absl::StrCat("fd ", Quote(op.fd), " is not opened earlier in thread ",
                                                Quote(th.name), KnownFds(*fds)));
      if (fd->second) return r_.Error(p + "/fd", absl::StrCat("fd ", Quote(op.fd), " is closed twice"));
      fd->second = true;
    }
    if (op.kind == OpKind::kSleep || op.kind == OpKind::kServerSleep) {
      if (!o.contains("ms")) return r_.Error(p, "missing required key \"ms\"");
      FUSESIM_ASSIGN(op.MutableRare().sleep_us, r_.Millis(o, p, "ms", 0));
    }
    if (o.contains("after")) {
      const json& a = o["after"];
      std::vector<std::pair<std::string, std::string>> refs;
      if (a.is_string()) {
        refs.push_back({a.get<std::string>(), p + "/after"});
      } else if (a.is_array()) {
        for (size_t i = 0; i < a.size(); ++i) {
          if (!a[i].is_string()) return r_.Error(Reader::Child(p + "/after", i), "expected an op name like \"t1.0\"");
          refs.push_back({a[i].get<std::string>(), Reader::Child(p + "/after", i)});
        }
      } else {
        return r_.Error(p + "/after", "expected an op name like \"t1.0\" or a list of them");
      }
      for (const auto& [label, rp] : refs) {
        const int g = OpByLabel(label);
        if (g < 0)
          return r_.Error(rp, absl::StrCat("unknown op ", Quote(label), " (ops are named THREAD.INDEX, e.g. t1.0)"));
        if (g == op.global) return r_.Error(rp, "an op cannot wait for itself");
        op.MutableRare().after.push_back(g);
      }
      after_ptr_[op.global] = p + "/after";
    }
    return absl::OkStatus();
  }

  // An op waits for its predecessor in its thread and for its "after" ops; a
  // cycle would be a deadlock that no schedule can avoid.
  absl::Status CheckAfterCycles() {
    const int n = static_cast<int>(s_->ops.size());
    std::vector<int> state(n, 0);  // 0 new, 1 on stack, 2 done
    for (int start = 0; start < n; ++start) {
      if (state[start]) continue;
      std::vector<std::pair<int, int>> stack = {{start, -1}};
      while (!stack.empty()) {
        auto& [v, next] = stack.back();
        const OpSpec& op = s_->op(v);
        // Its "after" ops, then its predecessor in the thread.
        const std::vector<int>& after = op.after();
        const int deps = static_cast<int>(after.size()) + (s_->ops[v].second > 0 ? 1 : 0);
        if (next == -1) state[v] = 1;
        ++next;
        if (next < deps) {
          const int d = next < static_cast<int>(after.size()) ? after[next] : v - 1;
          if (state[d] == 1) {
            // Point at an "after" on the cycle (the stack from d to v).
            std::string where = "/threads";
            for (auto sit = stack.rbegin(); sit != stack.rend(); ++sit) {
              if (auto it = after_ptr_.find(sit->first); it != after_ptr_.end()) {
                where = it->second;
                break;
              }
              if (sit->first == d) break;
            }
            return r_.Error(where, absl::StrCat("\"after\" makes ", op.label(), " wait for ", s_->op(d).label(),
                                                ", which waits for it: a cycle"));
          }
          if (state[d] == 0) stack.push_back({d, -1});
        } else {
          state[v] = 2;
          stack.pop_back();
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status LoadSchedule(const json& root) {
    if (!root.contains("schedule")) return absl::OkStatus();
    const json& sc = root["schedule"];
    const std::string p = "/schedule";
    if (!sc.is_object()) return r_.Error(p, absl::StrCat("expected an object, got ", sc.type_name()));
    std::string mode;
    FUSESIM_ASSIGN(mode, r_.String(sc, p, "mode", true));
    ScheduleSpec& s = s_->schedule;
    if (mode == "sequential") {
      s.mode = ScheduleSpec::Mode::kSequential;
      return r_.CheckKeys(sc, p, {"mode"});
    }
    if (mode == "replay") {
      s.mode = ScheduleSpec::Mode::kReplay;
      FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(sc, p, {"mode", "steps"}));
      if (!sc.contains("steps") || !sc["steps"].is_array())
        return r_.Error(p, "replay needs \"steps\": an array of thread names");
      for (size_t i = 0; i < sc["steps"].size(); ++i) {
        const json& v = sc["steps"][i];
        const std::string sp = Reader::Child(p + "/steps", i);
        if (!v.is_string()) return r_.Error(sp, "expected a thread name");
        std::string name = v.get<std::string>();
        if (!IsActorName(name))
          return r_.Error(sp,
                          absl::StrCat("unknown thread ", Quote(name), "; valid: ", absl::StrJoin(ActorNames(), ", ")));
        s.steps.push_back(name);
      }
      return absl::OkStatus();
    }
    if (mode == "random" || mode == "pct") {
      s.mode = mode == "random" ? ScheduleSpec::Mode::kRandom : ScheduleSpec::Mode::kPct;
      FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(sc, p,
                                           mode == "random"
                                               ? std::vector<std::string>{"mode", "seed", "runs"}
                                               : std::vector<std::string>{"mode", "seed", "runs", "depth"}));
      int64_t v;
      FUSESIM_ASSIGN(v, r_.IntKey(sc, p, "seed", 1, INT64_MAX));
      s.seed = static_cast<uint64_t>(v);
      FUSESIM_ASSIGN(s.runs, r_.IntKey(sc, p, "runs", 1000, 1000000000));
      FUSESIM_ASSIGN(v, r_.IntKey(sc, p, "depth", 3, 100));
      if (v < 1) return r_.Error(p + "/depth", "the pct depth is at least 1");
      s.depth = static_cast<int>(v);
      return absl::OkStatus();
    }
    if (mode == "explore") {
      s.mode = ScheduleSpec::Mode::kExplore;
      FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(sc, p, {"mode", "max_preemptions", "max_schedules"}));
      int64_t v;
      FUSESIM_ASSIGN(v, r_.IntKey(sc, p, "max_preemptions", -1, 1000));
      s.max_preemptions = static_cast<int>(v);
      FUSESIM_ASSIGN(s.max_schedules, r_.IntKey(sc, p, "max_schedules", -1, INT64_MAX));
      return absl::OkStatus();
    }
    return r_.Error(p + "/mode", absl::StrCat("unknown schedule mode ", Quote(mode),
                                              "; valid: sequential, replay, random, pct, explore"));
  }

  std::vector<std::string> ActorNames() const {
    std::vector<std::string> names;
    for (const auto& t : s_->threads) names.push_back(t.name);
    for (const auto& m : s_->mounts) names.push_back("bg:" + m.name);
    for (const auto& m : s_->mounts)
      if (m.io_uring) names.push_back("forget:" + m.name);
    return names;
  }
  bool IsActorName(const std::string& n) const {
    auto names = ActorNames();
    return std::find(names.begin(), names.end(), n) != names.end();
  }

  absl::Status LoadExpect(const json& root) {
    if (!root.contains("expect")) return absl::OkStatus();
    const json& ex = root["expect"];
    if (!ex.is_object())
      return r_.Error("/expect", absl::StrCat("expected an object keyed by variant or \"all\", got ", ex.type_name()));
    for (const auto& [key, block] : ex.items()) {
      const std::string p = Reader::Child("/expect", key);
      if (key != "all") {
        auto v = model::ParseVariant(key);
        if (!v)
          return r_.Error(p, absl::StrCat("unknown variant ", Quote(key), "; valid: all, ", model::AllVariantNames()));
        if (std::find(s_->variants.begin(), s_->variants.end(), *v) == s_->variants.end())
          return r_.Error(
              p, absl::StrCat("expectations for ", Quote(key), ", which is not in this scenario's \"variants\""));
      }
      Expectation e;
      e.pointer = p;
      FUSESIM_RETURN_IF_ERROR(
          r_.CheckKeys(block, p,
                       {"requests", "requests_per_op", "round_trips", "results", "dentries", "invariants", "violations",
                        "deadlock", "outcomes", "dir_changed", "spurious_dir_changed"}));
      if (block.contains("requests")) {
        const json& rq = block["requests"];
        const std::string rp = p + "/requests";
        if (rq.is_object() && rq.contains("any_of")) {
          FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(rq, rp, {"any_of"}));
          if (!rq["any_of"].is_array() || rq["any_of"].empty())
            return r_.Error(rp + "/any_of", "expected a non-empty array of request-count objects");
          for (size_t i = 0; i < rq["any_of"].size(); ++i) {
            std::map<Opcode, int> m;
            FUSESIM_ASSIGN(m, Counts(rq["any_of"][i], Reader::Child(rp + "/any_of", i)));
            e.requests.push_back(m);
          }
        } else {
          std::map<Opcode, int> m;
          FUSESIM_ASSIGN(m, Counts(rq, rp));
          e.requests.push_back(m);
        }
      }
      if (block.contains("requests_per_op")) {
        const json& rs = block["requests_per_op"];
        const std::string rp = p + "/requests_per_op";
        if (!rs.is_object()) return r_.Error(rp, "expected an object of op name: [OPCODE, ...]");
        for (const auto& [label, value] : rs.items()) {
          const std::string lp = Reader::Child(rp, label);
          if (OpByLabel(label) < 0)
            return r_.Error(lp, absl::StrCat("unknown op ", Quote(label), " (ops are named THREAD.INDEX, e.g. t1.0)"));
          std::vector<std::vector<std::string>> accepted;
          if (value.is_object()) {
            FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(value, lp, {"any_of"}));
            if (!value.contains("any_of") || !value["any_of"].is_array() || value["any_of"].empty())
              return r_.Error(lp, "expected {\"any_of\": [[OPCODE, ...], ...]}");
            for (size_t i = 0; i < value["any_of"].size(); ++i) {
              std::vector<std::string> seq;
              FUSESIM_ASSIGN(seq, OpcodeSequence(value["any_of"][i], Reader::Child(lp + "/any_of", i)));
              accepted.push_back(std::move(seq));
            }
          } else {
            std::vector<std::string> seq;
            FUSESIM_ASSIGN(seq, OpcodeSequence(value, lp));
            accepted.push_back(std::move(seq));
          }
          e.requests_per_op[label] = std::move(accepted);
        }
      }
      if (block.contains("round_trips")) {
        int64_t v;
        FUSESIM_ASSIGN(v, r_.Int(block["round_trips"], p + "/round_trips", 1000000000));
        e.round_trips = static_cast<int>(v);
      }
      for (const char* k : {"outcomes", "dir_changed", "spurious_dir_changed"}) {
        if (!block.contains(k)) continue;
        int64_t v;
        FUSESIM_ASSIGN(v, r_.Int(block[k], Reader::Child(p, k), 1000000000));
        if (std::string(k) == "outcomes")
          e.outcomes = static_cast<int>(v);
        else if (std::string(k) == "dir_changed")
          e.dir_changed = static_cast<int>(v);
        else
          e.spurious_dir_changed = static_cast<int>(v);
      }
      if (block.contains("results")) {
        const json& rs = block["results"];
        const std::string rp = p + "/results";
        if (!rs.is_object()) return r_.Error(rp, "expected an object of op name: result");
        for (const auto& [label, value] : rs.items()) {
          const std::string lp = Reader::Child(rp, label);
          if (OpByLabel(label) < 0)
            return r_.Error(lp, absl::StrCat("unknown op ", Quote(label), " (ops are named THREAD.INDEX, e.g. t1.0)"));
          std::vector<std::string> accepted;
          if (value.is_object()) {
            FUSESIM_RETURN_IF_ERROR(r_.CheckKeys(value, lp, {"any_of"}));
            if (!value.contains("any_of") || !value["any_of"].is_array() || value["any_of"].empty())
              return r_.Error(lp, "expected {\"any_of\": [results...]}");
            for (size_t i = 0; i < value["any_of"].size(); ++i) {
              std::string res;
              FUSESIM_ASSIGN(res, Result(value["any_of"][i], Reader::Child(lp + "/any_of", i)));
              accepted.push_back(res);
            }
          } else {
            std::string res;
            FUSESIM_ASSIGN(res, Result(value, lp));
            accepted.push_back(res);
          }
          e.results[label] = accepted;
        }
      }
      if (block.contains("dentries")) {
        const json& ds = block["dentries"];
        const std::string dp = p + "/dentries";
        if (!ds.is_object()) return r_.Error(dp, "expected an object of \"MOUNT:PATH\": state");
        for (const auto& [key, value] : ds.items()) {
          const std::string kp = Reader::Child(dp, key);
          size_t colon = key.find(':');
          if (colon == std::string::npos)
            return r_.Error(kp, absl::StrCat("expected \"MOUNT:PATH\" like \"m0:/d/f\", got ", Quote(key)));
          std::string mount = key.substr(0, colon), path = key.substr(colon + 1);
          bool found = false;
          for (const auto& m : s_->mounts) found |= m.name == mount;
          if (!found) return r_.Error(kp, absl::StrCat("unknown mount ", Quote(mount)));
          FUSESIM_RETURN_IF_ERROR(Path(path, kp).status());
          if (!value.is_string() || (value != "positive" && value != "negative" && value != "absent"))
            return r_.Error(kp, "expected \"positive\", \"negative\" or \"absent\"");
          e.dentries[key] = value.get<std::string>();
        }
      }
      if (block.contains("invariants")) {
        if (block["invariants"] != "hold") return r_.Error(p + "/invariants", "the only value is \"hold\"");
        e.invariants_hold = true;
      }
      if (block.contains("violations")) {
        const json& vs = block["violations"];
        if (!vs.is_array()) return r_.Error(p + "/violations", "expected an array of invariant names");
        std::vector<std::string> names;
        for (size_t i = 0; i < vs.size(); ++i) {
          const std::string vp = Reader::Child(p + "/violations", i);
          if (!vs[i].is_string() || !model::IsInvariantName(vs[i].get<std::string>())) {
            std::vector<std::string> valid;
            for (auto n : model::kInvariantNames) valid.emplace_back(n);
            return r_.Error(vp,
                            absl::StrCat("unknown invariant ", vs[i].dump(), "; valid: ", absl::StrJoin(valid, ", ")));
          }
          names.push_back(vs[i].get<std::string>());
        }
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        e.violations = names;
      }
      if (block.contains("deadlock")) {
        bool d;
        FUSESIM_ASSIGN(d, r_.Bool(block, p, "deadlock", false));
        e.deadlock = d;
      }
      if (e.invariants_hold && e.violations && !e.violations->empty())
        return r_.Error(p + "/invariants", "\"invariants\": \"hold\" contradicts a non-empty \"violations\"");
      s_->expect[key] = e;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::map<Opcode, int>> Counts(const json& v, const std::string& p) {
    if (!v.is_object()) return r_.Error(p, "expected an object of OPCODE: count");
    std::map<Opcode, int> m;
    for (const auto& [key, value] : v.items()) {
      auto op = model::ParseOpcode(key);
      if (!op)
        return r_.Error(Reader::Child(p, key),
                        absl::StrCat("unknown opcode ", Quote(key), "; valid: ", model::AllOpcodeNames()));
      int64_t n;
      FUSESIM_ASSIGN(n, r_.Int(value, Reader::Child(p, key), 1000000000));
      m[*op] = static_cast<int>(n);
    }
    return m;
  }

  // An ordered list of opcode names; "FORGET*" stands for any batching of
  // FORGET/BATCH_FORGET.
  absl::StatusOr<std::vector<std::string>> OpcodeSequence(const json& v, const std::string& p) {
    if (!v.is_array())
      return r_.Error(
          p, absl::StrCat("expected an array of opcode names like [\"LOOKUP\", \"CREATE\"], got ", v.type_name()));
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string ip = Reader::Child(p, i);
      if (!v[i].is_string()) return r_.Error(ip, absl::StrCat("expected an opcode name, got ", v[i].type_name()));
      std::string name = v[i].get<std::string>();
      if (name != "FORGET*" && !model::ParseOpcode(name))
        return r_.Error(
            ip, absl::StrCat("unknown opcode ", Quote(name), "; valid: FORGET* (any FORGET/BATCH_FORGET batching), ",
                             model::AllOpcodeNames()));
      out.push_back(std::move(name));
    }
    return out;
  }

  absl::StatusOr<std::string> Result(const json& v, const std::string& p) {
    if (!v.is_string())
      return r_.Error(p, absl::StrCat("expected a result like \"ok\" or \"EEXIST\", got ", v.type_name()));
    std::string s = v.get<std::string>();
    if (s == "ok" || s == "ok+created" || s == "ok+existing" || s == "BUG" || s == "hung" || s == "not-run" ||
        model::ParseErr(s))
      return s;
    return r_.Error(
        p, absl::StrCat("unknown result ", Quote(s), "; valid: ok, ok+created, ok+existing, BUG, hung, not-run, ",
                        model::AllErrNames()));
  }

  Reader r_;
  LoaderLimits limits_;
  Scenario* s_ = nullptr;
  absl::flat_hash_map<std::string, int> thread_index_;  // thread name -> index in s_->threads
  // The flags of open ops as written: few distinct texts, shared by the ops.
  absl::flat_hash_map<std::string, std::shared_ptr<const std::string>> flags_texts_;
  absl::flat_hash_map<std::string, uint32_t> flags_parsed_;  // flags text -> bits (Flags())
  std::string op_ptr_;                                       // the JSON pointer of the op being loaded
  std::map<int, std::string> after_ptr_;
  const std::string* text_ = nullptr;  // see StreamOps
  std::vector<size_t> op_counts_;
  std::vector<std::string> paths_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Scenario>> ParseScenario(const std::string& text, const std::string& file,
                                                        const LoaderLimits& limits) {
  if (text.size() > limits.max_file_bytes)
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":1:1: /: the file is ", text.size(), " bytes, above the limit of ", limits.max_file_bytes));
  auto pos = JsonPositions::Scan(text, limits.max_json_depth);
  // nlohmann's words for syntax errors; the position and pointer come from the
  // scanner when it saw the error too, else from nlohmann's byte offset.
  std::string syntax;
  size_t syntax_byte = 0;
  json root;
  std::vector<size_t> op_counts;
  try {
    root = ParseWithoutOps(text, &op_counts);
  } catch (const json::parse_error& e) {
    syntax = e.what();
    size_t cut = syntax.find(": ", syntax.find("column"));
    if (cut != std::string::npos) syntax = syntax.substr(cut + 2);
    syntax_byte = e.byte == 0 ? 0 : e.byte - 1;
  } catch (const json::exception& e) {
    // Not a parse_error: a number too large for a double ("1e400") is
    // out_of_range.406, "number overflow parsing '1e400'", without an offset;
    // point at the first occurrence of the number.
    syntax = e.what();
    if (size_t cut = syntax.find("] "); cut != std::string::npos) syntax = syntax.substr(cut + 2);
    size_t q = syntax.find('\'');
    if (q != std::string::npos && syntax.rfind('\'') > q) {
      size_t at = text.find(syntax.substr(q + 1, syntax.rfind('\'') - q - 1));
      if (at != std::string::npos) syntax_byte = at;
    }
  }
  if (!pos.ok()) {
    std::string msg(pos.status().message());
    if (!syntax.empty() && msg.find("malformed JSON") != std::string::npos)
      msg = msg.substr(0, msg.rfind("malformed JSON")) + syntax;
    // The scanner names the root "" ; messages name it "/".
    if (size_t root = msg.find(": : "); root != std::string::npos && root < msg.find(": ", msg.find(": ") + 1) + 1)
      msg.replace(root, 4, ": /: ");
    return absl::InvalidArgumentError(absl::StrCat(file, ":", msg));
  }
  if (!syntax.empty()) {
    TextPosition p = PositionOfOffset(text, syntax_byte);
    std::string ptr = pos->PointerAt(p);
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":", p.line, ":", p.column, ": ", ptr.empty() ? "/" : ptr, ": ", syntax));
  }
  if (!root.is_object())
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":1:1: /: a scenario is a JSON object, got ", root.type_name()));
  const bool expanded = root.contains("workload");
  if (expanded) {
    absl::Status st = ExpandWorkload(root);
    if (!st.ok()) {
      std::string msg(st.message());
      std::string ptr = msg.substr(0, msg.find(": "));
      TextPosition p = pos->Find(ptr);
      return absl::InvalidArgumentError(absl::StrCat(file, ":", p.line, ":", p.column, ": ", msg));
    }
  }
  Loader loader(file, &*pos, limits);
  // A workload's generated threads are in the DOM.
  if (!expanded) loader.StreamOps(&text, std::move(op_counts));
  return loader.Load(root, file);
}

absl::StatusOr<std::unique_ptr<Scenario>> LoadScenario(const std::string& file, const LoaderLimits& limits) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return absl::InvalidArgumentError(absl::StrCat(file, ": cannot read: Is a directory"));
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(file, ": cannot open: ", std::strerror(errno)));
  // Read in one piece (no stream copy: a big scenario is read once).
  std::string text;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0 && static_cast<uint64_t>(size) > limits.max_file_bytes)
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":1:1: /: the file is ", size, " bytes, above the limit of ", limits.max_file_bytes));
  if (size > 0) {
    text.resize(static_cast<size_t>(size));
    in.read(text.data(), size);
    text.resize(static_cast<size_t>(in.gcount()));
  } else {
    std::ostringstream ss;  // not seekable (a pipe): read to the end
    ss << in.rdbuf();
    text = std::move(ss).str();
  }
  return ParseScenario(text, file, limits);
}

}  // namespace fusesim::sim
