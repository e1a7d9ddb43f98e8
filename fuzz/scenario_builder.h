// The structured mode of the run fuzz target: turns fuzzer bytes into a small
// scenario from a fixed vocabulary, so that the fuzzer spends its time in the
// model (dcache states, races, server quirks) instead of learning JSON.
//
// The scenario is built as JSON and goes through sim::ParseScenario like any
// other input: a crash found this way replays from the printed JSON alone
// (set FUSESIM_FUZZ_PRINT=1 and run the target on the crashing file), which
// is what goes into tests/fuzz_regressions/.
//
// Vocabulary: 1-2 mounts (timeouts 0 or 1 s, kernel 5.18 or 6.18,
// parallel_dirops, default_permissions), a server tree over /a, /a/b, /d,
// /d/f, server quirks (unsupported opcodes, one error rule, create_existing,
// open_unlinked), 1-3 threads of 1-4 ops each over the paths /a, /a/b, /d,
// /d/f, /d/g with every open flag combination, closes of earlier fds, and
// server-side threads; one or two variants.
#ifndef FUSESIM_FUZZ_SCENARIO_BUILDER_H_
#define FUSESIM_FUZZ_SCENARIO_BUILDER_H_

#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace fusesim::fuzz {

inline std::string BuildScenario(FuzzedDataProvider& in) {
  using nlohmann::ordered_json;
  static const char* const kPaths[] = {"/a", "/a/b", "/d", "/d/f", "/d/g"};
  static const char* const kAccess[] = {"O_RDONLY", "O_WRONLY", "O_RDWR"};
  static const char* const kVariants[] = {"lookup-create", "atomic-create", "create-skip-lookup", "create-ext",
                                          "open-atomic"};
  static const char* const kOpcodes[] = {"LOOKUP",     "GETATTR",     "MKNOD",    "MKDIR",  "UNLINK",  "RMDIR",
                                         "RENAME",     "OPEN",        "RELEASE",  "CREATE", "RENAME2", "ATOMIC_CREATE",
                                         "CREATE_EXT", "OPEN_ATOMIC", "GETXATTR", "FLUSH"};
  static const char* const kErrnos[] = {"ENOENT", "EIO",     "EEXIST", "ESTALE", "ENOSYS",
                                        "EACCES", "ENOTDIR", "EISDIR", "EINTR",  "ENOSPC"};

  ordered_json root;
  root["name"] = "fuzz";

  // Variants: one or two.
  ordered_json variants = ordered_json::array();
  const int v1 = in.ConsumeIntegralInRange<int>(0, 4);
  variants.push_back(kVariants[v1]);
  if (in.ConsumeBool()) {
    const int v2 = in.ConsumeIntegralInRange<int>(0, 4);
    if (v2 != v1) variants.push_back(kVariants[v2]);
  }
  root["variants"] = variants;

  // Mounts.
  const int mounts = in.ConsumeIntegralInRange<int>(1, 2);
  ordered_json ms = ordered_json::array();
  for (int m = 0; m < mounts; ++m) {
    ordered_json mc;
    mc["name"] = "m" + std::to_string(m);
    mc["entry_timeout_ms"] = in.ConsumeBool() ? 1000 : 0;
    mc["attr_timeout_ms"] = in.ConsumeBool() ? 1000 : 0;
    mc["negative_timeout_ms"] = in.ConsumeBool() ? 1000 : 0;
    mc["kernel"] = in.ConsumeBool() ? "6.18" : "5.18";
    mc["parallel_dirops"] = in.ConsumeBool();
    mc["default_permissions"] = in.ConsumeBool();
    ms.push_back(mc);
  }
  root["mounts"] = ms;

  // Server: a consistent tree, then quirks.
  ordered_json server;
  ordered_json tree = ordered_json::array();
  const int a = in.ConsumeIntegralInRange<int>(0, 2);  // absent, file, directory
  if (a == 1) tree.push_back("/a");
  if (a == 2) {
    tree.push_back("/a/");
    if (in.ConsumeBool()) tree.push_back(in.ConsumeBool() ? "/a/b" : "/a/b/");
  }
  if (in.ConsumeBool()) {
    tree.push_back("/d/");
    if (in.ConsumeBool()) tree.push_back(in.ConsumeBool() ? "/d/f" : "/d/f/");
    if (in.ConsumeBool()) tree.push_back("/d/g");
  }
  server["tree"] = tree;
  ordered_json unsupported = ordered_json::array();
  for (const char* op : {"CREATE", "ATOMIC_CREATE", "CREATE_EXT", "OPEN_ATOMIC", "GETXATTR"})
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0) unsupported.push_back(op);
  if (!unsupported.empty()) server["unsupported"] = unsupported;
  if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
    ordered_json rule;
    rule["opcode"] = in.PickValueInArray(kOpcodes);
    rule["errno"] = in.PickValueInArray(kErrnos);
    if (in.ConsumeBool()) rule["path"] = in.PickValueInArray(kPaths);
    rule["times"] = in.ConsumeIntegralInRange<int>(0, 2);
    server["errors"] = ordered_json::array({rule});
  }
  server["create_existing"] = in.ConsumeBool() ? "open" : "eexist";
  static const char* const kUnlinked[] = {"open", "ENOENT", "ESTALE"};
  server["open_unlinked"] = in.PickValueInArray(kUnlinked);
  server["xattr"] = in.ConsumeBool();
  if (in.ConsumeIntegralInRange<int>(0, 3) == 0)
    server["latency_us"] = {{"default", in.ConsumeIntegralInRange<int>(0, 2000)}};
  root["server"] = server;

  // Threads.
  const int threads = in.ConsumeIntegralInRange<int>(1, 3);
  ordered_json ts = ordered_json::array();
  int total_ops = 0;
  for (int t = 0; t < threads; ++t) {
    ordered_json th;
    const std::string name = "t" + std::to_string(t + 1);
    th["name"] = name;
    const bool server_side = in.ConsumeIntegralInRange<int>(0, 4) == 0;
    if (server_side)
      th["server_side"] = true;
    else
      th["mount"] = "m" + std::to_string(in.ConsumeIntegralInRange<int>(0, mounts - 1));
    const int nops = in.ConsumeIntegralInRange<int>(1, 4);
    ordered_json ops = ordered_json::array();
    std::vector<std::string> open_fds;
    for (int i = 0; i < nops; ++i) {
      ordered_json op;
      const char* path = in.PickValueInArray(kPaths);
      const char* to = in.PickValueInArray(kPaths);
      if (server_side) {
        switch (in.ConsumeIntegralInRange<int>(0, 5)) {
          case 0:
            op = {{"op", "create"}, {"path", path}};
            break;
          case 1:
            op = {{"op", "unlink"}, {"path", path}};
            break;
          case 2:
            op = {{"op", "mkdir"}, {"path", path}};
            break;
          case 3:
            op = {{"op", "rmdir"}, {"path", path}};
            break;
          case 4:
            op = {{"op", "rename"}, {"path", path}, {"to", to}};
            break;
          default:
            op = {{"op", "sleep"}, {"ms", in.ConsumeIntegralInRange<int>(0, 2000)}};
            break;
        }
      } else {
        const int kind = in.ConsumeIntegralInRange<int>(0, 9);
        if (kind <= 3) {
          std::string flags = kAccess[in.ConsumeIntegralInRange<int>(0, 2)];
          if (in.ConsumeBool()) flags += "|O_CREAT";
          if (in.ConsumeIntegralInRange<int>(0, 2) == 0) flags += "|O_EXCL";
          if (in.ConsumeIntegralInRange<int>(0, 3) == 0) flags += "|O_TRUNC";
          if (in.ConsumeIntegralInRange<int>(0, 5) == 0) flags += "|O_DIRECTORY";
          const std::string fd = "f" + std::to_string(i);
          op = {{"op", "open"}, {"path", path}, {"flags", flags}, {"fd", fd}};
          open_fds.push_back(fd);
        } else if (kind == 4 && !open_fds.empty()) {
          const size_t k = in.ConsumeIntegralInRange<size_t>(0, open_fds.size() - 1);
          op = {{"op", "close"}, {"fd", open_fds[k]}};
          open_fds.erase(open_fds.begin() + static_cast<long>(k));
        } else if (kind <= 5) {
          op = {{"op", "stat"}, {"path", path}};
        } else if (kind == 6) {
          op = {{"op", in.ConsumeBool() ? "unlink" : "rmdir"}, {"path", path}};
        } else if (kind == 7) {
          op = {{"op", "mkdir"}, {"path", path}};
        } else if (kind == 8) {
          op = {{"op", "rename"}, {"path", path}, {"to", to}};
        } else {
          op = in.ConsumeBool() ? ordered_json{{"op", "sleep"}, {"ms", in.ConsumeIntegralInRange<int>(0, 2000)}}
                                : ordered_json{{"op", "drop_caches"}};
        }
      }
      // Occasionally wait for an earlier op of another thread.
      if (total_ops > 0 && in.ConsumeIntegralInRange<int>(0, 5) == 0) {
        const int ot = in.ConsumeIntegralInRange<int>(0, t);
        if (ot < t) op["after"] = "t" + std::to_string(ot + 1) + ".0";
      }
      ops.push_back(op);
      ++total_ops;
    }
    th["ops"] = ops;
    ts.push_back(th);
  }
  root["threads"] = ts;
  root["schedule"] = {{"mode", "explore"}};
  return root.dump(2);
}

}  // namespace fusesim::fuzz

#endif  // FUSESIM_FUZZ_SCENARIO_BUILDER_H_
