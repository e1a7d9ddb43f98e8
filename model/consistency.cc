#include "model/consistency.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fusesim::model {

std::vector<std::string> CheckConsistency(const World& w) {
  std::vector<std::string> out;
  for (const auto& mp : w.mounts) {
    const Mount& m = *mp;
    for (const std::string& e : m.dcache.CheckConsistency()) out.push_back(absl::StrCat(m.config.name, ": ", e));
    for (const std::string& e : m.inodes.CheckConsistency()) out.push_back(absl::StrCat(m.config.name, ": ", e));
    std::map<NodeId, uint64_t> queued;
    for (const QueuedRequest& q : m.async)
      for (const auto& [node, n] : q.req.forgets) queued[node] += n;
    int pending = static_cast<int>(m.async.size());
    if (m.pending.value != pending)
      out.push_back(
          absl::StrFormat("%s: %d requests queued but the counter says %d", m.config.name, pending, m.pending.value));
    const auto& nodes = w.server.nodes();
    for (InodeId id : m.inodes.AllIds()) {
      const Inode& ino = m.inodes.at(id);
      if (ino.evicted || ino.nodeid == kRootNodeId) continue;
      if (ino.nodeid >= nodes.size() || (!nodes[ino.nodeid].exists && ino.nlookup > 0)) {
        out.push_back(
            absl::StrFormat("%s: the kernel holds node %d, which the server freed", m.config.name, ino.nodeid));
        continue;
      }
      const uint64_t server = nodes[ino.nodeid].nlookup[m.index];
      if (server < ino.nlookup + queued[ino.nodeid])
        out.push_back(absl::StrFormat("%s: node %d: server count %d below the kernel's %d + %d queued", m.config.name,
                                      ino.nodeid, server, ino.nlookup, queued[ino.nodeid]));
    }
  }
  return out;
}

}  // namespace fusesim::model
