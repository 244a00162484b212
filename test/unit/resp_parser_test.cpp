// RequestParser: the incremental RESP request parser, driven the way a
// connection drives it (drop `consumed` bytes, keep the rest, stop on kNeedMore).
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"

namespace kvd::protocol {
namespace {

using namespace std::string_literals;
using Args = std::vector<std::string>;

// Plays the part of a connection: a read buffer, and a parse loop that runs
// until the parser needs more bytes.
struct Conn {
  explicit Conn(ParserLimits limits = {}) : parser(limits) {}

  RequestParser parser;
  std::string buffer;
  std::vector<Args> commands;
  std::optional<std::string> error;
  size_t total_consumed = 0;
  size_t total_pushed = 0;

  void Push(std::string_view bytes) {
    buffer.append(bytes);
    total_pushed += bytes.size();
    while (!error) {
      RequestParser::Outcome outcome = parser.Parse(buffer);
      REQUIRE(outcome.consumed <= buffer.size());
      buffer.erase(0, outcome.consumed);
      total_consumed += outcome.consumed;
      if (outcome.state == RequestParser::State::kCommand) {
        commands.push_back(parser.args());
      } else if (outcome.state == RequestParser::State::kError) {
        error = parser.error();
      } else {
        break;
      }
    }
  }
};

std::string Multibulk(const Args& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& arg : args) out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  return out;
}

std::string ErrorFor(std::string_view input, ParserLimits limits = {}) {
  Conn conn(limits);
  conn.Push(input);
  REQUIRE_MESSAGE(conn.error.has_value(), "no protocol error for input");
  return *conn.error;
}

TEST_CASE("parser: a multibulk command") {
  RequestParser parser;
  std::string input = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  RequestParser::Outcome outcome = parser.Parse(input);
  CHECK(outcome.state == RequestParser::State::kCommand);
  CHECK(outcome.consumed == input.size());
  CHECK(parser.args() == Args{"SET", "key", "value"});
  CHECK_FALSE(parser.InsideCommand());
  // Nothing left: the parser asks for more and consumes nothing.
  outcome = parser.Parse("");
  CHECK(outcome.state == RequestParser::State::kNeedMore);
  CHECK(outcome.consumed == 0);
}

TEST_CASE("parser: several commands in one buffer yield one at a time") {
  std::string input = Multibulk({"PING"}) + "ECHO hi\r\n" + Multibulk({"GET", "k"});
  RequestParser parser;
  std::string_view rest = input;
  std::vector<Args> seen;
  for (int i = 0; i < 3; ++i) {
    RequestParser::Outcome outcome = parser.Parse(rest);
    REQUIRE(outcome.state == RequestParser::State::kCommand);
    seen.push_back(parser.args());
    rest.remove_prefix(outcome.consumed);
  }
  CHECK(rest.empty());
  CHECK(seen == std::vector<Args>{{"PING"}, {"ECHO", "hi"}, {"GET", "k"}});
}

TEST_CASE("parser: a partly arrived multibulk keeps its place") {
  RequestParser parser;
  std::string first = "*2\r\n$3\r\nfoo\r\n";
  RequestParser::Outcome outcome = parser.Parse(first);
  CHECK(outcome.state == RequestParser::State::kNeedMore);
  CHECK(outcome.consumed == first.size());  // the finished argument is not read twice
  CHECK(parser.InsideCommand());
  outcome = parser.Parse("$3\r\nbar\r\n");
  CHECK(outcome.state == RequestParser::State::kCommand);
  CHECK(outcome.consumed == 9);
  CHECK(parser.args() == Args{"foo", "bar"});
  CHECK_FALSE(parser.InsideCommand());
}

TEST_CASE("parser: binary arguments may hold NUL and CRLF") {
  std::string binary = "a\0\r\nb"s;
  Conn conn;
  conn.Push(Multibulk({binary, "", "\r\n", "$3\r\n"}));
  REQUIRE(conn.commands.size() == 1);
  CHECK(conn.commands[0] == Args{binary, "", "\r\n", "$3\r\n"});
  CHECK(conn.commands[0][0].size() == 5);
  CHECK(conn.buffer.empty());
}

TEST_CASE("parser: *0 and *-1 are ignored and what follows still runs") {
  Conn conn;
  conn.Push("*0\r\n*-1\r\n" + Multibulk({"PING"}) + "*0\r\n");
  CHECK(conn.commands == std::vector<Args>{{"PING"}});
  CHECK_FALSE(conn.error);
  CHECK(conn.buffer.empty());
  CHECK(conn.total_consumed == conn.total_pushed);
}

TEST_CASE("parser: inline commands") {
  SUBCASE("plain words, CRLF or LF, tabs and repeated spaces") {
    Conn conn;
    conn.Push("PING\r\nSET  k\tv\nGET k   \r\n");
    CHECK(conn.commands == std::vector<Args>{{"PING"}, {"SET", "k", "v"}, {"GET", "k"}});
  }
  SUBCASE("double quotes with escapes") {
    Conn conn;
    conn.Push(R"(SET "my key" "a\nb\t\x41\x7a\"\\\q" "")" "\r\n");
    REQUIRE(conn.commands.size() == 1);
    CHECK(conn.commands[0] == Args{"SET", "my key", "a\nb\tAz\"\\q", ""});
  }
  SUBCASE("\\x escapes produce any byte, including NUL") {
    Conn conn;
    conn.Push(R"(SET k "\x00\xff\x0D\x0a")" "\n");
    REQUIRE(conn.commands.size() == 1);
    CHECK(conn.commands[0][2] == "\0\xff\r\n"s);
  }
  SUBCASE("single quotes keep backslashes except before a quote") {
    Conn conn;
    conn.Push(R"(SET 'it\'s' 'a\nb')" "\r\n");
    REQUIRE(conn.commands.size() == 1);
    CHECK(conn.commands[0] == Args{"SET", "it's", "a\\nb"});
  }
  SUBCASE("empty and blank lines are consumed without a command") {
    Conn conn;
    conn.Push("\r\n\n   \r\nPING\r\n\r\n");
    CHECK(conn.commands == std::vector<Args>{{"PING"}});
    CHECK(conn.buffer.empty());
    CHECK(conn.total_consumed == conn.total_pushed);
  }
  SUBCASE("a line without its newline waits") {
    Conn conn;
    conn.Push("PIN");
    CHECK(conn.commands.empty());
    CHECK(conn.buffer == "PIN");
    conn.Push("G\r\n");
    CHECK(conn.commands == std::vector<Args>{{"PING"}});
  }
}

TEST_CASE("SplitInlineArgs") {
  Args args;
  CHECK(SplitInlineArgs("", &args));
  CHECK(args.empty());
  CHECK(SplitInlineArgs(R"(  a "b c"   'd e' )", &args));
  CHECK(args == Args{"a", "b c", "d e"});
  args.clear();
  CHECK_FALSE(SplitInlineArgs(R"(a "unterminated)", &args));
  args.clear();
  CHECK_FALSE(SplitInlineArgs(R"(a 'unterminated)", &args));
  args.clear();
  CHECK_FALSE(SplitInlineArgs(R"("closed"glued)", &args));
  args.clear();
  CHECK_FALSE(SplitInlineArgs(R"('closed'glued)", &args));
  args.clear();
  CHECK_FALSE(SplitInlineArgs(R"("ends with escaped quote\")", &args));
}

// The full stream used by the split tests: inline, multibulk, binary, ignored
// pieces, empty args.
std::string MixedStream(std::vector<Args>* expected) {
  std::string binary = "x\0y\r\nz"s;
  std::string stream;
  stream += Multibulk({"SET", "key", binary});
  expected->push_back({"SET", "key", binary});
  stream += "GET \"key with space\"\r\n";
  expected->push_back({"GET", "key with space"});
  stream += "\r\n*0\r\n";
  stream += Multibulk({"", "", "MSET"});
  expected->push_back({"", "", "MSET"});
  stream += "PING\n";
  expected->push_back({"PING"});
  stream += Multibulk({std::string(300, 'v')});
  expected->push_back({std::string(300, 'v')});
  return stream;
}

TEST_CASE("parser: every command split at every byte boundary") {
  std::vector<Args> expected;
  std::string stream = MixedStream(&expected);
  for (size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    Conn conn;
    conn.Push(std::string_view(stream).substr(0, split));
    conn.Push(std::string_view(stream).substr(split));
    REQUIRE_FALSE(conn.error);
    CHECK(conn.commands == expected);
    CHECK(conn.buffer.empty());
    CHECK(conn.total_consumed == stream.size());
  }
}

TEST_CASE("parser: the stream fed one byte at a time") {
  std::vector<Args> expected;
  std::string stream = MixedStream(&expected);
  Conn conn;
  for (char byte : stream) conn.Push(std::string_view(&byte, 1));
  REQUIRE_FALSE(conn.error);
  CHECK(conn.commands == expected);
  CHECK(conn.total_consumed == stream.size());
}

TEST_CASE("parser: every single command split at every pair of boundaries") {
  // Three pieces instead of two, over one multibulk command.
  std::string command = Multibulk({"HSET", "h", "f\r\n", ""});
  for (size_t a = 0; a <= command.size(); ++a) {
    for (size_t b = a; b <= command.size(); ++b) {
      CAPTURE(a);
      CAPTURE(b);
      Conn conn;
      conn.Push(command.substr(0, a));
      conn.Push(command.substr(a, b - a));
      conn.Push(command.substr(b));
      REQUIRE(conn.commands.size() == 1);
      CHECK(conn.commands[0] == Args{"HSET", "h", "f\r\n", ""});
      CHECK(conn.total_consumed == command.size());
    }
  }
}

TEST_CASE("parser: a million empty arguments arriving in chunks") {
  constexpr size_t kArgs = 1000000;
  std::string piece = "$0\r\n\r\n";
  Conn conn;
  conn.Push("*" + std::to_string(kArgs) + "\r\n");
  CHECK(conn.parser.InsideCommand());
  // Chunks of an odd size, so that argument headers are cut everywhere.
  std::string chunk;
  for (size_t i = 0; i < kArgs; ++i) {
    chunk += piece;
    if (chunk.size() >= 65537) {
      conn.Push(std::string_view(chunk).substr(0, 65537));
      chunk.erase(0, 65537);
      // The parser consumed every finished argument, so the buffer stays small.
      CHECK(conn.buffer.size() < piece.size());
    }
  }
  conn.Push(chunk);
  REQUIRE_FALSE(conn.error);
  REQUIRE(conn.commands.size() == 1);
  CHECK(conn.commands[0].size() == kArgs);
  bool all_empty = true;
  for (const auto& arg : conn.commands[0]) all_empty = all_empty && arg.empty();
  CHECK(all_empty);
  CHECK(conn.buffer.empty());
  CHECK_FALSE(conn.parser.InsideCommand());
}

TEST_CASE("parser: protocol errors and their texts") {
  SUBCASE("negative bulk length") {
    CHECK(ErrorFor("*1\r\n$-2\r\n") == "Protocol error: invalid bulk length");
  }
  SUBCASE("huge bulk length") {
    CHECK(ErrorFor("*1\r\n$1099511627776\r\n") == "Protocol error: invalid bulk length");
  }
  SUBCASE("bulk length that is not a number") {
    CHECK(ErrorFor("*1\r\n$abc\r\n") == "Protocol error: invalid bulk length");
    CHECK(ErrorFor("*1\r\n$\r\n") == "Protocol error: invalid bulk length");
    // Redis reads lengths as string2ll does: no sign, no leading zero, no spaces.
    CHECK(ErrorFor("*1\r\n$03\r\nabc\r\n") == "Protocol error: invalid bulk length");
    CHECK(ErrorFor("*1\r\n$00\r\n\r\n") == "Protocol error: invalid bulk length");
    CHECK(ErrorFor("*1\r\n$+3\r\nabc\r\n") == "Protocol error: invalid bulk length");
    CHECK(ErrorFor("*1\r\n$3 \r\nabc\r\n") == "Protocol error: invalid bulk length");
    CHECK(ErrorFor("*1\r\n$1000000000000000000\r\n") == "Protocol error: invalid bulk length");  // 19 digits
    CHECK(ErrorFor("*1\r\n$99999999999999999999\r\n") == "Protocol error: invalid bulk length");  // overflows
    Conn conn;
    conn.Push("*2\r\n$0\r\n\r\n$10\r\n0123456789\r\n");
    CHECK_FALSE(conn.error);
    CHECK(conn.commands == std::vector<Args>{{"", "0123456789"}});
  }
  SUBCASE("bulk length over max_bulk_len") {
    ParserLimits limits;
    limits.max_bulk_len = 10;
    CHECK(ErrorFor("*1\r\n$11\r\n", limits) == "Protocol error: invalid bulk length");
    Conn conn(limits);
    conn.Push(Multibulk({"0123456789"}));
    CHECK_FALSE(conn.error);
    CHECK(conn.commands == std::vector<Args>{{"0123456789"}});
  }
  SUBCASE("bad multibulk length") {
    CHECK(ErrorFor("*abc\r\n") == "Protocol error: invalid multibulk length");
    CHECK(ErrorFor("*\r\n") == "Protocol error: invalid multibulk length");
    CHECK(ErrorFor("*01\r\n") == "Protocol error: invalid multibulk length");
    CHECK(ErrorFor("*99999999999\r\n") == "Protocol error: invalid multibulk length");
    ParserLimits limits;
    limits.max_multibulk_len = 3;
    CHECK(ErrorFor("*4\r\n", limits) == "Protocol error: invalid multibulk length");
  }
  SUBCASE("an argument that does not start with $") {
    CHECK(ErrorFor("*2\r\n$3\r\nfoo\r\nx3\r\nbar\r\n") == "Protocol error: expected '$', got 'x'");
    CHECK(ErrorFor("*1\r\n:1\r\n") == "Protocol error: expected '$', got ':'");
    // As in Redis, only once that line is complete: a request cut short and
    // followed by another waits (here for the 4-byte bulk "EPIN" and its line end).
    Conn cut;
    cut.Push("*2\r\n$4\r\nE" "PING\r\n");
    CHECK_FALSE(cut.error);
    cut.Push("$1\r\nx\r\n");
    REQUIRE(cut.error);
    CHECK(*cut.error == "Protocol error: expected '$', got '\n'");
  }
  SUBCASE("too big inline request") {
    ParserLimits limits;
    limits.max_inline_len = 1024;
    Conn conn(limits);
    conn.Push(std::string(1024, 'a'));
    CHECK_FALSE(conn.error);  // still within the limit: waits for the newline
    conn.Push("a");
    REQUIRE(conn.error);
    CHECK(*conn.error == "Protocol error: too big inline request");
    CHECK(ErrorFor(std::string(64 * 1024 + 1, 'a')) == "Protocol error: too big inline request");
  }
  SUBCASE("unbalanced quotes") {
    CHECK(ErrorFor("SET \"abc\r\n") == "Protocol error: unbalanced quotes in request");
    CHECK(ErrorFor("SET 'abc\r\n") == "Protocol error: unbalanced quotes in request");
    CHECK(ErrorFor("SET \"a\"b\r\n") == "Protocol error: unbalanced quotes in request");
  }
  SUBCASE("too big count strings") {
    CHECK(ErrorFor("*" + std::string(64 * 1024 + 10, '1')) == "Protocol error: too big mbulk count string");
    CHECK(ErrorFor("*1\r\n$" + std::string(64 * 1024 + 10, '1')) == "Protocol error: too big bulk count string");
  }
  SUBCASE("an error after good commands leaves those commands parsed") {
    Conn conn;
    conn.Push(Multibulk({"PING"}) + "*1\r\n$-2\r\n" + Multibulk({"NEVER"}));
    CHECK(conn.commands == std::vector<Args>{{"PING"}});
    REQUIRE(conn.error);
    CHECK(*conn.error == "Protocol error: invalid bulk length");
  }
}

TEST_CASE("parser: a large bulk arriving in pieces") {
  std::string value(200000, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 7 + 3);
  std::string command = Multibulk({"SET", "big", value});
  Conn conn;
  for (size_t offset = 0; offset < command.size(); offset += 4093) conn.Push(command.substr(offset, 4093));
  REQUIRE(conn.commands.size() == 1);
  CHECK(conn.commands[0][2] == value);
  CHECK(conn.total_consumed == command.size());
}

}  // namespace
}  // namespace kvd::protocol
