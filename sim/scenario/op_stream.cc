#include "sim/scenario/op_stream.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fusesim::sim {
namespace {

using nlohmann::json;
using Event = json::parse_event_t;

// Where the parser is, from the callback's events: whether the value that
// begins is an element of a thread's ops array. Levels are the callback's
// depths: the root is at 0, /threads at 1, /threads/T at 2, /threads/T/ops
// at 3, its elements at 4. Every value at a level begins after the values
// that enclosed the previous one there have ended, so state about a level
// is reset when a value begins at that level or above.
class OpsTracker {
 public:
  void Key(int depth, const std::string& key) {
    if (depth == 1) key_is_threads_ = key == "threads";
    if (depth == 3) key_is_ops_ = key == "ops";
  }

  // A value begins at depth; true if it is element op() of thread()'s ops.
  bool Begin(int depth, bool is_object, bool is_array) {
    switch (depth) {
      case 0:
        root_object_ = is_object;
        in_threads_ = in_ops_ = false;
        return false;
      case 1:
        in_threads_ = root_object_ && key_is_threads_ && is_array;
        thread_ = -1;
        in_ops_ = false;
        return false;
      case 2:
        if (in_threads_) {
          ++thread_;
          thread_object_ = is_object;
        }
        in_ops_ = false;
        return false;
      case 3:
        in_ops_ = in_threads_ && thread_object_ && key_is_ops_ && is_array;
        op_ = 0;
        return false;
      case 4:
        if (!in_ops_) return false;
        current_ = op_++;
        return true;
      default:
        return false;
    }
  }

  bool in_threads() const { return in_threads_; }
  bool in_ops() const { return in_ops_; }
  int thread() const { return thread_; }
  size_t op() const { return current_; }   // the element that began last
  size_t op_count() const { return op_; }  // elements of the current ops array so far

 private:
  bool key_is_threads_ = false, key_is_ops_ = false;
  bool root_object_ = false, in_threads_ = false, thread_object_ = false, in_ops_ = false;
  int thread_ = -1;
  size_t op_ = 0, current_ = 0;
};

// ForEachOp's SAX handler: depths as the callback parser counts them (the
// number of containers open when a value begins), so that OpsTracker sees
// what it sees in ParseWithoutOps. Outside the ops it keeps nothing; an op
// element's own DOM is built as nlohmann's DOM parser builds one (a
// repeated key: the last value) and visited when it ends. No std::function
// per token and no JSON value per key, as a parse callback would cost.
class OpsSax {
 public:
  using Visit = std::function<absl::Status(int thread, size_t index, const json& op)>;
  explicit OpsSax(const Visit& visit) : visit_(visit) {}

  bool null() { return Scalar(json(nullptr)); }
  bool boolean(bool b) { return Scalar(json(b)); }
  bool number_integer(json::number_integer_t v) { return Scalar(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Scalar(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t& /*text*/) { return Scalar(json(v)); }
  // (The lexer clears its token buffer before the next token: moving is safe.)
  bool string(json::string_t& v) { return Scalar(json(std::move(v))); }
  bool binary(json::binary_t& v) { return Scalar(json::binary(std::move(v))); }  // not in JSON text
  bool start_object(std::size_t /*elements*/) { return Start(json::value_t::object); }
  bool start_array(std::size_t /*elements*/) { return Start(json::value_t::array); }
  bool end_object() { return End(); }
  bool end_array() { return End(); }
  bool key(json::string_t& k) {
    if (!stack_.empty()) {
      key_ = std::move(k);
      return true;
    }
    where_.Key(depth_, k);
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/, const nlohmann::detail::exception& e) {
    status_ = absl::InternalError(absl::StrCat("the ops' second parse failed where the first did not: ", e.what()));
    return false;
  }

  const absl::Status& status() const { return status_; }

 private:
  // Puts v where it belongs in the op being built; returns where it is.
  json* Place(json v) {
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }

  bool Scalar(json v) {
    if (!stack_.empty()) {
      Place(std::move(v));
      return true;
    }
    if (!where_.Begin(depth_, false, false)) return true;
    return Call(v);
  }

  bool Start(json::value_t type) {
    if (!stack_.empty()) {
      stack_.push_back(Place(json(type)));
    } else if (where_.Begin(depth_, type == json::value_t::object, type == json::value_t::array)) {
      op_ = json(type);
      stack_.push_back(&op_);
    }
    ++depth_;
    return true;
  }

  bool End() {
    --depth_;
    if (stack_.empty()) return true;
    stack_.pop_back();
    if (!stack_.empty()) return true;
    // An array element is visited as an empty array: the loader only names its type.
    if (op_.is_array()) op_ = json::array();
    return Call(op_);
  }

  bool Call(const json& op) {
    status_ = visit_(where_.thread(), where_.op(), op);
    return status_.ok();
  }

  const Visit& visit_;
  OpsTracker where_;
  int depth_ = 0;
  std::vector<json*> stack_;  // the op being built and its open containers
  json op_;
  std::string key_;
  absl::Status status_;
};

}  // namespace

json ParseWithoutOps(const std::string& text, std::vector<size_t>* op_counts) {
  op_counts->clear();
  OpsTracker where;
  return json::parse(text, [&](int depth, Event event, json& parsed) {
    switch (event) {
      case Event::key:
        where.Key(depth, parsed.get_ref<const std::string&>());
        return true;
      case Event::object_start:
      case Event::array_start:
      case Event::value: {
        const bool op = where.Begin(depth, event == Event::object_start, event == Event::array_start);
        if (depth == 3 && where.in_ops()) {
          if (op_counts->size() <= static_cast<size_t>(where.thread())) op_counts->resize(where.thread() + 1, 0);
          (*op_counts)[where.thread()] = 0;
        }
        if (!op) return true;
        (*op_counts)[where.thread()] = where.op_count();
        return false;  // not kept: neither the element nor what it holds
      }
      default:
        return true;
    }
  });
}

absl::Status ForEachOp(const std::string& text,
                       const std::function<absl::Status(int thread, size_t index, const json& op)>& visit) {
  OpsSax sax(visit);
  const bool parsed = json::sax_parse(text, &sax);
  if (!sax.status().ok()) return sax.status();
  if (!parsed) return absl::InternalError("the ops' second parse stopped without a reason");
  return absl::OkStatus();
}

}  // namespace fusesim::sim
