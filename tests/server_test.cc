// Tests of the FUSE server model.
#include "model/server.h"

#include "gtest/gtest.h"

namespace fusesim::model {
namespace {

Request Req(Opcode op, NodeId parent, NameId name, uint32_t flags = 0) {
  Request r;
  r.opcode = op;
  r.nodeid = parent;
  r.name = name;
  r.flags = flags;
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  sim::Actor a_;
  MountTimeouts t_;
};

TEST_F(ServerTest, NegativeLookupIsEnoentOrNodeidZero) {
  Server s(ServerConfig{}, 1);
  t_.negative_us = 0;
  EXPECT_EQ(s.Handle(Req(Opcode::kLookup, kRootNodeId, 1), 0, t_, a_).err, Err::kENOENT);
  t_.negative_us = 5000;
  Reply r = s.Handle(Req(Opcode::kLookup, kRootNodeId, 1), 0, t_, a_);
  EXPECT_EQ(r.err, Err::kOk);
  EXPECT_EQ(r.nodeid, 0u);
  EXPECT_EQ(r.entry_valid_us, 5000u);
}

TEST_F(ServerTest, CreateOnExistingOpensUnlessExclOrStrict) {
  ServerConfig c;
  Server s(c, 1);
  NodeId f = s.AddPath({1}, false);
  Reply r = s.Handle(Req(Opcode::kCreate, kRootNodeId, 1, kOCreat | kOWronly), 0, t_, a_);
  EXPECT_EQ(r.err, Err::kOk);
  EXPECT_EQ(r.nodeid, f);
  EXPECT_FALSE(r.file_created);
  EXPECT_TRUE(r.opened);
  EXPECT_EQ(s.Handle(Req(Opcode::kCreate, kRootNodeId, 1, kOCreat | kOExcl), 0, t_, a_).err, Err::kEEXIST);
  c.create_existing = CreateExisting::kEexist;
  Server strict(c, 1);
  strict.AddPath({1}, false);
  EXPECT_EQ(strict.Handle(Req(Opcode::kCreate, kRootNodeId, 1, kOCreat), 0, t_, a_).err, Err::kEEXIST);
  // An atomic create reports the truth instead.
  Reply ac = strict.Handle(Req(Opcode::kAtomicCreate, kRootNodeId, 1, kOCreat), 0, t_, a_);
  EXPECT_EQ(ac.err, Err::kOk);
  EXPECT_FALSE(ac.file_created);
}

TEST_F(ServerTest, CreateOnDirectoryIsEisdir) {
  Server s(ServerConfig{}, 1);
  s.AddPath({1}, true);
  EXPECT_EQ(s.Handle(Req(Opcode::kCreate, kRootNodeId, 1, kOCreat), 0, t_, a_).err, Err::kEISDIR);
}

TEST_F(ServerTest, UnsupportedAnswersEnosys) {
  ServerConfig c;
  c.unsupported = {Opcode::kCreate};
  Server s(c, 1);
  EXPECT_EQ(s.Handle(Req(Opcode::kCreate, kRootNodeId, 1, kOCreat), 0, t_, a_).err, Err::kENOSYS);
  EXPECT_EQ(s.Resolve({1}), 0u);  // nothing was created
  EXPECT_EQ(s.Handle(Req(Opcode::kMknod, kRootNodeId, 1), 0, t_, a_).err, Err::kOk);
}

TEST_F(ServerTest, ErrorInjectionHonoursPathAndTimes) {
  ServerConfig c;
  ErrorRule rule;
  rule.opcode = Opcode::kLookup;
  rule.any_path = false;
  rule.path = {1};
  rule.err = Err::kEIO;
  rule.times = 1;
  c.errors = {rule};
  Server s(c, 1);
  EXPECT_EQ(s.Handle(Req(Opcode::kLookup, kRootNodeId, 2), 0, t_, a_).err, Err::kENOENT);  // other path
  EXPECT_EQ(s.Handle(Req(Opcode::kLookup, kRootNodeId, 1), 0, t_, a_).err, Err::kEIO);
  EXPECT_EQ(s.Handle(Req(Opcode::kLookup, kRootNodeId, 1), 0, t_, a_).err, Err::kENOENT);  // used up
}

TEST_F(ServerTest, UnlinkedNodeLivesUntilForgottenAndReleased) {
  Server s(ServerConfig{}, 2);
  NodeId f = s.AddPath({1}, false);
  EXPECT_EQ(s.Handle(Req(Opcode::kLookup, kRootNodeId, 1), 1, t_, a_).nodeid, f);
  Request open;
  open.opcode = Opcode::kOpen;
  open.nodeid = f;
  Reply o = s.Handle(open, 1, t_, a_);
  EXPECT_EQ(s.RemoteUnlink({1}), Err::kOk);
  ASSERT_NE(s.Find(f), nullptr);
  EXPECT_EQ(s.nodes()[f].nlookup[1], 1u);
  EXPECT_EQ(s.nodes()[f].nlookup[0], 0u);
  Request forget;
  forget.opcode = Opcode::kForget;
  forget.forgets = {{f, 1}};
  s.Handle(forget, 1, t_, a_);
  ASSERT_NE(s.Find(f), nullptr);  // still open
  Request rel;
  rel.opcode = Opcode::kRelease;
  rel.fh = o.fh;
  s.Handle(rel, 1, t_, a_);
  EXPECT_EQ(s.Find(f), nullptr);
  EXPECT_TRUE(s.handles().empty());
}

TEST_F(ServerTest, OpenOfUnlinkedFileFollowsTheKnob) {
  for (auto [knob, want] : {std::pair{OpenUnlinked::kOpen, Err::kOk}, std::pair{OpenUnlinked::kENOENT, Err::kENOENT},
                            std::pair{OpenUnlinked::kESTALE, Err::kESTALE}}) {
    ServerConfig c;
    c.open_unlinked = knob;
    Server s(c, 1);
    NodeId f = s.AddPath({1}, false);
    s.Handle(Req(Opcode::kLookup, kRootNodeId, 1), 0, t_, a_);
    s.RemoteUnlink({1});
    Request open;
    open.opcode = Opcode::kOpen;
    open.nodeid = f;
    EXPECT_EQ(s.Handle(open, 0, t_, a_).err, want);
  }
}

TEST_F(ServerTest, RenamePosixRules) {
  Server s(ServerConfig{}, 1);
  s.AddPath({1}, true);                                   // /a/
  s.AddPath({1, 2}, false);                               // /a/x
  s.AddPath({3}, true);                                   // /b/
  s.AddPath({3, 4}, false);                               // /b/y
  EXPECT_EQ(s.RemoteRename({1, 2}, {3}), Err::kEISDIR);   // file over dir
  EXPECT_EQ(s.RemoteRename({3}, {1, 2}), Err::kENOTDIR);  // dir over file
  EXPECT_EQ(s.RemoteRename({1}, {1, 5}), Err::kEINVAL);   // below itself
  EXPECT_EQ(s.RemoteRename({1, 2}, {3, 4}), Err::kOk);    // replaces /b/y
  EXPECT_EQ(s.Resolve({1, 2}), 0u);
  EXPECT_NE(s.Resolve({3, 4}), 0u);
  EXPECT_EQ(s.RemoteRmdir({3}), Err::kENOTEMPTY);
}

}  // namespace
}  // namespace fusesim::model
