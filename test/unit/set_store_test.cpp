// SetStore on a temporary RocksDB.
#include <doctest/doctest.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <chrono>

#include "storage/keyspace.h"
#include "storage/types/hash_store.h"
#include "storage/types/set_store.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using test::Must;
using test::MustOk;
using Members = std::vector<std::string>;

struct SetFixture : test::EngineFixture {
  SetStore sets{*engine};
  StringStore strings{*engine};
  HashStore hashes{*engine};
  Keyspace keyspace{*engine};

  int64_t Add(std::string_view key, const std::vector<std::string_view>& members) {
    return Must(sets.Add(0, key, members));
  }
  Members Sorted(Members members) {
    std::sort(members.begin(), members.end());
    return members;
  }
  Members MembersOf(std::string_view key) { return Must(sets.Members(0, key)); }
  bool IsMember(std::string_view key, std::string_view member) { return Must(sets.AreMembers(0, key, {member}))[0]; }
  void Fill(std::string_view key, int members) {
    std::vector<std::string> names;
    for (int i = 0; i < members; ++i) names.push_back("m" + std::to_string(i));
    CHECK(Add(key, std::vector<std::string_view>(names.begin(), names.end())) == members);
  }
  bool WrongType(const Status& status) { return status.Is(Status::Code::kWrongType); }
};

TEST_CASE_FIXTURE(SetFixture, "set: add, remove, members, card") {
  CHECK(Must(sets.Card(0, "s")) == 0);
  CHECK(MembersOf("s").empty());
  // Repeated members in one call count once.
  CHECK(Add("s", {"b", "a", "a", "c", "b"}) == 3);
  CHECK(Add("s", {"a", "d"}) == 1);
  CHECK(MembersOf("s") == Members{"a", "b", "c", "d"});
  CHECK(Must(sets.Card(0, "s")) == 4);
  CHECK(IsMember("s", "a"));
  CHECK_FALSE(IsMember("s", "z"));
  CHECK_FALSE(IsMember("missing", "a"));
  CHECK(Must(sets.AreMembers(0, "s", {"a", "z", "d"})) == std::vector<bool>{true, false, true});
  CHECK(Must(sets.AreMembers(0, "missing", {"a", "b"})) == std::vector<bool>{false, false});

  CHECK(Must(sets.Remove(0, "s", {"a", "a", "z"})) == 1);
  CHECK(Must(sets.Card(0, "s")) == 3);
  CHECK(Must(sets.Remove(0, "missing", {"a"})) == 0);
  CHECK(Must(sets.Remove(0, "s", {"b", "c", "d"})) == 3);
  CHECK(Must(keyspace.Type(0, "s")) == std::nullopt);
  CHECK(test::RawMetaRecords(*engine) == 0);
  CHECK(test::DataOf(*engine, 0, "s").empty());
  // Binary and empty members.
  CHECK(Add("bin", {"", std::string_view("\0x", 2)}) == 2);
  CHECK(IsMember("bin", ""));
  CHECK(IsMember("bin", std::string_view("\0x", 2)));
}

TEST_CASE_FIXTURE(SetFixture, "set: members across long runs of deleted ones, which get flushed toward compaction") {
  // Live members at both ends, 5000 removed ones between them and before them.
  std::vector<std::string> names;
  for (int i = 0; i < 10010; ++i) names.push_back("m" + std::to_string(100000 + i));
  CHECK(Add("s", std::vector<std::string_view>(names.begin(), names.end())) == 10010);
  std::vector<std::string_view> removed;
  Members kept;
  for (int i = 0; i < 10010; ++i) {
    bool keep = (i >= 5000 && i < 5005) || i >= 10005;
    if (keep) {
      kept.push_back(names[i]);
    } else {
      removed.push_back(names[i]);
    }
  }
  CHECK(Must(sets.Remove(0, "s", removed)) == 10000);
  auto in_memtable = [&] {
    uint64_t entries = 0;
    engine->db()->GetIntProperty(engine->data(), "rocksdb.num-entries-active-mem-table", &entries);
    return entries;
  };
  REQUIRE(in_memtable() > 10000);
  CHECK(MembersOf("s") == kept);  // the walk stops at the first long run and goes on without a limit
  // The walk asked for the deleted entries to leave the memtable (the background thread flushes).
  CHECK(test::WaitFor([&] { return in_memtable() < 100; }, std::chrono::seconds(5)));
  CHECK(MembersOf("s") == kept);
}

TEST_CASE_FIXTURE(SetFixture, "set: random picks among many deleted members draw every live one and no other") {
  std::vector<std::string> names;
  for (int i = 0; i < 20000; ++i) names.push_back("m" + std::to_string(100000 + i));
  CHECK(Add("s", std::vector<std::string_view>(names.begin(), names.end())) == 20000);
  std::vector<std::string_view> removed;
  std::set<std::string> live;
  for (int i = 0; i < 20000; ++i) {
    if (i % 1000 == 7) {
      live.insert(names[i]);
    } else {
      removed.push_back(names[i]);
    }
  }
  CHECK(Must(sets.Remove(0, "s", removed)) == 19980);
  // The first pick reads the set whole and keeps its members as pivots; the
  // next ones seek among them (until a pop moves the size by an eighth).
  std::map<std::string, int> seen;
  for (int i = 0; i < 4000; ++i) {
    for (const std::string& member : Must(sets.RandomMembers(0, "s", 1, true))) ++seen[member];
  }
  CHECK(seen.size() == live.size());
  for (const auto& [member, times] : seen) {
    CHECK(live.count(member) == 1);
    CHECK(times > 100);  // 200 expected of each
  }
  // Pops go through the same picks and empty the set exactly.
  std::set<std::string> popped;
  for (int i = 0; i < 20; ++i) {
    for (const std::string& member : Must(sets.Pop(0, "s", 1))) CHECK(popped.insert(member).second);
  }
  CHECK(popped == live);
  CHECK(Must(sets.Card(0, "s")) == 0);
}

TEST_CASE_FIXTURE(SetFixture, "set: wrong type everywhere") {
  Must(strings.Set(0, "str", "v", {}));
  Add("s", {"a"});
  CHECK(WrongType(sets.Add(0, "str", {"a"}).status()));
  CHECK(WrongType(sets.Remove(0, "str", {"a"}).status()));
  CHECK(WrongType(sets.Members(0, "str").status()));
  CHECK(WrongType(sets.Card(0, "str").status()));
  CHECK(WrongType(sets.AreMembers(0, "str", {"a"}).status()));
  CHECK(WrongType(sets.Pop(0, "str", 1).status()));
  CHECK(WrongType(sets.RandomMembers(0, "str", 1, true).status()));
  CHECK(WrongType(sets.Scan(0, "str", "", std::nullopt, 10).status()));
  // A wrong type anywhere in a multi-key read is an error, even after a missing key.
  CHECK(WrongType(sets.Combine(0, SetOperation::kInter, {"missing", "str"}).status()));
  CHECK(WrongType(sets.Combine(0, SetOperation::kUnion, {"s", "str"}).status()));
  CHECK(WrongType(sets.Combine(0, SetOperation::kDiff, {"missing", "str"}).status()));
  CHECK(WrongType(sets.InterCard(0, {"missing", "str"}, 0).status()));
  CHECK(WrongType(sets.CombineAndStore(0, SetOperation::kInter, "dst", {"s", "str"}).status()));
  CHECK(Must(keyspace.Type(0, "dst")) == std::nullopt);
  CHECK(Must(strings.Get(0, "str")) == "v");
}

TEST_CASE_FIXTURE(SetFixture, "set: pop") {
  Add("s", {"a", "b", "c", "d", "e"});
  CHECK(Must(sets.Pop(0, "s", 0)).empty());
  Members popped = Must(sets.Pop(0, "s", 2));
  REQUIRE(popped.size() == 2);
  CHECK(popped[0] != popped[1]);
  CHECK_FALSE(IsMember("s", popped[0]));
  CHECK(Must(sets.Card(0, "s")) == 3);
  Members one = Must(sets.Pop(0, "s", 1));
  REQUIRE(one.size() == 1);
  CHECK_FALSE(IsMember("s", one[0]));
  // More than there are: everything, and the key is gone.
  CHECK(Must(sets.Pop(0, "s", 10)).size() == 2);
  CHECK(Must(keyspace.Type(0, "s")) == std::nullopt);
  CHECK(Must(sets.Pop(0, "s", 1)).empty());
}

TEST_CASE_FIXTURE(SetFixture, "set: pop from a large set keeps the count right") {
  Fill("big", 5000);
  std::set<std::string> all_popped;
  for (int round = 0; round < 40; ++round) {
    for (auto& member : Must(sets.Pop(0, "big", 50))) CHECK(all_popped.insert(member).second);
  }
  CHECK(all_popped.size() == 2000);
  CHECK(Must(sets.Card(0, "big")) == 3000);
  CHECK(MembersOf("big").size() == 3000);
  CHECK(Must(sets.Pop(0, "big", 3000)).size() == 3000);
  CHECK(Must(keyspace.Type(0, "big")) == std::nullopt);
}

TEST_CASE_FIXTURE(SetFixture, "set: random members") {
  CHECK(Must(sets.RandomMembers(0, "missing", 5, true)).empty());
  Add("s", {"a", "b", "c"});
  CHECK(Sorted(Must(sets.RandomMembers(0, "s", 5, true))) == Members{"a", "b", "c"});
  Members two = Must(sets.RandomMembers(0, "s", 2, true));
  REQUIRE(two.size() == 2);
  CHECK(two[0] != two[1]);
  CHECK(Must(sets.RandomMembers(0, "s", 20, false)).size() == 20);
  CHECK(Must(sets.Card(0, "s")) == 3);

  Fill("big", 3000);
  for (uint64_t count : {1, 10, 700, 900, 2999}) {
    CAPTURE(count);
    Members picked = Must(sets.RandomMembers(0, "big", count, true));
    CHECK(std::set<std::string>(picked.begin(), picked.end()).size() == count);
  }
  for (uint64_t count : {1, 500, 5000}) {
    CAPTURE(count);
    Members picked = Must(sets.RandomMembers(0, "big", count, false));
    CHECK(picked.size() == count);
    for (size_t i = 0; i < std::min<size_t>(picked.size(), 20); ++i) CHECK(IsMember("big", picked[i]));
  }
}

TEST_CASE_FIXTURE(SetFixture, "set: move") {
  Add("src", {"a", "b"});
  Add("dst", {"b"});
  Must(strings.Set(0, "str", "v", {}));
  CHECK(Must(sets.Move(0, "src", "dst", "a")));
  CHECK(MembersOf("src") == Members{"b"});
  CHECK(MembersOf("dst") == Members{"a", "b"});
  // Already in the destination: removed from the source only; the emptied source goes.
  CHECK(Must(sets.Move(0, "src", "dst", "b")));
  CHECK(Must(keyspace.Type(0, "src")) == std::nullopt);
  CHECK(Must(sets.Card(0, "dst")) == 2);
  // A missing member or source moves nothing; a missing source answers 0 before any type check.
  CHECK_FALSE(Must(sets.Move(0, "dst", "other", "zz")));
  CHECK_FALSE(Must(sets.Move(0, "missing", "str", "a")));
  CHECK(WrongType(sets.Move(0, "dst", "str", "a").status()));
  CHECK(WrongType(sets.Move(0, "str", "dst", "a").status()));
  CHECK(MembersOf("dst") == Members{"a", "b"});
  // Onto itself: membership decides, nothing changes.
  CHECK(Must(sets.Move(0, "dst", "dst", "a")));
  CHECK_FALSE(Must(sets.Move(0, "dst", "dst", "zz")));
  CHECK(MembersOf("dst") == Members{"a", "b"});
  // The destination is created.
  CHECK(Must(sets.Move(0, "dst", "fresh", "a")));
  CHECK(MembersOf("fresh") == Members{"a"});
  CHECK(Must(sets.Card(0, "fresh")) == 1);
}

TEST_CASE_FIXTURE(SetFixture, "set: inter, union, diff") {
  Add("a", {"1", "2", "3", "4"});
  Add("b", {"2", "3", "5"});
  Add("c", {"3", "4", "6"});
  CHECK(Sorted(Must(sets.Combine(0, SetOperation::kInter, {"a", "b"}))) == Members{"2", "3"});
  CHECK(Must(sets.Combine(0, SetOperation::kInter, {"a", "b", "c"})) == Members{"3"});
  CHECK(Must(sets.Combine(0, SetOperation::kInter, {"a", "missing"})).empty());
  CHECK(Sorted(Must(sets.Combine(0, SetOperation::kInter, {"a", "a"}))) == Members{"1", "2", "3", "4"});
  CHECK(Must(sets.Combine(0, SetOperation::kUnion, {"a", "b", "missing", "c"})) ==
        Members{"1", "2", "3", "4", "5", "6"});
  CHECK(Must(sets.Combine(0, SetOperation::kUnion, {"missing"})).empty());
  CHECK(Sorted(Must(sets.Combine(0, SetOperation::kDiff, {"a", "b"}))) == Members{"1", "4"});
  CHECK(Must(sets.Combine(0, SetOperation::kDiff, {"a", "b", "c"})) == Members{"1"});
  CHECK(Sorted(Must(sets.Combine(0, SetOperation::kDiff, {"a", "missing"}))) == Members{"1", "2", "3", "4"});
  CHECK(Must(sets.Combine(0, SetOperation::kDiff, {"missing", "a"})).empty());
  CHECK(Must(sets.Combine(0, SetOperation::kDiff, {"a", "a"})).empty());

  CHECK(Must(sets.InterCard(0, {"a", "b"}, 0)) == 2);
  CHECK(Must(sets.InterCard(0, {"a", "b"}, 1)) == 1);
  CHECK(Must(sets.InterCard(0, {"a", "b"}, 10)) == 2);
  CHECK(Must(sets.InterCard(0, {"a", "missing"}, 0)) == 0);
}

TEST_CASE_FIXTURE(SetFixture, "set: large intersections go through chunks") {
  std::vector<std::string> evens, threes;
  for (int i = 0; i < 3000; i += 2) evens.push_back("n" + std::to_string(i));
  for (int i = 0; i < 3000; i += 3) threes.push_back("n" + std::to_string(i));
  Add("evens", std::vector<std::string_view>(evens.begin(), evens.end()));
  Add("threes", std::vector<std::string_view>(threes.begin(), threes.end()));
  CHECK(Must(sets.Combine(0, SetOperation::kInter, {"evens", "threes"})).size() == 500);
  CHECK(Must(sets.InterCard(0, {"evens", "threes"}, 0)) == 500);
  CHECK(Must(sets.InterCard(0, {"evens", "threes"}, 300)) == 300);
  CHECK(Must(sets.Combine(0, SetOperation::kDiff, {"evens", "threes"})).size() == 1000);
  CHECK(Must(sets.Combine(0, SetOperation::kUnion, {"evens", "threes"})).size() == 2000);
}

TEST_CASE_FIXTURE(SetFixture, "set: store forms replace the destination") {
  Add("a", {"1", "2", "3"});
  Add("b", {"2", "3", "4"});
  // Over a string with a TTL: the string and its TTL are gone.
  Must(strings.Set(0, "dst", "text", {}));
  CHECK(Must(keyspace.ExpireAt(0, "dst", static_cast<int64_t>(now() + 100000), ExpireCondition::kAlways)));
  CHECK(Must(sets.CombineAndStore(0, SetOperation::kInter, "dst", {"a", "b"})) == 2);
  CHECK(MembersOf("dst") == Members{"2", "3"});
  CHECK(Must(keyspace.PttlMs(0, "dst")) == -1);
  // Over a hash.
  Must(hashes.Set(0, "h", {{"f", "v"}}));
  CHECK(Must(sets.CombineAndStore(0, SetOperation::kUnion, "h", {"a", "b"})) == 4);
  CHECK(MembersOf("h") == Members{"1", "2", "3", "4"});
  CHECK(Must(sets.Card(0, "h")) == 4);
  // Over an existing set: the old members do not linger.
  CHECK(Must(sets.CombineAndStore(0, SetOperation::kDiff, "dst", {"a", "b"})) == 1);
  CHECK(MembersOf("dst") == Members{"1"});
  // The destination among the sources.
  CHECK(Must(sets.CombineAndStore(0, SetOperation::kUnion, "a", {"a", "b"})) == 4);
  CHECK(MembersOf("a") == Members{"1", "2", "3", "4"});
  // An empty result deletes the destination.
  CHECK(Must(sets.CombineAndStore(0, SetOperation::kInter, "dst", {"a", "missing"})) == 0);
  CHECK(Must(keyspace.Type(0, "dst")) == std::nullopt);
  CHECK(Must(sets.CombineAndStore(0, SetOperation::kDiff, "nothing", {"a", "a"})) == 0);
  CHECK(Must(keyspace.Type(0, "nothing")) == std::nullopt);
}

TEST_CASE_FIXTURE(SetFixture, "set: scan") {
  Fill("s", 23);
  std::set<std::string> seen;
  std::string from;
  int pages = 0;
  do {
    auto page = Must(sets.Scan(0, "s", from, std::nullopt, 5));
    for (const auto& item : page.items) CHECK(seen.insert(item.field).second);
    from = page.next;
    ++pages;
  } while (!from.empty());
  CHECK(pages == 5);
  CHECK(seen.size() == 23);
  auto matched = Must(sets.Scan(0, "s", "", "m2*", 100));
  CHECK(matched.items.size() == 4);  // m2, m20, m21, m22
}

TEST_CASE_FIXTURE(SetFixture, "set: writes inside a transaction see each other") {
  Engine::Transaction transaction(*engine);
  CHECK(Add("s", {"a", "b"}) == 2);
  CHECK(Add("s", {"a", "c"}) == 1);
  CHECK(Must(sets.Card(0, "s")) == 3);
  CHECK(IsMember("s", "c"));
  CHECK(Must(sets.Remove(0, "s", {"a"})) == 1);
  CHECK(MembersOf("s") == Members{"b", "c"});
  MustOk(transaction.Finish());
  CHECK(MembersOf("s") == Members{"b", "c"});
  CHECK(Must(sets.Card(0, "s")) == 2);
}

TEST_CASE_FIXTURE(test::EngineFixture, "set: a membership test in a big set reads a few blocks, not the file's whole filter") {
  // The members of one set share a long key prefix and compress to a few
  // bytes each, so one SST file holds all of them and its filter is large;
  // a point read must still fetch only small partitions of it.
  {
    SetStore sets(*engine);
    std::vector<std::string> names;
    for (int i = 0; i < 400'000; ++i) names.push_back("member:" + std::to_string(i));
    for (size_t from = 0; from < names.size(); from += 10'000) {
      std::vector<std::string_view> chunk(names.begin() + from, names.begin() + from + 10'000);
      Must(sets.Add(0, "big", chunk));
    }
    REQUIRE(engine->db()->Flush(rocksdb::FlushOptions()).ok());
    REQUIRE(engine->db()->CompactRange(rocksdb::CompactRangeOptions(), engine->data(), nullptr, nullptr).ok());
  }
  Reopen();  // an empty block cache
  SetStore sets(*engine);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  CHECK(Must(sets.AreMembers(0, "big", {"member:123456", "member:-1"})) == std::vector<bool>{true, false});
  uint64_t read_bytes = rocksdb::get_perf_context()->block_read_byte;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  // A whole filter of 400,000 keys is about 500 KB; a filter partition, an
  // index partition and a data block per read are a few tens of KB.
  CHECK(read_bytes < 200 * 1024);
}

}  // namespace
}  // namespace kvd::storage
