// fusesim: a deterministic simulator of the Linux FUSE protocol.
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return fusesim::sim::RunCli(args, std::cout, std::cerr);
}
