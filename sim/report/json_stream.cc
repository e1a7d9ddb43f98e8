#include "sim/report/json_stream.h"

#include <charconv>

namespace fusesim::sim {

size_t JsonStream::Indent() const { return 2 * (static_cast<size_t>(level_) + stack_.size()); }

void JsonStream::Prefix(std::string_view key) {
  if (!stack_.empty()) {
    Open& top = stack_.back();
    if (!top.empty) out_ += ',';
    top.empty = false;
    out_ += '\n';
    out_.append(Indent(), ' ');
  }
  if (!stack_.empty() && stack_.back().close == '}') {
    AppendQuoted(key);
    out_ += ": ";
  }
}

void JsonStream::AppendQuoted(std::string_view s) {
  // Printable ASCII other than '"' and '\\' is written as is by dump();
  // anything else (escapes, UTF-8, and invalid UTF-8, which dump() rejects)
  // goes through nlohmann, so the bytes and the errors stay dump()'s.
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      out_ += nlohmann::ordered_json(std::string(s)).dump();
      return;
    }
  }
  out_ += '"';
  out_.append(s);
  out_ += '"';
}

void JsonStream::String(std::string_view s, std::string_view key) {
  Prefix(key);
  AppendQuoted(s);
  MaybeFlush();
}

void JsonStream::Int(int64_t n, std::string_view key) {
  Prefix(key);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  out_.append(buf, end);
  MaybeFlush();
}

void JsonStream::Bool(bool b, std::string_view key) {
  Prefix(key);
  out_ += b ? "true" : "false";
  MaybeFlush();
}

void JsonStream::MaybeFlush() {
  constexpr size_t kFlushBytes = size_t{1} << 20;
  if (flush_ == nullptr || out_.size() < kFlushBytes) return;
  flush_->write(out_.data(), static_cast<std::streamsize>(out_.size()));
  out_.clear();
}

void JsonStream::Begin(std::string_view key, char open) {
  Prefix(key);
  out_ += open;
  stack_.push_back({open == '{' ? '}' : ']'});
}

void JsonStream::End() {
  const Open top = stack_.back();
  stack_.pop_back();
  if (!top.empty) {
    out_ += '\n';
    out_.append(Indent(), ' ');
  }
  out_ += top.close;
  MaybeFlush();
}

void JsonStream::Value(const nlohmann::ordered_json& v, std::string_view key) {
  Prefix(key);
  const std::string text = v.dump(2);
  const std::string pad(Indent(), ' ');
  for (char c : text) {  // strings hold no raw newline: dump escapes it
    out_ += c;
    if (c == '\n') out_ += pad;
  }
  MaybeFlush();
}

}  // namespace fusesim::sim
