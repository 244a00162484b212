// Keyspace on a temporary RocksDB: existence, types, expiry, renames, copies,
// iteration, flushes and the expiry sweep, with a manual clock.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/key_count_cache.h"
#include "storage/keyspace.h"
#include "storage/scan_cursors.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using namespace std::string_literals;
using test::Must;
using test::MustOk;

struct KeyspaceFixture : test::EngineFixture {
  std::optional<StringStore> strings{std::in_place, *engine};
  std::optional<Keyspace> keyspace{std::in_place, *engine};

  void Set(std::string_view key, std::string_view value, uint8_t db = 0, uint64_t expire_at_ms = 0) {
    SetOptions options;
    if (expire_at_ms != 0) {
      options.ttl = SetOptions::Ttl::kSetAt;
      options.expire_at_ms = expire_at_ms;
    }
    REQUIRE(Must(strings->Set(db, key, value, options)).written);
  }
  std::optional<std::string> Get(std::string_view key, uint8_t db = 0) { return Must(strings->Get(db, key)); }
  int64_t Pttl(std::string_view key, uint8_t db = 0) { return Must(keyspace->PttlMs(db, key)); }
  int64_t Exists(const std::vector<std::string_view>& keys, uint8_t db = 0) {
    return Must(keyspace->Exists(db, keys));
  }
  std::vector<std::string> SortedKeys(std::string_view pattern, uint8_t db = 0) {
    std::vector<std::string> keys = Must(keyspace->Keys(db, pattern));
    std::sort(keys.begin(), keys.end());
    return keys;
  }
  bool ExpireAt(std::string_view key, int64_t at, ExpireCondition condition = ExpireCondition::kAlways) {
    return Must(keyspace->ExpireAt(0, key, at, condition));
  }
  int64_t Now() const { return static_cast<int64_t>(now()); }
};

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: DEL and EXISTS") {
  Set("a", "1");
  Set("b", "2");
  test::PutCollection(*engine, 0, "h", KeyType::kHash, {{"f", "v"}});
  CHECK(Exists({"a", "b", "h", "missing"}) == 3);
  CHECK(Exists({"a", "a", "a"}) == 3);  // EXISTS counts repeats
  CHECK(Must(keyspace->Delete(0, {"a", "a", "missing"})) == 1);  // DEL does not
  CHECK(Exists({"a"}) == 0);
  CHECK(Must(keyspace->Delete(0, {"b", "h"})) == 2);
  CHECK(Exists({"b", "h"}) == 0);
  CHECK(Must(keyspace->Delete(0, {"b"})) == 0);
  CHECK(Must(keyspace->Delete(0, {})) == 0);

  // An expired key is not counted as deleted, but its record goes.
  Set("t", "x", 0, now() + 10);
  clock.Advance(10);
  size_t records = test::RawMetaRecords(*engine);
  CHECK(Must(keyspace->Delete(0, {"t"})) == 0);
  CHECK(test::RawMetaRecords(*engine) == records - 1);

  // Databases are separate.
  Set("same", "0", 0);
  Set("same", "1", 1);
  CHECK(Must(keyspace->Delete(0, {"same"})) == 1);
  CHECK(Get("same", 1) == "1");
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: TYPE") {
  Set("s", "v");
  test::PutCollection(*engine, 0, "h", KeyType::kHash, {});
  test::PutCollection(*engine, 0, "l", KeyType::kList, {});
  test::PutCollection(*engine, 0, "set", KeyType::kSet, {});
  test::PutCollection(*engine, 0, "z", KeyType::kZSet, {});
  CHECK(Must(keyspace->Type(0, "s")) == KeyType::kString);
  CHECK(Must(keyspace->Type(0, "h")) == KeyType::kHash);
  CHECK(Must(keyspace->Type(0, "l")) == KeyType::kList);
  CHECK(Must(keyspace->Type(0, "set")) == KeyType::kSet);
  CHECK(Must(keyspace->Type(0, "z")) == KeyType::kZSet);
  CHECK(Must(keyspace->Type(0, "none")) == std::nullopt);
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: EXPIREAT, PTTL, EXPIRETIME, PERSIST") {
  CHECK(Pttl("missing") == -2);
  CHECK(Must(keyspace->ExpireTimeMs(0, "missing")) == -2);
  CHECK_FALSE(ExpireAt("missing", Now() + 1000));

  Set("k", "v");
  CHECK(Pttl("k") == -1);
  CHECK(Must(keyspace->ExpireTimeMs(0, "k")) == -1);
  CHECK(ExpireAt("k", Now() + 5000));
  CHECK(Pttl("k") == 5000);
  CHECK(Must(keyspace->ExpireTimeMs(0, "k")) == Now() + 5000);
  clock.Advance(1500);
  CHECK(Pttl("k") == 3500);

  CHECK(Must(keyspace->Persist(0, "k")));
  CHECK(Pttl("k") == -1);
  CHECK_FALSE(Must(keyspace->Persist(0, "k")));
  CHECK_FALSE(Must(keyspace->Persist(0, "missing")));
  CHECK(Get("k") == "v");

  // A time that has come already deletes the key and reports success.
  CHECK(ExpireAt("k", Now()));
  CHECK(Exists({"k"}) == 0);
  CHECK(Pttl("k") == -2);
  Set("k2", "v");
  CHECK(ExpireAt("k2", 1));
  CHECK(Exists({"k2"}) == 0);

  // Expiry of a collection works the same way.
  test::PutCollection(*engine, 0, "h", KeyType::kHash, {{"f", "v"}});
  CHECK(ExpireAt("h", Now() + 100));
  CHECK(Pttl("h") == 100);
  clock.Advance(100);
  CHECK(Must(keyspace->Type(0, "h")) == std::nullopt);
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: EXPIRE conditions NX XX GT LT") {
  Set("k", "v");
  SUBCASE("NX: only without a TTL") {
    CHECK(ExpireAt("k", Now() + 1000, ExpireCondition::kNx));
    CHECK(Pttl("k") == 1000);
    CHECK_FALSE(ExpireAt("k", Now() + 2000, ExpireCondition::kNx));
    CHECK(Pttl("k") == 1000);
  }
  SUBCASE("XX: only with a TTL") {
    CHECK_FALSE(ExpireAt("k", Now() + 1000, ExpireCondition::kXx));
    CHECK(Pttl("k") == -1);
    CHECK(ExpireAt("k", Now() + 1000));
    CHECK(ExpireAt("k", Now() + 2000, ExpireCondition::kXx));
    CHECK(Pttl("k") == 2000);
  }
  SUBCASE("GT: no TTL counts as infinite") {
    CHECK_FALSE(ExpireAt("k", Now() + 1000, ExpireCondition::kGt));
    CHECK(Pttl("k") == -1);
    CHECK(ExpireAt("k", Now() + 1000));
    CHECK_FALSE(ExpireAt("k", Now() + 500, ExpireCondition::kGt));
    CHECK_FALSE(ExpireAt("k", Now() + 1000, ExpireCondition::kGt));
    CHECK(ExpireAt("k", Now() + 1001, ExpireCondition::kGt));
    CHECK(Pttl("k") == 1001);
  }
  SUBCASE("LT: no TTL counts as infinite") {
    CHECK(ExpireAt("k", Now() + 1000, ExpireCondition::kLt));
    CHECK(Pttl("k") == 1000);
    CHECK_FALSE(ExpireAt("k", Now() + 2000, ExpireCondition::kLt));
    CHECK_FALSE(ExpireAt("k", Now() + 1000, ExpireCondition::kLt));
    CHECK(ExpireAt("k", Now() + 999, ExpireCondition::kLt));
    CHECK(Pttl("k") == 999);
  }
  SUBCASE("a condition that fails never deletes, even with a past time") {
    CHECK(ExpireAt("k", Now() + 1000));
    CHECK_FALSE(ExpireAt("k", Now() - 1, ExpireCondition::kGt));
    CHECK_FALSE(ExpireAt("k", Now() - 1, ExpireCondition::kNx));
    CHECK(Exists({"k"}) == 1);
    CHECK(ExpireAt("k", Now() - 1, ExpireCondition::kLt));
    CHECK(Exists({"k"}) == 0);
  }
  SUBCASE("on a missing key every condition fails") {
    for (auto condition : {ExpireCondition::kAlways, ExpireCondition::kNx, ExpireCondition::kXx,
                           ExpireCondition::kGt, ExpireCondition::kLt}) {
      CHECK_FALSE(ExpireAt("missing", Now() + 1000, condition));
    }
  }
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: RENAME and RENAMENX") {
  Result<bool> missing = keyspace->Rename(0, "missing", "x", false);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kNotFound);

  Set("a", "va", 0, now() + 5000);
  CHECK(Must(keyspace->Rename(0, "a", "b", false)));
  CHECK(Exists({"a"}) == 0);
  CHECK(Get("b") == "va");
  CHECK(Pttl("b") == 5000);  // the TTL moves with the value

  Set("c", "vc");
  CHECK(Must(keyspace->Rename(0, "c", "b", false)));  // overwrites, TTL of the source (none)
  CHECK(Get("b") == "vc");
  CHECK(Pttl("b") == -1);

  CHECK(Must(keyspace->Rename(0, "b", "b", false)));
  CHECK(Get("b") == "vc");
  CHECK_FALSE(Must(keyspace->Rename(0, "b", "b", true)));

  Set("d", "vd");
  CHECK_FALSE(Must(keyspace->Rename(0, "d", "b", true)));
  CHECK(Get("d") == "vd");
  CHECK(Get("b") == "vc");
  CHECK(Must(keyspace->Rename(0, "d", "e", true)));
  CHECK(Get("e") == "vd");
  CHECK(Exists({"d"}) == 0);

  // An expired target counts as absent for RENAMENX.
  Set("gone", "x", 0, now() + 1);
  clock.Advance(1);
  CHECK(Must(keyspace->Rename(0, "e", "gone", true)));
  CHECK(Get("gone") == "vd");
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: RENAME of a collection carries its fields") {
  uint64_t version = test::PutCollection(*engine, 0, "h", KeyType::kHash, {{"f1", "v1"}, {"f2", "v2"}});
  CHECK(Must(keyspace->Rename(0, "h", "{other}h2", false)));
  CHECK(Must(keyspace->Type(0, "{other}h2")) == KeyType::kHash);
  Metadata meta;
  MustOk(ReadLiveMeta(*engine, 0, "{other}h2", &meta));
  CHECK(meta.size == 2);
  CHECK(meta.version != version);
  std::vector<test::StoredField> fields = test::DataOf(*engine, 0, "{other}h2");
  REQUIRE(fields.size() == 2);
  CHECK(fields[0].version == meta.version);
  CHECK(fields[0].field == "f1");
  CHECK(fields[0].value == "v1");
  CHECK(fields[1].field == "f2");
  CHECK(fields[1].value == "v2");
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: COPY") {
  CHECK_FALSE(Must(keyspace->Copy(0, "missing", 0, "x", false)));
  Set("src", "v", 0, now() + 3000);
  CHECK(Must(keyspace->Copy(0, "src", 0, "dst", false)));
  CHECK(Get("src") == "v");
  CHECK(Get("dst") == "v");
  CHECK(Pttl("dst") == 3000);

  Set("other", "o");
  CHECK_FALSE(Must(keyspace->Copy(0, "other", 0, "dst", false)));
  CHECK(Get("dst") == "v");
  CHECK(Must(keyspace->Copy(0, "other", 0, "dst", true)));
  CHECK(Get("dst") == "o");
  CHECK(Pttl("dst") == -1);

  CHECK(Must(keyspace->Copy(0, "src", 5, "src", false)));
  CHECK(Get("src", 5) == "v");
  CHECK(Pttl("src", 5) == 3000);

  // A collection copy gets its own fields, which outlive the source.
  test::PutCollection(*engine, 0, "h", KeyType::kHash, {{"f", "v"}});
  CHECK(Must(keyspace->Copy(0, "h", 2, "h", false)));
  CHECK(Must(keyspace->Delete(0, {"h"})) == 1);
  Metadata meta;
  MustOk(ReadLiveMeta(*engine, 2, "h", &meta));
  std::vector<test::StoredField> fields = test::DataOf(*engine, 2, "h");
  REQUIRE(fields.size() == 1);
  CHECK(fields[0].version == meta.version);
  CHECK(fields[0].field == "f");
  CHECK(fields[0].value == "v");
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: MOVE") {
  CHECK_FALSE(Must(keyspace->Move(0, "missing", 1)));
  Set("k", "v", 0, now() + 700);
  CHECK(Must(keyspace->Move(0, "k", 1)));
  CHECK(Exists({"k"}, 0) == 0);
  CHECK(Get("k", 1) == "v");
  CHECK(Pttl("k", 1) == 700);

  Set("k", "new", 0);
  CHECK_FALSE(Must(keyspace->Move(0, "k", 1)));  // already there
  CHECK(Get("k", 0) == "new");
  CHECK(Get("k", 1) == "v");
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: KEYS with patterns") {
  for (int i = 1; i <= 5; ++i) Set("user:" + std::to_string(i), "x");
  Set("other", "x");
  Set("user:9", "x", 1);  // another db
  Set("user:expired", "x", 0, now() + 1);
  test::PutCollection(*engine, 0, "user:hash", KeyType::kHash, {{"f", "v"}});
  clock.Advance(1);

  CHECK(SortedKeys("user:*") ==
        std::vector<std::string>{"user:1", "user:2", "user:3", "user:4", "user:5", "user:hash"});
  CHECK(SortedKeys("user:[2-4]") == std::vector<std::string>{"user:2", "user:3", "user:4"});
  CHECK(SortedKeys("*er") == std::vector<std::string>{"other"});
  CHECK(SortedKeys("*").size() == 7);
  CHECK(SortedKeys("").empty());  // an empty pattern matches only the empty key
  Set("", "empty key");
  CHECK(SortedKeys("") == std::vector<std::string>{""});
  CHECK(SortedKeys("*").size() == 8);
  CHECK(SortedKeys("nomatch*").empty());
  CHECK(SortedKeys("*", 1) == std::vector<std::string>{"user:9"});
  CHECK(SortedKeys("*", 2).empty());
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: SCAN pages through every key exactly once") {
  constexpr int kKeys = 1000;
  std::set<std::string> expected;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "key:" + std::to_string(i);
    Set(key, "v");
    expected.insert(key);
  }
  Set("elsewhere", "v", 1);

  for (size_t count : {size_t{1}, size_t{7}, size_t{100}, size_t{5000}}) {
    CAPTURE(count);
    std::multiset<std::string> seen;
    std::string from;
    int pages = 0;
    do {
      ScanPage page = Must(keyspace->Scan(0, from, "*", count, std::nullopt));
      CHECK(page.keys.size() <= count);
      seen.insert(page.keys.begin(), page.keys.end());
      from = page.next;
      REQUIRE(++pages <= kKeys + 1);
    } while (!from.empty());
    CHECK(seen.size() == expected.size());
    CHECK(std::set<std::string>(seen.begin(), seen.end()) == expected);
  }
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: SCAN with MATCH and TYPE filters") {
  for (int i = 0; i < 50; ++i) Set("s:" + std::to_string(i), "v");
  for (int i = 0; i < 20; ++i) test::PutCollection(*engine, 0, "h:" + std::to_string(i), KeyType::kHash, {});
  Set("s:expired", "v", 0, now() + 1);
  clock.Advance(1);

  auto scan_all = [&](std::string_view pattern, std::optional<KeyType> type) {
    std::set<std::string> seen;
    std::string from;
    do {
      ScanPage page = Must(keyspace->Scan(0, from, pattern, 9, type));
      for (auto& key : page.keys) CHECK(seen.insert(key).second);
      from = page.next;
    } while (!from.empty());
    return seen;
  };
  CHECK(scan_all("*", std::nullopt).size() == 70);
  CHECK(scan_all("*", KeyType::kHash).size() == 20);
  CHECK(scan_all("*", KeyType::kString).size() == 50);
  CHECK(scan_all("*", KeyType::kZSet).empty());
  CHECK(scan_all("s:1*", std::nullopt) ==
        std::set<std::string>{"s:1", "s:10", "s:11", "s:12", "s:13", "s:14", "s:15", "s:16", "s:17", "s:18",
                              "s:19"});
  CHECK(scan_all("h:1?", KeyType::kHash).size() == 10);
  CHECK(scan_all("h:*", KeyType::kString).empty());
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: RANDOMKEY") {
  CHECK(Must(keyspace->RandomKey(0)) == std::nullopt);
  Set("only", "v");
  for (int i = 0; i < 10; ++i) CHECK(Must(keyspace->RandomKey(0)) == "only");
  std::set<std::string> keys = {"only"};
  for (int i = 0; i < 30; ++i) {
    Set("k" + std::to_string(i), "v");
    keys.insert("k" + std::to_string(i));
  }
  for (int i = 0; i < 20; ++i) {
    std::optional<std::string> key = Must(keyspace->RandomKey(0));
    REQUIRE(key.has_value());
    CHECK(keys.count(*key) == 1);
  }
  CHECK(Must(keyspace->RandomKey(1)) == std::nullopt);

  // Only expired keys: none to return.
  Set("t", "v", 3, now() + 1);
  clock.Advance(1);
  CHECK(Must(keyspace->RandomKey(3)) == std::nullopt);
}

TEST_CASE_FIXTURE(KeyspaceFixture, "key count cache: exact for small databases, one window per call for large ones") {
  KeyCountCache cache(*keyspace, /*window=*/4);
  Set("a", "1");
  Set("b", "2", 0, now() + 1000);
  CHECK(Must(cache.Counts(0)).keys == 2);  // fits in one window: counted afresh on each call
  Set("c", "3", 0, now() + 3000);
  KeyCounts small = Must(cache.Counts(0));
  CHECK(small.keys == 3);
  CHECK(small.expires == 2);
  CHECK(small.avg_ttl_ms == 2000);

  // Ten keys in db 1: the first call counts them all (no complete count yet),
  // whatever the window; the windows' TTL sums add up across the pass.
  for (int i = 0; i < 10; ++i) Set("k" + std::to_string(i), "v", 1, i < 5 ? now() + 1000 * (i + 1) : 0);
  KeyCounts first = Must(cache.Counts(1));
  CHECK(first.keys == 10);
  CHECK(first.expires == 5);
  CHECK(first.avg_ttl_ms == 3000);

  // Five more: later calls report the last complete pass until one more pass
  // (15 keys, four windows) has gone round.
  for (int i = 10; i < 15; ++i) Set("k" + std::to_string(i), "v", 1);
  CHECK(Must(cache.Counts(1)).keys == 10);
  int calls = 1;
  while (Must(cache.Counts(1)).keys != 15 && calls < 10) ++calls;
  CHECK(calls <= 5);
  CHECK(Must(cache.Counts(1)).keys == 15);

  // FLUSHDB tells the cache, which then counts afresh at once.
  MustOk(keyspace->FlushDb(1));
  cache.Forget(1);
  CHECK(Must(cache.Counts(1)).keys == 0);
  CHECK(Must(cache.Counts(0)).keys == 3);
  cache.ForgetAll();
  CHECK(Must(cache.Counts(0)).keys == 3);
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: counts, FLUSHDB and FLUSHALL") {
  Set("a", "1");
  Set("b", "2", 0, now() + 1000);
  Set("c", "3", 0, now() + 10);
  test::PutCollection(*engine, 0, "h", KeyType::kHash, {{"f", "v"}});
  Set("x", "1", 1);
  Set("y", "1", 15);
  KeyCounts counts = Must(keyspace->Count(0));
  CHECK(counts.keys == 4);
  CHECK(counts.expires == 2);
  CHECK(counts.avg_ttl_ms == (1000 + 10) / 2);  // INFO keyspace's avg_ttl, in ms as Redis reports it
  clock.Advance(10);
  counts = Must(keyspace->Count(0));
  CHECK(counts.keys == 3);
  CHECK(counts.expires == 1);
  CHECK(counts.avg_ttl_ms == 990);
  CHECK(Must(keyspace->Count(1)).avg_ttl_ms == 0);  // no key with a TTL

  MustOk(keyspace->FlushDb(0));
  CHECK(Must(keyspace->Count(0)).keys == 0);
  CHECK(test::DataOf(*engine, 0, "h").empty());
  CHECK(Must(keyspace->Count(1)).keys == 1);
  CHECK(Must(keyspace->Count(15)).keys == 1);
  Set("after", "flush");
  CHECK(Get("after") == "flush");

  MustOk(keyspace->FlushAll());
  for (uint8_t db = 0; db < 16; ++db) CHECK(Must(keyspace->Count(db)).keys == 0);
  CHECK(test::RawMetaRecords(*engine) == 0);
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: FLUSHDB waits for the commit group of another thread") {
  for (bool flush_all : {false, true}) {
    Set("counter", "5");
    // This thread's group has read "counter" and holds its INCR, not yet written.
    engine->OpenGroup();
    REQUIRE(Must(strings->IncrBy(0, "counter", 1)) == 6);
    std::atomic<bool> flushed{false};
    std::thread flusher([&] {
      MustOk(flush_all ? keyspace->FlushAll() : keyspace->FlushDb(0));
      flushed = true;
    });
    // However long the flusher is given, it must not finish while the group
    // holds the key: the INCR read the value the flush deletes.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (!flushed && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    CHECK_FALSE(flushed.load());
    MustOk(engine->CommitGroup());
    flusher.join();
    CHECK(Get("counter") == std::nullopt);  // the INCR came before the flush, as its read did
  }
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: the expiry sweep deletes expired records") {
  for (int i = 0; i < 50; ++i) {
    uint64_t expire = i % 5 == 0 ? now() + 100 : 0;
    Set("k" + std::to_string(i), "v", static_cast<uint8_t>(i % 3), expire);
  }
  Set("later", "v", 0, now() + 100000);
  test::PutCollection(*engine, 2, "h", KeyType::kHash, {{"f", "v"}}, now() + 50);
  CHECK(test::RawMetaRecords(*engine) == 52);

  // Nothing has expired yet: a full sweep deletes nothing.
  auto sweep_all = [&](size_t budget) {
    uint64_t deleted = 0;
    std::string from;
    int rounds = 0;
    do {
      auto [next, count] = Must(keyspace->SweepExpired(from, budget));
      deleted += count;
      from = next;
      REQUIRE(++rounds < 1000);
    } while (!from.empty());
    return deleted;
  };
  CHECK(sweep_all(7) == 0);
  CHECK(test::RawMetaRecords(*engine) == 52);

  clock.Advance(100);
  CHECK(sweep_all(7) == 11);  // ten strings and the hash
  CHECK(test::RawMetaRecords(*engine) == 41);
  CHECK(Exists({"later"}) == 1);
  CHECK(Exists({"k1"}, 1) == 1);
  CHECK(Exists({"k0"}, 0) == 0);
  CHECK(sweep_all(1000) == 0);
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: compaction drops the fields of deleted and replaced collections") {
  test::PutCollection(*engine, 0, "deleted", KeyType::kHash, {{"a", "1"}, {"b", "2"}});
  test::PutCollection(*engine, 0, "kept", KeyType::kSet, {{"m", ""}});
  test::PutCollection(*engine, 0, "replaced", KeyType::kHash, {{"old", "1"}});
  uint64_t current = test::PutCollection(*engine, 0, "replaced", KeyType::kHash, {{"new", "2"}});
  test::PutCollection(*engine, 0, "overwritten", KeyType::kList, {{"x", "y"}});
  Set("overwritten", "now a string");
  test::PutCollection(*engine, 0, "expired", KeyType::kZSet, {{"z", "1"}}, now() + 5);
  CHECK(Must(keyspace->Delete(0, {"deleted"})) == 1);
  clock.Advance(5);

  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  REQUIRE(engine->db()->CompactRange(options, engine->data(), nullptr, nullptr).ok());

  CHECK(test::DataOf(*engine, 0, "deleted").empty());
  CHECK(test::DataOf(*engine, 0, "kept").size() == 1);
  std::vector<test::StoredField> replaced = test::DataOf(*engine, 0, "replaced");
  REQUIRE(replaced.size() == 1);
  CHECK(replaced[0].version == current);
  CHECK(replaced[0].field == "new");
  CHECK(test::DataOf(*engine, 0, "overwritten").empty());
  CHECK(test::DataOf(*engine, 0, "expired").empty());
}

TEST_CASE_FIXTURE(KeyspaceFixture, "keyspace: keys, TTLs and collections persist across reopen") {
  Set("plain", "v");
  Set("ttl", "v", 0, now() + 9000);
  Set("db7", "v", 7);
  uint64_t version = test::PutCollection(*engine, 0, "h", KeyType::kHash, {{"f", "v"}});
  uint64_t before = engine->NextVersion();
  CHECK(before > version);
  Reopen();
  strings.emplace(*engine);
  keyspace.emplace(*engine);
  CHECK(Get("plain") == "v");
  CHECK(Pttl("ttl") == 9000);
  CHECK(Get("db7", 7) == "v");
  CHECK(Must(keyspace->Type(0, "h")) == KeyType::kHash);
  std::vector<test::StoredField> fields = test::DataOf(*engine, 0, "h");
  REQUIRE(fields.size() == 1);
  CHECK(fields[0].version == version);
  CHECK(SortedKeys("*") == std::vector<std::string>{"h", "plain", "ttl"});
  // Time keeps its meaning after a restart.
  clock.Advance(9000);
  CHECK(Exists({"ttl"}) == 0);
}

TEST_CASE("engine: versions only grow") {
  test::EngineFixture fixture;
  uint64_t previous = fixture.engine->NextVersion();
  for (int i = 0; i < 1000; ++i) {
    uint64_t next = fixture.engine->NextVersion();
    REQUIRE(next > previous);
    previous = next;
  }
  fixture.clock.Advance(1);
  CHECK(fixture.engine->NextVersion() > previous);
}

TEST_CASE("engine: fsync policy names") {
  CHECK(Must(ParseFsyncPolicy("always")) == FsyncPolicy::kAlways);
  CHECK(Must(ParseFsyncPolicy("everysec")) == FsyncPolicy::kEverysec);
  CHECK(Must(ParseFsyncPolicy("no")) == FsyncPolicy::kNo);
  CHECK_FALSE(ParseFsyncPolicy("sometimes").ok());
  CHECK(std::string(FsyncPolicyName(FsyncPolicy::kAlways)) == "always");
  CHECK(std::string(FsyncPolicyName(FsyncPolicy::kEverysec)) == "everysec");
  CHECK(std::string(FsyncPolicyName(FsyncPolicy::kNo)) == "no");
}

TEST_CASE("engine: commits under every fsync policy are made durable") {
  test::EngineFixture fixture;
  StringStore strings(*fixture.engine);
  for (FsyncPolicy policy : {FsyncPolicy::kAlways, FsyncPolicy::kEverysec, FsyncPolicy::kNo}) {
    fixture.engine->SetFsyncPolicy(policy);
    CHECK(fixture.engine->fsync_policy() == policy);
    uint64_t commits = fixture.engine->commits();
    MustOk(strings.MultiSet(0, {{FsyncPolicyName(policy), "v"}}));
    CHECK(fixture.engine->commits() == commits + 1);
    MustOk(fixture.engine->MakeDurable());
    MustOk(fixture.engine->MakeDurable());
  }
}

TEST_CASE("engine: opening fails cleanly on an unusable directory") {
  test::TempDir dir;
  std::string file = dir.path() + "/a-file";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fclose(f);
  }
  EngineOptions options;
  options.dir = file + "/sub";
  Result<std::unique_ptr<Engine>> opened = Engine::Open(options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kIOError);
}

TEST_CASE("ScanCursors") {
  ScanCursors cursors(3);
  uint64_t a = cursors.Save("pos-a");
  uint64_t b = cursors.Save("pos-b");
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(a != b);
  CHECK(cursors.Find(a) == "pos-a");
  CHECK(cursors.Find(b) == "pos-b");
  CHECK(cursors.Find(0) == "");
  CHECK(cursors.Find(12345) == "");
  uint64_t c = cursors.Save("pos-c");
  uint64_t d = cursors.Save("pos-d");  // evicts the oldest
  CHECK(cursors.Find(a) == "");
  CHECK(cursors.Find(b) == "pos-b");
  CHECK(cursors.Find(c) == "pos-c");
  CHECK(cursors.Find(d) == "pos-d");
}

}  // namespace
}  // namespace kvd::storage
