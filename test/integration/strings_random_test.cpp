// Strings and keys against a real redis-server: thousands of random commands
// with odd arguments (option mixes, out-of-range numbers, wrong types, wrong
// arity) must get the same replies, errors included, word for word.
#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>
#include <random>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

class RandomStringCommands {
 public:
  explicit RandomStringCommands(uint32_t seed) : random_(seed), now_(std::time(nullptr)) {}

  Args Next() {
    switch (Pick(38)) {
      case 0: return {"GET", Key()};
      case 1: return With({"SET", Key(), Value()}, SetOptions());
      case 2: return {"SETNX", Key(), Value()};
      case 3: return {"SETEX", Key(), RelativeTime(), Value()};
      case 4: return {"MGET", Key(), Key()};
      case 5: return Pick(5) == 0 ? Args{"MSET", Key(), Value(), Key()} : Args{"MSET", Key(), Value(), Key(), Value()};
      case 6: return {"MSETNX", Key(), Value(), Key(), Value()};
      case 7: return {"GETSET", Key(), Value()};
      case 8: return {"GETDEL", Key()};
      case 9: return With({"GETEX", Key()}, GetExOptions());
      case 10: return {OneOf({"INCR", "DECR"}), Key()};
      case 11: return {OneOf({"INCRBY", "DECRBY"}), Key(), Integer()};
      case 12: return {"INCRBYFLOAT", Key(), Pick(2) == 0 ? Value() : Integer()};
      case 13: return {"APPEND", Key(), Value()};
      case 14: return {"STRLEN", Key()};
      case 15: return {"GETRANGE", Key(), Integer(), Integer()};
      case 16: return {"SETRANGE", Key(), OneOf({"0", "1", "5", "-1", "abc", "536870912"}), Value()};
      case 17: return {"SETBIT", Key(), OneOf({"0", "7", "100", "-1", "4294967296", "abc"}), OneOf({"0", "1", "2", "x"})};
      case 18: return {"GETBIT", Key(), OneOf({"0", "7", "100", "-1", "abc"})};
      case 19: return With({"BITCOUNT", Key()}, BitRange());
      case 20: return With({"BITPOS", Key(), OneOf({"0", "1", "2", "x", "01"})}, BitRange());
      case 21: return {OneOf({"DEL", "UNLINK", "EXISTS", "TOUCH"}), Key(), Key()};
      case 22: return {"TYPE", Key()};
      case 23:
        return With({OneOf({"EXPIRE", "PEXPIRE"}), Key(), OneOf({"100000", "0", "-1", "abc", "9223372036854775807"})},
                    ExpireOptions());
      case 24: return With({OneOf({"EXPIREAT", "PEXPIREAT"}), Key(), Time()}, ExpireOptions());
      case 25: return {OneOf({"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}), Key()};
      case 26: return {"PERSIST", Key()};
      case 27: return {OneOf({"RENAME", "RENAMENX"}), Key(), Key()};
      case 28: return With({"COPY", Key(), Key()}, Pick(2) == 0 ? Args{} : Args{"REPLACE"});
      case 29: return {"MOVE", Key(), OneOf({"1", "16", "-1", "abc"})};
      case 30: return {"HSET", Key(), "f", Value()};
      case 31: return {"RPUSH", Key(), Value()};
      case 32: return {"SUBSTR", Key(), Integer(), Integer()};
      case 33:
        return With({"LCS", Key(), Key()}, OneOfArgs({{}, {"LEN"}, {"IDX"}, {"IDX", "WITHMATCHLEN"}, {"IDX", "MINMATCHLEN", "2"},
                                                       {"LEN", "IDX"}, {"MINMATCHLEN", "abc"}, {"MINMATCHLEN"}, {"BAD"}}));
      case 34: {
        Args command = {"BITOP", OneOf({"AND", "OR", "XOR", "NOT", "and", "NAND"}), Key(), Key()};
        for (int more = Pick(3); more > 0; --more) command.push_back(Key());
        return command;
      }
      case 35: return With({"BITFIELD", Key()}, BitfieldOps());
      case 36: return With({"BITFIELD_RO", Key()}, BitfieldOps());
      default:
        return OneOfArgs({{"GET"}, {"SET", "k1"}, {"INCRBY", "k1"}, {"GETRANGE", "k1", "0"}, {"EXPIRE", "k1"},
                          {"MSET", "k1"}, {"SETBIT", "k1", "0"}, {"GETEX"}, {"GET", "a", "b"}, {"BITPOS", "k1"}});
    }
  }

  // TTLs go down while the test runs: a positive one is compared as "some time left".
  static bool CountsDown(const Args& command) {
    for (const char* name : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
      if (command[0] == name) return true;
    }
    return false;
  }

 private:
  int Pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }
  std::string OneOf(std::initializer_list<const char*> choices) { return *(choices.begin() + Pick(choices.size())); }
  Args OneOfArgs(std::initializer_list<Args> choices) { return *(choices.begin() + Pick(choices.size())); }
  static Args With(Args head, const Args& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  }
  std::string Key() { return OneOf({"k1", "k2", "k3", "{t}a", "{t}b", "", "h", "l"}); }
  std::string Value() {
    return OneOf({"", "0", "1", "-1", "10", "3.5", "abc", "9223372036854775807", "-9223372036854775808", "1e3", " 1",
                  "0x10", "inf", "nan", "-inf", "1.5e308", "007", "-0", "+5", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"});
  }
  std::string Integer() {
    return OneOf({"-9223372036854775808", "-100", "-3", "-1", "0", "1", "2", "5", "100", "9223372036854775807",
                  "9223372036854775808", "abc", "1.5", "-0", "+1", " 1", ""});
  }
  // Never a key that expires while the test runs: redis-server and kvd are
  // asked one after the other, and could see it on either side of its end.
  std::string RelativeTime() { return OneOf({"100000", "0", "-5", "abc"}); }
  // An absolute time: long past, far ahead, or not a time.
  std::string Time() {
    switch (Pick(5)) {
      case 0: return "1";
      case 1: return std::to_string(now_ + 1000000);
      case 2: return std::to_string(now_ * 1000 + 100000000);
      default: return OneOf({"-1", "0", "abc", "9223372036854775807"});
    }
  }
  Args SetOptions() {
    Args options;
    for (int n = Pick(4); n > 0; --n) {
      std::string option = OneOf({"EX", "PX", "EXAT", "PXAT", "NX", "XX", "KEEPTTL", "GET", "ex", "BAD"});
      options.push_back(option);
      bool absolute = option == "EXAT" || option == "PXAT";
      bool timed = absolute || option == "EX" || option == "PX" || option == "ex";
      if (timed && Pick(10) != 0) options.push_back(absolute ? Time() : RelativeTime());
    }
    return options;
  }
  Args GetExOptions() {
    return OneOfArgs({{}, {"EX", "100000"}, {"PX", "0"}, {"PERSIST"}, {"EX", "10", "EX", "20"}, {"PERSIST", "PERSIST"},
                      {"EX", "abc", "PERSIST"}, {"PERSIST", "EX", "1"}, {"EX"}, {"BAD"}, {"EXAT", Time()}});
  }
  Args ExpireOptions() {
    return OneOfArgs({{}, {"NX"}, {"XX"}, {"GT"}, {"LT"}, {"NX", "XX"}, {"GT", "LT"}, {"NX", "NX"}, {"BAD"}, {"xx", "gt"}});
  }
  // One to four BITFIELD operations, now and then a malformed one.
  Args BitfieldOps() {
    Args ops;
    for (int count = 1 + Pick(4); count > 0; --count) {
      std::string type = OneOf({"i1", "i5", "i8", "i16", "i63", "i64", "u1", "u3", "u8", "u63", "u64", "x8", "i0"});
      std::string offset = OneOf({"0", "1", "3", "7", "8", "13", "#0", "#1", "#3", "100", "-1", "abc"});
      switch (Pick(9)) {
        case 0: case 1: case 2: ops.insert(ops.end(), {OneOf({"GET", "get"}), type, offset}); break;
        case 3: case 4: ops.insert(ops.end(), {"SET", type, offset, Integer()}); break;
        case 5: case 6: ops.insert(ops.end(), {"INCRBY", type, offset, Integer()}); break;
        case 7: ops.insert(ops.end(), {"OVERFLOW", OneOf({"WRAP", "SAT", "FAIL", "sat", "BAD"})}); break;
        default: ops.push_back(OneOf({"GET", "SET", "BAD"})); break;
      }
    }
    return ops;
  }
  Args BitRange() {
    switch (Pick(5)) {
      case 0: return {};
      case 1: return {Integer()};
      case 2: return {Integer(), Integer()};
      case 3: return {Integer(), Integer(), OneOf({"BYTE", "BIT", "bit", "BAD"})};
      default: return {OneOf({"-1", "-3"}), OneOf({"-100", "-2", "abc"}), OneOf({"BIT", "BAD"}), "extra"};
    }
  }

  std::mt19937 random_;
  int64_t now_;
};

std::string Comparable(const Args& command, const RespValue& reply) {
  if (RandomStringCommands::CountsDown(command) && reply.type == RespValue::Type::kInteger && reply.integer > 0) {
    return ":positive";
  }
  return Exact(reply);
}

// A pattern of the glob corners: classes with '-' and ']' at odd places,
// escapes, stars, and the empty pattern.
std::string RandomGlob(std::mt19937& random) {
  static const std::vector<std::string> pieces = {"a", "b", "-", "]", "[", "*", "?", "^", "\\", "+", "x"};
  std::string pattern;
  for (size_t n = random() % 7; n > 0; --n) pattern += pieces[random() % pieces.size()];
  return pattern;
}

// KEYS, SSCAN and PUBSUB CHANNELS list names in no particular order: compare them sorted.
std::string SortedNames(const Args& command, const RespValue& reply) {
  const RespValue* list = &reply;
  if (command[0] == "SSCAN" && reply.elements.size() == 2) list = &reply.elements[1];
  if (list->type != RespValue::Type::kArray) return Exact(reply);
  std::vector<std::string> names;
  for (const RespValue& name : list->elements) names.push_back(name.str);
  std::sort(names.begin(), names.end());
  return Joined(names);
}

}  // namespace

TEST_CASE("keys: glob patterns match what redis-server matches, the empty name included") {
  SideBySide pair;
  if (!pair.ready()) return;
  std::vector<std::string> names = {"", "a", "b", "-", "]", "[", "*", "+", "ab", "a-", "x]", "^", "\\", "a]b", "[a]", "ba"};
  for (RespClient* client : {&pair.kvd(), &pair.reference()}) {
    for (const std::string& name : names) REQUIRE(ExactCall(*client, {"SET", name, "v"}) == "+OK");
    REQUIRE(ExactCall(*client, {"SADD", "set", "", "a", "-"}) == ":3");
  }
  // Channels for PUBSUB CHANNELS to match, on a subscriber of each server.
  std::vector<std::unique_ptr<RespClient>> subscribers;
  subscribers.push_back(pair.server().Connect());
  subscribers.push_back(pair.redis().Connect());
  for (auto& subscriber : subscribers) {
    REQUIRE(subscriber->SendRaw(kvd::protocol::EncodeCommand({"SUBSCRIBE", "", "a", "-", "x]"})).ok());
    for (int i = 0; i < 4; ++i) REQUIRE(subscriber->ReadReply().ok());
  }
  std::mt19937 random(20261128);
  auto next = [&]() -> Args {
    std::string pattern = RandomGlob(random);
    switch (random() % 4) {
      case 0: return {"SSCAN", "set", "0", "MATCH", pattern, "COUNT", "100"};
      case 1: return {"PUBSUB", "CHANNELS", pattern};
      default: return {"KEYS", pattern};
    }
  };
  CompareWithReference(pair.reference(), pair.kvd(), {3000, next, SortedNames, {}});
}

TEST_CASE("strings and keys: random commands answer as redis-server does") {
  SideBySide pair;
  if (!pair.ready()) return;
  RespClient& c = pair.kvd();
  RespClient& reference = pair.reference();
  RandomStringCommands commands(20261127);
  CompareWithReference(reference, c, {5000, [&] { return commands.Next(); }, Comparable, {}});
  for (const char* key : {"k1", "k2", "k3", "{t}a", "{t}b", "", "h", "l"}) {
    CHECK(ExactCall(c, {"TYPE", key}) == ExactCall(reference, {"TYPE", key}));
    CHECK(ExactCall(c, {"GET", key}) == ExactCall(reference, {"GET", key}));
  }
}

}  // namespace kvdtest
