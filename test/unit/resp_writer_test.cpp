// RespWriter in RESP2 and RESP3, and ParseReply reading the writer's output back.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "protocol/resp_value.h"
#include "protocol/resp_writer.h"

namespace kvd::protocol {
namespace {

using namespace std::string_literals;
using T = RespValue::Type;

template <typename Write>
std::string Written(int protocol, Write write) {
  std::string out;
  RespWriter writer(&out, protocol);
  write(writer);
  return out;
}

RespValue ParseWhole(std::string_view input) {
  RespValue value;
  Result<size_t> used = ParseReply(input, &value);
  REQUIRE_MESSAGE(used.ok(), used.status().message());
  REQUIRE(*used == input.size());
  return value;
}

TEST_CASE("writer: RESP2 encodings") {
  CHECK(Written(2, [](RespWriter& w) { w.Ok(); }) == "+OK\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.SimpleString("PONG"); }) == "+PONG\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Error("ERR syntax error"); }) == "-ERR syntax error\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Error("ERR a\r\nb\nc"); }) == "-ERR a  b c\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Integer(0); }) == ":0\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Integer(-42); }) == ":-42\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }) ==
        ":-9223372036854775808\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); }) ==
        ":9223372036854775807\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Bulk("a\0\r\nb"s); }) == "$5\r\na\0\r\nb\r\n"s);
  CHECK(Written(2, [](RespWriter& w) { w.Bulk(""); }) == "$0\r\n\r\n");
  CHECK(Written(2, [](RespWriter& w) { std::memcpy(w.BulkSpace(3), "a\0b", 3); }) == "$3\r\na\0b\r\n"s);
  CHECK(Written(2, [](RespWriter& w) { w.BulkSpace(0); }) == "$0\r\n\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.NullBulk(); }) == "$-1\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.NullArray(); }) == "*-1\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.ArrayHeader(3); }) == "*3\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.MapHeader(2); }) == "*4\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.SetHeader(2); }) == "*2\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.PushHeader(3); }) == "*3\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Double(1.5); }) == "$3\r\n1.5\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Double(1.1); }) == "$18\r\n1.1000000000000001\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Double(3); }) == "$1\r\n3\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Double(-INFINITY); }) == "$4\r\n-inf\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Boolean(true); }) == ":1\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Boolean(false); }) == ":0\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Verbatim("hello"); }) == "$5\r\nhello\r\n");
  CHECK(Written(2, [](RespWriter& w) { w.Raw("+RAW\r\n"); }) == "+RAW\r\n");
  std::string out;
  CHECK_FALSE(RespWriter(&out).resp3());
  CHECK_FALSE(RespWriter(&out, 2).resp3());
}

TEST_CASE("writer: RESP3 encodings") {
  CHECK(RespWriter(nullptr, 3).resp3());
  CHECK(Written(3, [](RespWriter& w) { w.Ok(); }) == "+OK\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.NullBulk(); }) == "_\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.NullArray(); }) == "_\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.MapHeader(2); }) == "%2\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.SetHeader(2); }) == "~2\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.PushHeader(3); }) == ">3\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.ArrayHeader(0); }) == "*0\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Double(1.5); }) == ",1.5\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Double(INFINITY); }) == ",inf\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Double(-INFINITY); }) == ",-inf\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Boolean(true); }) == "#t\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Boolean(false); }) == "#f\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Verbatim("hello"); }) == "=9\r\ntxt:hello\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Integer(7); }) == ":7\r\n");
  CHECK(Written(3, [](RespWriter& w) { w.Bulk("x"); }) == "$1\r\nx\r\n");
}

// A reply that uses every writer call; the same calls in both protocols.
void WriteEverything(RespWriter& w) {
  w.ArrayHeader(11);
  w.SimpleString("OK");
  w.Error("ERR bad\nthing");
  w.Integer(-5);
  w.Bulk("bin\0\r\nary"s);
  w.NullBulk();
  w.MapHeader(2);
  w.Bulk("k1");
  w.Integer(1);
  w.Bulk("k2");
  w.ArrayHeader(0);
  w.SetHeader(2);
  w.Bulk("a");
  w.Bulk("b");
  w.Double(2.5);
  w.Boolean(true);
  w.Verbatim("text");
  w.NullArray();
}

TEST_CASE("ParseReply reads back RESP2 writer output") {
  std::string out = Written(2, WriteEverything);
  RespValue value = ParseWhole(out);
  REQUIRE(value.type == T::kArray);
  REQUIRE(value.elements.size() == 11);
  const auto& e = value.elements;
  CHECK(e[0].type == T::kSimple);
  CHECK(e[0].str == "OK");
  CHECK(e[1].type == T::kError);
  CHECK(e[1].str == "ERR bad thing");
  CHECK(e[1].IsError());
  CHECK(e[2].type == T::kInteger);
  CHECK(e[2].integer == -5);
  CHECK(e[3].type == T::kBulk);
  CHECK(e[3].str == "bin\0\r\nary"s);
  CHECK(e[4].IsNull());
  CHECK(e[5].type == T::kArray);  // RESP2 map: flat array
  CHECK(e[5].elements.size() == 4);
  CHECK(e[5].elements[3].type == T::kArray);
  CHECK(e[6].type == T::kArray);
  CHECK(e[6].elements.size() == 2);
  CHECK(e[7].type == T::kBulk);
  CHECK(e[7].str == "2.5");
  CHECK(e[8].type == T::kInteger);
  CHECK(e[8].integer == 1);
  CHECK(e[9].type == T::kBulk);
  CHECK(e[9].str == "text");
  CHECK(e[10].IsNull());
  CHECK(value.ToString() == "[OK, (error) ERR bad thing, -5, bin\0\r\nary, (nil), [k1, 1, k2, []], [a, b], 2.5, 1, text, (nil)]"s);
}

TEST_CASE("ParseReply reads back RESP3 writer output") {
  std::string out = Written(3, WriteEverything);
  RespValue value = ParseWhole(out);
  REQUIRE(value.type == T::kArray);
  REQUIRE(value.elements.size() == 11);
  const auto& e = value.elements;
  CHECK(e[4].IsNull());
  CHECK(e[5].type == T::kMap);
  REQUIRE(e[5].elements.size() == 4);  // k, v, k, v
  CHECK(e[5].elements[0].str == "k1");
  CHECK(e[5].elements[1].integer == 1);
  CHECK(e[5].elements[2].str == "k2");
  CHECK(e[5].elements[3].type == T::kArray);
  CHECK(e[6].type == T::kSet);
  CHECK(e[7].type == T::kDouble);
  CHECK(e[7].str == "2.5");
  CHECK(e[8].type == T::kBoolean);
  CHECK(e[8].integer == 1);
  CHECK(e[9].type == T::kVerbatim);
  CHECK(e[9].str == "text");
  CHECK(e[10].IsNull());
}

TEST_CASE("ParseReply: every proper prefix is incomplete") {
  for (int protocol : {2, 3}) {
    CAPTURE(protocol);
    std::string out = Written(protocol, WriteEverything);
    for (size_t length = 0; length < out.size(); ++length) {
      CAPTURE(length);
      RespValue value;
      Result<size_t> used = ParseReply(std::string_view(out).substr(0, length), &value);
      REQUIRE(used.ok());
      CHECK(*used == 0);
    }
  }
}

TEST_CASE("ParseReply: consecutive replies and other types") {
  std::string input = "+PONG\r\n:12\r\n$-1\r\n*-1\r\n>2\r\n+message\r\n$2\r\nhi\r\n(12345678901234\r\n!7\r\nERR bad\r\n";
  std::string_view rest = input;
  std::vector<RespValue> values;
  while (!rest.empty()) {
    RespValue value;
    Result<size_t> used = ParseReply(rest, &value);
    REQUIRE(used.ok());
    REQUIRE(*used > 0);
    rest.remove_prefix(*used);
    values.push_back(std::move(value));
  }
  REQUIRE(values.size() == 7);
  CHECK(values[0].ToString() == "PONG");
  CHECK(values[1].integer == 12);
  CHECK(values[2].IsNull());
  CHECK(values[3].IsNull());
  CHECK(values[4].type == T::kPush);
  CHECK(values[4].ToString() == "[message, hi]");
  CHECK(values[5].integer == 12345678901234);
  CHECK(values[6].IsError());
  CHECK(values[6].ToString() == "(error) ERR bad");
}

TEST_CASE("ParseReply: malformed replies are errors") {
  RespValue value;
  CHECK_FALSE(ParseReply("?what\r\n", &value).ok());
  CHECK_FALSE(ParseReply(":12a\r\n", &value).ok());
  CHECK_FALSE(ParseReply("$x\r\n", &value).ok());
  CHECK_FALSE(ParseReply("*two\r\n", &value).ok());
  CHECK_FALSE(ParseReply("*1\r\n:nope\r\n", &value).ok());
  CHECK_FALSE(ParseReply("%9223372036854775807\r\n", &value).ok());
  // Nesting deeper than any real reply is refused rather than recursed into.
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  CHECK_FALSE(ParseReply(deep, &value).ok());
  Result<size_t> empty = ParseReply("", &value);
  REQUIRE(empty.ok());
  CHECK(*empty == 0);
}

}  // namespace
}  // namespace kvd::protocol
