// Reading ahead: a run of GETs served from one MultiGet, never past a write
// of the reading thread; pops from a list reading their next elements
// together inside a commit group; pipelined lookups of one collection's
// members read together.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/live_meta.h"
#include "storage/types/collection.h"
#include "storage/types/hash_store.h"
#include "storage/types/list_store.h"
#include "storage/types/set_store.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using test::Must;

struct ReadAheadFixture : test::EngineFixture {
  StringStore strings{*engine};
  std::optional<std::string> Get(std::string_view key, uint8_t db = 0) { return Must(strings.Get(db, key)); }
  void Set(std::string_view key, std::string_view value, uint8_t db = 0) {
    Must(strings.Set(db, key, value, SetOptions{}));
  }
};

TEST_CASE_FIXTURE(ReadAheadFixture, "keys read ahead are served from the MultiGet: present, absent, other types") {
  Set("a", "1");
  Set("b", "2");
  HashStore hashes(*engine);
  Must(hashes.Set(0, "h", {{"f", "v"}}));
  strings.ReadAheadForGets(0, {"a", "missing", "b", "h"});
  CHECK(Get("a") == "1");
  CHECK(Get("missing") == std::nullopt);
  CHECK(Get("b") == "2");
  CHECK(!strings.Get(0, "h").ok());  // WRONGTYPE, as without reading ahead
  CHECK(Get("a") == "1");            // a key may be asked for twice
  Engine::ClearReadAhead();
}

TEST_CASE_FIXTURE(ReadAheadFixture, "each GET of a run gets its own key's value, whatever the keys' order") {
  // The MultiGet runs in key order, the GETs in the run's order: every answer
  // must come from its own key. Another thread overwrites every key after
  // the read-ahead, so the old values prove the answers came from it.
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) {
    keys.push_back("key:" + std::to_string((i * 7919) % 1000));
    Set(keys.back(), "old-" + keys.back());
  }
  std::mt19937 rng(7);
  std::shuffle(keys.begin(), keys.end(), rng);
  keys.insert(keys.begin() + 10, keys[3]);  // a key asked for twice
  keys.insert(keys.begin() + 20, "key:missing");
  std::vector<std::string_view> run(keys.begin(), keys.end());
  strings.ReadAheadForGets(0, run);
  std::thread([&] {
    for (const std::string& key : keys) Set(key, "new");
  }).join();
  for (const std::string& key : keys) {
    if (key == "key:missing") {
      CHECK(Get(key) == std::nullopt);
    } else {
      CHECK(Get(key) == "old-" + key);
    }
  }
  CHECK(Get(keys[30]) == "old-" + keys[30]);  // out of order, still its own
  Engine::ClearReadAhead();
  CHECK(Get(keys[0]) == "new");
}

TEST_CASE_FIXTURE(ReadAheadFixture, "a write of the reading thread ends the read-ahead") {
  Set("a", "old");
  strings.ReadAheadForGets(0, {"a", "b"});
  Set("b", "new-b");
  Set("a", "new");
  CHECK(Get("a") == "new");
  CHECK(Get("b") == "new-b");
}

TEST_CASE_FIXTURE(ReadAheadFixture, "inside a commit group the group's writes come before what was read ahead") {
  Set("a", "committed");
  engine->OpenGroup();
  Set("a", "in-group");
  strings.ReadAheadForGets(0, {"a", "b"});
  CHECK(Get("a") == "in-group");
  CHECK(Get("b") == std::nullopt);
  Engine::ClearReadAhead();
  test::MustOk(engine->CommitGroup());
}

TEST_CASE_FIXTURE(ReadAheadFixture, "keys are read ahead for one database and one thread only") {
  Set("a", "db0");
  Set("a", "db1", 1);
  strings.ReadAheadForGets(0, {"a", "x"});
  CHECK(Get("a", 1) == "db1");
  std::optional<std::string> elsewhere;
  std::thread([&] { elsewhere = Get("a"); }).join();
  CHECK(elsewhere == "db0");
  Engine::ClearReadAhead();
}

TEST_CASE_FIXTURE(ReadAheadFixture, "MGET reads its keys ahead and leaves nothing behind") {
  Set("a", "1");
  Set("c", "3");
  auto values = Must(strings.MultiGet(0, {"a", "b", "c"}));
  REQUIRE(values.size() == 3);
  CHECK(values[0] == "1");
  CHECK(values[1] == std::nullopt);
  CHECK(values[2] == "3");
  // Nothing stale afterwards: another thread's write is seen at once.
  std::thread([&] { Set("a", "changed"); }).join();
  CHECK(Get("a") == "changed");
}

TEST_CASE_FIXTURE(ReadAheadFixture, "members read ahead inside a group answer HSET/HGET/SADD as the database would") {
  HashStore hashes(*engine);
  SetStore sets(*engine);
  Must(hashes.Set(0, "h", {{"a", "1"}, {"b", "2"}}));
  Must(sets.Add(0, "s", {"m"}));
  Set("str", "x");
  auto read_ahead = [&](std::string_view key, std::string_view member) {
    Metadata meta;
    if (!ReadLiveMeta(*engine, 0, key, &meta).ok()) return false;
    return Engine::IsReadAhead(engine->data(), EncodeSubKey(0, key, meta.version, member));
  };

  ReadAheadMembers(*engine, 0, "h", {"a", "b"});  // outside a group: nothing
  CHECK_FALSE(read_ahead("h", "a"));

  engine->OpenGroup();
  ReadAheadMembers(*engine, 0, "str", {"a"});  // a string has no members
  ReadAheadMembers(*engine, 0, "missing", {"a"});
  ReadAheadMembers(*engine, 0, "h", {"a", "new", "b", "a"});
  CHECK(read_ahead("h", "a"));
  CHECK(read_ahead("h", "new"));
  CHECK(Must(hashes.Set(0, "h", {{"a", "changed"}})) == 0);
  CHECK(Must(hashes.Set(0, "h", {{"new", "3"}})) == 1);
  CHECK(Must(hashes.Set(0, "h", {{"new", "4"}})) == 0);  // the group's write comes before the read-ahead
  CHECK(Must(hashes.Get(0, "h", "a")) == "changed");
  CHECK(Must(hashes.Get(0, "h", "b")) == "2");
  Engine::ClearReadAhead();
  ReadAheadMembers(*engine, 0, "s", {"m", "n"});
  CHECK(Must(sets.Add(0, "s", {"m"})) == 0);
  CHECK(Must(sets.Add(0, "s", {"n"})) == 1);
  Engine::ClearReadAhead();
  test::MustOk(engine->CommitGroup());
  CHECK(Must(hashes.Get(0, "h", "new")) == "4");
  CHECK(Must(sets.Card(0, "s")) == 2);
}

TEST_CASE_FIXTURE(ReadAheadFixture, "pops read ahead inside commit groups match a deque, whatever the group writes") {
  ListStore lists(*engine);
  std::deque<std::string> model;
  int next_value = 0;
  auto push = [&](ListSide side) {
    std::string value = "v" + std::to_string(next_value++);
    Must(lists.Push(0, "q", side, {value}));
    side == ListSide::kLeft ? model.push_front(value) : model.push_back(value);
  };
  for (int i = 0; i < 200; ++i) push(ListSide::kRight);  // committed before any group

  std::mt19937 random(7);
  auto pick = [&](unsigned n) { return static_cast<unsigned>(random() % n); };
  for (int group = 0; group < 60; ++group) {
    engine->OpenGroup();
    for (unsigned step = 0, steps = 1 + pick(40); step < steps; ++step) {
      unsigned what = pick(10);
      if (what < 6) {
        ListSide side = pick(2) == 0 ? ListSide::kLeft : ListSide::kRight;
        auto popped = Must(lists.Pop(0, "q", side, 1));
        if (model.empty()) {
          CHECK(popped == std::nullopt);
          continue;
        }
        REQUIRE(popped.has_value());
        CHECK(*popped == std::vector<std::string>{side == ListSide::kLeft ? model.front() : model.back()});
        side == ListSide::kLeft ? model.pop_front() : model.pop_back();
      } else if (what < 8) {
        push(pick(2) == 0 ? ListSide::kLeft : ListSide::kRight);
      } else if (!model.empty()) {
        // LSET next to an end: the very elements the next pops read ahead.
        size_t index = pick(2) == 0 ? pick(3) % model.size() : model.size() - 1 - pick(3) % model.size();
        std::string value = "set" + std::to_string(next_value++);
        test::MustOk(lists.Set(0, "q", static_cast<int64_t>(index), value));
        model[index] = value;
      }
    }
    test::MustOk(engine->CommitGroup());
    if (group % 10 == 9) {  // refill, outside any group
      for (int i = 0; i < 50; ++i) push(ListSide::kRight);
    }
  }
  auto all = Must(lists.Range(0, "q", 0, -1));
  CHECK(all == std::vector<std::string>(model.begin(), model.end()));
}

TEST_CASE_FIXTURE(ReadAheadFixture, "pops read ahead nothing outside a commit group") {
  ListStore lists(*engine);
  Must(lists.Push(0, "q", ListSide::kRight, {"a", "b", "c"}));
  CHECK(Must(lists.Pop(0, "q", ListSide::kLeft, 1)) == std::vector<std::string>{"a"});
  // Without a group the key's lock ended with the pop: another thread may change the list now.
  std::thread([&] { test::MustOk(lists.Set(0, "q", 0, "changed")); }).join();
  CHECK(Must(lists.Pop(0, "q", ListSide::kLeft, 1)) == std::vector<std::string>{"changed"});
}

}  // namespace
}  // namespace kvd::storage
