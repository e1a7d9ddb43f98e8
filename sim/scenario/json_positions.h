// Maps RFC 6901 JSON pointers to text positions in a JSON document, so that
// errors about scenario files can be reported as
//   "file:line:column: /json/pointer: message".
//
// Contract:
//  * Positions are 1-based. Lines are separated by '\n'; columns count bytes
//    (not characters), so a tab or a multi-byte UTF-8 character advances the
//    column by its byte length.
//  * JsonPositions::Scan reads the text once, without recursion on the C++
//    stack (nesting is tracked with an explicit stack), and checks it; it
//    keeps nothing but a view of the text (which must outlive it). Find and
//    PointerAt scan the text again, up to the value they look for: errors
//    are rare, and a loader that kept a position per value would spend more
//    memory on positions than on the scenario. Values are named by their
//    JSON pointer: "" for the root, "/threads/0/ops/1/op" for nested values.
//    Object keys are decoded (JSON escapes, including \uXXXX surrogate pairs,
//    to UTF-8) and then escaped with EscapePointerToken.
//  * Scan fails with absl::InvalidArgumentError whose message is exactly
//    "<line>:<col>: <pointer>: <text>" where <text> is one of
//      - duplicate key "<key>"            (position: the second occurrence of
//                                          the key; pointer: that member's)
//      - nesting deeper than <N> levels   (position: the opening bracket that
//                                          exceeds the limit; pointer: its
//                                          value's). The root container is at
//                                          level 1; max_depth 0 admits only a
//                                          scalar root.
//      - malformed JSON                   (position: the offending byte, or the
//                                          end of the text; pointer: the value
//                                          being scanned)
//    The <key> in the duplicate message is the decoded key as-is.
//    The malformed-JSON check is a safety net: callers are expected to have
//    parsed the text successfully (e.g. with nlohmann::json) before, so lone
//    UTF-16 surrogates in \u escapes are rejected like that parser does.
//  * Memory: the pointer of the value being scanned and the keys of the open
//    objects (max_depth bounds them for deeply nested input); nothing per
//    value. Find and PointerAt are linear in the text.
//  * No exceptions are thrown.

#ifndef FUSESIM_SIM_SCENARIO_JSON_POSITIONS_H_
#define FUSESIM_SIM_SCENARIO_JSON_POSITIONS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace fusesim::sim {

struct TextPosition {
  int line = 1;    // 1-based.
  int column = 1;  // 1-based, counts bytes.
};

// Line/column of a byte offset in text (offset past the end clamps to the end).
TextPosition PositionOfOffset(std::string_view text, size_t offset);

// Escapes one reference token for a JSON pointer (RFC 6901: ~ -> ~0, / -> ~1).
std::string EscapePointerToken(std::string_view token);

class JsonPositions {
 public:
  // Scans syntactically valid JSON text once and checks it (see the file
  // comment for the errors). `text` must outlive the result.
  static absl::StatusOr<JsonPositions> Scan(std::string_view text, int max_depth);

  // Position of the first character of the value at pointer; if that
  // pointer is absent, of its nearest existing ancestor (so an error about a
  // missing key points at the object). Returns 1:1 if not even the root is
  // known.
  TextPosition Find(std::string_view pointer) const;

  // The pointer of the innermost value that starts at or before pos and is
  // the latest such value ("" if none): where a parser error at pos lies.
  std::string PointerAt(TextPosition pos) const;

 private:
  std::string_view text_;
  int max_depth_ = 0;
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_SCENARIO_JSON_POSITIONS_H_
