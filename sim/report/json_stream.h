// Writes JSON text piece by piece, byte for byte as nlohmann's dump(2) would
// write the whole document, so that a report of 100,000 ops never exists as
// one DOM: big containers are written element by element, small values are
// dumped and re-indented to where they stand.
//
// Contract: the caller opens and closes containers in order (Begin/End),
// gives a key for every member of an object and none for array elements;
// the result equals `doc.dump(2)` of the document that was described.
#ifndef FUSESIM_SIM_REPORT_JSON_STREAM_H_
#define FUSESIM_SIM_REPORT_JSON_STREAM_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace fusesim::sim {

class JsonStream {
 public:
  // Appends to *out, starting at indentation `level` (2 spaces each): the
  // level of the first value's own line (0 for a document). With `flush`,
  // *out is written to it and emptied whenever it holds 1 MiB or more, so
  // that a document of any size needs no more memory than that.
  explicit JsonStream(std::string* out, int level = 0, std::ostream* flush = nullptr)
      : out_(*out), level_(level), flush_(flush) {}

  void BeginObject(std::string_view key = {}) { Begin(key, '{'); }
  void BeginArray(std::string_view key = {}) { Begin(key, '['); }
  void End();
  // A member (in an object: `key` required) or element (in an array).
  void Value(const nlohmann::ordered_json& v, std::string_view key = {});
  // The same for scalars, written without building a JSON value (the hot
  // path of a big report: one per op, per step and per path).
  void String(std::string_view s, std::string_view key = {});
  void Int(int64_t n, std::string_view key = {});
  void Bool(bool b, std::string_view key = {});

 private:
  void Begin(std::string_view key, char open);
  void Prefix(std::string_view key);  // separator, newline, indentation, key
  void MaybeFlush();
  // `s` as a JSON string literal, as dump() writes it.
  void AppendQuoted(std::string_view s);
  size_t Indent() const;  // spaces before a line at the current depth

  struct Open {
    char close;
    bool empty = true;
  };
  std::string& out_;
  int level_;
  std::ostream* flush_;
  std::vector<Open> stack_;
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_REPORT_JSON_STREAM_H_
