// List commands through the socket: Redis 7 replies and error texts, RESP2
// and RESP3 null shapes, key positions, and a randomized comparison with a
// Debian redis-server when one is installed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "harness.h"
#include "reference_redis.h"

extern char** environ;

namespace kvdtest {
namespace {

using kvd::protocol::EncodeCommand;
using List = std::vector<std::string>;

constexpr const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
constexpr const char* kSyntax = "ERR syntax error";
constexpr const char* kNotPositive = "ERR value is out of range, must be positive";


// The raw bytes of one reply: RespValue does not tell a null bulk from a null array.
std::string RawReply(uint16_t port, const Args& args, const Args& before = {}) {
  RawConn conn;
  REQUIRE(conn.Connect(port));
  std::string bytes;
  if (!before.empty()) bytes += EncodeCommand(before);
  bytes += EncodeCommand(args) + EncodeCommand({"QUIT"});
  REQUIRE(conn.Send(bytes));
  bool closed = false;
  std::string all = conn.ReadUntilClosed(10s, &closed);
  REQUIRE(closed);
  REQUIRE(all.ends_with("+OK\r\n"));  // QUIT's reply
  return all.substr(0, all.size() - 5);
}

}  // namespace

TEST_CASE("lists: pushes, pops and reads") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"RPUSH", "l", "a", "b", "c"}) == 3);
  CHECK(Int(c, {"LPUSH", "l", "x", "y"}) == 5);
  CHECK(Strings(c, {"LRANGE", "l", "0", "-1"}) == List{"y", "x", "a", "b", "c"});
  CHECK(Int(c, {"LLEN", "l"}) == 5);
  CHECK(Int(c, {"LLEN", "missing"}) == 0);
  CHECK(Simple(c, {"TYPE", "l"}) == "list");
  CHECK(Bulk(c, {"LPOP", "l"}) == "y");
  CHECK(Bulk(c, {"RPOP", "l"}) == "c");
  CHECK(ExactCall(c, {"LPOP", "l", "2"}) == "[\"x\", \"a\"]");
  CHECK(ExactCall(c, {"LPOP", "l", "0"}) == "[]");
  CHECK(ExactCall(c, {"RPOP", "l", "10"}) == "[\"b\"]");
  CHECK(Int(c, {"EXISTS", "l"}) == 0);
  CHECK(Bulk(c, {"LPOP", "l"}) == "<nil>");
  CHECK(RawReply(s.server.port(), {"LPOP", "missing"}) == "$-1\r\n");
  CHECK(RawReply(s.server.port(), {"LPOP", "missing", "2"}) == "*-1\r\n");
  CHECK(RawReply(s.server.port(), {"RPOP", "missing", "0"}) == "*-1\r\n");
  CHECK(Err(c, {"LPOP", "l", "-1"}) == kNotPositive);
  CHECK(Err(c, {"LPOP", "l", "abc"}) == kNotPositive);
  CHECK(Err(c, {"LPOP", "l", "1", "2"}) == "ERR wrong number of arguments for 'lpop' command");
  CHECK(Err(c, {"LPUSH", "l"}) == "ERR wrong number of arguments for 'lpush' command");

  CHECK(Int(c, {"LPUSHX", "l", "a"}) == 0);
  CHECK(Int(c, {"RPUSHX", "l", "a", "b"}) == 0);
  CHECK(Int(c, {"EXISTS", "l"}) == 0);
  CHECK(Int(c, {"RPUSH", "l", "a", "b", "c", "d", "e"}) == 5);
  CHECK(Int(c, {"LPUSHX", "l", "0"}) == 6);
  CHECK(Int(c, {"RPUSHX", "l", "f"}) == 7);

  CHECK(Strings(c, {"LRANGE", "l", "1", "2"}) == List{"a", "b"});
  CHECK(Strings(c, {"LRANGE", "l", "-2", "-1"}) == List{"e", "f"});
  CHECK(Strings(c, {"LRANGE", "l", "-100", "100"}).size() == 7);
  CHECK(Strings(c, {"LRANGE", "l", "-9223372036854775808", "9223372036854775807"}).size() == 7);
  CHECK(Strings(c, {"LRANGE", "l", "9223372036854775807", "-9223372036854775808"}).empty());
  CHECK(Strings(c, {"LRANGE", "l", "3", "1"}).empty());
  CHECK(Strings(c, {"LRANGE", "missing", "0", "-1"}).empty());
  CHECK(Err(c, {"LRANGE", "l", "abc", "1"}) == kNotInteger);
  CHECK(Err(c, {"LRANGE", "l", "0", "99999999999999999999"}) == kNotInteger);

  CHECK(Bulk(c, {"LINDEX", "l", "0"}) == "0");
  CHECK(Bulk(c, {"LINDEX", "l", "-1"}) == "f");
  CHECK(Bulk(c, {"LINDEX", "l", "7"}) == "<nil>");
  CHECK(Bulk(c, {"LINDEX", "missing", "0"}) == "<nil>");
  CHECK(Err(c, {"LINDEX", "l", "abc"}) == kNotInteger);
  CHECK(Bulk(c, {"LINDEX", "missing", "abc"}) == "<nil>");

  CHECK(Simple(c, {"SET", "s", "x"}) == "OK");
  for (const Args& args : std::vector<Args>{{"LPUSH", "s", "a"},
                                            {"RPUSHX", "s", "a"},
                                            {"LPOP", "s"},
                                            {"RPOP", "s", "0"},
                                            {"LLEN", "s"},
                                            {"LRANGE", "s", "0", "-1"},
                                            {"LINDEX", "s", "abc"},
                                            {"LSET", "s", "abc", "x"},
                                            {"LINSERT", "s", "BEFORE", "a", "b"},
                                            {"LREM", "s", "0", "a"},
                                            {"LTRIM", "s", "0", "1"},
                                            {"LPOS", "s", "a"},
                                            {"RPOPLPUSH", "s", "l"},
                                            {"RPOPLPUSH", "l", "s"},
                                            {"LMOVE", "l", "s", "LEFT", "RIGHT"},
                                            {"LMPOP", "2", "missing", "s", "LEFT"}}) {
    CHECK_MESSAGE(Err(c, args) == kWrongType, args[0]);
  }
}

TEST_CASE("lists: LSET LINSERT LREM LTRIM") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Err(c, {"LSET", "missing", "0", "x"}) == "ERR no such key");
  CHECK(Err(c, {"LSET", "missing", "abc", "x"}) == "ERR no such key");
  CHECK(Int(c, {"RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"}) == 7);
  CHECK(Simple(c, {"LSET", "l", "-1", "z"}) == "OK");
  CHECK(Err(c, {"LSET", "l", "7", "x"}) == "ERR index out of range");
  CHECK(Err(c, {"LSET", "l", "-8", "x"}) == "ERR index out of range");
  CHECK(Err(c, {"LSET", "l", "abc", "x"}) == kNotInteger);

  CHECK(Int(c, {"LINSERT", "l", "BEFORE", "a", "X"}) == 8);
  CHECK(Int(c, {"LINSERT", "l", "after", "z", "X"}) == 9);
  CHECK(Int(c, {"LINSERT", "l", "AFTER", "nope", "X"}) == -1);
  CHECK(Int(c, {"LINSERT", "missing", "BEFORE", "a", "X"}) == 0);
  CHECK(Err(c, {"LINSERT", "l", "MIDDLE", "a", "X"}) == kSyntax);
  CHECK(Err(c, {"LINSERT", "missing", "MIDDLE", "a", "X"}) == kSyntax);
  CHECK(Strings(c, {"LRANGE", "l", "0", "-1"}) == List{"X", "a", "b", "c", "a", "b", "c", "z", "X"});

  CHECK(Int(c, {"LREM", "l", "0", "a"}) == 2);
  CHECK(Int(c, {"LREM", "l", "-1", "X"}) == 1);
  CHECK(Int(c, {"LREM", "l", "1", "c"}) == 1);
  CHECK(Int(c, {"LREM", "l", "5", "nope"}) == 0);
  CHECK(Int(c, {"LREM", "missing", "1", "a"}) == 0);
  CHECK(Err(c, {"LREM", "l", "abc", "a"}) == kNotInteger);
  CHECK(Strings(c, {"LRANGE", "l", "0", "-1"}) == List{"X", "b", "b", "c", "z"});

  CHECK(Simple(c, {"LTRIM", "l", "1", "-2"}) == "OK");
  CHECK(Strings(c, {"LRANGE", "l", "0", "-1"}) == List{"b", "b", "c"});
  CHECK(Simple(c, {"LTRIM", "missing", "0", "1"}) == "OK");
  CHECK(Err(c, {"LTRIM", "l", "abc", "1"}) == kNotInteger);
  CHECK(Simple(c, {"LTRIM", "l", "5", "1"}) == "OK");
  CHECK(Int(c, {"EXISTS", "l"}) == 0);
}

TEST_CASE("lists: LPOS") {
  ServerWithClient s;
  RespClient& c = *s.client;
  const std::string rank_zero =
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start "
      "from the end of the list";

  CHECK(Int(c, {"RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"}) == 7);
  CHECK(Int(c, {"LPOS", "l", "a"}) == 0);
  CHECK(Int(c, {"LPOS", "l", "a", "RANK", "2"}) == 3);
  CHECK(Int(c, {"LPOS", "l", "a", "RANK", "-1"}) == 6);
  CHECK(Int(c, {"LPOS", "l", "a", "RANK", "-2"}) == 3);
  CHECK(Int(c, {"LPOS", "l", "a", "RANK", "-9223372036854775808"}) == 6);  // as Redis 7.0 answers
  CHECK(Bulk(c, {"LPOS", "l", "a", "RANK", "9223372036854775807"}) == "<nil>");
  CHECK(ExactCall(c, {"LPOS", "l", "a", "COUNT", "0"}) == "[:0, :3, :6]");
  CHECK(ExactCall(c, {"LPOS", "l", "a", "COUNT", "2"}) == "[:0, :3]");
  CHECK(ExactCall(c, {"LPOS", "l", "a", "RANK", "-1", "COUNT", "0"}) == "[:6, :3, :0]");
  CHECK(ExactCall(c, {"LPOS", "l", "a", "MAXLEN", "3", "COUNT", "0"}) == "[:0]");
  CHECK(ExactCall(c, {"LPOS", "l", "a", "count", "1", "count", "2"}) == "[:0, :3]");
  CHECK(Bulk(c, {"LPOS", "l", "zz"}) == "<nil>");
  CHECK(ExactCall(c, {"LPOS", "l", "zz", "COUNT", "0"}) == "[]");
  CHECK(Bulk(c, {"LPOS", "missing", "a"}) == "<nil>");
  CHECK(ExactCall(c, {"LPOS", "missing", "a", "COUNT", "0"}) == "[]");
  CHECK(Err(c, {"LPOS", "l", "a", "RANK", "0"}) == rank_zero);
  CHECK(Err(c, {"LPOS", "missing", "a", "RANK", "0"}) == rank_zero);
  CHECK(Err(c, {"LPOS", "l", "a", "RANK", "abc"}) == kNotInteger);
  CHECK(Err(c, {"LPOS", "l", "a", "COUNT", "-1"}) == "ERR COUNT can't be negative");
  CHECK(Err(c, {"LPOS", "l", "a", "MAXLEN", "-1"}) == "ERR MAXLEN can't be negative");
  // Redis 7.0 gives the same answer for a count or length that is not a number.
  CHECK(Err(c, {"LPOS", "l", "a", "COUNT", "1.5"}) == "ERR COUNT can't be negative");
  CHECK(Err(c, {"LPOS", "l", "a", "MAXLEN", "abc"}) == "ERR MAXLEN can't be negative");
  CHECK(Err(c, {"LPOS", "l", "a", "RANK", "abc"}) == "ERR value is not an integer or out of range");
  CHECK(Err(c, {"LPOS", "l", "a", "RANK"}) == kSyntax);
  CHECK(Err(c, {"LPOS", "l", "a", "FOO", "1"}) == kSyntax);
}

TEST_CASE("lists: LMOVE RPOPLPUSH LMPOP") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Bulk(c, {"RPOPLPUSH", "missing", "dst"}) == "<nil>");
  CHECK(Int(c, {"RPUSH", "src", "a", "b", "c"}) == 3);
  CHECK(Bulk(c, {"RPOPLPUSH", "src", "dst"}) == "c");
  CHECK(Bulk(c, {"LMOVE", "src", "dst", "LEFT", "RIGHT"}) == "a");
  CHECK(Strings(c, {"LRANGE", "dst", "0", "-1"}) == List{"c", "a"});
  CHECK(Bulk(c, {"LMOVE", "src", "dst", "left", "left"}) == "b");
  CHECK(Int(c, {"EXISTS", "src"}) == 0);
  CHECK(Err(c, {"LMOVE", "dst", "dst", "LEFT", "UP"}) == kSyntax);
  CHECK(Err(c, {"LMOVE", "missing", "dst", "UP", "LEFT"}) == kSyntax);
  // The same list rotates.
  CHECK(Bulk(c, {"LMOVE", "dst", "dst", "LEFT", "RIGHT"}) == "b");
  CHECK(Strings(c, {"LRANGE", "dst", "0", "-1"}) == List{"c", "a", "b"});
  CHECK(Bulk(c, {"RPOPLPUSH", "dst", "dst"}) == "b");
  CHECK(Strings(c, {"LRANGE", "dst", "0", "-1"}) == List{"b", "c", "a"});
  CHECK(Simple(c, {"SET", "s", "x"}) == "OK");
  CHECK(Bulk(c, {"RPOPLPUSH", "missing", "s"}) == "<nil>");
  CHECK(Err(c, {"RPOPLPUSH", "dst", "s"}) == kWrongType);
  CHECK(Strings(c, {"LRANGE", "dst", "0", "-1"}) == List{"b", "c", "a"});

  CHECK(ExactCall(c, {"LMPOP", "2", "missing", "dst", "RIGHT", "COUNT", "2"}) == "[\"dst\", [\"a\", \"c\"]]");
  CHECK(ExactCall(c, {"LMPOP", "1", "dst", "LEFT"}) == "[\"dst\", [\"b\"]]");
  CHECK(RawReply(s.server.port(), {"LMPOP", "2", "missing", "dst", "LEFT"}) == "*-1\r\n");
  CHECK(Err(c, {"LMPOP", "0", "l", "LEFT"}) == "ERR numkeys should be greater than 0");
  CHECK(Err(c, {"LMPOP", "abc", "l", "LEFT"}) == "ERR numkeys should be greater than 0");
  CHECK(Err(c, {"LMPOP", "2", "l", "LEFT"}) == kSyntax);
  CHECK(Err(c, {"LMPOP", "99999999999999999", "l", "LEFT"}) == kSyntax);
  CHECK(Err(c, {"LMPOP", "1", "l", "UP"}) == kSyntax);
  CHECK(Err(c, {"LMPOP", "1", "l", "LEFT", "COUNT"}) == kSyntax);
  CHECK(Err(c, {"LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"}) == kSyntax);
  CHECK(Err(c, {"LMPOP", "1", "l", "LEFT", "COUNT", "0"}) == "ERR count should be greater than 0");
  CHECK(Err(c, {"LMPOP", "1", "l", "LEFT", "COUNT", "abc"}) == "ERR count should be greater than 0");
  CHECK(Err(c, {"LMPOP", "1", "l"}) == "ERR wrong number of arguments for 'lmpop' command");
}

TEST_CASE("lists: RESP3 nulls and key positions") {
  ServerWithClient s;
  RespClient& c = *s.client;
  uint16_t port = s.server.port();
  std::string resp3_pop = RawReply(port, {"LPOP", "missing", "1"}, {"HELLO", "3"});
  CHECK(resp3_pop.ends_with("_\r\n"));
  std::string resp3_mpop = RawReply(port, {"LMPOP", "1", "missing", "LEFT"}, {"HELLO", "3"});
  CHECK(resp3_mpop.ends_with("_\r\n"));

  CHECK(Strings(c, {"COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"}) == List{"a", "b"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "LMOVE", "a", "b", "LEFT", "RIGHT"}) == List{"a", "b"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "RPOPLPUSH", "a", "b"}) == List{"a", "b"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "LPOS", "a", "x", "RANK", "1"}) == List{"a"});
  CHECK(Strings(c, {"COMMAND", "GETKEYS", "LPUSH", "a", "x", "y"}) == List{"a"});
}

TEST_CASE("lists: a large list survives a restart and keeps index access") {
  ServerWithClient s;
  RespClient& c = *s.client;
  for (int chunk = 0; chunk < 20; ++chunk) {
    Args push = {"RPUSH", "big"};
    for (int i = 0; i < 1000; ++i) push.push_back(std::to_string(chunk * 1000 + i));
    REQUIRE(Int(c, push) == (chunk + 1) * 1000);
  }
  REQUIRE(s.server.Restart());
  auto c2 = s.server.Connect();
  CHECK(Int(*c2, {"LLEN", "big"}) == 20000);
  CHECK(Bulk(*c2, {"LINDEX", "big", "12345"}) == "12345");
  CHECK(Strings(*c2, {"LRANGE", "big", "-2", "-1"}) == List{"19998", "19999"});
  CHECK(Simple(*c2, {"LTRIM", "big", "100", "-101"}) == "OK");
  CHECK(Int(*c2, {"LLEN", "big"}) == 19800);
  CHECK(Bulk(*c2, {"LINDEX", "big", "0"}) == "100");
  CHECK(Int(*c2, {"DEL", "big"}) == 1);
  CHECK(Int(*c2, {"LLEN", "big"}) == 0);
}

namespace {


// One random list command over a few keys (one of them a string), with
// arguments that are sometimes out of range or malformed.
Args RandomListCommand(std::mt19937& random) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto key = [&] { return std::string(pick(8) == 0 ? "str" : (pick(2) == 0 ? "l1" : "l2")); };
  auto value = [&] { return std::string(1, static_cast<char>('a' + pick(5))); };
  auto index = [&] { return std::to_string(pick(16) - 8); };
  auto side = [&] { return std::string(pick(2) == 0 ? "LEFT" : "RIGHT"); };
  switch (pick(19)) {
    case 0: return {"LPUSH", key(), value(), value()};
    case 1: return {"RPUSH", key(), value()};
    case 2: return {"LPUSHX", key(), value()};
    case 3: return {"RPUSHX", key(), value(), value()};
    case 4: return pick(2) == 0 ? Args{"LPOP", key()} : Args{"LPOP", key(), std::to_string(pick(4))};
    case 5: return pick(2) == 0 ? Args{"RPOP", key()} : Args{"RPOP", key(), std::to_string(pick(4))};
    case 6: return {"LLEN", key()};
    case 7: return {"LRANGE", key(), index(), index()};
    case 8: return {"LINDEX", key(), index()};
    case 9: return {"LSET", key(), index(), value()};
    case 10: return {"LINSERT", key(), pick(2) == 0 ? "BEFORE" : "AFTER", value(), value()};
    case 11: return {"LREM", key(), std::to_string(pick(5) - 2), value()};
    case 12: return {"LTRIM", key(), index(), index()};
    case 13: {
      Args args = {"LPOS", key(), value()};
      if (pick(2) == 0) args.insert(args.end(), {"RANK", std::to_string(pick(7) - 3)});
      if (pick(2) == 0) args.insert(args.end(), {"COUNT", std::to_string(pick(4))});
      if (pick(3) == 0) args.insert(args.end(), {"MAXLEN", std::to_string(pick(6))});
      return args;
    }
    case 14: return {"RPOPLPUSH", key(), key()};
    case 15: return {"LMOVE", key(), key(), side(), side()};
    case 16: {
      Args args = {"LMPOP", "2", key(), key(), side()};
      if (pick(2) == 0) args.insert(args.end(), {"COUNT", std::to_string(pick(4))});
      return args;
    }
    case 17: return {"SET", "str", value()};
    default: return {"DEL", key()};
  }
}

}  // namespace

// Redis 7.0 takes a blocking timeout's milliseconds as a long long: inf and
// values past its range come out negative. Only timeouts that answer at once
// are sent (an error, or a wait of a millisecond).
TEST_CASE("lists: blocking timeouts are refused or accepted as redis-server does") {
  SideBySide pair;
  if (!pair.ready()) return;
  const std::vector<std::string> timeouts = {"inf", "-inf", "+inf", "1e400", "-1e400", "nan", "1e20", "9223372036854776",
                                             "1e5000", "1 ", "", "-1", "-0.5", "abc", "0.001", "1e-3"};
  for (const std::string& timeout : timeouts) {
    for (const Args& command : std::vector<Args>{{"BLPOP", "none", timeout},
                                                 {"BRPOPLPUSH", "none", "dst", timeout},
                                                 {"BZPOPMIN", "none", timeout},
                                                 {"BLMPOP", timeout, "1", "none", "LEFT"}}) {
      CHECK_MESSAGE(ExactCall(pair.kvd(), command) == ExactCall(pair.reference(), command), Joined(command));
    }
  }
  // The MPOP family reads numkeys, the side, COUNT and (blocking) the timeout, in that order.
  for (const Args& command : std::vector<Args>{{"BLMPOP", "x", "0", "none", "LEFT"},
                                               {"BLMPOP", "x", "1", "none", "LEFT", "COUNT", "0"},
                                               {"BLMPOP", "x", "1", "none", "UP"},
                                               {"BLMPOP", "x", "1", "none", "LEFT"},
                                               {"BZMPOP", "x", "2", "none", "MIN"},
                                               {"BZMPOP", "x", "1", "none", "MAX", "COUNT", "-1"},
                                               {"BZMPOP", "x", "1", "none", "MAX"},
                                               {"BLMPOP", "0.01", "1", "none", "UP", "COUNT", "x"},
                                               {"LMPOP", "1", "none", "UP", "COUNT", "x"},
                                               {"ZMPOP", "1", "none", "UP", "COUNT", "0"},
                                               {"LMPOP", "1", "none", "LEFT", "COUNT", "2", "COUNT", "2"},
                                               {"ZMPOP", "1", "none", "MIN", "COUNT"},
                                               {"ZMPOP", "0", "none", "MIN"}}) {
    CHECK_MESSAGE(ExactCall(pair.kvd(), command) == ExactCall(pair.reference(), command), Joined(command));
  }
}

TEST_CASE("lists: random commands answer as redis-server does") {
  SideBySide pair;
  if (!pair.ready()) return;
  RespClient& c = pair.kvd();
  RespClient& reference = pair.reference();
  std::mt19937 random(20240607);
  auto whole_lists_agree = [&](int step) {
    if (step % 100 != 0) return;
    for (const char* key : {"l1", "l2"}) {
      CHECK(ExactCall(c, {"LRANGE", key, "0", "-1"}) == ExactCall(reference, {"LRANGE", key, "0", "-1"}));
    }
  };
  CompareWithReference(reference, c, {4000, [&] { return RandomListCommand(random); }, {}, whole_lists_agree});
}

}  // namespace kvdtest
