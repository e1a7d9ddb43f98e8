// fusesim_bench's main(): Google Benchmark's, on a heap of transparent huge
// pages as fusesim's own (sim/cli/huge_pages.h), so that the figures are
// the ones a user of fusesim gets.
#include "benchmark/benchmark.h"
#include "sim/cli/huge_pages.h"

int main(int argc, char** argv) {
  fusesim::sim::ReexecWithHugePages(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
