#include "sim/scenario/op_stream.h"

#include <utility>

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
  void Key(int depth, const json& key) {
    if (depth == 1) key_is_threads_ = key.get_ref<const std::string&>() == "threads";
    if (depth == 3) key_is_ops_ = key.get_ref<const std::string&>() == "ops";
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

// Thrown by ForEachOp's callback to stop the parse at a failed visit.
struct StopVisit {
  absl::Status status;
};

}  // namespace

json ParseWithoutOps(const std::string& text, std::vector<size_t>* op_counts) {
  op_counts->clear();
  OpsTracker where;
  return json::parse(text, [&](int depth, Event event, json& parsed) {
    switch (event) {
      case Event::key:
        where.Key(depth, parsed);
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
  OpsTracker where;
  auto call = [&](const json& op) {
    absl::Status st = visit(where.thread(), where.op(), op);
    if (!st.ok()) throw StopVisit{std::move(st)};
  };
  try {
    // The value parse returns is what the callback kept: nothing.
    [[maybe_unused]] const json kept = json::parse(text, [&](int depth, Event event, json& parsed) {
      switch (event) {
        case Event::key:
          where.Key(depth, parsed);
          return true;
        case Event::object_start:
        case Event::array_start:
        case Event::value: {
          if (where.Begin(depth, event == Event::object_start, event == Event::array_start)) {
            if (event == Event::object_start) return true;  // visited when it ends
            call(event == Event::value ? parsed : json::array());
            return false;
          }
          // Only the threads' ops are wanted.
          return depth != 1 || where.in_threads();
        }
        case Event::object_end:
          if (depth == 4 && where.in_ops()) {
            call(parsed);
            return false;
          }
          return true;
        default:
          return true;
      }
    });
  } catch (StopVisit& stop) {
    return std::move(stop.status);
  }
  return absl::OkStatus();
}

}  // namespace fusesim::sim
