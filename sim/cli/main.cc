// fusesim: a deterministic simulator of the Linux FUSE protocol.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"

// Sanitizers bring their own allocator: no glibc tunable to set there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FUSESIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define FUSESIM_SANITIZED 1
#endif
#endif

namespace {

// A big run touches hundreds of megabytes of fresh heap: with 4 KiB pages
// a sixth of its time went to page faults (perf: the kernel's fault path)
// and TLB misses. glibc backs its heap with transparent huge pages when the
// tunable glibc.malloc.hugetlb=1 is set (glibc 2.35+; the kernel's THP mode
// "madvise" or "always"), and reads tunables only at startup, from the
// environment. So fusesim sets it and executes itself again, once: same
// pid, same arguments, same output; 100,000 creates take about two thirds of
// the time (docs/performance.md). Not under a sanitizer (its own
// allocator), not when the user set the tunable either way, and never with
// FUSESIM_NO_HUGE_PAGES set (e.g. for valgrind, which would not follow the
// exec). If anything fails, fusesim just goes on with small pages.
void UseHugePages(char** argv) {
#if defined(__GLIBC__) && !defined(FUSESIM_SANITIZED)
  if (std::getenv("FUSESIM_NO_HUGE_PAGES") != nullptr) return;
  const char* env = std::getenv("GLIBC_TUNABLES");
  if (env != nullptr && std::strstr(env, "glibc.malloc.hugetlb") != nullptr) return;
  const std::string before = env != nullptr ? env : "";
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return;
  self[n] = '\0';
  const std::string value = before.empty() ? "glibc.malloc.hugetlb=1" : before + ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv(self, argv);
  // Not executed: restore what the user had, and go on.
  if (env != nullptr) {
    setenv("GLIBC_TUNABLES", before.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
#else
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  UseHugePages(argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return fusesim::sim::RunCli(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // Bad input is reported as such where it is read; an exception that gets
    // here is a fault of fusesim.
    std::cout.flush();
    std::cerr << "fusesim: internal error, please report: uncaught exception: " << e.what() << "\n";
    return fusesim::sim::kExitInternal;
  }
}
