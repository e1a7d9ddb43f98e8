// fusesim: a deterministic simulator of the Linux FUSE protocol.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/huge_pages.h"

int main(int argc, char** argv) {
  fusesim::sim::ReexecWithHugePages(argv);  // 100,000 creates in two thirds of the time
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
