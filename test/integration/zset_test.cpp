// Sorted-set commands through the socket: Redis 7.0 replies and error texts,
// RESP3 shapes, key positions, and a randomized comparison with a Debian
// redis-server when one is installed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>

#include "harness.h"
#include "reference_redis.h"

extern char** environ;

namespace kvdtest {
namespace {

using List = std::vector<std::string>;

constexpr const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
constexpr const char* kNotFloat = "ERR value is not a valid float";
constexpr const char* kSyntax = "ERR syntax error";
constexpr const char* kScoreRange = "ERR min or max is not a float";
constexpr const char* kLexRange = "ERR min or max not valid string range item";


}  // namespace

TEST_CASE("zsets: ZADD and ZINCRBY options and errors") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Int(c, {"ZADD", "z", "1", "a", "2", "b", "3", "c"}) == 3);
  CHECK(Int(c, {"ZADD", "z", "CH", "5", "a", "2", "b", "4", "d"}) == 2);
  CHECK(Int(c, {"ZADD", "z", "XX", "9", "new"}) == 0);
  CHECK(Int(c, {"ZADD", "z", "NX", "9", "a", "10", "e"}) == 1);
  CHECK(Int(c, {"ZADD", "z", "GT", "CH", "1", "a", "6", "b"}) == 1);
  CHECK(Bulk(c, {"ZADD", "z", "INCR", "2.5", "a"}) == "7.5");
  CHECK(Bulk(c, {"ZADD", "z", "INCR", "NX", "1", "a"}) == "<nil>");
  CHECK(Bulk(c, {"ZINCRBY", "z", "0.1", "c"}) == "3.1000000000000001");
  // A member created by an increment of -0: Redis answers -0 and stores 0.
  CHECK(Bulk(c, {"ZINCRBY", "zero", "-0", "m"}) == "-0");
  CHECK(Bulk(c, {"ZSCORE", "zero", "m"}) == "0");
  CHECK(Bulk(c, {"ZINCRBY", "zero", "-0", "m"}) == "0");
  CHECK(Int(c, {"DEL", "zero"}) == 1);
  CHECK(Bulk(c, {"ZSCORE", "z", "a"}) == "7.5");
  CHECK(Bulk(c, {"ZSCORE", "z", "missing"}) == "<nil>");

  CHECK(Err(c, {"ZADD", "z", "XX", "NX", "1", "a"}) == "ERR XX and NX options at the same time are not compatible");
  CHECK(Err(c, {"ZADD", "z", "GT", "LT", "1", "a"}) ==
        "ERR GT, LT, and/or NX options at the same time are not compatible");
  CHECK(Err(c, {"ZADD", "z", "NX", "GT", "1", "a"}) ==
        "ERR GT, LT, and/or NX options at the same time are not compatible");
  CHECK(Err(c, {"ZADD", "z", "INCR", "1", "a", "2", "b"}) ==
        "ERR INCR option supports a single increment-element pair");
  CHECK(Err(c, {"ZADD", "z", "1", "a", "2"}) == kSyntax);
  CHECK(Err(c, {"ZADD", "z", "nan", "a"}) == kNotFloat);
  CHECK(Err(c, {"ZADD", "z", "1x", "a"}) == kNotFloat);
  CHECK(Err(c, {"ZINCRBY", "z", "abc", "a"}) == kNotFloat);
  CHECK(Int(c, {"ZADD", "inf", "inf", "x"}) == 1);
  CHECK(Err(c, {"ZINCRBY", "inf", "-inf", "x"}) == "ERR resulting score is not a number (NaN)");
  CHECK(Bulk(c, {"ZSCORE", "inf", "x"}) == "inf");
  CHECK(Err(c, {"ZADD", "z"}) == "ERR wrong number of arguments for 'zadd' command");

  CHECK(Simple(c, {"SET", "str", "v"}) == "OK");
  CHECK(Err(c, {"ZADD", "str", "1", "a"}) == kWrongType);
  CHECK(Err(c, {"ZRANGE", "str", "0", "-1"}) == kWrongType);
  CHECK(Err(c, {"ZSCORE", "str", "a"}) == kWrongType);
  CHECK(Simple(c, {"TYPE", "z"}) == "zset");
}

TEST_CASE("zsets: ranges, counts and ranks") {
  ServerWithClient s;
  RespClient& c = *s.client;
  REQUIRE(Int(c, {"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}) == 5);
  CHECK(Strings(c, {"ZRANGE", "z", "0", "-1"}) == List{"a", "b", "c", "d", "e"});
  CHECK(Strings(c, {"ZRANGE", "z", "-2", "-1", "WITHSCORES"}) == List{"d", "4", "e", "5"});
  CHECK(Strings(c, {"ZRANGE", "z", "0", "1", "REV"}) == List{"e", "d"});
  CHECK(Strings(c, {"ZRANGE", "z", "(1", "3", "BYSCORE"}) == List{"b", "c"});
  CHECK(Strings(c, {"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"}) == List{"d", "c"});
  CHECK(Strings(c, {"ZREVRANGE", "z", "0", "0", "WITHSCORES"}) == List{"e", "5"});
  CHECK(Strings(c, {"ZRANGEBYSCORE", "z", "-inf", "2", "WITHSCORES"}) == List{"a", "1", "b", "2"});
  CHECK(Strings(c, {"ZREVRANGEBYSCORE", "z", "(5", "(2"}) == List{"d", "c"});
  CHECK(Strings(c, {"ZRANGE", "z", "0", "-100"}).empty());
  CHECK(Strings(c, {"ZRANGE", "missing", "0", "-1"}).empty());
  CHECK(Err(c, {"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}) ==
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  CHECK(Err(c, {"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}) ==
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  CHECK(Err(c, {"ZRANGE", "z", "0", "1", "REV", "REV"}) == kSyntax);
  CHECK(Err(c, {"ZRANGE", "z", "a", "1"}) == kNotInteger);
  CHECK(Err(c, {"ZRANGEBYSCORE", "z", "x", "1"}) == kScoreRange);
  CHECK(Err(c, {"ZRANGEBYSCORE", "z", "(nan", "1"}) == kScoreRange);
  CHECK(Err(c, {"ZRANGEBYLEX", "z", "a", "+"}) == kLexRange);

  CHECK(Int(c, {"ZCARD", "z"}) == 5);
  CHECK(Int(c, {"ZCARD", "missing"}) == 0);
  CHECK(Int(c, {"ZCOUNT", "z", "(1", "3"}) == 2);
  CHECK(Err(c, {"ZCOUNT", "z", "-", "+"}) == kScoreRange);
  CHECK(Int(c, {"ZRANK", "z", "c"}) == 2);
  CHECK(Int(c, {"ZREVRANK", "z", "c"}) == 2);
  CHECK(Int(c, {"ZREVRANK", "z", "e"}) == 0);
  CHECK(Bulk(c, {"ZRANK", "z", "nope"}) == "<nil>");
  CHECK(Strings(c, {"ZMSCORE", "z", "a", "nope", "e"}) == List{"1", "(nil)", "5"});

  REQUIRE(Int(c, {"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"}) == 4);
  CHECK(Strings(c, {"ZRANGEBYLEX", "l", "[b", "+"}) == List{"b", "c", "d"});
  CHECK(Strings(c, {"ZREVRANGEBYLEX", "l", "(c", "-"}) == List{"b", "a"});
  CHECK(Strings(c, {"ZRANGE", "l", "(a", "[c", "BYLEX", "LIMIT", "1", "5"}) == List{"c"});
  CHECK(Int(c, {"ZLEXCOUNT", "l", "-", "(c"}) == 2);

  CHECK(Int(c, {"ZRANGESTORE", "dst", "z", "1", "3"}) == 3);
  CHECK(Strings(c, {"ZRANGE", "dst", "0", "-1"}) == List{"b", "c", "d"});
  CHECK(Err(c, {"ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"}) == kSyntax);
  CHECK(Int(c, {"ZRANGESTORE", "dst", "z", "10", "20"}) == 0);
  CHECK(Int(c, {"EXISTS", "dst"}) == 0);
}

TEST_CASE("zsets: removal, pops, set operations, scan") {
  ServerWithClient s;
  RespClient& c = *s.client;
  REQUIRE(Int(c, {"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}) == 5);
  CHECK(Int(c, {"ZREM", "z", "a", "a", "nope"}) == 1);
  CHECK(Int(c, {"ZREMRANGEBYRANK", "z", "-1", "-1"}) == 1);
  CHECK(Int(c, {"ZREMRANGEBYSCORE", "z", "(2", "3"}) == 1);
  CHECK(Strings(c, {"ZRANGE", "z", "0", "-1"}) == List{"b", "d"});
  CHECK(Strings(c, {"ZPOPMIN", "z"}) == List{"b", "2"});
  CHECK(Strings(c, {"ZPOPMAX", "z", "5"}) == List{"d", "4"});
  CHECK(Int(c, {"EXISTS", "z"}) == 0);
  CHECK(Strings(c, {"ZPOPMIN", "z"}).empty());
  CHECK(Err(c, {"ZPOPMIN", "z", "-1"}) == "ERR value is out of range, must be positive");

  REQUIRE(Int(c, {"ZADD", "p", "1", "x", "2", "y"}) == 2);
  CHECK(ExactCall(c, {"ZMPOP", "2", "missing", "p", "MAX", "COUNT", "5"}) ==
        "[\"p\", [[\"y\", \"2\"], [\"x\", \"1\"]]]");
  CHECK(Call(c, {"ZMPOP", "1", "p", "MIN"}).IsNull());
  CHECK(Err(c, {"ZMPOP", "0", "p", "MIN"}) == "ERR numkeys should be greater than 0");
  CHECK(Err(c, {"ZMPOP", "1", "p", "MIN", "COUNT", "0"}) == "ERR count should be greater than 0");

  REQUIRE(Int(c, {"ZADD", "a", "1", "x", "2", "y", "3", "z"}) == 3);
  REQUIRE(Int(c, {"ZADD", "b", "10", "y", "20", "z", "30", "w"}) == 3);
  CHECK(Strings(c, {"ZUNION", "2", "a", "b", "WITHSCORES"}) == List{"x", "1", "y", "12", "z", "23", "w", "30"});
  CHECK(Strings(c, {"ZINTER", "2", "a", "b", "WEIGHTS", "2", "1", "AGGREGATE", "MIN", "WITHSCORES"}) ==
        List{"y", "4", "z", "6"});
  CHECK(Strings(c, {"ZDIFF", "2", "a", "b"}) == List{"x"});
  CHECK(Int(c, {"ZUNIONSTORE", "u", "2", "a", "b", "AGGREGATE", "MAX"}) == 4);
  CHECK(Strings(c, {"ZRANGE", "u", "0", "-1", "WITHSCORES"}) == List{"x", "1", "y", "10", "z", "20", "w", "30"});
  CHECK(Int(c, {"ZINTERSTORE", "i", "2", "a", "missing"}) == 0);
  CHECK(Int(c, {"ZDIFFSTORE", "d", "2", "b", "a"}) == 1);
  CHECK(Int(c, {"ZINTERCARD", "2", "a", "b", "LIMIT", "1"}) == 1);
  CHECK(Err(c, {"ZUNION", "0", "a"}) == "ERR at least 1 input key is needed for 'zunion' command");
  CHECK(Err(c, {"ZUNIONSTORE", "u", "0", "a"}) == "ERR at least 1 input key is needed for 'zunionstore' command");
  CHECK(Err(c, {"ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"}) == "ERR weight value is not a float");
  CHECK(Err(c, {"ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"}) == kSyntax);
  CHECK(Err(c, {"ZINTERCARD", "2", "a", "b", "LIMIT", "-1"}) == "ERR LIMIT can't be negative");
  CHECK(Simple(c, {"SET", "str", "v"}) == "OK");
  // A wrong type is reported before a malformed option, as Redis does.
  CHECK(Err(c, {"ZUNION", "2", "a", "str", "WEIGHTS", "1", "x"}) == kWrongType);

  Args big = {"ZADD", "big"};
  for (int i = 0; i < 500; ++i) big.insert(big.end(), {std::to_string(i % 13), "m" + std::to_string(i)});
  REQUIRE(Int(c, big) == 500);
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    RespValue reply = Call(c, {"ZSCAN", "big", cursor, "COUNT", "50"});
    REQUIRE(reply.elements.size() == 2);
    cursor = reply.elements[0].str;
    for (size_t i = 0; i < reply.elements[1].elements.size(); i += 2) seen.insert(reply.elements[1].elements[i].str);
  } while (cursor != "0" && ++calls < 1000);
  CHECK(seen.size() == 500);
  CHECK(Err(c, {"ZSCAN", "big", "x"}) == "ERR invalid cursor");
  CHECK(Err(c, {"ZSCAN", "big", "0", "COUNT", "0"}) == kSyntax);
}

TEST_CASE("zsets: RESP3 shapes and key positions") {
  ServerWithClient s;
  RespClient& c = *s.client;
  REQUIRE(Int(c, {"ZADD", "z", "1", "a", "2.5", "b"}) == 2);
  Call(c, {"HELLO", "3"});
  CHECK(ExactCall(c, {"ZSCORE", "z", "b"}) == ",2.5");
  CHECK(ExactCall(c, {"ZRANGE", "z", "0", "-1", "WITHSCORES"}) == "[[\"a\", ,1], [\"b\", ,2.5]]");
  CHECK(ExactCall(c, {"ZRANGE", "z", "0", "-1"}) == "[\"a\", \"b\"]");
  CHECK(ExactCall(c, {"ZMSCORE", "z", "a", "x"}) == "[,1, nil]");
  CHECK(ExactCall(c, {"ZSCAN", "z", "0"}) == "[\"0\", [\"a\", \"1\", \"b\", \"2.5\"]]");
  CHECK(ExactCall(c, {"ZPOPMIN", "z"}) == "[\"a\", ,1]");
  CHECK(ExactCall(c, {"ZPOPMIN", "z", "1"}) == "[[\"b\", ,2.5]]");
  Call(c, {"HELLO", "2"});

  CHECK(Strings(c, {"COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"}) ==
        List{"dst", "a", "b"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "ZINTER", "2", "a", "b"}) == List{"a", "b"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"}) == List{"a", "b"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "ZINTERCARD", "1", "a", "LIMIT", "1"}) == List{"a"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "ZRANGESTORE", "dst", "src", "0", "-1"}) == List{"dst", "src"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "ZADD", "z", "1", "a"}) == List{"z"});
}

TEST_CASE("zsets: a large set survives a restart and its ends stay cheap") {
  ServerWithClient s;
  RespClient& c = *s.client;
  for (int chunk = 0; chunk < 20; ++chunk) {
    Args add = {"ZADD", "big"};
    for (int i = 0; i < 1000; ++i) {
      int n = chunk * 1000 + i;
      add.insert(add.end(), {std::to_string(n), "m" + std::to_string(n)});
    }
    REQUIRE(Int(c, add) == 1000);
  }
  REQUIRE(s.server.Restart());
  auto c2 = s.server.Connect();
  CHECK(Int(*c2, {"ZCARD", "big"}) == 20000);
  CHECK(Strings(*c2, {"ZRANGE", "big", "0", "2"}) == List{"m0", "m1", "m2"});
  CHECK(Strings(*c2, {"ZRANGE", "big", "-2", "-1"}) == List{"m19998", "m19999"});
  CHECK(Strings(*c2, {"ZREVRANGEBYSCORE", "big", "+inf", "-inf", "LIMIT", "0", "1"}) == List{"m19999"});
  CHECK(Int(*c2, {"ZRANK", "big", "m12345"}) == 12345);
  CHECK(Int(*c2, {"ZREVRANK", "big", "m12345"}) == 7654);
  CHECK(Int(*c2, {"ZCOUNT", "big", "100", "(200"}) == 100);
  CHECK(Int(*c2, {"DEL", "big"}) == 1);
  CHECK(Int(*c2, {"ZCARD", "big"}) == 0);
  CHECK(Int(*c2, {"ZADD", "big", "1", "fresh"}) == 1);
  CHECK(Strings(*c2, {"ZRANGE", "big", "0", "-1"}) == List{"fresh"});
}

namespace {


// One random sorted-set command over a few small keys (one a string), with
// scores that collide, infinities, and sometimes malformed arguments. Only
// commands whose reply is deterministic in Redis for small sets.
Args RandomZSetCommand(std::mt19937& random) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto key = [&] { return std::string(pick(10) == 0 ? "str" : (pick(2) == 0 ? "z1" : "z2")); };
  auto member = [&] { return std::string(1, static_cast<char>('a' + pick(8))); };
  auto score = [&] {
    static const char* kScores[] = {"0", "1", "1", "2", "-1", "1.5", "0.1", "inf", "-inf", "3", "x"};
    return std::string(kScores[pick(11)]);
  };
  auto bound = [&] {
    static const char* kBounds[] = {"-inf", "+inf", "0", "(0", "1", "(1", "1.5", "(2", "3", "bad"};
    return std::string(kBounds[pick(10)]);
  };
  auto lex = [&] {
    static const char* kLex[] = {"-", "+", "[a", "(a", "[c", "(d", "[h", "(b", "x"};
    return std::string(kLex[pick(9)]);
  };
  auto index = [&] { return std::to_string(pick(12) - 6); };
  auto maybe = [&](Args args, Args extra) {
    if (pick(2) == 0) args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  switch (pick(24)) {
    case 0:
    case 1: {
      Args args = {"ZADD", key()};
      static const char* kFlags[] = {"NX", "XX", "GT", "LT", "CH", "INCR"};
      for (int i = pick(3); i > 0; --i) args.push_back(kFlags[pick(6)]);
      for (int i = 1 + pick(3); i > 0; --i) args.insert(args.end(), {score(), member()});
      return args;
    }
    case 2: return {"ZINCRBY", key(), score(), member()};
    case 3: return {"ZREM", key(), member(), member()};
    case 4: return {"ZSCORE", key(), member()};
    case 5: return {"ZMSCORE", key(), member(), member()};
    case 6: return {pick(2) == 0 ? "ZRANK" : "ZREVRANK", key(), member()};
    case 7: return {"ZCOUNT", key(), bound(), bound()};
    case 8: return {"ZLEXCOUNT", key(), lex(), lex()};
    case 9: return maybe({pick(2) == 0 ? "ZRANGE" : "ZREVRANGE", key(), index(), index()}, {"WITHSCORES"});
    case 10:
      return maybe(maybe({pick(2) == 0 ? "ZRANGEBYSCORE" : "ZREVRANGEBYSCORE", key(), bound(), bound()},
                         {"WITHSCORES"}),
                   {"LIMIT", index(), index()});
    case 11:
      return maybe({pick(2) == 0 ? "ZRANGEBYLEX" : "ZREVRANGEBYLEX", key(), lex(), lex()}, {"LIMIT", index(), index()});
    case 12: {
      Args args = {"ZRANGE", key()};
      int form = pick(3);
      if (form == 0) args.insert(args.end(), {index(), index()});
      if (form == 1) args.insert(args.end(), {bound(), bound(), "BYSCORE"});
      if (form == 2) args.insert(args.end(), {lex(), lex(), "BYLEX"});
      if (pick(2) == 0) args.push_back("REV");
      if (pick(3) == 0) args.insert(args.end(), {"LIMIT", index(), index()});
      if (pick(3) == 0) args.push_back("WITHSCORES");
      return args;
    }
    case 13: return {"ZREMRANGEBYRANK", key(), index(), index()};
    case 14: return {"ZREMRANGEBYSCORE", key(), bound(), bound()};
    case 15: return {"ZREMRANGEBYLEX", key(), lex(), lex()};
    case 16: return maybe({pick(2) == 0 ? "ZPOPMIN" : "ZPOPMAX", key()}, {std::to_string(pick(4) - 1)});
    case 17: {
      Args args = {"ZMPOP", "2", key(), key(), pick(2) == 0 ? "MIN" : "MAX"};
      return maybe(args, {"COUNT", std::to_string(pick(3))});
    }
    case 18: {
      static const char* kOps[] = {"ZUNION", "ZINTER", "ZDIFF"};
      Args args = maybe({kOps[pick(3)], "2", key(), key()}, {"WITHSCORES"});
      if (args[0] != "ZDIFF" && pick(2) == 0) args.insert(args.end(), {"AGGREGATE", pick(2) == 0 ? "MIN" : "MAX"});
      return args;
    }
    case 19: {
      static const char* kOps[] = {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"};
      return {kOps[pick(3)], key(), "2", key(), key()};
    }
    case 20: return {"ZRANGESTORE", key(), key(), index(), index()};
    case 21: return {"ZCARD", key()};
    case 22: return pick(2) == 0 ? Args{"ZRANDMEMBER", key(), "100", "WITHSCORES"} : Args{"ZSCAN", key(), "0"};
    default: return pick(3) == 0 ? Args{"SET", "str", "v"} : Args{"DEL", key()};
  }
}

}  // namespace

TEST_CASE("zsets: random commands answer as redis-server does") {
  SideBySide pair;
  if (!pair.ready()) return;
  RespClient& c = pair.kvd();
  RespClient& reference = pair.reference();
  std::mt19937 random(7001);
  auto before_step = [&](int step) {
    if (step == 3000) {
      // The second half in RESP3: doubles, nulls and [member, score] pairs change shape.
      Call(c, {"HELLO", "3"});
      Call(reference, {"HELLO", "3"});
    }
    if (step % 100 == 0) {
      for (const char* key : {"z1", "z2"}) {
        Args all = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
        CHECK(ExactCall(c, all) == ExactCall(reference, all));
      }
    }
  };
  CompareWithReference(reference, c, {6000, [&] { return RandomZSetCommand(random); }, {}, before_step});
}

}  // namespace kvdtest
