// Tests of the dentry cache model against fs/dcache.c semantics.
#include "model/dcache.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fusesim::model {
namespace {

class DcacheTest : public ::testing::Test {
 protected:
  DcacheTest()
      : inodes_(0, &queue_, &pending_),
        dc_(0, &inodes_, [this](const std::string& inv, const std::string&) { violations_.push_back(inv); }) {
    root_ = dc_.MakeRoot(inodes_.MakeRoot(1000));
  }
  std::deque<QueuedRequest> queue_;
  sim::Counter pending_;
  InodeTable inodes_;
  Dcache dc_;
  std::vector<std::string> violations_;
  sim::Actor a_;
  DentryId root_;
};

TEST_F(DcacheTest, DAllocParallelCreatesInLookupThenFindsIt) {
  auto p = dc_.d_alloc_parallel(root_, 7);
  EXPECT_EQ(p.kind, Dcache::Parallel::kNew);
  EXPECT_TRUE(dc_.d_in_lookup(p.dentry));
  EXPECT_TRUE(dc_.d_unhashed(p.dentry));
  EXPECT_EQ(dc_.d_lookup(root_, 7), kNoDentry);  // not in the primary hash
  auto q = dc_.d_alloc_parallel(root_, 7);
  EXPECT_EQ(q.kind, Dcache::Parallel::kInLookupOther);
  EXPECT_EQ(q.dentry, p.dentry);
}

TEST_F(DcacheTest, DAddEndsInLookupAndWakesWaiters) {
  auto p = dc_.d_alloc_parallel(root_, 7);
  EXPECT_FALSE(dc_.at(p.dentry).lookup_done.done);
  dc_.d_add(p.dentry, kNoInode, a_);  // negative
  EXPECT_TRUE(dc_.at(p.dentry).lookup_done.done);
  EXPECT_FALSE(dc_.d_in_lookup(p.dentry));
  EXPECT_TRUE(dc_.d_wait_lookup_matches(p.dentry, root_, 7));
  EXPECT_EQ(dc_.d_lookup(root_, 7), p.dentry);
  auto q = dc_.d_alloc_parallel(root_, 7);
  EXPECT_EQ(q.kind, Dcache::Parallel::kHashed);
}

TEST_F(DcacheTest, DLookupDoneWithoutHashingIsAMismatch) {
  auto p = dc_.d_alloc_parallel(root_, 7);
  dc_.d_lookup_done(p.dentry, a_);
  EXPECT_TRUE(dc_.at(p.dentry).lookup_done.done);
  EXPECT_FALSE(dc_.d_wait_lookup_matches(p.dentry, root_, 7));
  EXPECT_EQ(dc_.d_lookup(root_, 7), kNoDentry);
}

TEST_F(DcacheTest, DInstantiateOnInLookupIsTheBug) {
  auto p = dc_.d_alloc_parallel(root_, 7);
  InodeId ino = inodes_.Iget(5, false, 1, 1000);
  EXPECT_FALSE(dc_.d_instantiate(p.dentry, ino));
}

TEST_F(DcacheTest, DSpliceAliasOnHashedNegativeIsTheBug) {
  auto p = dc_.d_alloc_parallel(root_, 7);
  dc_.d_add(p.dentry, kNoInode, a_);
  InodeId ino = inodes_.Iget(5, false, 1, 1000);
  DentryId alias;
  EXPECT_FALSE(dc_.d_splice_alias(ino, p.dentry, &alias, a_));
  // The safe idiom: d_drop() first.
  dc_.d_drop(p.dentry);
  EXPECT_TRUE(dc_.d_splice_alias(ino, p.dentry, &alias, a_));
  EXPECT_EQ(alias, kNoDentry);
  EXPECT_TRUE(dc_.positive(p.dentry));
  EXPECT_FALSE(dc_.d_unhashed(p.dentry));
}

TEST_F(DcacheTest, DInstantiateOnHashedNegativeIsLegal) {
  auto p = dc_.d_alloc_parallel(root_, 7);
  dc_.d_add(p.dentry, kNoInode, a_);
  InodeId ino = inodes_.Iget(5, false, 1, 1000);
  EXPECT_TRUE(dc_.d_instantiate(p.dentry, ino));
  EXPECT_TRUE(dc_.positive(p.dentry));
}

TEST_F(DcacheTest, SecondHashedDentryForOneNameIsReported) {
  DentryId a = dc_.d_alloc(root_, 7);
  dc_.d_add(a, kNoInode, a_);
  DentryId b = dc_.d_alloc(root_, 7);
  dc_.d_add(b, kNoInode, a_);
  EXPECT_EQ(violations_, std::vector<std::string>{"single-dentry"});
}

TEST_F(DcacheTest, DDeleteNegativeWhenOnlyUserUnhashedOtherwise) {
  InodeId ino = inodes_.Iget(5, false, 1, 1000);
  DentryId d = dc_.d_alloc(root_, 7);
  dc_.d_add(d, ino, a_);
  inodes_.mut(ino).nlink = 0;  // unlinked
  dc_.d_delete(d, -1);         // count == 1: becomes negative, inode evicted
  EXPECT_FALSE(dc_.positive(d));
  EXPECT_FALSE(dc_.d_unhashed(d));
  ASSERT_EQ(queue_.size(), 1u);
  EXPECT_EQ(queue_.front().req.opcode, Opcode::kForget);
  EXPECT_EQ(queue_.front().req.forgets.front(), std::make_pair(NodeId{5}, uint64_t{1}));

  InodeId ino2 = inodes_.Iget(6, false, 1, 1000);
  DentryId e = dc_.d_alloc(root_, 8);
  dc_.d_add(e, ino2, a_);
  dc_.dget(e);  // an open file holds it
  dc_.d_delete(e, -1);
  EXPECT_TRUE(dc_.positive(e));
  EXPECT_TRUE(dc_.d_unhashed(e));
}

TEST_F(DcacheTest, ShrinkUnusedFreesUnusedAndForgetsInodes) {
  InodeId dir = inodes_.Iget(2, true, 2, 1000);
  DentryId d = dc_.d_alloc(root_, 1);
  dc_.d_add(d, dir, a_);
  InodeId f = inodes_.Iget(3, false, 1, 1000);
  DentryId fd = dc_.d_alloc(d, 2);
  dc_.d_add(fd, f, a_);
  dc_.dput(fd, -1);
  dc_.dput(d, -1);  // only the child's reference is left on d
  dc_.ShrinkUnused(-1);
  inodes_.ShrinkUnused(-1);
  EXPECT_EQ(dc_.Resolve({1}), kNoDentry);
  EXPECT_EQ(queue_.size(), 2u);
  EXPECT_EQ(inodes_.Find(2), kNoInode);
  EXPECT_EQ(inodes_.Find(3), kNoInode);
}

TEST_F(DcacheTest, DirectorySpliceMovesTheExistingAlias) {
  InodeId dir = inodes_.Iget(2, true, 2, 1000);
  DentryId a = dc_.d_alloc(root_, 1);
  dc_.d_add(a, dir, a_);
  auto p = dc_.d_alloc_parallel(root_, 2);  // the same directory under a new name
  DentryId alias;
  ASSERT_TRUE(dc_.d_splice_alias(dir, p.dentry, &alias, a_));
  EXPECT_EQ(alias, a);
  EXPECT_EQ(dc_.Resolve({2}), a);
  EXPECT_EQ(dc_.Resolve({1}), kNoDentry);
}

}  // namespace
}  // namespace fusesim::model
