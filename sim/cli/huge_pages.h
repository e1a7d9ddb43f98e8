// Transparent huge pages for a process's heap, for the programs' main():
// fusesim and fusesim_bench.
//
// A big run touches hundreds of megabytes of fresh heap: with 4 KiB pages a
// sixth of its time went to page faults (perf: the kernel's fault path) and
// TLB misses. glibc backs its heap with transparent huge pages when the
// tunable glibc.malloc.hugetlb=1 is set (glibc 2.35+; the kernel's THP mode
// "madvise" or "always"), and reads tunables only at startup, from the
// environment. So ReexecWithHugePages() sets it and executes the program
// again, once: same pid, same arguments, same output. It returns (doing
// nothing) under a sanitizer (its own allocator), when the user set the
// tunable either way, with FUSESIM_NO_HUGE_PAGES set (e.g. for valgrind,
// which would not follow the exec), and if anything fails: the program
// then goes on with small pages.
#ifndef FUSESIM_SIM_CLI_HUGE_PAGES_H_
#define FUSESIM_SIM_CLI_HUGE_PAGES_H_

namespace fusesim::sim {

// Call first in main(), before any thread starts; argv as main() got it.
void ReexecWithHugePages(char** argv);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_CLI_HUGE_PAGES_H_
