// model/opcode.h: the dense counter index covers every opcode exactly once
// (kNumOpcodes sizes per-opcode arrays; two branches once added opcodes at
// the same time and each counted only its own).
#include "model/opcode.h"

#include <set>

#include "gtest/gtest.h"

namespace fusesim::model {
namespace {

TEST(Opcode, DenseIndexCoversEveryOpcodeOnce) {
  ASSERT_EQ(AllOpcodes().size(), static_cast<size_t>(kNumOpcodes));
  std::set<int> seen;
  for (Opcode op : AllOpcodes()) {
    const int i = OpcodeIndex(op);
    EXPECT_GE(i, 0);
    EXPECT_LT(i, kNumOpcodes);
    EXPECT_TRUE(seen.insert(i).second) << OpcodeName(op);
    EXPECT_EQ(ParseOpcode(OpcodeName(op)), op);
  }
}

}  // namespace
}  // namespace fusesim::model
