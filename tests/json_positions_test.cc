#include "sim/scenario/json_positions.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace fusesim::sim {
namespace {

// Returns "line:column" for compact comparisons.
std::string Str(TextPosition p) { return std::to_string(p.line) + ":" + std::to_string(p.column); }

TEST(JsonPositions, PositionOfOffset) {
  const std::string_view text = "ab\ncd\n\nx";
  EXPECT_EQ(Str(PositionOfOffset(text, 0)), "1:1");
  EXPECT_EQ(Str(PositionOfOffset(text, 1)), "1:2");
  EXPECT_EQ(Str(PositionOfOffset(text, 2)), "1:3");  // The '\n' itself.
  EXPECT_EQ(Str(PositionOfOffset(text, 3)), "2:1");
  EXPECT_EQ(Str(PositionOfOffset(text, 6)), "3:1");
  EXPECT_EQ(Str(PositionOfOffset(text, 7)), "4:1");
  EXPECT_EQ(Str(PositionOfOffset(text, 8)), "4:2");    // End of text.
  EXPECT_EQ(Str(PositionOfOffset(text, 999)), "4:2");  // Clamped.
  EXPECT_EQ(Str(PositionOfOffset("", 5)), "1:1");
  // Columns count bytes: "é" is two bytes in UTF-8.
  EXPECT_EQ(Str(PositionOfOffset("\xC3\xA9x", 2)), "1:3");
}

TEST(JsonPositions, EscapePointerToken) {
  EXPECT_EQ(EscapePointerToken(""), "");
  EXPECT_EQ(EscapePointerToken("plain"), "plain");
  EXPECT_EQ(EscapePointerToken("a/b~c"), "a~1b~0c");
  EXPECT_EQ(EscapePointerToken("~1"), "~01");
}

TEST(JsonPositions, NestedValuesAcrossLines) {
  const std::string text =
      "{\n"                                              // 1
      "  \"threads\": [\n"                               // 2
      "    {\n"                                          // 3
      "      \"name\": \"t0\",\n"                        // 4
      "      \"ops\": [\n"                               // 5
      "        {\"op\": \"open\", \"n\": -1.5e+3},\n"    // 6
      "        {\"op\": \"read\", \"ok\": true,\n"       // 7
      "         \"x\": null, \"y\": false, \"z\": 0}\n"  // 8
      "      ]\n"                                        // 9
      "    }\n"                                          // 10
      "  ],\n"                                           // 11
      "  \"empty\": {}, \"none\": [ ]\n"                 // 12
      "}\n";
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan(text, 64);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Str(p->Find("")), "1:1");
  EXPECT_EQ(Str(p->Find("/threads")), "2:14");
  EXPECT_EQ(Str(p->Find("/threads/0")), "3:5");
  EXPECT_EQ(Str(p->Find("/threads/0/name")), "4:15");
  EXPECT_EQ(Str(p->Find("/threads/0/ops")), "5:14");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/0")), "6:9");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/0/op")), "6:16");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/0/n")), "6:29");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/1")), "7:9");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/1/op")), "7:16");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/1/ok")), "7:30");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/1/x")), "8:15");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/1/y")), "8:26");
  EXPECT_EQ(Str(p->Find("/threads/0/ops/1/z")), "8:38");
  EXPECT_EQ(Str(p->Find("/empty")), "12:12");
  EXPECT_EQ(Str(p->Find("/none")), "12:24");
}

TEST(JsonPositions, ScalarRoot) {
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan("  \n 42 ", 0);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Str(p->Find("")), "2:2");
}

TEST(JsonPositions, KeysWithSlashTildeAndEscapes) {
  // Keys: "a/b", "c~d", "q\"\\", "\u00e9" (é), "\ud83d\ude00" (U+1F600).
  const std::string text = R"({"a/b": 1, "c~d": [2, 3], "q\"\\": 4, "\u00e9": 5,)"
                           "\n"
                           R"( "\ud83d\ude00": {"\/": 6}})";
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan(text, 8);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Str(p->Find("/a~1b")), "1:9");
  EXPECT_EQ(Str(p->Find("/c~0d")), "1:19");
  EXPECT_EQ(Str(p->Find("/c~0d/1")), "1:23");
  EXPECT_EQ(Str(p->Find("/q\"\\")), "1:36");
  EXPECT_EQ(Str(p->Find("/\xC3\xA9")), "1:49");
  EXPECT_EQ(Str(p->Find("/\xF0\x9F\x98\x80")), "2:18");
  EXPECT_EQ(Str(p->Find("/\xF0\x9F\x98\x80/~1")), "2:25");
}

TEST(JsonPositions, FindFallsBackToNearestAncestor) {
  const std::string text = "{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}";
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan(text, 8);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Str(p->Find("/a/b/1")), "3:14");
  EXPECT_EQ(Str(p->Find("/a/b/7")), "3:10");     // Missing index -> array.
  EXPECT_EQ(Str(p->Find("/a/missing")), "2:8");  // Missing key -> object.
  EXPECT_EQ(Str(p->Find("/a/missing/deeper/0")), "2:8");
  EXPECT_EQ(Str(p->Find("/nope")), "1:1");  // -> root.
  EXPECT_EQ(Str(p->Find("garbage")), "1:1");
}

TEST(JsonPositions, DuplicateKeyError) {
  const std::string text =
      "{\n"
      "  \"threads\": [\n"
      "    {\"name\": \"a\",\n"
      "     \"name\": \"b\"}\n"
      "  ]\n"
      "}\n";
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan(text, 64);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(), "4:6: /threads/0/name: duplicate key \"name\"");
}

TEST(JsonPositions, DuplicateKeyAfterDecodingAndEscaping) {
  // "a\/b" decodes to the same key as "a/b".
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan(R"({"a/b": 1, "a\/b": 2})", 8);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "1:12: /a~1b: duplicate key \"a/b\"");
}

TEST(JsonPositions, SameKeyInDifferentObjectsIsFine) {
  EXPECT_TRUE(JsonPositions::Scan(R"([{"k": 1}, {"k": 2, "o": {"k": 3}}])", 8).ok());
}

TEST(JsonPositions, DepthLimit) {
  EXPECT_TRUE(JsonPositions::Scan("[[[1]]]", 3).ok());
  EXPECT_TRUE(JsonPositions::Scan("7", 0).ok());

  absl::StatusOr<JsonPositions> p = JsonPositions::Scan("[[[[1]]]]", 3);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(), "1:4: /0/0/0: nesting deeper than 3 levels");

  p = JsonPositions::Scan("{\"a\":\n  {\"b\": {}}}", 2);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "2:9: /a/b: nesting deeper than 2 levels");

  p = JsonPositions::Scan("[]", 0);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "1:1: : nesting deeper than 0 levels");
}

TEST(JsonPositions, MillionDeepArrayRejectedWithoutCrash) {
  constexpr int kDepth = 1000000;
  const std::string text = std::string(kDepth, '[') + std::string(kDepth, ']');
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan(text, 100);
  ASSERT_FALSE(p.ok());
  std::string pointer;
  for (int i = 0; i < 100; ++i) pointer += "/0";
  EXPECT_EQ(p.status().message(), "1:101: " + pointer + ": nesting deeper than 100 levels");

  // Unterminated, too.
  p = JsonPositions::Scan(std::string(kDepth, '['), 100);
  ASSERT_FALSE(p.ok());
}

TEST(JsonPositions, DeepButAllowedNesting) {
  // Deep enough that a naive recursive scanner would use a lot of stack.
  constexpr int kDepth = 5000;
  const std::string text = std::string(kDepth, '[') + std::string(kDepth, ']');
  absl::StatusOr<JsonPositions> p = JsonPositions::Scan(text, kDepth);
  ASSERT_TRUE(p.ok()) << p.status().message().substr(0, 100);
  std::string pointer;
  for (int i = 0; i < kDepth - 1; ++i) pointer += "/0";
  EXPECT_EQ(Str(p->Find(pointer)), "1:5000");
  EXPECT_EQ(Str(p->Find(pointer + "/0")), "1:5000");  // Absent: ancestor.
}

TEST(JsonPositions, NumbersAndLiterals) {
  absl::StatusOr<JsonPositions> p =
      JsonPositions::Scan("[0, -0, 12, -3.25, 1e9, 2E-7, -0.5e+10, true, false, null, \"s\"]", 4);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Str(p->Find("/6")), "1:31");
  EXPECT_EQ(Str(p->Find("/9")), "1:54");
  EXPECT_EQ(Str(p->Find("/10")), "1:60");
}

TEST(JsonPositions, MalformedJson) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "1:1: : malformed JSON"},
      {"{", "1:2: : malformed JSON"},
      {"[1,]", "1:4: /1: malformed JSON"},
      {"[1 2]", "1:4: : malformed JSON"},
      {"{\"a\" 1}", "1:6: /a: malformed JSON"},
      {"{\"a\": tru}", "1:7: /a: malformed JSON"},
      {"{\"a\": 01}", "1:8: : malformed JSON"},
      {"[-]", "1:3: /0: malformed JSON"},
      {"[1.]", "1:4: /0: malformed JSON"},
      {"[1e]", "1:4: /0: malformed JSON"},
      {"[\"\\x\"]", "1:3: /0: malformed JSON"},
      {"[\"\\ud800\"]", "1:3: /0: malformed JSON"},         // Lone high surrogate.
      {"[\"\\ud800\\u0041\"]", "1:3: /0: malformed JSON"},  // High + non-low.
      {"[\"\\udc00\"]", "1:3: /0: malformed JSON"},         // Lone low surrogate.
      {"[\"a\nb\"]", "1:4: /0: malformed JSON"},            // Raw control char.
      {"[\"abc", "1:6: /0: malformed JSON"},
      {"{} x", "1:4: : malformed JSON"},
      {"{1: 2}", "1:2: : malformed JSON"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<JsonPositions> p = JsonPositions::Scan(c.text, 8);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(p.status().message()), c.message) << c.text;
  }
}

}  // namespace
}  // namespace fusesim::sim
