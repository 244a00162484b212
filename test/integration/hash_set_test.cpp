// Hash and set commands through the socket: Redis 7 replies, error texts and
// RESP3 shapes (checked by hand against redis-server 7.0.15), and a randomized
// comparison with a Debian redis-server when one is installed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>

#include "harness.h"
#include "reference_redis.h"

extern char** environ;

namespace kvdtest {
namespace {

using Items = std::vector<std::string>;
using Type = RespValue::Type;

constexpr const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
constexpr const char* kSyntax = "ERR syntax error";
constexpr const char* kCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";


Items Sorted(Items items) {
  std::sort(items.begin(), items.end());
  return items;
}

}  // namespace

TEST_CASE("hashes: set, get and count") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"HSET", "h", "a", "1", "b", "2"}) == 2);
  CHECK(Int(c, {"HSET", "h", "a", "x", "c", "3", "c", "4"}) == 1);  // repeated field: counted once, last wins
  CHECK(Bulk(c, {"HGET", "h", "a"}) == "x");
  CHECK(Bulk(c, {"HGET", "h", "c"}) == "4");
  CHECK(Bulk(c, {"HGET", "h", "zz"}) == "<nil>");
  CHECK(Bulk(c, {"HGET", "missing", "a"}) == "<nil>");
  CHECK(Simple(c, {"HMSET", "h", "d", "5"}) == "OK");
  CHECK(Int(c, {"HLEN", "h"}) == 4);
  CHECK(Int(c, {"HLEN", "missing"}) == 0);
  CHECK(Int(c, {"HSETNX", "h", "a", "y"}) == 0);
  CHECK(Int(c, {"HSETNX", "h", "e", "y"}) == 1);
  CHECK(ExactCall(c, {"HMGET", "h", "a", "nope", "e"}) == "[\"x\", nil, \"y\"]");
  CHECK(ExactCall(c, {"HMGET", "missing", "a", "b"}) == "[nil, nil]");
  CHECK(Int(c, {"HSTRLEN", "h", "a"}) == 1);
  CHECK(Int(c, {"HSTRLEN", "h", "nope"}) == 0);
  CHECK(Int(c, {"HEXISTS", "h", "a"}) == 1);
  CHECK(Int(c, {"HEXISTS", "h", "nope"}) == 0);
  CHECK(Sorted(Strings(c, {"HKEYS", "h"})) == Items{"a", "b", "c", "d", "e"});
  CHECK(Sorted(Strings(c, {"HVALS", "h"})) == Items{"2", "4", "5", "x", "y"});
  CHECK(Strings(c, {"HGETALL", "h"}).size() == 10);
  CHECK(Strings(c, {"HKEYS", "missing"}).empty());
  CHECK(Strings(c, {"HGETALL", "missing"}).empty());
  CHECK(Simple(c, {"TYPE", "h"}) == "hash");

  CHECK(Int(c, {"HDEL", "h", "a", "a", "nope"}) == 1);
  CHECK(Int(c, {"HDEL", "h", "b", "c", "d", "e"}) == 4);
  CHECK(Int(c, {"EXISTS", "h"}) == 0);
  CHECK(Int(c, {"HDEL", "h", "a"}) == 0);
}

TEST_CASE("hashes: increments") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"HINCRBY", "h", "n", "5"}) == 5);
  CHECK(Int(c, {"HINCRBY", "h", "n", "-10"}) == -5);
  CHECK(Err(c, {"HINCRBY", "h", "n", "x"}) == kNotInteger);
  CHECK(Err(c, {"HINCRBY", "h", "n", "9223372036854775808"}) == kNotInteger);
  CHECK(Int(c, {"HSET", "h", "big", "9223372036854775807", "text", "abc", "f", "1.5"}) == 3);
  CHECK(Err(c, {"HINCRBY", "h", "big", "1"}) == "ERR increment or decrement would overflow");
  CHECK(Err(c, {"HINCRBY", "h", "text", "1"}) == "ERR hash value is not an integer");
  CHECK(Err(c, {"HINCRBY", "h", "f", "1"}) == "ERR hash value is not an integer");

  CHECK(Bulk(c, {"HINCRBYFLOAT", "h", "f", "0.1"}) == "1.6");
  CHECK(Bulk(c, {"HINCRBYFLOAT", "h", "new", "3.0e3"}) == "3000");
  CHECK(Err(c, {"HINCRBYFLOAT", "h", "text", "1"}) == "ERR hash value is not a float");
  CHECK(Err(c, {"HINCRBYFLOAT", "h", "f", "x"}) == "ERR value is not a valid float");
  CHECK(Err(c, {"HINCRBYFLOAT", "h", "f", "nan"}) == "ERR value is not a valid float");
  CHECK(Err(c, {"HINCRBYFLOAT", "h", "f", "inf"}) == "ERR value is NaN or Infinity");
  CHECK(Int(c, {"HSET", "h", "inf", "inf"}) == 1);
  CHECK(Err(c, {"HINCRBYFLOAT", "h", "inf", "1"}) == "ERR increment would produce NaN or Infinity");
  CHECK(Int(c, {"HLEN", "h"}) == 6);
}

TEST_CASE("hashes: wrong types and arity") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Simple(c, {"SET", "str", "v"}) == "OK");
  for (const Args& args : std::vector<Args>{{"HSET", "str", "a", "1"},
                                            {"HSETNX", "str", "a", "1"},
                                            {"HMSET", "str", "a", "1"},
                                            {"HGET", "str", "a"},
                                            {"HMGET", "str", "a"},
                                            {"HDEL", "str", "a"},
                                            {"HLEN", "str"},
                                            {"HSTRLEN", "str", "a"},
                                            {"HEXISTS", "str", "a"},
                                            {"HKEYS", "str"},
                                            {"HVALS", "str"},
                                            {"HGETALL", "str"},
                                            {"HINCRBY", "str", "a", "1"},
                                            {"HINCRBYFLOAT", "str", "a", "1"},
                                            {"HRANDFIELD", "str"},
                                            {"HRANDFIELD", "str", "2"},
                                            {"HSCAN", "str", "0", "BAD"}}) {
    CHECK_MESSAGE(Err(c, args) == kWrongType, args[0]);
  }
  CHECK(Bulk(c, {"GET", "str"}) == "v");
  CHECK(Err(c, {"HSET", "h", "a", "1", "b"}) == "ERR wrong number of arguments for 'hset' command");
  CHECK(Err(c, {"HSET", "h", "a"}) == "ERR wrong number of arguments for 'hset' command");
  CHECK(Err(c, {"HMSET", "h", "a", "1", "b"}) == "ERR wrong number of arguments for 'hmset' command");
  CHECK(Err(c, {"HGET", "h"}) == "ERR wrong number of arguments for 'hget' command");
  CHECK(Err(c, {"HGETALL", "h", "x"}) == "ERR wrong number of arguments for 'hgetall' command");
  CHECK(Int(c, {"EXISTS", "h"}) == 0);
}

TEST_CASE("hashes: HRANDFIELD") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Bulk(c, {"HRANDFIELD", "missing"}) == "<nil>");
  CHECK(ExactCall(c, {"HRANDFIELD", "missing", "3"}) == "[]");
  // As Redis, the count is read before the rest of the syntax.
  CHECK(Err(c, {"HRANDFIELD", "missing", "x", "a", "b"}) == "ERR value is not an integer or out of range");
  CHECK(Err(c, {"HRANDFIELD", "missing", "2", "a", "b"}) == "ERR syntax error");
  CHECK(Err(c, {"HRANDFIELD", "missing", "2", "WITHSCORES"}) == "ERR syntax error");
  CHECK(Int(c, {"HSET", "h", "a", "1", "b", "2", "c", "3"}) == 3);
  std::string one = Bulk(c, {"HRANDFIELD", "h"});
  CHECK((one == "a" || one == "b" || one == "c"));
  CHECK(ExactCall(c, {"HRANDFIELD", "h", "0"}) == "[]");
  CHECK(Sorted(Strings(c, {"HRANDFIELD", "h", "10"})) == Items{"a", "b", "c"});
  Items two = Strings(c, {"HRANDFIELD", "h", "2"});
  REQUIRE(two.size() == 2);
  CHECK(two[0] != two[1]);
  CHECK(Strings(c, {"HRANDFIELD", "h", "-7"}).size() == 7);
  Items with_values = Strings(c, {"HRANDFIELD", "h", "-4", "WITHVALUES"});
  REQUIRE(with_values.size() == 8);
  for (size_t i = 0; i < 8; i += 2) CHECK(Bulk(c, {"HGET", "h", with_values[i]}) == with_values[i + 1]);
  CHECK(Err(c, {"HRANDFIELD", "h", "1", "WITHVALUE"}) == kSyntax);
  CHECK(Err(c, {"HRANDFIELD", "h", "1", "WITHVALUES", "x"}) == kSyntax);
  CHECK(Err(c, {"HRANDFIELD", "h", "x"}) == kNotInteger);
  // -2^63 has no positive counterpart; huge WITHVALUES counts overflow the reply length.
  CHECK(Err(c, {"HRANDFIELD", "h", "-9223372036854775808"}) == kCountRange);
  CHECK(Err(c, {"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"}) == "ERR value is out of range");
  CHECK(Err(c, {"HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"}) == "ERR value is out of range");
  // Redis would try to build this reply until it runs out of memory; kvd refuses it.
  CHECK(Err(c, {"HRANDFIELD", "h", "-9223372036854775807"}) == "ERR value is out of range");
  CHECK(Strings(c, {"HRANDFIELD", "h", "9223372036854775807"}).size() == 3);
}

TEST_CASE("hashes: HSCAN") {
  ServerWithClient s;
  RespClient& c = *s.client;

  Args hset = {"HSET", "h"};
  for (int i = 0; i < 250; ++i) {
    hset.push_back("field:" + std::to_string(i));
    hset.push_back("v" + std::to_string(i));
  }
  CHECK(Int(c, hset) == 250);
  std::set<std::string> fields;
  std::string cursor = "0";
  int calls = 0;
  do {
    RespValue page = Call(c, {"HSCAN", "h", cursor, "COUNT", "20"});
    REQUIRE(page.elements.size() == 2);
    cursor = page.elements[0].str;
    const auto& items = page.elements[1].elements;
    REQUIRE(items.size() % 2 == 0);
    for (size_t i = 0; i < items.size(); i += 2) {
      CHECK(items[i + 1].str == "v" + items[i].str.substr(6));
      fields.insert(items[i].str);
    }
    ++calls;
  } while (cursor != "0" && calls < 1000);
  CHECK(fields.size() == 250);
  CHECK(calls > 10);

  RespValue matched = Call(c, {"HSCAN", "h", "0", "MATCH", "field:24*", "COUNT", "1000"});
  CHECK(matched.elements[0].str == "0");
  CHECK(matched.elements[1].elements.size() == 22);  // 24, 240..249 with their values
  CHECK(ExactCall(c, {"HSCAN", "missing", "0"}) == "[\"0\", []]");
  CHECK(ExactCall(c, {"HSCAN", "missing", "0", "COUNT", "0"}) == "[\"0\", []]");  // options unread
  CHECK(Err(c, {"HSCAN", "h", "x"}) == "ERR invalid cursor");
  CHECK(Err(c, {"HSCAN", "h", "0", "COUNT", "0"}) == kSyntax);
  CHECK(Err(c, {"HSCAN", "h", "0", "COUNT", "x"}) == kNotInteger);
  CHECK(Err(c, {"HSCAN", "h", "0", "COUNT"}) == kSyntax);
  CHECK(Err(c, {"HSCAN", "h", "0", "TYPE", "string"}) == kSyntax);
}

TEST_CASE("sets: add, remove and membership") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"SADD", "s", "a", "b", "a", "c", "b"}) == 3);  // duplicates in one call count once
  CHECK(Int(c, {"SADD", "s", "a", "d"}) == 1);
  CHECK(Int(c, {"SCARD", "s"}) == 4);
  CHECK(Int(c, {"SCARD", "missing"}) == 0);
  CHECK(Sorted(Strings(c, {"SMEMBERS", "s"})) == Items{"a", "b", "c", "d"});
  CHECK(Strings(c, {"SMEMBERS", "missing"}).empty());
  CHECK(Int(c, {"SISMEMBER", "s", "a"}) == 1);
  CHECK(Int(c, {"SISMEMBER", "s", "z"}) == 0);
  CHECK(Int(c, {"SISMEMBER", "missing", "a"}) == 0);
  CHECK(ExactCall(c, {"SMISMEMBER", "s", "a", "z", "d"}) == "[:1, :0, :1]");
  CHECK(ExactCall(c, {"SMISMEMBER", "missing", "a"}) == "[:0]");
  CHECK(Simple(c, {"TYPE", "s"}) == "set");
  CHECK(Int(c, {"SREM", "s", "a", "a", "z"}) == 1);
  CHECK(Int(c, {"SREM", "s", "b", "c", "d"}) == 3);
  CHECK(Int(c, {"EXISTS", "s"}) == 0);
  CHECK(Int(c, {"SREM", "s", "a"}) == 0);
}

TEST_CASE("sets: SPOP and SRANDMEMBER") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Bulk(c, {"SPOP", "missing"}) == "<nil>");
  CHECK(ExactCall(c, {"SPOP", "missing", "2"}) == "[]");
  CHECK(Bulk(c, {"SRANDMEMBER", "missing"}) == "<nil>");
  CHECK(ExactCall(c, {"SRANDMEMBER", "missing", "-3"}) == "[]");
  CHECK(Int(c, {"SADD", "s", "a", "b", "c", "d", "e"}) == 5);
  CHECK(ExactCall(c, {"SPOP", "s", "0"}) == "[]");
  Items popped = Strings(c, {"SPOP", "s", "2"});
  REQUIRE(popped.size() == 2);
  CHECK(Int(c, {"SISMEMBER", "s", popped[0]}) == 0);
  CHECK(Int(c, {"SCARD", "s"}) == 3);
  std::string one = Bulk(c, {"SPOP", "s"});
  CHECK(Int(c, {"SISMEMBER", "s", one}) == 0);
  CHECK(Int(c, {"SCARD", "s"}) == 2);
  CHECK(Err(c, {"SPOP", "s", "-1"}) == "ERR value is out of range, must be positive");
  CHECK(Err(c, {"SPOP", "s", "x"}) == "ERR value is out of range, must be positive");
  CHECK(Err(c, {"SPOP", "s", "1", "2"}) == kSyntax);

  CHECK(Strings(c, {"SRANDMEMBER", "s", "5"}).size() == 2);
  CHECK(Strings(c, {"SRANDMEMBER", "s", "-5"}).size() == 5);
  CHECK(ExactCall(c, {"SRANDMEMBER", "s", "0"}) == "[]");
  CHECK(Int(c, {"SCARD", "s"}) == 2);
  CHECK(Err(c, {"SRANDMEMBER", "s", "x"}) == kNotInteger);
  CHECK(Err(c, {"SRANDMEMBER", "s", "1", "2"}) == kSyntax);
  CHECK(Err(c, {"SRANDMEMBER", "s", "-9223372036854775808"}) == kCountRange);
  CHECK(Err(c, {"SRANDMEMBER", "s", "-9223372036854775807"}) == "ERR value is out of range");
  CHECK(Strings(c, {"SRANDMEMBER", "s", "9223372036854775807"}).size() == 2);
  CHECK(Simple(c, {"PING"}) == "PONG");  // still alive and well

  CHECK(Strings(c, {"SPOP", "s", "10"}).size() == 2);
  CHECK(Int(c, {"EXISTS", "s"}) == 0);
}

TEST_CASE("sets: SMOVE") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"SADD", "src", "a", "b"}) == 2);
  CHECK(Int(c, {"SADD", "dst", "b"}) == 1);
  CHECK(Simple(c, {"SET", "str", "v"}) == "OK");
  CHECK(Int(c, {"SMOVE", "src", "dst", "a"}) == 1);
  CHECK(Int(c, {"SMOVE", "src", "dst", "a"}) == 0);
  CHECK(Int(c, {"SMOVE", "src", "dst", "b"}) == 1);
  CHECK(Int(c, {"EXISTS", "src"}) == 0);
  CHECK(Sorted(Strings(c, {"SMEMBERS", "dst"})) == Items{"a", "b"});
  CHECK(Int(c, {"SMOVE", "missing", "str", "a"}) == 0);  // a missing source answers before the type check
  CHECK(Err(c, {"SMOVE", "dst", "str", "a"}) == kWrongType);
  CHECK(Err(c, {"SMOVE", "dst", "str", "zz"}) == kWrongType);
  CHECK(Err(c, {"SMOVE", "str", "dst", "a"}) == kWrongType);
  CHECK(Int(c, {"SMOVE", "dst", "dst", "a"}) == 1);
  CHECK(Int(c, {"SMOVE", "dst", "dst", "zz"}) == 0);
  CHECK(Int(c, {"SMOVE", "dst", "new", "a"}) == 1);
  CHECK(Strings(c, {"SMEMBERS", "new"}) == Items{"a"});
  CHECK(Int(c, {"SCARD", "dst"}) == 1);
}

TEST_CASE("sets: algebra and the STORE forms") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"SADD", "a", "1", "2", "3", "4"}) == 4);
  CHECK(Int(c, {"SADD", "b", "2", "3", "5"}) == 3);
  CHECK(Int(c, {"SADD", "c", "3", "4", "6"}) == 3);
  CHECK(Simple(c, {"SET", "str", "v"}) == "OK");
  CHECK(Sorted(Strings(c, {"SINTER", "a", "b"})) == Items{"2", "3"});
  CHECK(Strings(c, {"SINTER", "a", "b", "c"}) == Items{"3"});
  CHECK(Strings(c, {"SINTER", "a", "missing"}).empty());
  CHECK(Sorted(Strings(c, {"SUNION", "a", "missing", "c"})) == Items{"1", "2", "3", "4", "6"});
  CHECK(Sorted(Strings(c, {"SDIFF", "a", "b"})) == Items{"1", "4"});
  CHECK(Strings(c, {"SDIFF", "a", "b", "c"}) == Items{"1"});
  CHECK(Strings(c, {"SDIFF", "missing", "a"}).empty());
  for (const char* command : {"SINTER", "SUNION", "SDIFF"}) {
    CHECK_MESSAGE(Err(c, {command, "missing", "str"}) == kWrongType, command);
    CHECK_MESSAGE(Err(c, {command, "a", "str"}) == kWrongType, command);
  }

  CHECK(Int(c, {"SINTERCARD", "2", "a", "b"}) == 2);
  CHECK(Int(c, {"SINTERCARD", "2", "a", "b", "LIMIT", "1"}) == 1);
  CHECK(Int(c, {"SINTERCARD", "2", "a", "b", "LIMIT", "0"}) == 2);
  CHECK(Int(c, {"SINTERCARD", "2", "a", "missing"}) == 0);
  CHECK(Err(c, {"SINTERCARD", "2", "missing", "str"}) == kWrongType);
  CHECK(Err(c, {"SINTERCARD", "0", "a"}) == "ERR numkeys should be greater than 0");
  CHECK(Err(c, {"SINTERCARD", "x", "a"}) == "ERR numkeys should be greater than 0");
  CHECK(Err(c, {"SINTERCARD", "3", "a", "b"}) == "ERR Number of keys can't be greater than number of args");
  CHECK(Err(c, {"SINTERCARD", "1", "a", "LIMIT", "-1"}) == "ERR LIMIT can't be negative");
  CHECK(Err(c, {"SINTERCARD", "1", "a", "LIMIT"}) == kSyntax);
  CHECK(Err(c, {"SINTERCARD", "1", "a", "FOO", "1"}) == kSyntax);

  // The destination is replaced whatever it held, and loses its TTL.
  CHECK(Simple(c, {"SET", "dst", "text", "EX", "100"}) == "OK");
  CHECK(Int(c, {"SINTERSTORE", "dst", "a", "b"}) == 2);
  CHECK(Simple(c, {"TYPE", "dst"}) == "set");
  CHECK(Int(c, {"TTL", "dst"}) == -1);
  CHECK(Int(c, {"HSET", "h", "f", "v"}) == 1);
  CHECK(Int(c, {"SUNIONSTORE", "h", "a", "b"}) == 5);
  CHECK(Sorted(Strings(c, {"SMEMBERS", "h"})) == Items{"1", "2", "3", "4", "5"});
  CHECK(Int(c, {"SDIFFSTORE", "dst", "a", "b"}) == 2);
  CHECK(Sorted(Strings(c, {"SMEMBERS", "dst"})) == Items{"1", "4"});
  CHECK(Int(c, {"SUNIONSTORE", "a", "a", "b"}) == 5);  // a source as destination
  CHECK(Int(c, {"SCARD", "a"}) == 5);
  // An empty result deletes the destination; a wrong-typed source leaves it alone.
  CHECK(Int(c, {"SINTERSTORE", "dst", "a", "missing"}) == 0);
  CHECK(Int(c, {"EXISTS", "dst"}) == 0);
  CHECK(Err(c, {"SINTERSTORE", "h", "a", "str"}) == kWrongType);
  CHECK(Int(c, {"SCARD", "h"}) == 5);
  CHECK(Int(c, {"SDIFFSTORE", "str", "a", "a"}) == 0);
  CHECK(Int(c, {"EXISTS", "str"}) == 0);
}

TEST_CASE("sets: wrong types, arity and SSCAN") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Simple(c, {"SET", "str", "v"}) == "OK");
  for (const Args& args : std::vector<Args>{{"SADD", "str", "a"},
                                            {"SREM", "str", "a"},
                                            {"SMEMBERS", "str"},
                                            {"SISMEMBER", "str", "a"},
                                            {"SMISMEMBER", "str", "a"},
                                            {"SCARD", "str"},
                                            {"SPOP", "str"},
                                            {"SPOP", "str", "2"},
                                            {"SRANDMEMBER", "str"},
                                            {"SRANDMEMBER", "str", "-2"},
                                            {"SSCAN", "str", "0"}}) {
    CHECK_MESSAGE(Err(c, args) == kWrongType, args[0]);
  }
  CHECK(Err(c, {"SADD", "s"}) == "ERR wrong number of arguments for 'sadd' command");
  CHECK(Err(c, {"SMOVE", "a", "b"}) == "ERR wrong number of arguments for 'smove' command");
  CHECK(Err(c, {"SINTERCARD", "1"}) == "ERR wrong number of arguments for 'sintercard' command");

  Args sadd = {"SADD", "s"};
  for (int i = 0; i < 95; ++i) sadd.push_back(std::to_string(i));
  CHECK(Int(c, sadd) == 95);
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    RespValue page = Call(c, {"SSCAN", "s", cursor});
    REQUIRE(page.elements.size() == 2);
    cursor = page.elements[0].str;
    for (const auto& member : page.elements[1].elements) seen.insert(member.str);
    ++calls;
  } while (cursor != "0" && calls < 1000);
  CHECK(seen.size() == 95);
  CHECK(calls == 10);  // COUNT defaults to 10
  RespValue nines = Call(c, {"SSCAN", "s", "0", "MATCH", "9?", "COUNT", "100"});
  CHECK(nines.elements[1].elements.size() == 5);  // 90..94
}

TEST_CASE("hashes and sets: RESP3 shapes") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Call(c, {"HELLO", "3"}).type == Type::kMap);

  CHECK(Int(c, {"HSET", "h", "a", "1"}) == 1);
  CHECK(ExactCall(c, {"HGETALL", "h"}) == "%[\"a\", \"1\"]");
  CHECK(ExactCall(c, {"HGETALL", "missing"}) == "%[]");
  CHECK(ExactCall(c, {"HRANDFIELD", "h", "1", "WITHVALUES"}) == "[[\"a\", \"1\"]]");
  CHECK(ExactCall(c, {"HRANDFIELD", "h", "-2", "WITHVALUES"}) == "[[\"a\", \"1\"], [\"a\", \"1\"]]");
  CHECK(ExactCall(c, {"HRANDFIELD", "missing"}) == "nil");
  CHECK(ExactCall(c, {"HSCAN", "h", "0"}) == "[\"0\", [\"a\", \"1\"]]");

  CHECK(Int(c, {"SADD", "s", "a"}) == 1);
  CHECK(ExactCall(c, {"SMEMBERS", "s"}) == "~[\"a\"]");
  CHECK(ExactCall(c, {"SMEMBERS", "missing"}) == "~[]");
  CHECK(ExactCall(c, {"SINTER", "s", "s"}) == "~[\"a\"]");
  CHECK(ExactCall(c, {"SUNION", "s", "missing"}) == "~[\"a\"]");
  CHECK(ExactCall(c, {"SDIFF", "missing", "s"}) == "~[]");
  CHECK(ExactCall(c, {"SRANDMEMBER", "s", "2"}) == "[\"a\"]");
  CHECK(ExactCall(c, {"SRANDMEMBER", "s", "-2"}) == "[\"a\", \"a\"]");
  CHECK(ExactCall(c, {"SPOP", "missing", "2"}) == "~[]");
  CHECK(ExactCall(c, {"SPOP", "s", "0"}) == "~[]");
  CHECK(ExactCall(c, {"SPOP", "s", "1"}) == "~[\"a\"]");
  CHECK(ExactCall(c, {"SPOP", "s"}) == "nil");
}

TEST_CASE("hashes and sets: key positions") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "SINTERCARD", "2", "k1", "k2", "LIMIT", "1"}) == Items{"k1", "k2"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "SMOVE", "src", "dst", "m"}) == Items{"src", "dst"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "SINTERSTORE", "d", "k1", "k2"}) == Items{"d", "k1", "k2"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "HSET", "h", "f", "v", "g", "w"}) == Items{"h"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "SSCAN", "s", "0", "MATCH", "x"}) == Items{"s"});
}

TEST_CASE("hashes and sets: a large hash and set") {
  ServerWithClient s;
  RespClient& c = *s.client;
  for (int batch = 0; batch < 20; ++batch) {
    Args hset = {"HSET", "big"};
    Args sadd = {"SADD", "bigset"};
    for (int i = batch * 1000; i < (batch + 1) * 1000; ++i) {
      hset.insert(hset.end(), {"f" + std::to_string(i), std::to_string(i)});
      sadd.push_back(std::to_string(i));
    }
    CHECK(Int(c, hset) == 1000);
    CHECK(Int(c, sadd) == 1000);
  }
  CHECK(Int(c, {"HLEN", "big"}) == 20000);
  CHECK(Bulk(c, {"HGET", "big", "f12345"}) == "12345");
  CHECK(Int(c, {"SCARD", "bigset"}) == 20000);
  CHECK(Int(c, {"SISMEMBER", "bigset", "19999"}) == 1);
  // Random members spread over the whole set.
  std::vector<int> buckets(4, 0);
  for (int round = 0; round < 40; ++round) {
    for (const auto& member : Strings(c, {"SRANDMEMBER", "bigset", "-50"})) ++buckets[std::stoi(member) / 5000];
  }
  for (int bucket : buckets) CHECK(bucket > 300);  // 500 expected in each
  Items picked = Strings(c, {"HRANDFIELD", "big", "100"});
  CHECK(std::set<std::string>(picked.begin(), picked.end()).size() == 100);
  CHECK(Strings(c, {"SPOP", "bigset", "500"}).size() == 500);
  CHECK(Int(c, {"SCARD", "bigset"}) == 19500);
  CHECK(Int(c, {"SINTERSTORE", "copy", "bigset", "bigset"}) == 19500);
  CHECK(Int(c, {"DEL", "big", "bigset", "copy"}) == 3);
  CHECK(Int(c, {"HLEN", "big"}) == 0);
  CHECK(Int(c, {"HSET", "big", "x", "1"}) == 1);  // a new hash does not see the old fields
  CHECK(Int(c, {"HLEN", "big"}) == 1);
  CHECK(Strings(c, {"HKEYS", "big"}) == Items{"x"});
}

namespace {


// Replies whose order Redis leaves open (hash and set iteration order) are
// sorted before comparing; for HGETALL and the scans, by pairs.
std::string Normalized(const Args& command, RespValue reply) {
  static const std::set<std::string> kUnordered = {"HKEYS", "HVALS", "SMEMBERS", "SINTER", "SUNION",
                                                   "SDIFF", "SPOP",  "SRANDMEMBER", "HRANDFIELD"};
  std::string name = command[0];
  auto by_text = [](const RespValue& a, const RespValue& b) { return Exact(a) < Exact(b); };
  auto sort_pairs = [](std::vector<RespValue>* flat) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i + 1 < flat->size(); i += 2) pairs.emplace_back((*flat)[i].str, (*flat)[i + 1].str);
    std::sort(pairs.begin(), pairs.end());
    for (size_t i = 0; i < pairs.size(); ++i) {
      (*flat)[2 * i].str = pairs[i].first;
      (*flat)[2 * i + 1].str = pairs[i].second;
    }
  };
  if (reply.IsError() || reply.IsNull()) return Exact(reply);
  bool flat_pairs = name == "HGETALL" || (name == "HRANDFIELD" && command.size() == 4 && !reply.elements.empty() &&
                                          reply.elements[0].type == Type::kBulk);
  if (flat_pairs) {
    sort_pairs(&reply.elements);
  } else if (kUnordered.count(name)) {
    std::sort(reply.elements.begin(), reply.elements.end(), by_text);
  } else if (name == "HSCAN" && reply.elements.size() == 2) {
    sort_pairs(&reply.elements[1].elements);
  } else if (name == "SSCAN" && reply.elements.size() == 2) {
    std::sort(reply.elements[1].elements.begin(), reply.elements[1].elements.end(), by_text);
  }
  return Exact(reply);
}

// One random hash or set command over a few keys (one of them a string) whose
// reply does not depend on chance: random picks only with counts that take
// everything or nothing.
Args RandomHashSetCommand(std::mt19937& random) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto key = [&] {
    static const char* kKeys[] = {"h1", "h2", "s1", "s2", "s3", "str", "none"};
    return std::string(kKeys[pick(7)]);
  };
  auto field = [&] {
    static const char* kFields[] = {"a", "b", "c", "d", "e", "1", "10", "-5", "x y", ""};
    return std::string(kFields[pick(10)]);
  };
  auto value = [&] {
    static const char* kValues[] = {"1", "-3", "abc", "1.5", "9223372036854775807", "-9223372036854775808",
                                    "", "0x10", "3e2", "inf"};
    return std::string(kValues[pick(10)]);
  };
  auto all_or_nothing = [&] { return std::string(pick(2) == 0 ? "0" : "100"); };
  switch (pick(34)) {
    case 0: return {"HSET", key(), field(), value()};
    case 1: return {"HSET", key(), field(), value(), field(), value()};
    case 2: return {"HSETNX", key(), field(), value()};
    case 3: return {"HGET", key(), field()};
    case 4: return {"HMGET", key(), field(), field()};
    case 5: return {"HDEL", key(), field(), field()};
    case 6: return {"HLEN", key()};
    case 7: return {"HSTRLEN", key(), field()};
    case 8: return {"HEXISTS", key(), field()};
    case 9: return {pick(2) == 0 ? "HKEYS" : "HVALS", key()};
    case 10: return {"HGETALL", key()};
    case 11: return {"HINCRBY", key(), field(), pick(3) == 0 ? "x" : std::to_string(pick(200) - 100)};
    case 12: return {"HINCRBYFLOAT", key(), field(), pick(4) == 0 ? "inf" : std::to_string(pick(20) - 10) + ".25"};
    case 13: return {"HRANDFIELD", key(), all_or_nothing(), "WITHVALUES"};
    case 14: return {"HSCAN", key(), "0", "COUNT", "1000", "MATCH", pick(2) == 0 ? "*" : "?"};
    case 15: return {"SADD", key(), field(), field(), field()};
    case 16: return {"SREM", key(), field(), field()};
    case 17: return {"SMEMBERS", key()};
    case 18: return {"SISMEMBER", key(), field()};
    case 19: return {"SMISMEMBER", key(), field(), field()};
    case 20: return {"SCARD", key()};
    case 21: return {"SMOVE", key(), key(), field()};
    case 22: return {"SINTER", key(), key()};
    case 23: return {"SUNION", key(), key(), key()};
    case 24: return {"SDIFF", key(), key()};
    case 25: return {"SINTERCARD", "2", key(), key(), "LIMIT", std::to_string(pick(3))};
    case 26: return {"SINTERSTORE", key(), key(), key()};
    case 27: return {"SUNIONSTORE", key(), key(), key()};
    case 28: return {"SDIFFSTORE", key(), key(), key()};
    case 29: return {"SPOP", key(), all_or_nothing()};
    case 30: return {"SRANDMEMBER", key(), all_or_nothing()};
    case 31: return {"SSCAN", key(), "0", "COUNT", "1000"};
    case 32: return {"SET", "str", value()};
    default: return {pick(2) == 0 ? "DEL" : "TYPE", key()};
  }
}

}  // namespace

TEST_CASE("hashes and sets: random commands answer as redis-server does") {
  SideBySide pair;
  if (!pair.ready()) return;
  for (int protocol : {2, 3}) {
    CAPTURE(protocol);
    auto reference = pair.redis().Connect();
    auto kvd = pair.server().Connect();
    REQUIRE(reference != nullptr);
    if (protocol == 3) {
      Call(*reference, {"HELLO", "3"});
      Call(*kvd, {"HELLO", "3"});
    }
    Call(*reference, {"FLUSHALL"});
    Call(*kvd, {"FLUSHALL"});
    std::mt19937 random(20240611 + protocol);
    CompareWithReference(*reference, *kvd, {4000, [&] { return RandomHashSetCommand(random); }, Normalized, {}});
    for (const char* key : {"h1", "h2", "s1", "s2", "s3", "str"}) {
      for (const char* read : {"TYPE", "HGETALL", "SMEMBERS"}) {
        Args command = {read, key};
        CHECK(Normalized(command, Call(*kvd, command)) == Normalized(command, Call(*reference, command)));
      }
    }
  }
}

TEST_CASE("pipelines: runs of member lookups of one key answer as if sent one by one") {
  // Runs of HSET/HGET/SADD/ZADD... to one key are read ahead in one MultiGet
  // (storage::ReadAheadMembers); the same random commands sent one per round
  // trip to another server must get the same replies.
  PipelinedAgainstOneByOne servers;
  std::mt19937 random(20261127);
  auto key = [&] { return "c" + std::to_string(random() % 4); };
  auto member = [&] { return "m" + std::to_string(random() % 30); };
  for (int round = 0; round < 200; ++round) {
    std::vector<Args> commands;
    size_t length = 1 + random() % 100;
    while (commands.size() < length) {
      uint32_t pick = random() % 100;
      std::string k = key();
      size_t run = 1 + random() % 20;  // mostly runs of one name and key
      for (size_t i = 0; i < run; ++i) {
        if (pick < 20) {
          commands.push_back({"HSET", k, member(), std::to_string(random() % 100)});
        } else if (pick < 30) {
          commands.push_back({"HGET", k, member()});
        } else if (pick < 35) {
          commands.push_back({"HEXISTS", k, member()});
        } else if (pick < 55) {
          commands.push_back({"SADD", k, member()});
        } else if (pick < 62) {
          commands.push_back({"SISMEMBER", k, member()});
        } else if (pick < 82) {
          commands.push_back({"ZADD", k, std::to_string(random() % 50), member()});
        } else if (pick < 90) {
          commands.push_back({"ZSCORE", k, member()});
        } else if (pick < 93) {
          commands.push_back({"HDEL", k, member()});
        } else if (pick < 96) {
          commands.push_back({"DEL", k});
        } else if (pick < 98) {
          commands.push_back({"SELECT", std::to_string(random() % 2)});
        } else {
          commands.push_back({"MULTI"});
          commands.push_back({"SADD", k, member()});
          commands.push_back({"SADD", k, member()});
          commands.push_back({"EXEC"});
        }
      }
    }
    CAPTURE(round);
    servers.Check(commands);
  }
}

}  // namespace kvdtest
