// DUMP and RESTORE: values of every type move between kvd servers and to and
// from a real redis-server, with Redis's options, checks and error texts.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

using namespace std::string_literals;

// What a key holds, read the same way on any server: type, then contents in a fixed order.
std::string Contents(RespClient& client, const std::string& key) {
  std::string type = Simple(client, {"TYPE", key});
  std::vector<std::string> items;
  if (type == "string") items = {Bulk(client, {"GET", key})};
  if (type == "list") items = Strings(client, {"LRANGE", key, "0", "-1"});
  if (type == "set") {
    // Sorted here, by bytes: SORT ALPHA compares C strings, so members with NUL bytes may tie.
    items = Strings(client, {"SMEMBERS", key});
    std::sort(items.begin(), items.end());
  }
  if (type == "hash") {
    auto pairs = Strings(client, {"HGETALL", key});
    std::vector<std::pair<std::string, std::string>> sorted;
    for (size_t i = 0; i + 1 < pairs.size(); i += 2) sorted.emplace_back(pairs[i], pairs[i + 1]);
    std::sort(sorted.begin(), sorted.end());
    for (auto& [field, value] : sorted) items.push_back(field + "=" + value);
  }
  if (type == "zset") items = Strings(client, {"ZRANGE", key, "0", "-1", "WITHSCORES"});
  std::string text = type + ":";
  for (const auto& item : items) text += item + ",";
  return text;
}

// Values of every type in the shapes Redis encodes differently: small and
// large (listpack, intset or hashtable; several quicklist nodes), integers,
// binary bytes, long compressible strings, infinite scores.
std::vector<Args> Dataset() {
  std::vector<Args> commands = {
      {"SET", "str", "hello"},
      {"SET", "int", "-12345"},
      {"SET", "bigint", "9000000000"},
      {"SET", "binary", "a\0b\r\n\xff"s},
      {"SET", "empty", ""},
      {"SET", "long", std::string(5000, 'z')},
      {"RPUSH", "list", "a", "1", "-5", "300", "70000", "5000000", "-9000000000", std::string(100, 'y')},
      {"SADD", "intset", "1", "2", "3", "-40000", "9000000000"},
      {"SADD", "strset", "a", "b", std::string(80, 'c')},
      {"HSET", "hash", "f", "v", "g", "12", "", "empty field"},
      {"HSET", "bighash", "f", std::string(100, 'v')},
      {"ZADD", "zset", "1.5", "a", "2", "b", "-inf", "c", "inf", "d"},
      {"ZADD", "bigzset", "0.1", std::string(100, 'm'), "3", "n"},
  };
  Args many_list = {"RPUSH", "biglist"};
  Args many_set = {"SADD", "manyset"};
  Args many_hash = {"HSET", "manyhash"};
  Args many_zset = {"ZADD", "manyzset"};
  for (int i = 0; i < 3000; ++i) {
    many_list.push_back("element-" + std::to_string(i % 500));
    many_set.push_back("member-" + std::to_string(i));
    many_hash.push_back("field-" + std::to_string(i));
    many_hash.push_back(std::to_string(i * 7));
    many_zset.push_back(std::to_string(i % 97) + ".25");
    many_zset.push_back("z-" + std::to_string(i));
  }
  for (Args* many : {&many_list, &many_set, &many_hash, &many_zset}) commands.push_back(*many);
  return commands;
}

std::vector<std::string> DatasetKeys() {
  std::vector<std::string> keys;
  for (const auto& command : Dataset()) keys.push_back(command[1]);
  return keys;
}

// DUMPs every dataset key on `from` and RESTOREs it on `to` under the same name.
void Copy(RespClient& from, RespClient& to) {
  for (const auto& key : DatasetKeys()) {
    RespValue payload = Call(from, {"DUMP", key});
    REQUIRE_MESSAGE(payload.type == RespValue::Type::kBulk, key);
    RespValue restored = Call(to, {"RESTORE", key, "0", payload.str, "REPLACE"});
    CHECK_MESSAGE(restored.ToString() == "OK", (key + ": " + restored.ToString()));
  }
}

}  // namespace

TEST_CASE("dump/restore: every type round-trips within kvd, with its TTL") {
  ServerWithClient s;
  RespClient& c = *s.client;
  for (const auto& command : Dataset()) REQUIRE(!Call(c, command).IsError());
  for (const auto& key : DatasetKeys()) {
    std::string payload = Bulk(c, {"DUMP", key});
    std::string copy = key + ":copy";
    REQUIRE(Simple(c, {"RESTORE", copy, "0", payload}) == "OK");
    CHECK(Contents(c, copy) == Contents(c, key));
    CHECK(Int(c, {"PTTL", copy}) == -1);
  }
  CHECK(Call(c, {"DUMP", "missing"}).IsNull());

  std::string payload = Bulk(c, {"DUMP", "hash"});
  REQUIRE(Simple(c, {"RESTORE", "with-ttl", "100000", payload}) == "OK");
  int64_t ttl = Int(c, {"PTTL", "with-ttl"});
  CHECK(ttl > 0);
  CHECK(ttl <= 100000);
  REQUIRE(Simple(c, {"RESTORE", "abs-ttl", "4102444800000", payload, "ABSTTL"}) == "OK");
  CHECK(Int(c, {"PEXPIRETIME", "abs-ttl"}) == 4102444800000);
  // A time already past: nothing is created, and REPLACE still deletes what was there.
  CHECK(Simple(c, {"RESTORE", "gone", "1", payload, "ABSTTL"}) == "OK");
  CHECK(Int(c, {"EXISTS", "gone"}) == 0);
  REQUIRE(Simple(c, {"SET", "old", "x"}) == "OK");
  CHECK(Simple(c, {"RESTORE", "old", "1", payload, "ABSTTL", "REPLACE"}) == "OK");
  CHECK(Int(c, {"EXISTS", "old"}) == 0);

  // REPLACE over another type leaves only the restored value (no stale members).
  REQUIRE(Int(c, {"SADD", "target", "stale1", "stale2"}) == 2);
  CHECK(Err(c, {"RESTORE", "target", "0", payload}) == "BUSYKEY Target key name already exists.");
  CHECK(Simple(c, {"RESTORE", "target", "0", payload, "REPLACE", "IDLETIME", "10"}) == "OK");
  CHECK(Contents(c, "target") == Contents(c, "hash"));
  CHECK(Simple(c, {"RESTORE", "target", "0", Bulk(c, {"DUMP", "str"}), "REPLACE", "FREQ", "5"}) == "OK");
  CHECK(Bulk(c, {"GET", "target"}) == "hello");

  // Inside MULTI, and survived by a restart.
  std::string zset = Bulk(c, {"DUMP", "zset"});
  REQUIRE(Simple(c, {"MULTI"}) == "OK");
  REQUIRE(Simple(c, {"RESTORE", "in-multi", "0", zset}) == "QUEUED");
  RespValue exec = Call(c, {"EXEC"});
  REQUIRE(exec.elements.size() == 1);
  CHECK(exec.elements[0].ToString() == "OK");
  // A value deleted earlier in the same transaction stays deleted for RESTORE
  // (it once saw the database under the transaction and revived the old members).
  REQUIRE(Int(c, {"SADD", "revived", "old1", "old2"}) == 2);
  std::string one_member = Bulk(c, {"DUMP", "strset"});
  REQUIRE(Simple(c, {"MULTI"}) == "OK");
  REQUIRE(Simple(c, {"DEL", "revived"}) == "QUEUED");
  REQUIRE(Simple(c, {"RESTORE", "revived", "0", one_member}) == "QUEUED");
  REQUIRE(Simple(c, {"SADD", "revived", "later"}) == "QUEUED");
  REQUIRE(Call(c, {"EXEC"}).elements.size() == 3);
  std::vector<std::string> expected = {"later"};
  for (const auto& member : Strings(c, {"SMEMBERS", "strset"})) expected.push_back(member);
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> members = Strings(c, {"SMEMBERS", "revived"});
  std::sort(members.begin(), members.end());
  CHECK(members == expected);
  std::string before = Contents(c, "in-multi");
  REQUIRE(s.server.Restart());
  auto again = s.server.Connect();
  CHECK(Contents(*again, "in-multi") == before);
  CHECK(Contents(*again, "target") == "string:hello,");
}

TEST_CASE("dump/restore: RESTORE refuses bad options and payloads as Redis does") {
  SideBySide pair;
  if (!pair.ready()) return;
  for (RespClient* client : {&pair.kvd(), &pair.reference()}) {
    REQUIRE(ExactCall(*client, {"SET", "exists", "1"}) == "+OK");
    REQUIRE(ExactCall(*client, {"RPUSH", "list", "a", "b"}) == ":2");
  }
  std::string good = Bulk(pair.reference(), {"DUMP", "list"});
  std::string corrupted = good;
  corrupted[3] ^= 0x20;
  std::string newer = good;
  newer[newer.size() - 10] = 99;
  const std::vector<Args> commands = {
      {"RESTORE", "k", "0", "garbage"},
      {"RESTORE", "k", "0", ""},
      {"RESTORE", "k", "0", corrupted},
      {"RESTORE", "k", "0", newer},
      {"RESTORE", "exists", "0", good},
      {"RESTORE", "exists", "-1", good},
      {"RESTORE", "k", "-1", good},
      {"RESTORE", "k", "x", good},
      {"RESTORE", "k", "0", good, "BOGUS"},
      {"RESTORE", "k", "0", good, "IDLETIME"},
      {"RESTORE", "k", "0", good, "IDLETIME", "-1"},
      {"RESTORE", "k", "0", good, "IDLETIME", "x"},
      {"RESTORE", "k", "0", good, "FREQ", "256"},
      {"RESTORE", "k", "0", good, "FREQ", "-1"},
      {"RESTORE", "k", "0", good, "FREQ", "3", "IDLETIME", "3"},
      {"RESTORE", "k", "0", good, "IDLETIME", "3", "FREQ", "3"},
      {"RESTORE", "k", "0"},
      {"DUMP"},
      {"DUMP", "a", "b"},
      {"RESTORE", "k", "0", good, "IDLETIME", "3"},
      {"LRANGE", "k", "0", "-1"},
      {"RESTORE", "exists", "0", good, "REPLACE"},
      {"TYPE", "exists"},
      {"DUMP", "missing"},
  };
  for (const auto& command : commands) {
    CHECK_MESSAGE(ExactCall(pair.kvd(), command) == ExactCall(pair.reference(), command), Joined(command));
  }
}

TEST_CASE("dump/restore: values move from redis-server to kvd and back unchanged") {
  SideBySide pair;
  if (!pair.ready()) return;
  for (const auto& command : Dataset()) REQUIRE(!Call(pair.reference(), command).IsError());
  Copy(pair.reference(), pair.kvd());
  for (const auto& key : DatasetKeys()) CHECK_MESSAGE(Contents(pair.kvd(), key) == Contents(pair.reference(), key), key);
  // Back again, over changed values, with REPLACE.
  for (const auto& key : DatasetKeys()) REQUIRE(Int(pair.reference(), {"DEL", key}) == 1);
  REQUIRE(Simple(pair.reference(), {"SET", "str", "changed"}) == "OK");
  Copy(pair.kvd(), pair.reference());
  for (const auto& key : DatasetKeys()) CHECK_MESSAGE(Contents(pair.kvd(), key) == Contents(pair.reference(), key), key);
}


namespace {

// Random values in every shape Redis packs differently: integers of every
// listpack and intset width, strings of every length class (some
// compressible, some not), collections around the listpack limits, lists of
// several quicklist nodes, and scores that are integers, fractions or infinite.
class RandomValues {
 public:
  explicit RandomValues(uint32_t seed) : random_(seed) {}

  Args Next(const std::string& key) {
    switch (Pick(5)) {
      case 0: return {"SET", key, Element()};
      case 1: return Fill({"RPUSH", key}, 1 + Pick(Pick(4) == 0 ? 3000 : 40), false);
      case 2: return Fill({"SADD", key}, 1 + Pick(Pick(4) == 0 ? 700 : 140), false);
      case 3: return Fill({"HSET", key}, 1 + Pick(Pick(4) == 0 ? 400 : 140), true);
      default: {
        Args command = {"ZADD", key};
        for (int n = 1 + Pick(Pick(4) == 0 ? 400 : 140); n > 0; --n) {
          command.push_back(Score());
          command.push_back(Element());
        }
        return command;
      }
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }
  Args Fill(Args command, int count, bool pairs) {
    for (int i = 0; i < count; ++i) {
      command.push_back(Element());
      if (pairs) command.push_back(Element());
    }
    return command;
  }
  std::string Element() {
    static const int64_t kIntegers[] = {0,      12,       127,        128,         -1,          4095,        -4096,
                                        32767,  -32768,   8388607,    -8388608,    2147483647,  -2147483648LL,
                                        4294967296LL, INT64_MAX, INT64_MIN};
    switch (Pick(6)) {
      case 0: {
        int64_t value = kIntegers[Pick(16)];
        int64_t nudged = 0;  // one either side of a width's limit, where it does not overflow
        return std::to_string(__builtin_add_overflow(value, Pick(3) - 1, &nudged) ? value : nudged);
      }
      case 1: return std::to_string(static_cast<int64_t>(random_()) - (int64_t{1} << 31));
      case 2: return std::string(static_cast<size_t>(Pick(5000)), static_cast<char>('a' + Pick(26)));  // compressible
      case 3: {
        std::string text(static_cast<size_t>(Pick(Pick(3) == 0 ? 5000 : 70)), ' ');
        for (char& c : text) c = static_cast<char>(random_());  // binary, barely compressible
        return text;
      }
      default: return "e" + std::to_string(Pick(1000));
    }
  }
  std::string Score() {
    switch (Pick(5)) {
      case 0: return std::to_string(Pick(1000) - 500);
      case 1: return Pick(2) == 0 ? "inf" : "-inf";
      case 2: return std::to_string(static_cast<int64_t>(random_()) * 1000);
      default: return std::to_string(Pick(100000)) + "." + std::to_string(Pick(1000));
    }
  }
  std::mt19937 random_;
};

}  // namespace

TEST_CASE("dump/restore: random values of every encoding cross between redis-server and kvd intact") {
  SideBySide pair;
  if (!pair.ready()) return;
  RandomValues values(20261128);
  for (int i = 0; i < 300; ++i) {
    std::string key = "k" + std::to_string(i);
    Args command = values.Next(key);
    // Written on one side, DUMPed there, RESTOREd on the other under another name.
    bool from_redis = i % 2 == 0;
    RespClient& source = from_redis ? pair.reference() : pair.kvd();
    RespClient& target = from_redis ? pair.kvd() : pair.reference();
    REQUIRE(!Call(source, command).IsError());
    RespValue payload = Call(source, {"DUMP", key});
    REQUIRE(payload.type == RespValue::Type::kBulk);
    RespValue restored = Call(target, {"RESTORE", key + ":copy", "0", payload.str});
    CHECK_MESSAGE(restored.ToString() == "OK", (Joined({command[0], key}) + ": " + restored.ToString()));
    CHECK_MESSAGE(Contents(target, key + ":copy") == Contents(source, key), Joined({command[0], key}));
  }
}

TEST_CASE("migrate: keys move to redis-server and to another kvd, with TTLs, COPY, REPLACE and KEYS") {
  SideBySide pair;
  if (!pair.ready()) return;
  RespClient& source = pair.kvd();
  RespClient& redis = pair.reference();
  std::string redis_port = std::to_string(pair.redis().port());
  for (const auto& command : Dataset()) REQUIRE(!Call(source, command).IsError());
  REQUIRE(Int(source, {"PEXPIRE", "hash", "100000"}) == 1);

  // Every dataset key to database 2 of redis-server, in one call.
  Args migrate = {"MIGRATE", "127.0.0.1", redis_port, "", "2", "5000", "KEYS"};
  std::map<std::string, std::string> before;
  for (const auto& key : DatasetKeys()) {
    before[key] = Contents(source, key);
    migrate.push_back(key);
  }
  migrate.push_back("missing");
  CHECK(Simple(source, migrate) == "OK");
  REQUIRE(Simple(redis, {"SELECT", "2"}) == "OK");
  for (const auto& key : DatasetKeys()) {
    CHECK_MESSAGE(Contents(redis, key) == before[key], key);
    CHECK(Int(source, {"EXISTS", key}) == 0);
  }
  int64_t ttl = Int(redis, {"PTTL", "hash"});
  CHECK(ttl > 0);
  CHECK(ttl <= 100000);
  CHECK(Int(redis, {"PTTL", "list"}) == -1);

  // COPY keeps the source; without REPLACE an existing target key refuses, and the source stays.
  REQUIRE(Simple(source, {"SET", "str", "local"}) == "OK");
  CHECK(Err(source, {"MIGRATE", "127.0.0.1", redis_port, "str", "2", "5000"}) ==
        "ERR Target instance replied with error: BUSYKEY Target key name already exists.");
  CHECK(Bulk(source, {"GET", "str"}) == "local");
  CHECK(Simple(source, {"MIGRATE", "127.0.0.1", redis_port, "str", "2", "5000", "COPY", "REPLACE"}) == "OK");
  CHECK(Bulk(redis, {"GET", "str"}) == "local");
  CHECK(Bulk(source, {"GET", "str"}) == "local");
  // Of two keys, the one the target refuses stays and the other moves.
  REQUIRE(Simple(source, {"SET", "fresh", "1"}) == "OK");
  CHECK(Err(source, {"MIGRATE", "127.0.0.1", redis_port, "", "2", "5000", "KEYS", "str", "fresh"}) ==
        "ERR Target instance replied with error: BUSYKEY Target key name already exists.");
  CHECK(Int(source, {"EXISTS", "str", "fresh"}) == 1);
  CHECK(Bulk(redis, {"GET", "fresh"}) == "1");

  // redis-server migrating to kvd: kvd answers what Redis's MIGRATE sends.
  REQUIRE(Int(redis, {"RPUSH", "from-redis", "x", "y"}) == 2);
  CHECK(Simple(redis, {"MIGRATE", "localhost", std::to_string(pair.server().port()), "from-redis", "5", "5000"}) ==
        "OK");
  REQUIRE(Simple(source, {"SELECT", "5"}) == "OK");
  CHECK(Strings(source, {"LRANGE", "from-redis", "0", "-1"}) == std::vector<std::string>{"x", "y"});

  // And kvd to kvd, through the password of the target.
  ServerWithClient other({"--requirepass", "secret"});
  REQUIRE(Simple(*other.client, {"AUTH", "secret"}) == "OK");
  std::string other_port = std::to_string(other.server.port());
  CHECK(Err(source, {"MIGRATE", "127.0.0.1", other_port, "from-redis", "0", "5000"}) ==
        "ERR Target instance replied with error: NOAUTH Authentication required.");
  CHECK(Err(source, {"MIGRATE", "127.0.0.1", other_port, "from-redis", "0", "5000", "AUTH", "wrong"}).find(
            "ERR Target instance replied with error: WRONGPASS") == 0);
  CHECK(Int(source, {"EXISTS", "from-redis"}) == 1);
  CHECK(Simple(source, {"MIGRATE", "127.0.0.1", other_port, "from-redis", "0", "5000", "AUTH2", "default",
                        "secret"}) == "OK");
  CHECK(Strings(*other.client, {"LRANGE", "from-redis", "0", "-1"}) == std::vector<std::string>{"x", "y"});
  CHECK(Int(source, {"EXISTS", "from-redis"}) == 0);
}

TEST_CASE("migrate: bad arguments, missing keys and unreachable targets answer as in Redis") {
  SideBySide pair;
  if (!pair.ready()) return;
  for (RespClient* client : {&pair.kvd(), &pair.reference()}) REQUIRE(ExactCall(*client, {"SET", "k", "v"}) == "+OK");
  std::string closed_port = std::to_string(FreePort());
  const std::vector<Args> commands = {
      {"MIGRATE", "127.0.0.1", closed_port, "missing", "0", "100"},
      {"MIGRATE", "127.0.0.1", closed_port, "", "0", "100", "KEYS"},
      {"MIGRATE", "127.0.0.1", closed_port, "", "0", "100", "KEYS", "missing", "other"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0", "100", "KEYS", "k"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "x", "100"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0", "x"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "x", "y"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0", "100", "BOGUS"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0", "100", "AUTH"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0", "100", "AUTH2", "user"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0", "100"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0", "-5", "COPY"},
      {"MIGRATE", "127.0.0.1", closed_port, "k", "0"},
      {"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "0", "AUTH", "KEYS", "KEYS", "a", "b"},
      {"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "0", "COPY"},
      {"GET", "k"},
  };
  for (const auto& command : commands) {
    CHECK_MESSAGE(ExactCall(pair.kvd(), command) == ExactCall(pair.reference(), command), Joined(command));
  }
}

}  // namespace kvdtest
