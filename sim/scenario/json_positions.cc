#include "sim/scenario/json_positions.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fusesim::sim {
namespace {

// Incremental PositionOfOffset for a scan that moves mostly forward: total
// cost is linear in the text length. A backward query restarts from the top.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}

  TextPosition At(size_t offset) {
    if (offset > text_.size()) offset = text_.size();
    if (offset < offset_) *this = LineCounter(text_);
    for (; offset_ < offset; ++offset_) {
      if (text_[offset_] == '\n') {
        ++line_;
        line_start_ = offset_ + 1;
      }
    }
    return TextPosition{line_, static_cast<int>(offset - line_start_) + 1};
  }

 private:
  std::string_view text_;
  size_t offset_ = 0;      // Bytes before offset_ have been counted.
  size_t line_start_ = 0;  // Offset of the first byte of line_.
  int line_ = 1;
};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// One open object or array.
struct Frame {
  explicit Frame(bool is_object, size_t pointer_length) : is_object(is_object), pointer_length(pointer_length) {}

  bool is_object;
  size_t pointer_length;       // Length of the container's own pointer.
  size_t next_index = 0;       // Arrays: index of the next element.
  std::set<std::string> keys;  // Objects: decoded keys seen so far.
};

// Called at the first byte of every value with its pointer and offset;
// returns false to stop the scan there.
using ValueVisitor = absl::FunctionRef<bool(const std::string& pointer, size_t offset)>;

class Scanner {
 public:
  Scanner(std::string_view text, int max_depth, ValueVisitor visit)
      : text_(text), max_depth_(max_depth), lines_(text), visit_(visit) {}

  absl::Status Run() {
    SkipWhitespace();
    for (;;) {
      // A value starts at pos_; pointer_ is its pointer.
      if (AtEnd()) return Malformed();
      const char c = text_[pos_];
      if (!visit_(pointer_, pos_)) return absl::OkStatus();
      if (c == '{' || c == '[') {
        if (stack_.size() >= static_cast<size_t>(std::max(max_depth_, 0))) {
          return Error(pos_, absl::StrCat("nesting deeper than ", max_depth_, " levels"));
        }
        ++pos_;
        stack_.emplace_back(c == '{', pointer_.size());
        SkipWhitespace();
        if (!AtEnd() && text_[pos_] == (c == '{' ? '}' : ']')) {
          ++pos_;
          stack_.pop_back();
        } else {
          if (absl::Status s = BeginElement(); !s.ok()) return s;
          continue;
        }
      } else if (absl::Status s = ScanScalar(); !s.ok()) {
        return s;
      }

      // A value just ended: close containers until another element begins.
      for (;;) {
        SkipWhitespace();
        if (stack_.empty()) return AtEnd() ? absl::OkStatus() : Malformed();
        Frame& frame = stack_.back();
        pointer_.resize(frame.pointer_length);
        if (AtEnd()) return Malformed();
        if (text_[pos_] == ',') {
          ++pos_;
          SkipWhitespace();
          if (absl::Status s = BeginElement(); !s.ok()) return s;
          break;
        }
        if (text_[pos_] != (frame.is_object ? '}' : ']')) return Malformed();
        ++pos_;
        stack_.pop_back();
      }
    }
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }

  void SkipWhitespace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  absl::Status Error(size_t offset, const std::string& message) {
    const TextPosition p = lines_.At(offset);
    return absl::InvalidArgumentError(absl::StrCat(p.line, ":", p.column, ": ", pointer_, ": ", message));
  }

  absl::Status Malformed(size_t offset) { return Error(offset, "malformed JSON"); }
  absl::Status Malformed() { return Malformed(pos_); }

  // Starts the next element of the innermost container: appends its token to
  // pointer_ and, for objects, consumes `"key" :`. Leaves pos_ at the value.
  absl::Status BeginElement() {
    Frame& frame = stack_.back();
    if (!frame.is_object) {
      absl::StrAppend(&pointer_, "/", frame.next_index++);
      return absl::OkStatus();
    }
    const size_t key_offset = pos_;
    if (AtEnd() || text_[pos_] != '"') return Malformed();
    std::string key;
    if (absl::Status s = ScanString(&key); !s.ok()) return s;
    absl::StrAppend(&pointer_, "/", EscapePointerToken(key));
    if (!frame.keys.insert(key).second) {
      return Error(key_offset, absl::StrCat("duplicate key \"", key, "\""));
    }
    SkipWhitespace();
    if (AtEnd() || text_[pos_] != ':') return Malformed();
    ++pos_;
    SkipWhitespace();
    return absl::OkStatus();
  }

  absl::Status ScanScalar() {
    const char c = text_[pos_];
    if (c == '"') return ScanString(nullptr);
    if (c == '-' || IsDigit(c)) return ScanNumber();
    for (std::string_view literal : {"true", "false", "null"}) {
      if (text_.substr(pos_).starts_with(literal)) {
        pos_ += literal.size();
        return absl::OkStatus();
      }
    }
    return Malformed();
  }

  // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  absl::Status ScanNumber() {
    if (text_[pos_] == '-') ++pos_;
    if (AtEnd() || !IsDigit(text_[pos_])) return Malformed();
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      SkipDigits();
    }
    if (!AtEnd() && text_[pos_] == '.') {
      ++pos_;
      if (AtEnd() || !IsDigit(text_[pos_])) return Malformed();
      SkipDigits();
    }
    if (!AtEnd() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!AtEnd() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (AtEnd() || !IsDigit(text_[pos_])) return Malformed();
      SkipDigits();
    }
    return absl::OkStatus();
  }

  void SkipDigits() {
    while (!AtEnd() && IsDigit(text_[pos_])) ++pos_;
  }

  // Reads 4 hex digits at pos_ into *unit.
  bool ScanHex4(uint32_t* unit) {
    if (text_.size() - pos_ < 4) return false;
    *unit = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = text_[pos_];
      int digit;
      if (IsDigit(c)) {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return false;
      }
      *unit = *unit * 16 + digit;
    }
    return true;
  }

  // Scans the string starting at the '"' at pos_; appends its decoded UTF-8
  // content to *decoded unless that is null.
  absl::Status ScanString(std::string* decoded) {
    ++pos_;  // Opening quote.
    for (;;) {
      if (AtEnd()) return Malformed();
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (static_cast<unsigned char>(c) < 0x20) return Malformed();
      if (c != '\\') {
        if (decoded != nullptr) decoded->push_back(c);
        ++pos_;
        continue;
      }
      const size_t escape_offset = pos_;
      ++pos_;
      if (AtEnd()) return Malformed();
      const char e = text_[pos_++];
      char simple;
      switch (e) {
        case '"':
          simple = '"';
          break;
        case '\\':
          simple = '\\';
          break;
        case '/':
          simple = '/';
          break;
        case 'b':
          simple = '\b';
          break;
        case 'f':
          simple = '\f';
          break;
        case 'n':
          simple = '\n';
          break;
        case 'r':
          simple = '\r';
          break;
        case 't':
          simple = '\t';
          break;
        case 'u': {
          // A high surrogate must be followed by \u and a low surrogate.
          uint32_t cp;
          if (!ScanHex4(&cp) || (cp >= 0xDC00 && cp <= 0xDFFF)) {
            return Malformed(escape_offset);
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (text_.substr(pos_, 2) != "\\u") return Malformed(escape_offset);
            pos_ += 2;
            if (!ScanHex4(&low) || low < 0xDC00 || low > 0xDFFF) {
              return Malformed(escape_offset);
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          if (decoded != nullptr) AppendUtf8(cp, decoded);
          continue;
        }
        default:
          return Malformed(escape_offset);
      }
      if (decoded != nullptr) decoded->push_back(simple);
    }
  }

  std::string_view text_;
  int max_depth_;
  LineCounter lines_;
  ValueVisitor visit_;
  size_t pos_ = 0;
  std::string pointer_;  // Pointer of the value being scanned.
  std::vector<Frame> stack_;
};

}  // namespace

TextPosition PositionOfOffset(std::string_view text, size_t offset) { return LineCounter(text).At(offset); }

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<JsonPositions> JsonPositions::Scan(std::string_view text, int max_depth) {
  auto visit_all = [](const std::string&, size_t) { return true; };
  Scanner scanner(text, max_depth, visit_all);
  if (absl::Status s = scanner.Run(); !s.ok()) return s;
  JsonPositions result;
  result.text_ = text;
  result.max_depth_ = max_depth;
  return result;
}

TextPosition JsonPositions::Find(std::string_view pointer) const {
  // The deepest value whose pointer is `pointer` or one of its ancestors.
  size_t best_length = 0;
  size_t best_offset = std::string_view::npos;
  auto visit = [&](const std::string& p, size_t offset) {
    if (!pointer.starts_with(p) || (p.size() < pointer.size() && pointer[p.size()] != '/')) return true;
    if (best_offset == std::string_view::npos || p.size() > best_length) {
      best_length = p.size();
      best_offset = offset;
    }
    return p.size() != pointer.size();  // found: stop
  };
  // (A FunctionRef must not outlive the lambda it names: both are locals.)
  Scanner scanner(text_, max_depth_, visit);
  (void)scanner.Run();  // the text was scanned without error by Scan
  if (best_offset == std::string_view::npos) return TextPosition{};
  return PositionOfOffset(text_, best_offset);
}

std::string JsonPositions::PointerAt(TextPosition pos) const {
  // Values start in text order: the last one at or before pos.
  std::string best;
  LineCounter lines(text_);
  auto visit = [&](const std::string& p, size_t offset) {
    const TextPosition at = lines.At(offset);
    if (at.line > pos.line || (at.line == pos.line && at.column > pos.column)) return false;
    best = p;
    return true;
  };
  Scanner scanner(text_, max_depth_, visit);
  (void)scanner.Run();
  return best;
}

}  // namespace fusesim::sim
