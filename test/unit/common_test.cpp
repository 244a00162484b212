// common/: strict numbers, glob matching, config files, LCS; cluster/: slot hashing.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include "cluster/slot.h"
#include "common/config_file.h"
#include "common/glob.h"
#include "common/lcs.h"
#include "common/numbers.h"
#include "test_support.h"

namespace kvd {
namespace {

using namespace std::string_literals;

// ---- slots -------------------------------------------------------------

TEST_CASE("slot: CRC-32/IEEE check value") {
  CHECK(cluster::Crc32("123456789") == 0xCBF43926u);
  CHECK(cluster::Crc32("") == 0u);
}

TEST_CASE("slot: CRC-32 agrees with the bit-by-bit definition at every length and alignment") {
  auto bitwise = [](std::string_view data) {
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char byte : data) {
      crc ^= byte;
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return crc ^ 0xFFFFFFFFu;
  };
  std::string bytes;
  for (int i = 0; i < 80; ++i) bytes.push_back(static_cast<char>(i * 37 + 11));
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 0; offset + length <= bytes.size(); ++length) {
      std::string_view piece(bytes.data() + offset, length);
      CHECK_MESSAGE(cluster::Crc32(piece) == bitwise(piece), "offset " << offset << " length " << length);
    }
  }
}

TEST_CASE("slot: test vectors") {
  CHECK(cluster::SlotOf("foo") == 289);
  CHECK(cluster::SlotOf("bar") == 170);
  CHECK(cluster::SlotOf("123456789") == 294);
  CHECK(cluster::SlotOf("{user1000}.x") == 870);
  CHECK(cluster::SlotOf("a{b}c") == 1017);
}

TEST_CASE("slot: hash tags") {
  CHECK(cluster::HashTag("{user1000}.following") == "user1000");
  CHECK(cluster::SlotOf("{user1000}.following") == cluster::SlotOf("{user1000}.followers"));
  CHECK(cluster::SlotOf("{user1000}.following") == cluster::SlotOf("user1000"));
  CHECK(cluster::HashTag("a{b}c") == "b");
  CHECK(cluster::SlotOf("a{b}c") == cluster::SlotOf("b"));
  // An empty {} hashes the whole key.
  CHECK(cluster::HashTag("{}") == "{}");
  CHECK(cluster::HashTag("foo{}{bar}") == "foo{}{bar}");
  CHECK(cluster::SlotOf("foo{}{bar}") == cluster::Crc32("foo{}{bar}") % cluster::kSlotCount);
  // Only the first '{' and the next '}' count.
  CHECK(cluster::HashTag("foo{{bar}}zap") == "{bar");
  CHECK(cluster::HashTag("foo{bar}{zap}") == "bar");
  CHECK(cluster::HashTag("foo{bar") == "foo{bar");
  CHECK(cluster::HashTag("foo}bar{") == "foo}bar{");
  CHECK(cluster::HashTag("") == "");
  for (std::string key : {""s, "x"s, "some:long:key:name"s, "\xff\x00"s}) {
    CHECK(cluster::SlotOf(key) < cluster::kSlotCount);
  }
}

// ---- numbers -----------------------------------------------------------

TEST_CASE("ParseInt64 is strict") {
  int64_t value = 99;
  CHECK(ParseInt64("0", &value));
  CHECK(value == 0);
  CHECK(ParseInt64("12345", &value));
  CHECK(value == 12345);
  CHECK(ParseInt64("-7", &value));
  CHECK(value == -7);
  CHECK(ParseInt64("9223372036854775807", &value));
  CHECK(value == std::numeric_limits<int64_t>::max());
  CHECK(ParseInt64("-9223372036854775808", &value));
  CHECK(value == std::numeric_limits<int64_t>::min());
  value = 99;
  for (const char* bad : {"", "01", "+1", " 1", "1 ", "-0", "-", "1.0", "1e3", "0x10", "abc", "12a",
                          "9223372036854775808", "-9223372036854775809", "99999999999999999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseInt64(bad, &value));
  }
  CHECK_FALSE(ParseInt64("1\0"s, &value));
  CHECK(value == 99);  // untouched on failure
}

TEST_CASE("ParseUint64") {
  uint64_t value = 0;
  CHECK(ParseUint64("0", &value));
  CHECK(value == 0);
  CHECK(ParseUint64("18446744073709551615", &value));
  CHECK(value == std::numeric_limits<uint64_t>::max());
  for (const char* bad : {"", "-1", "+1", "01", " 1", "18446744073709551616", "1.5"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseUint64(bad, &value));
  }
}

TEST_CASE("ParseDouble") {
  double value = 0;
  CHECK(ParseDouble("1.5", &value));
  CHECK(value == 1.5);
  CHECK(ParseDouble("-0.25", &value));
  CHECK(value == -0.25);
  CHECK(ParseDouble("1e5", &value));
  CHECK(value == 100000);
  CHECK(ParseDouble("10", &value));
  CHECK(value == 10);
  CHECK(ParseDouble("inf", &value));
  CHECK(value == INFINITY);
  CHECK(ParseDouble("+inf", &value));
  CHECK(value == INFINITY);
  CHECK(ParseDouble("-inf", &value));
  CHECK(value == -INFINITY);
  // A subnormal result is a number (Redis accepts ZADD k 4e-320 m).
  CHECK(ParseDouble("4e-320", &value));
  CHECK(value > 0);
  value = 7;
  for (const char* bad : {"", "nan", "NaN", "-nan", " 1", "1 ", "1.5x", "abc", "1e400", "-1e400", "1e-400"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDouble(bad, &value));
  }
  CHECK_FALSE(ParseDouble("1\0"s, &value));
  CHECK_FALSE(ParseDouble(std::string(6000, '1'), &value));  // Redis's limit is 5 KB of text
  CHECK(value == 7);
  // A long but valid text (what INCRBYFLOAT stores near 1e308) is a number.
  REQUIRE(ParseDouble(std::string(300, '1'), &value));
  CHECK(value > 1e299);
}

TEST_CASE("ParseLongDouble") {
  long double value = 0;
  CHECK(ParseLongDouble("10.5", &value));
  CHECK(value == 10.5L);
  CHECK(ParseLongDouble("-inf", &value));
  CHECK(std::isinf(value));
  CHECK_FALSE(ParseLongDouble("nan", &value));
  CHECK_FALSE(ParseLongDouble(" 1", &value));
  CHECK_FALSE(ParseLongDouble("", &value));
}

TEST_CASE("FormatInt64 and FormatDouble") {
  CHECK(FormatInt64(0) == "0");
  CHECK(FormatInt64(-12) == "-12");
  CHECK(FormatInt64(std::numeric_limits<int64_t>::min()) == "-9223372036854775808");
  CHECK(FormatDouble(1.5) == "1.5");
  CHECK(FormatDouble(3) == "3");
  CHECK(FormatDouble(1.1) == "1.1000000000000001");  // Redis 7.0's %.17g
  CHECK(FormatDouble(-0.5) == "-0.5");
  CHECK(FormatDouble(1e300) == "1.0000000000000001e+300");
  CHECK(FormatDouble(INFINITY) == "inf");
  CHECK(FormatDouble(-INFINITY) == "-inf");
}

long double SumOf(const char* a, const char* b) {
  long double x = 0, y = 0;
  REQUIRE(ParseLongDouble(a, &x));
  REQUIRE(ParseLongDouble(b, &y));
  return x + y;
}

TEST_CASE("FormatLongDouble has INCRBYFLOAT's form") {
  CHECK(FormatLongDouble(SumOf("10.5", "0.1")) == "10.6");
  CHECK(FormatLongDouble(SumOf("0.1", "0.2")) == "0.3");
  CHECK(FormatLongDouble(SumOf("5", "-5")) == "0");
  CHECK(FormatLongDouble(SumOf("1", "5.0e3")) == "5001");
  CHECK(FormatLongDouble(-0.0L) == "0");
  CHECK(FormatLongDouble(3.0L) == "3");
  CHECK(FormatLongDouble(-2.5L) == "-2.5");
  CHECK(FormatLongDouble(1e20L) == "100000000000000000000");  // no exponent
  CHECK(FormatLongDouble(INFINITY) == "inf");
  CHECK(FormatLongDouble(-INFINITY) == "-inf");
  if constexpr (std::numeric_limits<long double>::digits == 64) {
    // x87 extended precision, as Redis on x86-64: INCRBYFLOAT 10.6 1e20.
    CHECK(FormatLongDouble(SumOf("10.6", "1e20")) == "100000000000000000008");
  }
}

// ---- glob --------------------------------------------------------------

TEST_CASE("glob: wildcards") {
  CHECK(GlobMatch("*", "anything"));
  // An empty name: only the empty pattern matches, as in Redis (KEYS ** skips
  // the key ""; KEYS * and SCAN list it by not matching at all).
  CHECK_FALSE(GlobMatch("*", ""));
  CHECK_FALSE(GlobMatch("**", ""));
  CHECK_FALSE(GlobMatch("[^a]", ""));
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("", "a"));
  CHECK(GlobMatch("h?llo", "hello"));
  CHECK(GlobMatch("h?llo", "hallo"));
  CHECK_FALSE(GlobMatch("h?llo", "hllo"));
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK(GlobMatch("h*llo", "hllo"));
  CHECK(GlobMatch("h*llo", "heeeello"));
  CHECK_FALSE(GlobMatch("h*llo", "heeeelo"));
  CHECK(GlobMatch("a*b*c", "aXbYc"));
  CHECK(GlobMatch("a*b*c", "abcbc"));
  CHECK_FALSE(GlobMatch("a*b*c", "abcb"));
  CHECK(GlobMatch("user:*", "user:1"));
  CHECK_FALSE(GlobMatch("user:*", "users:1"));
  CHECK(GlobMatch("**a**", "xxaxx"));
  CHECK(GlobMatch("*?", "a"));
  CHECK_FALSE(GlobMatch("*?", ""));
}

TEST_CASE("glob: classes, ranges, negation") {
  CHECK(GlobMatch("h[ae]llo", "hello"));
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("h[^e]llo", "hallo"));
  CHECK(GlobMatch("h[^e]llo", "hbllo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK(GlobMatch("h[a-b]llo", "hallo"));
  CHECK(GlobMatch("h[a-b]llo", "hbllo"));
  CHECK_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  CHECK(GlobMatch("h[b-a]llo", "hallo"));  // a reversed range still matches
  CHECK(GlobMatch("[0-9][0-9]", "42"));
  CHECK_FALSE(GlobMatch("[0-9][0-9]", "4x"));
  CHECK(GlobMatch("[^0-9]", "x"));
  CHECK_FALSE(GlobMatch("[^0-9]", "5"));
  CHECK(GlobMatch("[abc", "b"));  // an unterminated class runs to the end of the pattern
  // A '-' before ']' makes a range ending in ']', as Redis reads it: "[a*-]" is
  // 'a' and '*' to ']' (so '+', '-' and '[' are in, 'b' is not), unterminated.
  CHECK(GlobMatch("[a*-]", "+"));
  CHECK(GlobMatch("[a*-]", "["));
  CHECK(GlobMatch("[a*-]", "a"));
  CHECK_FALSE(GlobMatch("[a*-]", "b"));
  CHECK(GlobMatch("[*-]x]", "+"));  // the class ends at the second ']'; "x]" is not literal after it
  CHECK(GlobMatch("[a-]", "a"));    // a two-byte tail is no range
  CHECK(GlobMatch("*[xyz]", "aaaz"));
  CHECK_FALSE(GlobMatch("*[xyz]", "aaaw"));
}

TEST_CASE("glob: escapes") {
  CHECK(GlobMatch("h\\*llo", "h*llo"));
  CHECK_FALSE(GlobMatch("h\\*llo", "hello"));
  CHECK(GlobMatch("\\?", "?"));
  CHECK_FALSE(GlobMatch("\\?", "a"));
  CHECK(GlobMatch("\\[a]", "[a]"));
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("[a\\-z]", "-"));
  CHECK(GlobMatch("[a\\-z]", "z"));
  CHECK_FALSE(GlobMatch("[a\\-z]", "b"));
  CHECK(GlobMatch("[\\^a]", "^"));
  CHECK(GlobMatch("a\\", "a\\"));  // a trailing backslash is literal
  CHECK(GlobMatch("a\0*"s, "a\0bc"s));
  CHECK_FALSE(GlobMatch("a\0*"s, "ab"s));
}

TEST_CASE("glob: nocase") {
  CHECK(GlobMatch("HeLLo", "hello", true));
  CHECK_FALSE(GlobMatch("HeLLo", "hello"));
  CHECK(GlobMatch("h[A-C]llo", "hbllo", true));
  CHECK_FALSE(GlobMatch("h[A-C]llo", "hbllo"));
  CHECK(GlobMatch("[^A]", "b", true));
  CHECK_FALSE(GlobMatch("[\\A]", "a", true));  // an escaped byte is compared exactly, as in Redis
  CHECK_FALSE(GlobMatch("[^A]", "a", true));
  CHECK(GlobMatch("USER:*", "user:1", true));
}

TEST_CASE("glob: many stars against a long miss finishes") {
  std::string text(5000, 'a');
  CHECK_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  CHECK(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a", text));
}

// ---- config files ------------------------------------------------------

TEST_CASE("config: names, values, comments, quotes, line numbers") {
  std::string text =
      "# a comment\n"
      "\n"
      "port 6380\n"
      "bind 127.0.0.1 ::1\n"
      "   dir    /var/lib/kvd   \r\n"
      "requirepass \"with space\"\n"
      "masterauth 'single'\n"
      "  # indented comment\n"
      "appendonly\n"
      "logfile \"\"\n"
      "tabbed\tvalue\n";
  std::vector<ConfigLine> lines = test::Must(ParseConfigText(text));
  REQUIRE(lines.size() == 8);
  CHECK(lines[0].name == "port");
  CHECK(lines[0].value == "6380");
  CHECK(lines[0].line_number == 3);
  CHECK(lines[1].name == "bind");
  CHECK(lines[1].value == "127.0.0.1 ::1");
  CHECK(lines[1].line_number == 4);
  CHECK(lines[2].name == "dir");
  CHECK(lines[2].value == "/var/lib/kvd");
  CHECK(lines[2].line_number == 5);
  CHECK(lines[3].name == "requirepass");
  CHECK(lines[3].value == "with space");
  CHECK(lines[4].name == "masterauth");
  CHECK(lines[4].value == "single");
  CHECK(lines[5].name == "appendonly");
  CHECK(lines[5].value == "");
  CHECK(lines[5].line_number == 9);
  CHECK(lines[6].name == "logfile");
  CHECK(lines[6].value == "");
  CHECK(lines[7].name == "tabbed");
  CHECK(lines[7].value == "value");
  CHECK(lines[7].line_number == 11);
}

TEST_CASE("config: empty text and files") {
  CHECK(test::Must(ParseConfigText("")).empty());
  CHECK(test::Must(ParseConfigText("# only\n\n   \n")).empty());

  test::TempDir dir;
  std::string path = dir.path() + "/kvd.conf";
  {
    std::ofstream file(path);
    file << "port 7000\n# x\ndatabases 4";  // no final newline
  }
  std::vector<ConfigLine> lines = test::Must(ReadConfigFile(path));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].name == "port");
  CHECK(lines[0].value == "7000");
  CHECK(lines[1].name == "databases");
  CHECK(lines[1].value == "4");
  CHECK(lines[1].line_number == 3);

  Result<std::vector<ConfigLine>> missing = ReadConfigFile(dir.path() + "/nope.conf");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kIOError);
}

}  // namespace
}  // namespace kvd

TEST_CASE("LCS: subsequence and runs, last run first (Redis's documented example)") {
  kvd::LcsResult result = kvd::Lcs("ohmytext", "mynewtext");
  CHECK(result.sequence == "mytext");
  REQUIRE(result.runs.size() == 2);
  CHECK(result.runs[0].a_start == 4);
  CHECK(result.runs[0].a_end == 7);
  CHECK(result.runs[0].b_start == 5);
  CHECK(result.runs[0].b_end == 8);
  CHECK(result.runs[0].length() == 4);
  CHECK(result.runs[1].a_start == 2);
  CHECK(result.runs[1].a_end == 3);
  CHECK(result.runs[1].b_start == 0);
  CHECK(result.runs[1].b_end == 1);
}

TEST_CASE("LCS: empty and disjoint strings, binary bytes") {
  CHECK(kvd::Lcs("", "abc").sequence.empty());
  CHECK(kvd::Lcs("abc", "").runs.empty());
  CHECK(kvd::Lcs("abc", "xyz").sequence.empty());
  CHECK(kvd::Lcs("abc", "xyz").runs.empty());
  std::string a("a\0b\r\n", 5), b("\0\r\nz", 4);
  CHECK(kvd::Lcs(a, b).sequence == std::string("\0\r\n", 3));
  CHECK(kvd::Lcs("same", "same").runs.size() == 1);
  CHECK(kvd::LcsTableBytes(1, 2) == 6 * sizeof(uint32_t));
}

namespace kvd {

TEST_CASE("config: CONFIG REWRITE's text keeps comments, rewrites in place, appends, removes") {
  std::string original =
      "# kvd\n"
      "maxclients 7\n"
      "\n"
      "loglevel notice   \n"
      "replicaof 10.0.0.1 6380\n"
      "loglevel warning\n";
  std::vector<ConfigSetting> settings = {
      {"maxclients", "9", false},      // changed: rewritten where it was
      {"loglevel", "debug", false},    // twice in the file: the first line takes it, the second goes
      {"replicaof", "", true},         // a master now: the line goes
      {"timeout", "0", true},          // default and absent: not written
      {"requirepass", "a \"b\" c", false},  // absent: appended, quoted
  };
  std::string rewritten = test::Must(RewriteConfigText(original, settings));
  CHECK(rewritten ==
        "# kvd\n"
        "maxclients 9\n"
        "\n"
        "loglevel debug\n"
        "# Generated by CONFIG REWRITE\n"
        "requirepass \"a \"b\" c\"\n");
  // What it wrote reads back as the values it was given.
  std::vector<ConfigLine> lines = test::Must(ParseConfigText(rewritten));
  REQUIRE(lines.size() == 3);
  CHECK(lines[2].name == "requirepass");
  CHECK(lines[2].value == "a \"b\" c");
  // A second rewrite with the same values changes nothing.
  settings[2] = {"replicaof", "10.0.0.2 6381", false};
  std::string again = test::Must(RewriteConfigText(rewritten, settings));
  CHECK(test::Must(RewriteConfigText(again, settings)) == again);
  CHECK(again.find("replicaof \"10.0.0.2 6381\"\n") != std::string::npos);
  CHECK(test::Must(RewriteConfigText("", {{"port", "7001", false}})) == "# Generated by CONFIG REWRITE\nport 7001\n");
  CHECK(!RewriteConfigText("", {{"requirepass", "a\nb", false}}).ok());
}

}  // namespace kvd
