// Keeping the oracle's mounts from outliving it.
//
// A FUSE mount whose daemon dies stays mounted, answering every access with
// ENOTCONN ("Transport endpoint is not connected"), until someone unmounts it.
// The oracle therefore
//  - runs in a private mount namespace of its own (unshare(CLONE_NEWNS) and a
//    recursive MS_PRIVATE remount of "/"), entered before any thread starts:
//    its mounts are invisible outside it and the kernel tears them down when
//    the last process in the namespace exits, also after kill -9;
//  - starts a reaper: a child process that waits for the oracle to die and
//    then aborts its FUSE connections through the fusectl file system
//    (/sys/fs/fuse/connections/N/abort). The oracle is the daemon of its
//    mounts and also their client; killed with SIGKILL while a file is open,
//    its exiting thread sends FLUSH to a daemon that is gone and waits
//    uninterruptibly (FLUSH is a forced request), so the process would stay
//    a zombie holding the namespace until someone aborts the connection;
//  - holds an flock on a lock file in each of its temporary directories
//    (/tmp/fusesim-oracle-XXXXXX/.lock), so that a later run can tell a dead
//    run's directory (lock free) from a live one's, and removes the dead
//    ones and unmounts anything still mounted below them (left by a run of a
//    version without the namespace, or by a run whose namespace could not be
//    entered).
#ifndef FUSESIM_ORACLE_ISOLATION_H_
#define FUSESIM_ORACLE_ISOLATION_H_

#include <string>

#include "absl/status/status.h"

namespace fusesim::oracle {

// Oracle runs on one machine disturb each other: writing
// /proc/sys/vm/drop_caches (the drop_caches op) evicts every mount's
// dentries, so another run's kernel sends FORGETs its model does not. Each
// scenario run holds this machine-wide flock: shared, or exclusive when the
// scenario drops caches. Released when the object dies (or the process).
class MachineLock {
 public:
  explicit MachineLock(bool exclusive);
  ~MachineLock();
  MachineLock(const MachineLock&) = delete;
  MachineLock& operator=(const MachineLock&) = delete;

 private:
  int fd_;
};

// The lock's file (not below kTempPrefix: CleanStaleRuns leaves it alone).
inline constexpr char kMachineLockPath[] = "/tmp/fusesim-oracle.lock";

// The prefix of the oracle's temporary directories.
inline constexpr char kTempPrefix[] = "/tmp/fusesim-oracle-";

// Enters a private mount namespace. Must be called before the process starts
// a thread (unshare(CLONE_NEWNS) fails with EINVAL in a multithreaded
// process). An error says why (not root, no CAP_SYS_ADMIN, seccomp...).
absl::Status EnterPrivateMountNamespace();

// Forks the reaper (after EnterPrivateMountNamespace, before any thread).
absl::Status StartReaper();

// Tells the reaper about a FUSE mount at mountpoint: its connection is
// aborted if this process dies. Returns the connection's fusectl name ("" if
// there is no reaper or no such mount).
std::string WatchConnection(const std::string& mountpoint);

// The mount was taken down normally: the reaper forgets the connection, whose
// number the kernel may give to someone else's mount.
void UnwatchConnection(const std::string& id);

// Unmounts FUSE mounts below dead runs' directories (lazily) and removes
// those directories. Returns how many directories it removed.
int CleanStaleRuns();

// Creates and locks DIR/.lock for the life of the returned descriptor (-1 on
// failure: the directory is then not protected against CleanStaleRuns).
int LockRunDirectory(const std::string& dir);

}  // namespace fusesim::oracle

#endif  // FUSESIM_ORACLE_ISOLATION_H_
