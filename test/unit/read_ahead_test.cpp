// Reading ahead: a run of GETs served from one MultiGet, never past a write
// of the reading thread.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <thread>

#include "storage/types/hash_store.h"
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

}  // namespace
}  // namespace kvd::storage
