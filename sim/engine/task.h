// Task<T>: the coroutine type every modelled kernel path returns.
//
// A Task is lazy (it runs only when awaited or resumed) and owns its frame.
// Awaiting a Task starts it by symmetric transfer and resumes the awaiter when
// it returns, so `co_await fuse_lookup(...)` reads like the kernel's call.
//
// Suspension that reaches the scheduler happens only at a sim::Point (see
// runtime.h); a Task never suspends on its own except at start and end.
// Destroying a Task destroys its frame and, through the frame's locals, every
// Task it is awaiting: a thread killed by a kernel BUG is torn down this way.
//
// Not thread-safe: fusesim runs every modelled thread on one OS thread.
#ifndef FUSESIM_SIM_ENGINE_TASK_H_
#define FUSESIM_SIM_ENGINE_TASK_H_

#include <array>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <utility>

namespace fusesim::sim {

template <typename T>
class Task;

namespace internal {

// Coroutine frames are allocated and freed at every modelled call; a
// per-thread free list per size class (64-byte granules up to 4 KiB) keeps
// that off malloc. Memory is reused, and returned when the thread ends (a
// thread of `compare --jobs` does not leave its frames behind).
class FrameAllocator {
 public:
  static void* Allocate(std::size_t n) {
    const std::size_t b = (n - 1) / kGranule;
    if (b >= kBuckets) return ::operator new(n);
    Node*& head = Free()[b];
    if (head != nullptr) {
      Node* p = head;
      head = p->next;
      return p;
    }
    return ::operator new((b + 1) * kGranule);
  }
  static void Deallocate(void* p, std::size_t n) {
    const std::size_t b = (n - 1) / kGranule;
    if (b >= kBuckets) {
      ::operator delete(p);
      return;
    }
    Node* node = static_cast<Node*>(p);
    node->next = Free()[b];
    Free()[b] = node;
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t kGranule = 64;
  static constexpr std::size_t kBuckets = 64;
  struct FreeLists {
    std::array<Node*, kBuckets> heads{};
    FreeLists() = default;
    FreeLists(const FreeLists&) = delete;
    FreeLists& operator=(const FreeLists&) = delete;
    ~FreeLists() {
      for (Node* n : heads) {
        while (n != nullptr) {
          Node* next = n->next;
          ::operator delete(n);
          n = next;
        }
      }
    }
  };
  static std::array<Node*, kBuckets>& Free() {
    thread_local FreeLists lists;
    return lists.heads;
  }
};

struct PromiseBase {
  std::coroutine_handle<> continuation;

  static void* operator new(std::size_t n) { return FrameAllocator::Allocate(n); }
  static void operator delete(void* p, std::size_t n) { FrameAllocator::Deallocate(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      std::coroutine_handle<> c = h.promise().continuation;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() { std::terminate(); }
};

}  // namespace internal

template <typename T>
class [[nodiscard]] Task {
 public:
  struct promise_type : internal::PromiseBase {
    T value{};
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_value(T v) { value = std::move(v); }
  };

  Task() = default;  // empty: owns nothing
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().continuation = caller;
    return h_;
  }
  T await_resume() { return std::move(h_.promise().value); }

  // For the scheduler: the handle to resume to start the task.
  std::coroutine_handle<> handle() const { return h_; }
  bool done() const { return h_.done(); }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  std::coroutine_handle<promise_type> h_{};
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : internal::PromiseBase {
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_void() {}
  };

  Task() = default;  // empty: owns nothing
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().continuation = caller;
    return h_;
  }
  void await_resume() {}

  std::coroutine_handle<> handle() const { return h_; }
  bool done() const { return h_.done(); }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  std::coroutine_handle<promise_type> h_{};
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_TASK_H_
