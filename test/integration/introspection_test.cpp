// OBJECT, MEMORY, SLOWLOG and INFO's commandstats/errorstats through the
// socket: Redis 7.0's answers for the same values and commands.
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <map>
#include <string>

#include "harness.h"
#include "reference_redis.h"

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


namespace {

// INFO commandstats and errorstats without the microseconds (they differ
// between servers), the INFO and CONFIG calls of the test itself left out.
std::vector<std::string> CountsOnly(RespClient& client) {
  std::string text = Call(client, {"INFO", "commandstats", "errorstats"}).str;
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\r\n", start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 2;
    if (line.empty() || line[0] == '#' || line.starts_with("cmdstat_info") || line.starts_with("cmdstat_config")) continue;
    size_t usec = line.find(",usec=");
    if (usec != std::string::npos) line.erase(usec, line.find(",rejected_calls") - usec);
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

TEST_CASE("introspection: INFO commandstats and errorstats count calls, rejections and failures as Redis does") {
  SideBySide pair;
  if (!pair.ready()) return;
  std::vector<Args> commands = {
      {"SET", "s", "1"},          {"GET", "s"},           {"GET"},               {"LPUSH", "s", "x"},
      {"INCR", "s"},              {"INCRBY", "s", "x"},   {"NOSUCH", "a"},       {"HSET", "h", "f"},
      {"MULTI"},                  {"INCR", "s"},          {"LPUSH", "s", "x"},   {"EXEC"},
      {"CLIENT", "NOSUCH"},       {"ZADD", "z", "nan", "m"}, {"SELECT", "99"},   {"EXEC"},
      {"CLIENT", "SETNAME", "a"}, {"CLIENT", "GETNAME", "x"}, {"OBJECT", "ENCODING", "s"},
      {"BLPOP", "empty", "0.01"},  // blocks, then times out: one call
      {"RPUSH", "q", "x"},        {"BLPOP", "q", "1"},
  };
  for (RespClient* client : {&pair.reference(), &pair.kvd()}) {
    REQUIRE(Simple(*client, {"CONFIG", "RESETSTAT"}) == "OK");
    for (const Args& command : commands) Call(*client, command);
  }
  std::vector<std::string> expected = CountsOnly(pair.reference());
  CHECK(CountsOnly(pair.kvd()) == expected);
  CHECK(InfoField(Call(pair.kvd(), {"INFO", "stats"}).str, "total_error_replies") ==
        InfoField(Call(pair.reference(), {"INFO", "stats"}).str, "total_error_replies"));
  // RESETSTAT empties both sections.
  REQUIRE(Simple(pair.kvd(), {"CONFIG", "RESETSTAT"}) == "OK");
  CHECK(CountsOnly(pair.kvd()).empty());
}

TEST_CASE("introspection: SLOWLOG keeps the commands over the threshold, newest first, passwords redacted") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Simple(c, {"CONFIG", "SET", "slowlog-log-slower-than", "0"}) == "OK");
  CHECK(Simple(c, {"SLOWLOG", "RESET"}) == "OK");
  CHECK(Simple(c, {"CLIENT", "SETNAME", "tester"}) == "OK");
  CHECK(Simple(c, {"SET", "k", std::string(300, 'v')}) == "OK");
  CHECK(Err(c, {"AUTH", "secret"}).starts_with("ERR AUTH <password> called without any password configured"));
  RespValue entries = Call(c, {"SLOWLOG", "GET", "3"});
  REQUIRE(entries.elements.size() == 3);
  const RespValue& auth = entries.elements[0];  // newest first
  REQUIRE(auth.elements.size() == 6);
  CHECK(auth.elements[3].elements[0].str == "AUTH");
  CHECK(auth.elements[3].elements[1].str == "(redacted)");
  CHECK(auth.elements[5].str == "tester");
  CHECK(auth.elements[4].str.starts_with("127.0.0.1:"));
  const RespValue& set = entries.elements[1];
  CHECK(set.elements[0].integer + 1 == auth.elements[0].integer);  // ids count up
  CHECK(set.elements[1].integer > 1700000000);                      // unix seconds
  CHECK(set.elements[3].elements[2].str == std::string(128, 'v') + "... (172 more bytes)");
  CHECK(Int(c, {"SLOWLOG", "LEN"}) >= 5);
  CHECK(Err(c, {"SLOWLOG", "GET", "-2"}) == "ERR count should be greater than or equal to -1");
  CHECK(Err(c, {"SLOWLOG", "LEN", "x"}) == "ERR wrong number of arguments for 'slowlog|len' command");

  // slowlog-max-len trims at once; a negative threshold logs nothing.
  CHECK(Simple(c, {"CONFIG", "SET", "slowlog-max-len", "2"}) == "OK");
  CHECK(Int(c, {"SLOWLOG", "LEN"}) == 2);
  CHECK(Simple(c, {"CONFIG", "SET", "slowlog-log-slower-than", "-1"}) == "OK");
  CHECK(Simple(c, {"SLOWLOG", "RESET"}) == "OK");
  CHECK(Simple(c, {"SET", "k", "v"}) == "OK");
  CHECK(Int(c, {"SLOWLOG", "LEN"}) == 0);
  CHECK(Err(c, {"CONFIG", "SET", "slowlog-log-slower-than", "-2"}).starts_with("ERR CONFIG SET failed"));
}

}  // namespace kvdtest

namespace kvdtest {

TEST_CASE("latency: events past the threshold, histograms per command, and Redis's replies when off") {
  SideBySide pair;
  if (!pair.ready()) return;
  const std::vector<Args> off = {{"LATENCY", "LATEST"}, {"LATENCY", "HISTORY", "command"}, {"LATENCY", "RESET"},
                                 {"LATENCY", "GRAPH", "command"}, {"LATENCY", "BOGUS"}, {"LATENCY"},
                                 {"LATENCY", "HISTORY"}, {"CONFIG", "GET", "latency-monitor-threshold"}};
  for (const auto& command : off) {
    CHECK_MESSAGE(ExactCall(pair.kvd(), command) == ExactCall(pair.reference(), command), Joined(command));
  }
  RespClient& c = pair.kvd();
  for (int i = 0; i < 50; ++i) REQUIRE(Simple(c, {"SET", "k", "v"}) == "OK");
  RespValue histogram = Call(c, {"LATENCY", "HISTOGRAM", "SET", "config"});
  std::map<std::string, RespValue> by_name;  // in no particular order, as in Redis
  for (size_t i = 0; i + 1 < histogram.elements.size(); i += 2) by_name[histogram.elements[i].str] = histogram.elements[i + 1];
  REQUIRE(by_name.size() == 2);  // set, and config|get (the CONFIG GET above)
  REQUIRE(by_name.count("config|get") == 1);
  const RespValue& set = by_name["set"];
  REQUIRE(set.elements.size() == 4);
  CHECK(set.elements[0].str == "calls");
  CHECK(set.elements[1].integer == 50);
  const RespValue& buckets = set.elements[3];
  REQUIRE(buckets.elements.size() >= 2);
  CHECK(buckets.elements[buckets.elements.size() - 1].integer == 50);  // cumulative: every call by the last bucket

  // A command that takes milliseconds leaves an event once the monitor is on.
  REQUIRE(Simple(c, {"CONFIG", "SET", "latency-monitor-threshold", "1"}) == "OK");
  Args push = {"RPUSH", "big"};
  for (int i = 0; i < 100000; ++i) push.push_back(std::to_string(i));
  REQUIRE(Int(c, push) == 100000);
  CHECK(WaitFor([&] {
    Call(c, {"LRANGE", "big", "0", "-1"});
    return !Call(c, {"LATENCY", "LATEST"}).elements.empty();
  }, 30s));
  RespValue latest = Call(c, {"LATENCY", "LATEST"});
  REQUIRE(latest.elements[0].elements.size() == 4);
  CHECK(latest.elements[0].elements[2].integer >= 1);
  std::string event = latest.elements[0].elements[0].str;
  CHECK(!Call(c, {"LATENCY", "HISTORY", event}).elements.empty());
  CHECK(Call(c, {"LATENCY", "GRAPH", event}).str.find(event + " - high ") == 0);
  CHECK(Int(c, {"LATENCY", "RESET"}) >= 1);
  CHECK(Call(c, {"LATENCY", "LATEST"}).elements.empty());
}

}  // namespace kvdtest
