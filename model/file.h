// An open file (struct file + struct fuse_file) as a thread's fd refers to it.
#ifndef FUSESIM_MODEL_FILE_H_
#define FUSESIM_MODEL_FILE_H_

#include <cstdint>

#include "model/dcache.h"
#include "model/inode.h"

namespace fusesim::model {

struct File {
  int mount = 0;
  DentryId dentry = kNoDentry;  // holds a reference
  InodeId inode = kNoInode;     // holds a reference
  uint64_t fh = 0;              // server handle (0 with no_open)
  bool is_dir = false;
  uint32_t flags = 0;
  bool created = false;  // FMODE_CREATED
  bool opened = false;   // FMODE_OPENED: the fs opened it in ->atomic_open
  // ff->args (the release args) allocated: false only for a directory opened
  // without OPENDIR (6.18: fuse_file_open() with no_opendir, or its ENOSYS).
  bool release_args = true;
  // FOPEN_CACHE_DIR: a directory opened without OPENDIR gets the default
  // open flags FOPEN_KEEP_CACHE|FOPEN_CACHE_DIR (fuse_file_open()), so its
  // listings go through the readdir cache.
  bool cache_dir = false;
};

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_FILE_H_
