#include "sim/cli/huge_pages.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

// Sanitizers bring their own allocator: no glibc tunable to set there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FUSESIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define FUSESIM_SANITIZED 1
#endif
#endif

namespace fusesim::sim {

void ReexecWithHugePages(char** argv) {
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

}  // namespace fusesim::sim
