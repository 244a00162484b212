// cluster/raft/file_storage: the durable Raft state survives reopening, a
// torn last record is dropped, damage before intact records is an error.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "cluster/raft/file_storage.h"
#include "test/unit/test_support.h"

namespace kvd::test {
namespace {
using namespace kvd::cluster::raft;

Entry MakeEntry(Index index, Term term, std::string data) {
  Entry entry;
  entry.index = index;
  entry.term = term;
  entry.data = std::move(data);
  return entry;
}

PersistentState Initial() {
  Membership voters;
  voters.voters = {1, 2, 3};
  return PersistentState::Bootstrap(voters);
}

std::string FileOf(const TempDir& dir) { return dir.path() + "/raft.log"; }

}  // namespace

TEST_SUITE("raft file storage") {
  TEST_CASE("what was persisted comes back after reopening") {
    TempDir dir;
    {
      auto storage = Must(FileStorage::Open(dir.path(), Initial()));
      CHECK(storage->state().snapshot.meta.membership.voters.size() == 3);
      Ready ready;
      ready.entries = {MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")};
      ready.hard_state = HardState{1, 2, 1};
      MustOk(storage->Persist(ready));
      Ready overwrite;  // a new leader replaces entry 2
      overwrite.entries = {MakeEntry(2, 2, "c")};
      overwrite.hard_state = HardState{2, 3, 2};
      MustOk(storage->Persist(overwrite));
    }
    auto storage = Must(FileStorage::Open(dir.path(), PersistentState()));
    const PersistentState& state = storage->state();
    CHECK(state.snapshot.meta.membership.voters.size() == 3);
    REQUIRE(state.entries.size() == 2);
    CHECK(state.entries[1].data == "c");
    CHECK(state.entries[1].term == 2);
    CHECK(state.hard_state == HardState{2, 3, 2});
    CHECK(storage->recovery_note().empty());
  }

  TEST_CASE("a torn last record is dropped and damage in the middle is refused") {
    TempDir dir;
    {
      auto storage = Must(FileStorage::Open(dir.path(), Initial()));
      Ready ready;
      ready.entries = {MakeEntry(1, 1, "first"), MakeEntry(2, 1, "second")};
      MustOk(storage->Persist(ready));
    }
    auto size = std::filesystem::file_size(FileOf(dir));
    std::filesystem::resize_file(FileOf(dir), size - 3);
    {
      auto storage = Must(FileStorage::Open(dir.path(), PersistentState()));
      CHECK(storage->state().entries.size() == 1);
      CHECK(storage->recovery_note().find("torn") != std::string::npos);
      Ready ready;
      ready.entries = {MakeEntry(2, 1, "again"), MakeEntry(3, 1, "third")};
      MustOk(storage->Persist(ready));
    }
    auto storage = Must(FileStorage::Open(dir.path(), PersistentState()));
    REQUIRE(storage->state().entries.size() == 3);
    CHECK(storage->state().entries[1].data == "again");

    // Flip a byte of the first entry's payload: intact records follow, so it is corruption.
    std::fstream file(FileOf(dir), std::ios::in | std::ios::out | std::ios::binary);
    std::string contents((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    size_t at = contents.find("first");
    REQUIRE(at != std::string::npos);
    file.seekp(static_cast<std::streamoff>(at));
    file.put('F');
    file.close();
    CHECK(FileStorage::Open(dir.path(), PersistentState()).status().Is(Status::Code::kCorruption));
  }

  TEST_CASE("a snapshot lets the file be rewritten without the compacted entries") {
    TempDir dir;
    auto storage = Must(FileStorage::Open(dir.path(), Initial()));
    std::string big(100'000, 'x');
    for (Index i = 1; i <= 60; ++i) {
      Ready ready;
      ready.entries = {MakeEntry(i, 1, big)};
      ready.hard_state = HardState{1, 1, i};
      MustOk(storage->Persist(ready));
    }
    uint64_t before = storage->file_bytes();
    Snapshot snapshot;
    snapshot.meta.index = 58;
    snapshot.meta.term = 1;
    snapshot.meta.membership = storage->state().snapshot.meta.membership;
    snapshot.data = "state";
    MustOk(storage->SaveSnapshot(snapshot));
    CHECK(storage->file_bytes() < before / 10);
    storage.reset();
    auto reopened = Must(FileStorage::Open(dir.path(), PersistentState()));
    CHECK(reopened->state().snapshot.meta.index == 58);
    CHECK(reopened->state().snapshot.data == "state");
    REQUIRE(reopened->state().entries.size() == 2);
    CHECK(reopened->state().entries[0].index == 59);
    CHECK(reopened->state().hard_state.commit == 60);
  }
}

}  // namespace kvd::test
