// A model-internal consistency check across the dentry caches, the inode
// tables and the server, for tests: it can run after every step. It checks
// the model against itself, not the kernel's invariants (those are the
// user-facing violations of model/invariants.h).
#ifndef FUSESIM_MODEL_CONSISTENCY_H_
#define FUSESIM_MODEL_CONSISTENCY_H_

#include <string>
#include <vector>

#include "model/world.h"

namespace fusesim::model {

// Messages for every inconsistency found; empty if none.
//  (1) each mount's dcache and inode table are consistent in themselves;
//  (2) for every node, the server's lookup count for a mount is at least the
//      kernel's plus the FORGETs queued for it (replies the kernel has not
//      processed yet account for the rest);
//  (3) a node the kernel still holds a lookup count on exists on the server.
std::vector<std::string> CheckConsistency(const World& w);

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_CONSISTENCY_H_
