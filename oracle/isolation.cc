#include "oracle/isolation.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fusesim::oracle {
namespace {

// Mount points in /proc/self/mountinfo (field 5), deepest first, that lie
// below dir.
std::vector<std::string> MountsBelow(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (!(fields >> id >> parent >> devno >> root >> mount_point)) continue;
    if (absl::StartsWith(mount_point, dir + "/")) out.push_back(mount_point);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

// Removes dir's entries (empty mountpoint directories and the lock file),
// then dir.
void RemoveRunDirectory(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    closedir(d);
    for (const std::string& n : names) {
      const std::string p = absl::StrCat(dir, "/", n);
      if (rmdir(p.c_str()) != 0) unlink(p.c_str());
    }
  }
  rmdir(dir.c_str());
}

int g_reaper_fd = -1;  // write end of the pipe to the reaper
volatile sig_atomic_t g_parent_died = 0;

void OnParentDeath(int /*sig*/) { g_parent_died = 1; }

// True if the process is gone or its main thread is in do_exit()
// (PF_EXITING in the flags field of /proc/PID/stat).
bool ParentExiting(pid_t parent) {
  std::ifstream in(absl::StrCat("/proc/", parent, "/stat"));
  std::string stat;
  if (!std::getline(in, stat)) return true;
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return true;
  std::istringstream fields(stat.substr(paren + 2));
  std::string state, ppid, pgrp, session, tty, tpgid;
  unsigned long flags = 0;
  if (!(fields >> state >> ppid >> pgrp >> session >> tty >> tpgid >> flags)) return true;
  constexpr unsigned long kPfExiting = 0x4;
  return state == "Z" || state == "X" || (flags & kPfExiting) != 0;
}

// The reaper's body: reads "+N" (watch connection N) and "-N" (unmounted
// normally) lines until the oracle dies, then aborts the connections still
// watched. The oracle's death shows as SIGUSR1 (PR_SET_PDEATHSIG: its main
// thread exited) or as the end of the pipe. The pipe alone is not enough: a
// killed oracle closes its descriptors in ascending order and can hang on a
// FLUSH of a lower-numbered FUSE file before it reaches the pipe's.
[[noreturn]] void Reap(int fd, pid_t parent) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnParentDeath;  // no SA_RESTART: read() returns EINTR
  sigaction(SIGUSR1, &sa, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (getppid() != parent) g_parent_died = 1;  // died before prctl
  std::string buffer;
  std::set<std::string> connections;
  char chunk[256];
  while (!g_parent_died) {
    // Neither the signal nor the end of the pipe comes while the oracle's
    // last thread hangs in exit_files(): that thread is the one that would
    // send the signal (exit_notify() comes after) and holds the pipe. So the
    // reaper also looks every 50 ms whether the oracle is exiting.
    struct pollfd pfd = {fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, 50);
    if (ready == 0) {
      if (ParentExiting(parent)) break;
      continue;
    }
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n > 0) {
      buffer.append(chunk, static_cast<size_t>(n));
      size_t end;
      while ((end = buffer.find('\n')) != std::string::npos) {
        const std::string line = buffer.substr(0, end);
        buffer.erase(0, end + 1);
        if (line.size() > 1 && line[0] == '+') connections.insert(line.substr(1));
        if (line.size() > 1 && line[0] == '-') connections.erase(line.substr(1));
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // end of the pipe
  }
  if (!connections.empty()) {
    const char* dir = "/sys/fs/fuse/connections";
    if (access(absl::StrCat(dir, "/", *connections.begin()).c_str(), F_OK) != 0)
      mount("fusectl", dir, "fusectl", 0, nullptr);
    for (const std::string& c : connections) {
      const int abort_fd = open(absl::StrCat(dir, "/", c, "/abort").c_str(), O_WRONLY | O_CLOEXEC);
      if (abort_fd >= 0) {
        (void)!write(abort_fd, "1", 1);
        close(abort_fd);
      }
    }
  }
  _exit(0);
}

}  // namespace

absl::Status StartReaper() {
  const pid_t parent = getpid();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::UnavailableError(absl::StrCat("pipe: ", strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::UnavailableError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    close(fds[1]);
    // Not in the oracle's process group: a Ctrl-C must not kill the reaper
    // before the oracle has cleaned up.
    setpgid(0, 0);
    Reap(fds[0], parent);
  }
  close(fds[0]);
  g_reaper_fd = fds[1];
  return absl::OkStatus();
}

std::string WatchConnection(const std::string& mountpoint) {
  if (g_reaper_fd < 0) return "";
  // The connection's fusectl name is the superblock's dev_t in the kernel's
  // encoding (MKDEV: major << 20 | minor), from mountinfo's "major:minor"
  // (no request to the file system, unlike stat).
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (!(fields >> id >> parent >> devno >> root >> mount_point) || mount_point != mountpoint) continue;
    unsigned major = 0, minor = 0;
    if (sscanf(devno.c_str(), "%u:%u", &major, &minor) != 2) continue;
    std::string connection = absl::StrCat((major << 20) | minor);
    const std::string msg = absl::StrCat("+", connection, "\n");
    (void)!write(g_reaper_fd, msg.data(), msg.size());
    return connection;
  }
  return "";
}

void UnwatchConnection(const std::string& id) {
  if (g_reaper_fd < 0 || id.empty()) return;
  const std::string msg = absl::StrCat("-", id, "\n");
  (void)!write(g_reaper_fd, msg.data(), msg.size());
}

MachineLock::MachineLock(bool exclusive) : fd_(open(kMachineLockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0666)) {
  if (fd_ < 0) return;  // then unprotected, as before
  while (flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR) {
  }
}

MachineLock::~MachineLock() {
  if (fd_ >= 0) close(fd_);
}

absl::Status EnterPrivateMountNamespace() {
  if (unshare(CLONE_NEWNS) != 0) return absl::UnavailableError(absl::StrCat("unshare(CLONE_NEWNS): ", strerror(errno)));
  // Without this, mounts made here would propagate back to the parent's
  // namespace where "/" is shared (systemd's default).
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return absl::UnavailableError(absl::StrCat("making / private: ", strerror(errno)));
  return absl::OkStatus();
}

int LockRunDirectory(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/.lock");
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int CleanStaleRuns() {
  const std::string prefix = kTempPrefix;
  const std::string parent = prefix.substr(0, prefix.rfind('/'));
  const std::string stem = prefix.substr(prefix.rfind('/') + 1);
  std::vector<std::string> candidates;
  if (DIR* d = opendir(parent.c_str())) {
    while (dirent* e = readdir(d))
      if (absl::StartsWith(e->d_name, stem)) candidates.push_back(absl::StrCat(parent, "/", e->d_name));
    closedir(d);
  }
  int removed = 0;
  for (const std::string& dir : candidates) {
    // A live run holds the lock; a dead run's lock is free (or the file
    // missing, if it died before taking it or predates locking).
    const std::string lock = absl::StrCat(dir, "/.lock");
    const int fd = open(lock.c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      const bool free = flock(fd, LOCK_EX | LOCK_NB) == 0;
      close(fd);
      if (!free) continue;
    } else {
      // No lock file: a run that predates locking, or one that has just made
      // its directory and not yet locked it. Only the first is old.
      struct stat st;
      if (errno != ENOENT || stat(dir.c_str(), &st) != 0 || time(nullptr) - st.st_mtime < 60) continue;
    }
    for (const std::string& mp : MountsBelow(dir)) umount2(mp.c_str(), MNT_DETACH);
    RemoveRunDirectory(dir);
    if (access(dir.c_str(), F_OK) != 0) ++removed;
  }
  return removed;
}

}  // namespace fusesim::oracle
