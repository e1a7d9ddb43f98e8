// The FUSE connection: how a request travels from kernel to server and back.
//
// A synchronous request (fuse_simple_request) is three steps of the run:
// the sender queues it (inside the sender's current step), the server
// handles it (a scheduling point: a multi-threaded server may take queued
// requests in any order), and the sender wakes up with the reply (another
// point). Background requests (RELEASE, RELEASEDIR) and FORGETs are queued
// per mount and delivered by that mount's async-queue actor, FORGETs that are
// queued together travelling as one BATCH_FORGET, as fuse_read_batch_forget()
// sends them.
#ifndef FUSESIM_MODEL_FUSE_CONN_H_
#define FUSESIM_MODEL_FUSE_CONN_H_

#include <string>

#include "model/kctx.h"
#include "model/request.h"
#include "sim/engine/task.h"

namespace fusesim::model {

// Sends req, lets the server handle it, returns its reply. The actor's clock
// advances by the server's latency for the opcode.
sim::Task<Reply> FuseSimpleRequest(Kctx& k, Request req);

// Queues a request the kernel does not wait for (fuse_simple_background).
// `holds_inode`: an inode the request keeps a reference to (taken here,
// dropped when the server's reply is processed), see QueuedRequest.
void FuseQueueBackground(Kctx& k, Request req, InodeId holds_inode = kNoInode);

// Which of a mount's queued asynchronous requests a daemon reader takes:
// kAll over /dev/fuse (FORGETs first, as fuse_dev_do_read() reads them
// before pending requests), or, over io_uring, kRing (RELEASE, RELEASEDIR)
// and kForgets (FORGETs, still read from /dev/fuse) on two readers.
enum class AsyncChannel { kAll, kRing, kForgets };

// The server side of one mount's background queue; runs forever as a daemon
// actor (the engine stops it when nothing else can run).

sim::Task<void> AsyncDelivery(World& w, Mount& m, sim::Actor& a, AsyncChannel channel = AsyncChannel::kAll);

// "LOOKUP(nodeid=1, name=f)" and "-> nodeid=2 entry_valid=1000000us".
std::string DescribeRequest(const World& w, const Request& req);
std::string DescribeReply(const Request& req, const Reply& r);

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_FUSE_CONN_H_
