// SORT and SORT_RO against a real redis-server: random option combinations
// over lists, sets and sorted sets with weights in strings and hashes.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

// The same data on both servers. Every element has a distinct u_ and h_
// weight, so ALPHA BY never meets two different elements with equal weights
// (their order is unspecified in Redis); numeric ties are broken by the
// element itself, so w_ may repeat and miss.
std::vector<Args> Dataset() {
  std::vector<Args> commands = {
      {"RPUSH", "L", "3", "10", "1", "01", "2.5", "-4", "10", "inf", "1e3", " 7", "0x10", ""},
      {"SADD", "S", "5", "3", "9", "1", "-2", "10", "4.5"},
      {"ZADD", "Z", "1", "c", "2", "a", "3", "b", "2", "d", "0", "10"},
      {"RPUSH", "A", "pear", "apple", "fig", "apple", "Banana", "kiwi", "10", "9"},
      {"SET", "str", "text"},
  };
  std::vector<std::string> elements = {"3", "10", "1", "01", "2.5", "-4", "inf", "1e3", " 7", "0x10", "", "5", "9",
                                       "-2", "4.5", "c", "a", "b", "d", "pear", "apple", "fig", "Banana", "kiwi"};
  for (size_t i = 0; i < elements.size(); ++i) {
    const std::string& e = elements[i];
    if (i % 4 != 3) commands.push_back({"SET", "w_" + e, std::to_string((i * 7) % 5)});  // repeats, some missing
    commands.push_back({"SET", "u_" + e, "u" + std::to_string(100 + (i * 37) % elements.size())});
    commands.push_back({"HSET", "h_" + e, "f", std::to_string(1000 - i * 3), "name", "n" + e});
  }
  return commands;
}

class RandomSorts {
 public:
  explicit RandomSorts(uint32_t seed) : random_(seed) {}

  Args Next() {
    if (Pick(6) == 0) return {"LRANGE", "dst", "0", "-1"};
    std::string key = OneOf({"L", "S", "Z", "A", "missing", "str"});
    bool read_only = Pick(4) == 0;
    Args command = {read_only ? "SORT_RO" : "SORT", key};
    bool alpha = Pick(3) == 0;
    bool store = !read_only && Pick(4) == 0;
    std::string by;
    switch (Pick(4)) {
      case 0: break;
      case 1: by = alpha ? OneOf({"u_*", "h_*->f"}) : OneOf({"w_*", "h_*->f", "missing_*"}); break;
      case 2: by = "nosort"; break;
      default: by = alpha ? "u_*" : "w_*"; break;
    }
    // An unsorted set comes out in each server's own iteration order.
    if (by == "nosort" && key == "S" && !store) by = alpha ? "u_*" : "w_*";
    if (!by.empty()) command.insert(command.end(), {"BY", by});
    if (Pick(3) == 0) {
      command.insert(command.end(), {"LIMIT", OneOf({"0", "1", "-3", "5", "20", "x", "9223372036854775807"}),
                                     OneOf({"1", "3", "-1", "0", "100", "9223372036854775807"})});
    }
    for (int gets = Pick(4) == 0 ? 1 + Pick(3) : 0; gets > 0; --gets) {
      command.insert(command.end(), {"GET", OneOf({"#", "w_*", "u_*", "h_*->name", "h_*->", "nope", "h_*->missing"})});
    }
    if (Pick(2) == 0) command.push_back(OneOf({"ASC", "DESC", "desc"}));
    if (alpha) command.push_back("ALPHA");
    if (store) command.insert(command.end(), {"STORE", "dst"});
    if (Pick(30) == 0) command.push_back(OneOf({"BAD", "LIMIT", "STORE"}));
    return command;
  }

 private:
  int Pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }
  std::string OneOf(std::initializer_list<const char*> choices) { return *(choices.begin() + Pick(choices.size())); }
  std::mt19937 random_;
};

}  // namespace

TEST_CASE("sort: random SORT and SORT_RO commands answer as redis-server does") {
  SideBySide pair;
  if (!pair.ready()) return;
  for (const Args& command : Dataset()) {
    RespValue expected = Call(pair.reference(), command);
    REQUIRE(!expected.IsError());
    REQUIRE(Exact(Call(pair.kvd(), command)) == Exact(expected));
  }
  RandomSorts sorts(20261127);
  CompareWithReference(pair.reference(), pair.kvd(), {2000, [&] { return sorts.Next(); }, {}, {}});
}

TEST_CASE("sort: STORE writes a list over any type and an empty result deletes it") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Int(c, {"RPUSH", "src", "3", "1", "2"}) == 3);
  CHECK(Int(c, {"HSET", "dst", "f", "v"}) == 1);
  CHECK(Int(c, {"SORT", "src", "STORE", "dst"}) == 3);
  CHECK(Simple(c, {"TYPE", "dst"}) == "list");
  CHECK(Call(c, {"LRANGE", "dst", "0", "-1"}).ToString() == "[1, 2, 3]");
  CHECK(Int(c, {"SORT", "src", "GET", "nothing_*", "STORE", "dst"}) == 3);  // missing values stored as ""
  CHECK(Call(c, {"LINDEX", "dst", "0"}).str.empty());
  CHECK(Int(c, {"SORT", "nosuchkey", "STORE", "dst"}) == 0);
  CHECK(Int(c, {"EXISTS", "dst"}) == 0);
  CHECK(Err(c, {"SORT_RO", "src", "STORE", "dst"}) == "ERR syntax error");
  CHECK(Err(c, {"SORT", "src", "LIMIT", "0", "x"}) == "ERR value is not an integer or out of range");
  CHECK(Int(c, {"RPUSH", "words", "b", "a"}) == 2);
  CHECK(Err(c, {"SORT", "words"}) == "ERR One or more scores can't be converted into double");
  CHECK(Call(c, {"SORT", "words", "ALPHA"}).ToString() == "[a, b]");
  // A count up to INT64_MAX takes the rest of the list (start + count must not overflow).
  CHECK(Call(c, {"SORT", "src", "LIMIT", "1", "9223372036854775807"}).ToString() == "[2, 3]");
  CHECK(Call(c, {"SORT", "src", "LIMIT", "9223372036854775807", "9223372036854775807"}).ToString() == "[]");
}

}  // namespace kvdtest
