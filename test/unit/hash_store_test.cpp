// HashStore and the shared sub-key helpers on a temporary RocksDB.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/redis_errors.h"
#include "storage/keyspace.h"
#include "storage/types/hash_store.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using test::Must;
using test::MustOk;
using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

struct HashFixture : test::EngineFixture {
  HashStore hashes{*engine};
  StringStore strings{*engine};
  Keyspace keyspace{*engine};

  std::optional<std::string> Get(std::string_view key, std::string_view field) {
    return Must(hashes.Get(0, key, field));
  }
  std::map<std::string, std::string> All(std::string_view key) {
    std::map<std::string, std::string> all;
    for (auto& item : Must(hashes.GetAll(0, key))) all.emplace(item.field, item.value);
    return all;
  }
  // Sub-keys stored under the key's live version: must always match HLEN.
  size_t LiveSubKeys(std::string_view key) {
    Metadata meta;
    if (!ReadLiveMeta(*engine, 0, key, &meta).ok()) return 0;
    size_t count = 0;
    for (const auto& stored : test::DataOf(*engine, 0, key)) count += stored.version == meta.version ? 1 : 0;
    return count;
  }
  void Fill(std::string_view key, int fields) {
    std::vector<std::string> names;
    for (int i = 0; i < fields; ++i) names.push_back("field:" + std::to_string(i));
    Pairs pairs;
    for (const auto& name : names) pairs.emplace_back(name, "v");
    CHECK(Must(hashes.Set(0, key, pairs)) == fields);
  }
};

TEST_CASE_FIXTURE(HashFixture, "hash: set, get, length") {
  CHECK(Get("h", "a") == std::nullopt);
  CHECK(Must(hashes.Length(0, "h")) == 0);
  CHECK(Must(hashes.Set(0, "h", Pairs{{"a", "1"}, {"b", "2"}})) == 2);
  CHECK(Get("h", "a") == "1");
  CHECK(Get("h", "b") == "2");
  CHECK(Get("h", "c") == std::nullopt);
  // Updating is not adding; a repeated field in one call counts once and its last value wins.
  CHECK(Must(hashes.Set(0, "h", Pairs{{"a", "x"}, {"c", "3"}, {"c", "4"}})) == 1);
  CHECK(Get("h", "a") == "x");
  CHECK(Get("h", "c") == "4");
  CHECK(Must(hashes.Length(0, "h")) == 3);
  CHECK(LiveSubKeys("h") == 3);
  // Empty field names and values are ordinary.
  CHECK(Must(hashes.Set(0, "h", Pairs{{"", ""}})) == 1);
  CHECK(Get("h", "") == "");
  CHECK(Must(hashes.Length(0, "h")) == 4);
  // Databases are separate.
  CHECK(Must(hashes.Get(1, "h", "a")) == std::nullopt);

  auto values = Must(hashes.MultiGet(0, "h", {"a", "nope", "c"}));
  REQUIRE(values.size() == 3);
  CHECK(values[0] == "x");
  CHECK(values[1] == std::nullopt);
  CHECK(values[2] == "4");
  CHECK(Must(hashes.MultiGet(0, "missing", {"a", "b"})).size() == 2);
}

TEST_CASE_FIXTURE(HashFixture, "hash: setnx") {
  CHECK(Must(hashes.SetIfAbsent(0, "h", "a", "1")));
  CHECK_FALSE(Must(hashes.SetIfAbsent(0, "h", "a", "2")));
  CHECK(Get("h", "a") == "1");
  CHECK(Must(hashes.SetIfAbsent(0, "h", "b", "2")));
  CHECK(Must(hashes.Length(0, "h")) == 2);
}

TEST_CASE_FIXTURE(HashFixture, "hash: delete and the key disappearing") {
  CHECK(Must(hashes.Delete(0, "missing", {"a"})) == 0);
  Must(hashes.Set(0, "h", Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  CHECK(Must(hashes.Delete(0, "h", {"a", "a", "zz"})) == 1);
  CHECK(Must(hashes.Length(0, "h")) == 2);
  CHECK(LiveSubKeys("h") == 2);
  CHECK(Must(hashes.Delete(0, "h", {"b", "c"})) == 2);
  CHECK(Must(keyspace.Type(0, "h")) == std::nullopt);
  CHECK(test::RawMetaRecords(*engine) == 0);
  CHECK(test::DataOf(*engine, 0, "h").empty());
}

TEST_CASE_FIXTURE(HashFixture, "hash: wrong type") {
  Must(strings.Set(0, "s", "v", {}));
  CHECK(hashes.Set(0, "s", Pairs{{"a", "1"}}).status().Is(Status::Code::kWrongType));
  CHECK(hashes.Get(0, "s", "a").status().Is(Status::Code::kWrongType));
  CHECK(hashes.Length(0, "s").status().Is(Status::Code::kWrongType));
  CHECK(hashes.GetAll(0, "s").status().Is(Status::Code::kWrongType));
  CHECK(hashes.Delete(0, "s", {"a"}).status().Is(Status::Code::kWrongType));
  CHECK(hashes.IncrBy(0, "s", "a", 1).status().Is(Status::Code::kWrongType));
  CHECK(hashes.RandomFields(0, "s", 1, true).status().Is(Status::Code::kWrongType));
  CHECK(hashes.Scan(0, "s", "", std::nullopt, 10).status().Is(Status::Code::kWrongType));
  CHECK(Must(strings.Get(0, "s")) == "v");
}

TEST_CASE_FIXTURE(HashFixture, "hash: incrby") {
  CHECK(Must(hashes.IncrBy(0, "h", "n", 5)) == 5);
  CHECK(Must(hashes.IncrBy(0, "h", "n", -7)) == -2);
  CHECK(Get("h", "n") == "-2");
  CHECK(Must(hashes.Length(0, "h")) == 1);
  Must(hashes.Set(0, "h", Pairs{{"big", "9223372036854775807"}, {"text", "abc"}, {"f", "1.5"}}));
  auto overflow = hashes.IncrBy(0, "h", "big", 1);
  CHECK(overflow.status().message() == errors::kOverflow);
  CHECK(Get("h", "big") == "9223372036854775807");
  CHECK(hashes.IncrBy(0, "h", "text", 1).status().message() == "ERR hash value is not an integer");
  CHECK(hashes.IncrBy(0, "h", "f", 1).status().message() == "ERR hash value is not an integer");
  CHECK(Must(hashes.Length(0, "h")) == 4);
}

TEST_CASE_FIXTURE(HashFixture, "hash: incrbyfloat") {
  CHECK(Must(hashes.IncrByFloat(0, "h", "x", 10.5L)) == "10.5");
  CHECK(Must(hashes.IncrByFloat(0, "h", "x", 0.1L)) == "10.6");
  CHECK(Must(hashes.IncrByFloat(0, "h", "x", -10.6L)) == "0");
  Must(hashes.Set(0, "h", Pairs{{"text", "abc"}, {"e", "5.0e3"}, {"inf", "inf"}}));
  CHECK(Must(hashes.IncrByFloat(0, "h", "e", 1)) == "5001");
  CHECK(hashes.IncrByFloat(0, "h", "text", 1).status().message() == "ERR hash value is not a float");
  CHECK(hashes.IncrByFloat(0, "h", "inf", 1).status().message() == errors::kFloatOverflow);
  CHECK(Get("h", "inf") == "inf");
}

TEST_CASE_FIXTURE(HashFixture, "hash: expiry and overwrite start a fresh hash") {
  Must(hashes.Set(0, "h", Pairs{{"a", "1"}, {"b", "2"}}));
  CHECK(Must(keyspace.ExpireAt(0, "h", static_cast<int64_t>(now() + 1000), ExpireCondition::kAlways)));
  // Writes keep the TTL.
  Must(hashes.Set(0, "h", Pairs{{"c", "3"}}));
  CHECK(Must(keyspace.PttlMs(0, "h")) == 1000);
  clock.Advance(1000);
  CHECK(Get("h", "a") == std::nullopt);
  CHECK(Must(hashes.Length(0, "h")) == 0);
  CHECK(Must(hashes.Set(0, "h", Pairs{{"z", "9"}})) == 1);
  CHECK(All("h") == std::map<std::string, std::string>{{"z", "9"}});
  CHECK(Must(keyspace.PttlMs(0, "h")) == -1);
  // A string written over the hash replaces it; a hash made after the string
  // is deleted starts empty.
  Must(strings.Set(0, "h", "plain", {}));
  CHECK(hashes.Get(0, "h", "z").status().Is(Status::Code::kWrongType));
  CHECK(Must(keyspace.Delete(0, {"h"})) == 1);
  CHECK(Must(hashes.Set(0, "h", Pairs{{"a", "1"}})) == 1);
  CHECK(All("h") == std::map<std::string, std::string>{{"a", "1"}});
}

TEST_CASE_FIXTURE(HashFixture, "hash: getall in field order") {
  CHECK(Must(hashes.GetAll(0, "missing")).empty());
  Must(hashes.Set(0, "h", Pairs{{"b", "2"}, {"a", "1"}, {"c", "3"}}));
  auto all = Must(hashes.GetAll(0, "h"));
  REQUIRE(all.size() == 3);
  CHECK(all[0].field == "a");
  CHECK(all[0].value == "1");
  CHECK(all[2].field == "c");
  // A key that is a prefix of another key does not see the other's fields.
  Must(hashes.Set(0, "hh", Pairs{{"x", "1"}}));
  CHECK(Must(hashes.GetAll(0, "h")).size() == 3);
}

TEST_CASE_FIXTURE(HashFixture, "hash: random fields of a small hash") {
  CHECK(Must(hashes.RandomFields(0, "missing", 3, true)).empty());
  Must(hashes.Set(0, "h", Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  CHECK(Must(hashes.RandomFields(0, "h", 0, true)).empty());
  auto all = Must(hashes.RandomFields(0, "h", 10, true));
  CHECK(all.size() == 3);
  auto two = Must(hashes.RandomFields(0, "h", 2, true));
  REQUIRE(two.size() == 2);
  CHECK(two[0].field != two[1].field);
  CHECK(Get("h", two[0].field) == two[0].value);
  auto repeated = Must(hashes.RandomFields(0, "h", 50, false));
  CHECK(repeated.size() == 50);
  std::set<std::string> seen;
  for (const auto& item : repeated) seen.insert(item.field);
  CHECK(seen.size() == 3);  // 50 draws from 3 miss one with probability ~3*(2/3)^50
}

TEST_CASE_FIXTURE(HashFixture, "hash: random fields of a large hash") {
  Fill("big", 5000);
  for (uint64_t count : {1, 10, 300, 2000, 4999}) {
    CAPTURE(count);
    auto picked = Must(hashes.RandomFields(0, "big", count, true));
    CHECK(picked.size() == count);
    std::set<std::string> distinct;
    for (const auto& item : picked) distinct.insert(item.field);
    CHECK(distinct.size() == count);
    CHECK(Get("big", picked.front().field) == "v");
  }
  auto repeated = Must(hashes.RandomFields(0, "big", 200, false));
  CHECK(repeated.size() == 200);
  std::set<std::string> distinct;
  for (const auto& item : repeated) distinct.insert(item.field);
  CHECK(distinct.size() > 20);  // spread over the hash, not stuck on one field
}

TEST_CASE_FIXTURE(HashFixture, "hash: sampling a large hash is uniform whatever the field shapes") {
  // Fields of very different lengths and prefixes ("1", "10", "100"...): a
  // sampler that seeks to random byte strings would favour a few of them.
  constexpr int kFields = 6000;
  std::vector<std::string> names;
  for (int i = 0; i < kFields; ++i) names.push_back(std::to_string(i));
  names.push_back("\xff\xff");
  names.push_back("");
  Pairs pairs;
  for (const auto& name : names) pairs.emplace_back(name, "v");
  Must(hashes.Set(0, "big", pairs));
  Metadata meta;
  MustOk(ReadLiveMeta(*engine, 0, "big", &meta));
  SamplingIndex index;
  // 20 draws per field on average, counted in 20 buckets by field number.
  std::map<std::string, int> hits;
  for (int round = 0; round < 400; ++round) {
    for (auto& item : Must(SampleSubKeys(*engine, index, 0, "big", meta, 300, false))) ++hits[item.field];
  }
  CHECK(hits.size() > names.size() * 99 / 100);
  std::vector<int> buckets(20, 0);
  for (const auto& [field, count] : hits) {
    if (field.empty() || field[0] == '\xff') continue;
    buckets[std::stoi(field) * 20 / kFields] += count;
  }
  for (int bucket : buckets) {
    CAPTURE(bucket);
    CHECK(bucket > 300 * 20 * 8 / 10);  // expected: 300 fields * 20 draws each
    CHECK(bucket < 300 * 20 * 12 / 10);
  }
  // Distinct draws from the index.
  auto distinct = Must(SampleSubKeys(*engine, index, 0, "big", meta, 1000, true));
  std::set<std::string> unique;
  for (const auto& item : distinct) unique.insert(item.field);
  CHECK(unique.size() == 1000);
}

TEST_CASE_FIXTURE(HashFixture, "hash: sampling survives fields removed after the index was built") {
  Fill("big", 3000);
  Metadata meta;
  MustOk(ReadLiveMeta(*engine, 0, "big", &meta));
  SamplingIndex index;
  CHECK(Must(SampleSubKeys(*engine, index, 0, "big", meta, 10, true)).size() == 10);
  // Remove a run of fields, some of them pivots, without leaving the drift allowance.
  std::vector<std::string> gone;
  for (int i = 0; i < 300; ++i) gone.push_back("field:" + std::to_string(i));
  std::vector<std::string_view> views(gone.begin(), gone.end());
  CHECK(Must(hashes.Delete(0, "big", views)) == 300);
  MustOk(ReadLiveMeta(*engine, 0, "big", &meta));
  for (int round = 0; round < 50; ++round) {
    for (const auto& item : Must(SampleSubKeys(*engine, index, 0, "big", meta, 100, false))) {
      CHECK(Get("big", item.field) == "v");
    }
  }
}

TEST_CASE_FIXTURE(HashFixture, "hash: scan pages through every field once") {
  Fill("h", 25);
  std::multiset<std::string> fields;
  std::string from;
  int pages = 0;
  do {
    auto page = Must(hashes.Scan(0, "h", from, std::nullopt, 10));
    for (const auto& item : page.items) fields.insert(item.field);
    from = page.next;
    ++pages;
  } while (!from.empty());
  CHECK(pages == 3);
  CHECK(fields.size() == 25);
  CHECK(std::set<std::string>(fields.begin(), fields.end()).size() == 25);

  auto matched = Must(hashes.Scan(0, "h", "", "field:1*", 100));
  CHECK(matched.items.size() == 11);  // 1, 10..19
  CHECK(matched.next.empty());
  CHECK(Must(hashes.Scan(0, "missing", "", std::nullopt, 10)).items.empty());
}

TEST_CASE_FIXTURE(HashFixture, "hash: disk space comes back after DEL of a large hash and a compaction") {
  // Values that do not compress, so the disk usage reflects the data.
  uint64_t seed = 42;
  std::vector<std::string> fields, values;
  for (int i = 0; i < 50000; ++i) {
    fields.push_back("field:" + std::to_string(i));
    std::string value(200, '\0');
    for (char& c : value) c = static_cast<char>((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 56);
    values.push_back(std::move(value));
  }
  for (size_t start = 0; start < fields.size(); start += 1000) {
    Pairs pairs;
    for (size_t i = start; i < start + 1000; ++i) pairs.emplace_back(fields[i], values[i]);
    Must(hashes.Set(0, "big", pairs));
  }
  rocksdb::FlushOptions flush;
  REQUIRE(engine->db()->Flush(flush, engine->data()).ok());
  uint64_t before = engine->ApproximateDiskUsage();
  CHECK(before > 1'000'000);  // the fields are on disk

  CHECK(Must(keyspace.Delete(0, {"big"})) == 1);  // O(1): only the meta record goes
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  REQUIRE(engine->db()->CompactRange(options, engine->data(), nullptr, nullptr).ok());

  uint64_t after = engine->ApproximateDiskUsage();
  MESSAGE("disk usage before DEL " << before << " bytes, after compaction " << after << " bytes");
  CHECK(after < before / 10);
  // Nearly every stale field is gone (a few hundred of 50,000 can outlive one
  // manual compaction; a later compaction drops them).
  CHECK(test::DataOf(*engine, 0, "big").size() < fields.size() / 20);
}

}  // namespace
}  // namespace kvd::storage
