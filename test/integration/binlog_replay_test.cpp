// The binlog replays to the same dataset: thousands of random writes of every
// type (with expiries the server carries out, SPOP, blocking pops, MULTI/EXEC,
// FLUSHDB, RENAME, several databases) on one server; `kvd binlog --format resp`
// piped into a fresh server must rebuild every key, type, value and expiry.
//
// Keys that expire before the replay are only ever SET with a short TTL
// ("e*"): a replay target expires keys by its own clock, so a command that
// read a key while its TTL was still running can find it gone when replayed
// later (see README, "Binlog"; replication applies the exact batches instead).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "harness.h"

namespace kvdtest {
namespace {

class RandomWrites {
 public:
  explicit RandomWrites(unsigned seed) : random_(seed) {}

  Args Next() {
    std::string k = Key();
    std::string v = std::to_string(Pick(1000));
    switch (Pick(30)) {
      case 0: return {"SET", k, v};
      case 1: return {"SET", "e" + std::to_string(Pick(10)), v, "PX", std::to_string(1 + Pick(40))};
      case 2: return {"SET", k, v, "EX", "1000"};
      case 3: return {"INCRBY", k, v};
      case 4: return {"APPEND", k, v};
      case 5: return {"DEL", k, Key()};
      case 6: return {"PEXPIRE", k, std::to_string(100'000 + Pick(40))};
      case 7: return {"EXPIRE", k, "500"};
      case 8: return {"PERSIST", k};
      case 9: return {"RENAME", k, Key()};
      case 10: return {"HSET", k, "f" + std::to_string(Pick(8)), v};
      case 11: return {"HDEL", k, "f" + std::to_string(Pick(8))};
      case 12: return {"HINCRBYFLOAT", k, "f" + std::to_string(Pick(8)), "0.25"};
      case 13: return {"LPUSH", k, v, v + "x"};
      case 14: return {"RPOP", k};
      case 15: return {"LSET", k, "0", v};
      case 16: return {"SADD", k, v, std::to_string(Pick(20))};
      case 17: return {"SPOP", k};
      case 18: return {"SPOP", k, "2"};
      case 19: return {"SMOVE", k, Key(), std::to_string(Pick(20))};
      case 20: return {"ZADD", k, std::to_string(Pick(100)), "m" + std::to_string(Pick(10))};
      case 21: return {"ZINCRBY", k, "1.5", "m" + std::to_string(Pick(10))};
      case 22: return {"ZPOPMIN", k};
      case 23: return {"BLPOP", k, Key(), "0.01"};
      case 24: return {"BZPOPMAX", k, "0.01"};
      case 25: return {"SELECT", std::to_string(Pick(3))};
      case 26: return {"COPY", k, Key(), "REPLACE"};
      case 27: return {"GETEX", k, "PX", std::to_string(200'000 + Pick(40))};
      case 28: return {"LMOVE", k, Key(), "LEFT", "RIGHT"};
      default: return Pick(20) == 0 ? Args{"FLUSHDB"} : Args{"ZREM", k, "m" + std::to_string(Pick(10))};
    }
  }
  uint32_t Pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(random_); }

 private:
  std::string Key() { return "k" + std::to_string(Pick(12)); }
  std::mt19937 random_;
};

// Every key of the first databases, with its type, value and absolute expiry.
std::map<std::string, std::string> Snapshot(RespClient& c, int databases) {
  std::map<std::string, std::string> all;
  for (int db = 0; db < databases; ++db) {
    REQUIRE(Simple(c, {"SELECT", std::to_string(db)}) == "OK");
    for (const std::string& key : Strings(c, {"KEYS", "*"})) {
      std::string type = Simple(c, {"TYPE", key});
      std::vector<std::string> value;
      if (type == "string") value = {Bulk(c, {"GET", key})};
      if (type == "hash") value = Strings(c, {"HGETALL", key});
      if (type == "list") value = Strings(c, {"LRANGE", key, "0", "-1"});
      if (type == "set") value = Strings(c, {"SMEMBERS", key});
      if (type == "zset") value = Strings(c, {"ZRANGE", key, "0", "-1", "WITHSCORES"});
      if (type == "set" || type == "hash") std::sort(value.begin(), value.end());
      std::string text = type + " expire=" + std::to_string(Int(c, {"PEXPIRETIME", key})) + ":";
      for (const auto& part : value) text += " " + part;
      all[std::to_string(db) + "/" + key] = text;
    }
  }
  return all;
}

TEST_CASE("binlog: a replay of the binlog onto an empty server gives the same dataset") {
  if (!HaveRedisCli()) {
    MESSAGE("redis-cli is not installed (apt-get install redis-tools); skipping");
    return;
  }
  std::random_device device;
  const char* fixed_seed = std::getenv("KVD_TEST_SEED");  // replays a failing run's operations
  unsigned seed = fixed_seed != nullptr ? static_cast<unsigned>(std::stoul(fixed_seed)) : device();
  INFO("seed " << seed);
  RandomWrites writes(seed);

  KvdServer original;
  REQUIRE(original.Start());
  auto c = original.Connect();
  for (int i = 0; i < 3000; ++i) {
    Args command = writes.Next();
    if (writes.Pick(25) == 0) {  // a transaction of this and the next command
      REQUIRE(Simple(*c, {"MULTI"}) == "OK");
      Call(*c, command);
      Call(*c, writes.Next());
      Call(*c, {"EXEC"});
    } else {
      Call(*c, command);
    }
  }
  // Let the short expiries pass, and the server delete some of them itself, so
  // that its own DELs are in the binlog too.
  auto short_lived_gone = [&] {
    for (int db = 0; db < 3; ++db) {
      if (Simple(*c, {"SELECT", std::to_string(db)}) != "OK" || !Strings(*c, {"KEYS", "e*"}).empty()) return false;
    }
    return true;
  };
  REQUIRE(WaitFor(short_lived_gone, 30s));
  REQUIRE(WaitFor([&] { return InfoInt(*c, "stats", "expired_keys") > 0; }, 30s));
  std::map<std::string, std::string> expected = Snapshot(*c, 3);
  REQUIRE(original.Stop() == 0);

  TempDir temp;
  std::string resp_path = temp.path() + "/binlog.resp";
  int status = 0;
  RunShell(ShellQuote(KvdBinary()) + " binlog --dir " + ShellQuote(original.data_dir()) + " --format resp > " +
               ShellQuote(resp_path),
           &status);
  REQUIRE(status == 0);

  KvdServer fresh;
  REQUIRE(fresh.Start());
  std::string piped = RunRedisCli(fresh.port(), {"--pipe"}, &status, resp_path);
  CHECK(status == 0);
  CHECK_MESSAGE(piped.find("errors: 0") != std::string::npos, piped);
  auto replayed = fresh.Connect();
  std::map<std::string, std::string> actual = Snapshot(*replayed, 3);
  CHECK(actual.size() == expected.size());
  for (const auto& [key, text] : expected) {
    auto found = actual.find(key);
    CHECK_MESSAGE(found != actual.end(), "missing after replay: " << key << " " << text);
    if (found != actual.end()) CHECK_MESSAGE(found->second == text, key);
  }
}

}  // namespace
}  // namespace kvdtest
