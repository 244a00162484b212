// OBJECT and MEMORY through the socket: Redis 7.0's answers for the same values.
#include <doctest/doctest.h>

#include <climits>
#include <string>

#include "harness.h"

namespace kvdtest {

TEST_CASE("introspection: OBJECT ENCODING gives Redis 7.0's encoding for each kind of value") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Simple(c, {"SET", "int", "123"}) == "OK");
  CHECK(Simple(c, {"SET", "padded", "0123"}) == "OK");
  CHECK(Simple(c, {"SET", "long", std::string(50, 'a')}) == "OK");
  CHECK(Int(c, {"HSET", "small-hash", "a", "1", "b", "2"}) == 2);
  CHECK(Int(c, {"HSET", "wide-hash", "a", std::string(70, 'v')}) == 1);
  CHECK(Int(c, {"RPUSH", "list", "a", "b"}) == 2);
  CHECK(Int(c, {"SADD", "ints", "1", "2", "-3"}) == 3);
  CHECK(Int(c, {"SADD", "words", "a", "b"}) == 2);
  CHECK(Int(c, {"ZADD", "small-zset", "1", "a"}) == 1);
  std::vector<std::string> zadd{"ZADD", "big-zset"};
  for (int i = 0; i < 129; ++i) {  // one past the listpack limit
    zadd.push_back(std::to_string(i));
    zadd.push_back("m" + std::to_string(i));
  }
  CHECK(Int(c, zadd) == 129);

  CHECK(Bulk(c, {"OBJECT", "ENCODING", "int"}) == "int");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "padded"}) == "embstr");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "long"}) == "raw");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "small-hash"}) == "listpack");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "wide-hash"}) == "hashtable");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "list"}) == "quicklist");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "ints"}) == "intset");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "words"}) == "hashtable");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "small-zset"}) == "listpack");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "big-zset"}) == "skiplist");
  CHECK(Bulk(c, {"OBJECT", "ENCODING", "missing"}) == "<nil>");

  CHECK(Simple(c, {"SET", "shared", "5"}) == "OK");
  CHECK(Int(c, {"OBJECT", "REFCOUNT", "shared"}) == INT_MAX);
  CHECK(Int(c, {"OBJECT", "REFCOUNT", "small-hash"}) == 1);
  CHECK(Int(c, {"OBJECT", "IDLETIME", "int"}) == 0);
  CHECK(Err(c, {"OBJECT", "FREQ", "int"}).rfind("ERR An LFU maxmemory policy is not selected", 0) == 0);
  CHECK(Err(c, {"OBJECT", "ENCODING"}) == "ERR wrong number of arguments for 'object|encoding' command");
  CHECK(Err(c, {"OBJECT", "nope", "x"}) == "ERR unknown subcommand 'nope'. Try OBJECT HELP.");
  CHECK(Call(c, {"OBJECT", "HELP"}).elements.size() > 2);
  CHECK(Err(c, {"OBJECT", "HELP", "x"}) == "ERR wrong number of arguments for 'object|help' command");
  CHECK(Err(c, {"OBJECT"}) == "ERR wrong number of arguments for 'object' command");
}

TEST_CASE("introspection: MEMORY USAGE grows with the value and samples collections") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Simple(c, {"SET", "short", "x"}) == "OK");
  CHECK(Simple(c, {"SET", "long", std::string(1000, 'x')}) == "OK");
  int64_t short_bytes = Int(c, {"MEMORY", "USAGE", "short"});
  int64_t long_bytes = Int(c, {"MEMORY", "USAGE", "long"});
  CHECK(short_bytes > 0);
  CHECK(long_bytes - short_bytes >= 990);  // the 999 more value bytes, give or take their length's encoding
  CHECK(long_bytes - short_bytes <= 1010);

  std::vector<std::string> hset{"HSET", "hash"};
  for (int i = 0; i < 100; ++i) {
    hset.push_back("field" + std::to_string(i));
    hset.push_back(std::string(20, 'v'));
  }
  CHECK(Int(c, hset) == 100);
  int64_t sampled = Int(c, {"MEMORY", "USAGE", "hash"});
  int64_t all = Int(c, {"MEMORY", "USAGE", "hash", "SAMPLES", "0"});
  CHECK(all > 100 * 20);  // every element's value at least
  CHECK(sampled > 100 * 20);
  CHECK(Bulk(c, {"MEMORY", "USAGE", "missing"}) == "<nil>");
  CHECK(Err(c, {"MEMORY", "USAGE", "hash", "SAMPLES", "-1"}) == "ERR syntax error");
  CHECK(Err(c, {"MEMORY", "USAGE", "hash", "SAMPLES", "x"}) == "ERR value is not an integer or out of range");
  CHECK(Err(c, {"MEMORY", "USAGE"}) == "ERR wrong number of arguments for 'memory|usage' command");
  CHECK(Err(c, {"MEMORY", "nope"}) == "ERR unknown subcommand 'nope'. Try MEMORY HELP.");
  CHECK(Err(c, {"MEMORY", "HELP", "x"}) == "ERR wrong number of arguments for 'memory|help' command");
}

}  // namespace kvdtest
