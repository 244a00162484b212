// ListStore on a temporary RocksDB: pushes and pops at both ends, index and
// range reads, the rewriting commands (LINSERT, LREM, LTRIM), moves, LPOS,
// a randomized comparison with std::deque, and checks that reads stay bounded.
#include <doctest/doctest.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <chrono>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/keyspace.h"
#include "storage/types/list_store.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using test::Must;
using test::MustOk;
using Strings = std::vector<std::string>;

constexpr ListSide kLeft = ListSide::kLeft;
constexpr ListSide kRight = ListSide::kRight;

struct ListFixture : test::EngineFixture {
  std::optional<ListStore> lists{std::in_place, *engine};
  std::optional<StringStore> strings{std::in_place, *engine};
  std::optional<Keyspace> keyspace{std::in_place, *engine};

  uint64_t Push(std::string_view key, ListSide side, const std::vector<std::string_view>& values) {
    return Must(lists->Push(0, key, side, values));
  }
  Strings All(std::string_view key) { return Must(lists->Range(0, key, 0, -1)); }
  std::optional<Strings> Pop(std::string_view key, ListSide side, uint64_t count) {
    return Must(lists->Pop(0, key, side, count));
  }
  uint64_t Length(std::string_view key) { return Must(lists->Length(0, key)); }
  // The stored elements of the current version must be exactly [head, tail):
  // nothing left behind by a rewrite.
  size_t StoredElements(std::string_view key) {
    uint64_t version = 0;
    Metadata meta;
    std::string raw;
    if (engine->Get(engine->meta(), EncodeMetaKey(0, key), &raw).ok()) {
      MustOk(DecodeMetadata(raw, &meta));
      version = meta.version;
    }
    size_t count = 0;
    for (const auto& field : test::DataOf(*engine, 0, key)) count += field.version == version ? 1 : 0;
    return count;
  }
  void CheckDense(std::string_view key) { CHECK(StoredElements(key) == Length(key)); }
  std::vector<uint64_t> Pos(std::string_view key, std::string_view value, ListPosOptions options) {
    return Must(lists->Positions(0, key, value, options));
  }
};

ListPosOptions PosOptions(int64_t rank, uint64_t count, uint64_t maxlen) {
  ListPosOptions options;
  options.from_tail = rank < 0;
  options.skip_matches = static_cast<uint64_t>(rank < 0 ? -rank : rank) - 1;
  options.max_matches = count;
  options.max_compared = maxlen;
  return options;
}

TEST_CASE_FIXTURE(ListFixture, "lists: push and pop at both ends") {
  CHECK(Push("l", kRight, {"a", "b", "c"}) == 3);
  CHECK(Push("l", kLeft, {"x", "y"}) == 5);  // pushed one by one: y ends up first
  CHECK(All("l") == Strings{"y", "x", "a", "b", "c"});
  CHECK(Length("l") == 5);
  CHECK(Pop("l", kLeft, 1) == Strings{"y"});
  CHECK(Pop("l", kRight, 2) == Strings{"c", "b"});
  CHECK(Pop("l", kLeft, 0) == Strings{});
  CHECK(All("l") == Strings{"x", "a"});
  CheckDense("l");
  CHECK(Pop("l", kRight, 100) == Strings{"a", "x"});
  CHECK(Length("l") == 0);
  CHECK(Pop("l", kLeft, 1) == std::nullopt);
  CHECK(Pop("l", kLeft, 0) == std::nullopt);
  CHECK(Must(keyspace->Exists(0, {"l"})) == 0);
  // A list that is created again starts fresh.
  CHECK(Push("l", kLeft, {"new"}) == 1);
  CHECK(All("l") == Strings{"new"});
  CheckDense("l");
}

TEST_CASE_FIXTURE(ListFixture, "lists: PUSHX only on existing lists") {
  CHECK(Must(lists->Push(0, "l", kLeft, {"a"}, true)) == 0);
  CHECK(Must(keyspace->Exists(0, {"l"})) == 0);
  Push("l", kLeft, {"a"});
  CHECK(Must(lists->Push(0, "l", kRight, {"b", "c"}, true)) == 3);
  CHECK(All("l") == Strings{"a", "b", "c"});
}

TEST_CASE_FIXTURE(ListFixture, "lists: wrong type and expiry") {
  SetOptions plain;
  REQUIRE(Must(strings->Set(0, "s", "v", plain)).written);
  CHECK(lists->Push(0, "s", kLeft, {"a"}).status().Is(Status::Code::kWrongType));
  CHECK(lists->Pop(0, "s", kLeft, 1).status().Is(Status::Code::kWrongType));
  CHECK(lists->Length(0, "s").status().Is(Status::Code::kWrongType));
  CHECK(lists->Range(0, "s", 0, -1).status().Is(Status::Code::kWrongType));
  CHECK(lists->Index(0, "s", 0).status().Is(Status::Code::kWrongType));
  CHECK(lists->Set(0, "s", 0, "x").Is(Status::Code::kWrongType));
  CHECK(lists->Positions(0, "s", "v", PosOptions(1, 1, 0)).status().Is(Status::Code::kWrongType));
  CHECK(lists->Trim(0, "s", 0, 1).Is(Status::Code::kWrongType));
  CHECK(lists->Remove(0, "s", 0, "v").status().Is(Status::Code::kWrongType));
  CHECK(lists->Insert(0, "s", true, "v", "x").status().Is(Status::Code::kWrongType));

  Push("l", kRight, {"a", "b"});
  REQUIRE(Must(keyspace->ExpireAt(0, "l", static_cast<int64_t>(now() + 1000), ExpireCondition::kAlways)));
  clock.Advance(1000);
  CHECK(Length("l") == 0);
  CHECK(All("l").empty());
  CHECK(Pop("l", kLeft, 1) == std::nullopt);
  CHECK(Push("l", kRight, {"c"}) == 1);  // a fresh list, not the expired one
  CHECK(All("l") == Strings{"c"});
  CHECK(Must(keyspace->PttlMs(0, "l")) == -1);
}

TEST_CASE_FIXTURE(ListFixture, "lists: LRANGE and LINDEX indexes") {
  Push("l", kRight, {"a", "b", "c", "d", "e"});
  CHECK(Must(lists->Range(0, "l", 1, 2)) == Strings{"b", "c"});
  CHECK(Must(lists->Range(0, "l", -2, -1)) == Strings{"d", "e"});
  CHECK(Must(lists->Range(0, "l", -100, 100)) == Strings{"a", "b", "c", "d", "e"});
  CHECK(Must(lists->Range(0, "l", INT64_MIN, INT64_MAX)) == Strings{"a", "b", "c", "d", "e"});
  CHECK(Must(lists->Range(0, "l", INT64_MAX, INT64_MIN)).empty());
  CHECK(Must(lists->Range(0, "l", 3, 1)).empty());
  CHECK(Must(lists->Range(0, "l", 5, 10)).empty());
  CHECK(Must(lists->Range(0, "l", -1, -100)).empty());
  CHECK(Must(lists->Range(0, "missing", 0, -1)).empty());

  CHECK(Must(lists->Index(0, "l", 0)) == "a");
  CHECK(Must(lists->Index(0, "l", -1)) == "e");
  CHECK(Must(lists->Index(0, "l", 4)) == "e");
  CHECK(Must(lists->Index(0, "l", 5)) == std::nullopt);
  CHECK(Must(lists->Index(0, "l", -6)) == std::nullopt);
  CHECK(Must(lists->Index(0, "l", INT64_MIN)) == std::nullopt);
  CHECK(Must(lists->Index(0, "missing", 0)) == std::nullopt);
}

TEST_CASE_FIXTURE(ListFixture, "lists: LSET") {
  CHECK(lists->Set(0, "missing", 0, "x").Is(Status::Code::kNotFound));
  Push("l", kRight, {"a", "b", "c"});
  MustOk(lists->Set(0, "l", 0, "A"));
  MustOk(lists->Set(0, "l", -1, "C"));
  Status out_of_range = lists->Set(0, "l", 3, "x");
  CHECK(out_of_range.Is(Status::Code::kOutOfRange));
  CHECK(out_of_range.message() == "ERR index out of range");
  CHECK(lists->Set(0, "l", -4, "x").Is(Status::Code::kOutOfRange));
  CHECK(All("l") == Strings{"A", "b", "C"});
  CheckDense("l");
}

TEST_CASE_FIXTURE(ListFixture, "lists: LINSERT shifts the shorter side") {
  CHECK(Must(lists->Insert(0, "missing", true, "a", "x")) == 0);
  Push("l", kRight, {"a", "b", "c", "d", "e", "f"});
  CHECK(Must(lists->Insert(0, "l", true, "zz", "x")) == -1);
  CHECK(Must(lists->Insert(0, "l", true, "b", "1")) == 7);   // near the head
  CHECK(Must(lists->Insert(0, "l", false, "e", "2")) == 8);  // near the tail
  CHECK(Must(lists->Insert(0, "l", true, "a", "0")) == 9);   // before the first
  CHECK(Must(lists->Insert(0, "l", false, "f", "3")) == 10);  // after the last
  CHECK(All("l") == Strings{"0", "a", "1", "b", "c", "d", "e", "2", "f", "3"});
  CheckDense("l");
  // Duplicates: the first match from the head is the pivot.
  Push("d", kRight, {"p", "q", "p"});
  CHECK(Must(lists->Insert(0, "d", false, "p", "X")) == 4);
  CHECK(All("d") == Strings{"p", "X", "q", "p"});
}

TEST_CASE_FIXTURE(ListFixture, "lists: LREM from either end") {
  CHECK(Must(lists->Remove(0, "missing", 0, "a")) == 0);
  Push("l", kRight, {"a", "b", "a", "c", "a", "d", "a"});
  CHECK(Must(lists->Remove(0, "l", 1, "a")) == 1);
  CHECK(All("l") == Strings{"b", "a", "c", "a", "d", "a"});
  CheckDense("l");
  CHECK(Must(lists->Remove(0, "l", -2, "a")) == 2);
  CHECK(All("l") == Strings{"b", "a", "c", "d"});
  CheckDense("l");
  CHECK(Must(lists->Remove(0, "l", 0, "zz")) == 0);
  CHECK(Must(lists->Remove(0, "l", 0, "a")) == 1);
  CHECK(All("l") == Strings{"b", "c", "d"});
  CheckDense("l");
  CHECK(Must(lists->Remove(0, "l", INT64_MIN, "c")) == 1);
  CHECK(All("l") == Strings{"b", "d"});
  // Removing everything removes the key.
  Push("same", kRight, {"x", "x", "x"});
  CHECK(Must(lists->Remove(0, "same", 0, "x")) == 3);
  CHECK(Must(keyspace->Exists(0, {"same"})) == 0);
}

TEST_CASE_FIXTURE(ListFixture, "lists: LTRIM") {
  MustOk(lists->Trim(0, "missing", 0, 1));
  Push("l", kRight, {"a", "b", "c", "d", "e"});
  MustOk(lists->Trim(0, "l", 1, -2));
  CHECK(All("l") == Strings{"b", "c", "d"});
  CheckDense("l");
  MustOk(lists->Trim(0, "l", -100, 100));
  CHECK(All("l") == Strings{"b", "c", "d"});
  MustOk(lists->Trim(0, "l", 0, 0));
  CHECK(All("l") == Strings{"b"});
  CheckDense("l");
  MustOk(lists->Trim(0, "l", 5, 1));
  CHECK(Must(keyspace->Exists(0, {"l"})) == 0);
}

TEST_CASE_FIXTURE(ListFixture, "lists: LPOS") {
  CHECK(Pos("missing", "a", PosOptions(1, 0, 0)).empty());
  Push("l", kRight, {"a", "b", "c", "a", "b", "c", "a"});
  CHECK(Pos("l", "a", PosOptions(1, 1, 0)) == std::vector<uint64_t>{0});
  CHECK(Pos("l", "a", PosOptions(2, 1, 0)) == std::vector<uint64_t>{3});
  CHECK(Pos("l", "a", PosOptions(-1, 1, 0)) == std::vector<uint64_t>{6});
  CHECK(Pos("l", "a", PosOptions(-1, 0, 0)) == std::vector<uint64_t>{6, 3, 0});
  CHECK(Pos("l", "a", PosOptions(1, 0, 0)) == std::vector<uint64_t>{0, 3, 6});
  CHECK(Pos("l", "a", PosOptions(1, 2, 0)) == std::vector<uint64_t>{0, 3});
  CHECK(Pos("l", "a", PosOptions(1, 0, 3)) == std::vector<uint64_t>{0});
  CHECK(Pos("l", "a", PosOptions(1, 0, 4)) == std::vector<uint64_t>{0, 3});
  CHECK(Pos("l", "a", PosOptions(-1, 0, 1)) == std::vector<uint64_t>{6});
  CHECK(Pos("l", "a", PosOptions(4, 0, 0)).empty());
  CHECK(Pos("l", "z", PosOptions(1, 0, 0)).empty());
}

TEST_CASE_FIXTURE(ListFixture, "lists: moves between lists and rotation") {
  CHECK(Must(lists->Move(0, "missing", "dst", kRight, kLeft)) == std::nullopt);
  CHECK(Must(keyspace->Exists(0, {"dst"})) == 0);
  Push("src", kRight, {"a", "b", "c"});
  CHECK(Must(lists->Move(0, "src", "dst", kRight, kLeft)) == "c");
  CHECK(Must(lists->Move(0, "src", "dst", kLeft, kRight)) == "a");
  CHECK(All("src") == Strings{"b"});
  CHECK(All("dst") == Strings{"c", "a"});
  CHECK(Must(lists->Move(0, "src", "dst", kLeft, kLeft)) == "b");
  CHECK(Must(keyspace->Exists(0, {"src"})) == 0);
  CHECK(All("dst") == Strings{"b", "c", "a"});
  CheckDense("dst");

  // The same key rotates.
  CHECK(Must(lists->Move(0, "dst", "dst", kLeft, kRight)) == "b");
  CHECK(All("dst") == Strings{"c", "a", "b"});
  CHECK(Must(lists->Move(0, "dst", "dst", kRight, kLeft)) == "b");
  CHECK(All("dst") == Strings{"b", "c", "a"});
  CHECK(Must(lists->Move(0, "dst", "dst", kLeft, kLeft)) == "b");
  CHECK(Must(lists->Move(0, "dst", "dst", kRight, kRight)) == "a");
  CHECK(All("dst") == Strings{"b", "c", "a"});
  CheckDense("dst");
  Push("one", kRight, {"x"});
  CHECK(Must(lists->Move(0, "one", "one", kLeft, kRight)) == "x");
  CHECK(Must(lists->Move(0, "one", "one", kRight, kLeft)) == "x");
  CHECK(All("one") == Strings{"x"});
  CheckDense("one");

  // The destination's type is checked before anything moves.
  SetOptions plain;
  REQUIRE(Must(strings->Set(0, "s", "v", plain)).written);
  CHECK(lists->Move(0, "dst", "s", kLeft, kLeft).status().Is(Status::Code::kWrongType));
  CHECK(All("dst") == Strings{"b", "c", "a"});
  CHECK(lists->Move(0, "s", "dst", kLeft, kLeft).status().Is(Status::Code::kWrongType));
  CHECK(Must(lists->Move(0, "missing", "s", kLeft, kLeft)) == std::nullopt);
}

TEST_CASE_FIXTURE(ListFixture, "lists: pop from the first non-empty key") {
  CHECK(Must(lists->PopFirstNonEmpty(0, {"x", "y"}, kLeft, 1)) == std::nullopt);
  Push("y", kRight, {"a", "b", "c"});
  auto popped = Must(lists->PopFirstNonEmpty(0, {"x", "y"}, kRight, 2));
  REQUIRE(popped.has_value());
  CHECK(popped->key == "y");
  CHECK(popped->values == Strings{"c", "b"});
  SetOptions plain;
  REQUIRE(Must(strings->Set(0, "s", "v", plain)).written);
  CHECK(lists->PopFirstNonEmpty(0, {"x", "s", "y"}, kLeft, 1).status().Is(Status::Code::kWrongType));
  // A list before the string is served without looking further.
  popped = Must(lists->PopFirstNonEmpty(0, {"y", "s"}, kLeft, 5));
  REQUIRE(popped.has_value());
  CHECK(popped->values == Strings{"a"});
  CHECK(Must(keyspace->Exists(0, {"y"})) == 0);
}

TEST_CASE_FIXTURE(ListFixture, "lists: databases, copies and renames keep elements") {
  Push("l", kRight, {"a", "b"});
  CHECK(Must(lists->Push(1, "l", kRight, {"z"})) == 1);
  CHECK(Must(lists->Range(1, "l", 0, -1)) == Strings{"z"});
  CHECK(Must(keyspace->Copy(0, "l", 0, "copy", false)));
  CHECK(Must(keyspace->Rename(0, "l", "renamed", false)));
  CHECK(Pop("copy", kLeft, 1) == Strings{"a"});
  CHECK(All("renamed") == Strings{"a", "b"});
  CHECK(Push("renamed", kLeft, {"0"}) == 3);
  CHECK(All("renamed") == Strings{"0", "a", "b"});
}

TEST_CASE_FIXTURE(ListFixture, "lists: reads inside a transaction see its writes") {
  Push("l", kRight, {"a"});
  {
    Engine::Transaction transaction(*engine);
    Push("l", kRight, {"b"});
    CHECK(All("l") == Strings{"a", "b"});
    CHECK(Must(lists->Index(0, "l", -1)) == "b");
    MustOk(transaction.Finish());
  }
  CHECK(All("l") == Strings{"a", "b"});
}

TEST_CASE_FIXTURE(ListFixture, "lists: random operations match a deque") {
  std::mt19937 random(12345);
  std::deque<std::string> model;
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto value = [&] { return std::string(1, static_cast<char>('a' + pick(4))); };
  for (int step = 0; step < 3000; ++step) {
    int size = static_cast<int>(model.size());
    switch (pick(10)) {
      case 0: {
        std::string v = value();
        Push("r", kLeft, {v});
        model.push_front(v);
        break;
      }
      case 1: {
        std::string v = value();
        Push("r", kRight, {v});
        model.push_back(v);
        break;
      }
      case 2: {
        uint64_t count = static_cast<uint64_t>(pick(3));
        ListSide side = pick(2) == 0 ? kLeft : kRight;
        auto popped = Pop("r", side, count);
        if (model.empty()) {
          CHECK_FALSE(popped.has_value());
          break;
        }
        Strings expected;
        for (uint64_t i = 0; i < count && !model.empty(); ++i) {
          expected.push_back(side == kLeft ? model.front() : model.back());
          side == kLeft ? model.pop_front() : model.pop_back();
        }
        CHECK(popped == expected);
        break;
      }
      case 3: {
        std::string pivot = value();
        std::string v = value();
        bool before = pick(2) == 0;
        int64_t result = Must(lists->Insert(0, "r", before, pivot, v));
        auto it = std::find(model.begin(), model.end(), pivot);
        if (model.empty()) {
          CHECK(result == 0);
        } else if (it == model.end()) {
          CHECK(result == -1);
        } else {
          model.insert(before ? it : it + 1, v);
          CHECK(result == static_cast<int64_t>(model.size()));
        }
        break;
      }
      case 4: {
        int64_t count = pick(5) - 2;
        std::string v = value();
        uint64_t removed = Must(lists->Remove(0, "r", count, v));
        uint64_t expected = 0;
        if (count >= 0) {
          for (auto it = model.begin(); it != model.end();) {
            if (*it == v && (count == 0 || expected < static_cast<uint64_t>(count))) {
              it = model.erase(it);
              ++expected;
            } else {
              ++it;
            }
          }
        } else {
          for (int i = static_cast<int>(model.size()) - 1; i >= 0; --i) {
            if (model[i] == v && expected < static_cast<uint64_t>(-count)) {
              model.erase(model.begin() + i);
              ++expected;
            }
          }
        }
        CHECK(removed == expected);
        break;
      }
      case 5: {
        // Mostly small trims from the ends, sometimes anything.
        int64_t start = pick(3) == 0 ? pick(size + 3) - 2 : pick(2);
        int64_t stop = pick(3) == 0 ? pick(size + 3) - 2 : -1 - pick(2);
        MustOk(lists->Trim(0, "r", start, stop));
        int64_t s = start < 0 ? start + size : start;
        int64_t e = stop < 0 ? stop + size : stop;
        if (s < 0) s = 0;
        if (s > e || s >= size) {
          model.clear();
        } else {
          if (e >= size) e = size - 1;
          model = std::deque<std::string>(model.begin() + s, model.begin() + e + 1);
        }
        break;
      }
      case 6: {
        if (size == 0) break;
        int64_t index = pick(size * 2) - size;
        std::string v = value();
        MustOk(lists->Set(0, "r", index, v));
        model[static_cast<size_t>(index < 0 ? index + size : index)] = v;
        break;
      }
      case 7: {
        ListSide from = pick(2) == 0 ? kLeft : kRight;
        ListSide to = pick(2) == 0 ? kLeft : kRight;
        auto moved = Must(lists->Move(0, "r", "r", from, to));
        CHECK(moved.has_value() == !model.empty());
        if (moved) {
          std::string v = from == kLeft ? model.front() : model.back();
          CHECK(*moved == v);
          from == kLeft ? model.pop_front() : model.pop_back();
          to == kLeft ? model.push_front(v) : model.push_back(v);
        }
        break;
      }
      case 8: {
        int64_t index = pick(size + 4) - 2 - size / 2;
        auto got = Must(lists->Index(0, "r", index));
        int64_t real = index < 0 ? index + size : index;
        if (real < 0 || real >= size) {
          CHECK(got == std::nullopt);
        } else {
          CHECK(got == model[static_cast<size_t>(real)]);
        }
        break;
      }
      default: {
        int64_t start = pick(size + 4) - 2;
        int64_t stop = pick(size + 4) - 2;
        Strings got = Must(lists->Range(0, "r", start, stop));
        int64_t s = start < 0 ? start + size : start;
        int64_t e = stop < 0 ? stop + size : stop;
        if (s < 0) s = 0;
        Strings expected;
        if (!(s > e || s >= size)) {
          if (e >= size) e = size - 1;
          expected.assign(model.begin() + s, model.begin() + e + 1);
        }
        CHECK(got == expected);
        break;
      }
    }
    REQUIRE(Length("r") == model.size());
    if (step % 50 == 0) {
      REQUIRE(All("r") == Strings(model.begin(), model.end()));
      REQUIRE(StoredElements("r") == model.size());
    }
  }
}

// How many SST blocks (index, filter and data; from the cache or the disk)
// one call touched: a bounded read touches a handful whatever the list size.
template <typename F>
uint64_t BlocksTouched(F&& f) {
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  f();
  const rocksdb::PerfContext& perf = *rocksdb::get_perf_context();
  uint64_t blocks = perf.block_read_count + perf.block_cache_hit_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  return blocks;
}

TEST_CASE_FIXTURE(ListFixture, "lists: index and range reads are bounded on a large list") {
  constexpr int kElements = 200'000;
  std::vector<std::string> chunk;
  for (int i = 0; i < kElements; i += 1000) {
    chunk.clear();
    for (int j = i; j < i + 1000; ++j) chunk.push_back("value-" + std::to_string(j));
    Push("big", kRight, std::vector<std::string_view>(chunk.begin(), chunk.end()));
  }
  REQUIRE(engine->db()->Flush(rocksdb::FlushOptions(), engine->data()).ok());
  constexpr uint64_t kBudget = 24;  // the list itself spans hundreds of blocks

  // The counters do count: reading the whole list touches every block.
  CHECK(BlocksTouched([&] { CHECK(Must(lists->Range(0, "big", 0, -1)).size() == kElements); }) > 100);
  CHECK(BlocksTouched([&] { CHECK(Length("big") == kElements); }) < kBudget);
  CHECK(BlocksTouched([&] { CHECK(Must(lists->Index(0, "big", 5)) == "value-5"); }) < kBudget);
  CHECK(BlocksTouched([&] { CHECK(Must(lists->Index(0, "big", -3)) == "value-199997"); }) < kBudget);
  CHECK(BlocksTouched([&] { CHECK(Must(lists->Index(0, "big", kElements / 2)) == "value-100000"); }) < kBudget);
  CHECK(BlocksTouched([&] { CHECK(Must(lists->Range(0, "big", 0, 9)).size() == 10); }) < kBudget);
  CHECK(BlocksTouched([&] { CHECK(Must(lists->Range(0, "big", -10, -1)).back() == "value-199999"); }) < kBudget);
  CHECK(BlocksTouched([&] { MustOk(lists->Set(0, "big", -2, "changed")); }) < kBudget);
  CHECK(BlocksTouched([&] { CHECK(Pop("big", kLeft, 1) == Strings{"value-0"}); }) < kBudget);
  CHECK(BlocksTouched([&] { MustOk(lists->Trim(0, "big", 1, -2)); }) < kBudget);
  CHECK(Must(lists->Index(0, "big", 0)) == "value-2");
  CHECK(Must(lists->Index(0, "big", -1)) == "changed");
  CHECK(Length("big") == kElements - 3);
  // An insert next to the head shifts only the few elements before it.
  CHECK(BlocksTouched([&] { CHECK(Must(lists->Insert(0, "big", true, "value-4", "new")) == kElements - 2); }) <
        kBudget);
  CHECK(Must(lists->Range(0, "big", 0, 3)) == Strings{"value-2", "value-3", "new", "value-4"});
}

}  // namespace
}  // namespace kvd::storage
