// The engine's commit group: many commands' writes collected on one thread
// into one batch, with their key locks held until it is written.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/binlog_record.h"
#include "storage/keyspace.h"
#include "storage/types/hash_store.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using test::Must;
using test::MustOk;

struct GroupFixture : test::EngineFixture {
  StringStore strings{*engine};
  Keyspace keyspace{*engine};

  std::optional<std::string> Get(std::string_view key) { return Must(strings.Get(0, key)); }
  void Set(std::string_view key, std::string_view value) { Must(strings.Set(0, key, value, SetOptions{})); }
  // What another thread (another client's io thread) reads right now.
  std::optional<std::string> GetElsewhere(std::string_view key) {
    std::optional<std::string> seen;
    std::thread([&] { seen = Get(key); }).join();
    return seen;
  }
};

TEST_CASE_FIXTURE(GroupFixture, "a group's writes are seen by its own thread at once and by others after CommitGroup") {
  size_t observed_batches = 0;
  engine->SetCommitObserver([&](const rocksdb::WriteBatch&) { ++observed_batches; });
  engine->OpenGroup();
  Set("a", "1");
  Set("b", "2");
  CHECK(Must(strings.IncrBy(0, "a", 10)) == 11);
  CHECK(Get("a") == "11");
  CHECK(engine->GroupNeedsCommit());
  CHECK(GetElsewhere("a") == std::nullopt);
  CHECK(observed_batches == 0);
  MustOk(engine->CommitGroup());
  CHECK_FALSE(engine->GroupNeedsCommit());
  CHECK(observed_batches == 1);  // three commands, one RocksDB write
  CHECK(GetElsewhere("a") == "11");
  CHECK(GetElsewhere("b") == "2");
}

TEST_CASE_FIXTURE(GroupFixture, "a group writes each key once, with its last value, and keeps every binlog record") {
  size_t puts = 0, deletes = 0, records = 0;
  struct Counter : rocksdb::WriteBatch::Handler {
    size_t *puts, *deletes, *records;
    rocksdb::Status PutCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
      ++*puts;
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice&) override {
      ++*deletes;
      return rocksdb::Status::OK();
    }
    void LogData(const rocksdb::Slice&) override { ++*records; }
  };
  engine->SetCommitObserver([&](const rocksdb::WriteBatch& batch) {
    Counter counter;
    counter.puts = &puts;
    counter.deletes = &deletes;
    counter.records = &records;
    REQUIRE(batch.Iterate(&counter).ok());
  });
  engine->OpenGroup();
  std::vector<std::string> args = {"SET", "k", "v"};
  for (int i = 0; i < 5; ++i) {
    Engine::CommandRecord record(*engine, 0, args);
    Set("k", std::to_string(i));
    record.Finish();
  }
  {
    Engine::CommandRecord record(*engine, 0, args);
    Set("gone", "x");
    CHECK(Must(keyspace.Delete(0, {"gone"})) == 1);
    record.Finish();
  }
  CHECK(Get("k") == "4");
  CHECK(Get("gone") == std::nullopt);
  MustOk(engine->CommitGroup());
  CHECK(puts == 1);
  CHECK(deletes == 1);
  CHECK(records == 6);
  CHECK(GetElsewhere("k") == "4");
  CHECK(GetElsewhere("gone") == std::nullopt);
}

TEST_CASE_FIXTURE(GroupFixture, "a group's batch has its operations in key order and then the records in command order") {
  struct Recorder : rocksdb::WriteBatch::Handler {
    std::vector<std::string> seen;  // "op:<cf>:<key>" or "record:<first argument after the name>"
    rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
      seen.push_back("op:" + std::to_string(cf) + ":" + key.ToString());
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
      seen.push_back("op:" + std::to_string(cf) + ":" + key.ToString());
      return rocksdb::Status::OK();
    }
    void LogData(const rocksdb::Slice& blob) override {
      auto record = DecodeBinlogRecord(std::string_view(blob.data(), blob.size()));
      seen.push_back("record:" + (record.ok() ? record->args.at(1) : std::string("?")));
    }
  };
  Recorder recorder;
  engine->SetCommitObserver([&](const rocksdb::WriteBatch& batch) { REQUIRE(batch.Iterate(&recorder).ok()); });
  engine->OpenGroup();
  HashStore hashes(*engine);
  for (std::string key : {"m", "c", "x", "a"}) {
    std::vector<std::string> args = {"SET", key, "v"};
    Engine::CommandRecord record(*engine, 0, args);
    if (key == "x") {
      Must(hashes.Set(0, key, {{"f2", "v"}, {"f1", "v"}}));
    } else {
      Set(key, "v");
    }
    record.Finish();
  }
  MustOk(engine->CommitGroup());
  std::vector<std::string> operations, records;
  bool records_started = false;
  for (const std::string& item : recorder.seen) {
    bool is_record = item.rfind("record:", 0) == 0;
    CHECK_FALSE((records_started && !is_record));  // no operation after the first record
    records_started = records_started || is_record;
    (is_record ? records : operations).push_back(item);
  }
  CHECK(operations.size() == 6);  // four meta records, two hash fields
  CHECK(std::is_sorted(operations.begin(), operations.end()));
  CHECK(records == std::vector<std::string>{"record:m", "record:c", "record:x", "record:a"});
}

TEST_CASE_FIXTURE(GroupFixture, "iterators inside a group see its writes, also those made after an earlier iterator") {
  Set("a1", "x");
  engine->OpenGroup();
  Set("a2", "y");
  CHECK(Must(keyspace.Delete(0, {"a1"})) == 1);
  CHECK(Must(keyspace.Exists(0, {"a1", "a2"})) == 1);
  auto keys = [&] {
    std::vector<std::string> names = Must(keyspace.Keys(0, "a*"));
    std::sort(names.begin(), names.end());
    return names;
  };
  CHECK(keys() == std::vector<std::string>{"a2"});
  Set("a3", "z");
  CHECK(keys() == std::vector<std::string>{"a2", "a3"});
  MustOk(engine->CommitGroup());
  CHECK(keys() == std::vector<std::string>{"a2", "a3"});
}

TEST_CASE_FIXTURE(GroupFixture, "a transaction inside a group commits into the group as one unit") {
  engine->OpenGroup();
  Set("k", "1");
  {
    Engine::Transaction transaction(*engine);
    CHECK(Get("k") == "1");  // the group's write is visible inside
    CHECK(Must(strings.IncrBy(0, "k", 1)) == 2);
    MustOk(transaction.Finish());
  }
  CHECK(Get("k") == "2");
  Set("after", "x");
  MustOk(engine->CommitGroup());
  CHECK(GetElsewhere("k") == "2");
  CHECK(GetElsewhere("after") == "x");
}

TEST_CASE_FIXTURE(GroupFixture, "FLUSHDB inside a group keeps the order of the writes around it") {
  engine->OpenGroup();
  Set("before", "1");
  MustOk(keyspace.FlushDb(0));
  Set("after", "2");
  CHECK(Get("before") == std::nullopt);
  CHECK(Get("after") == "2");
  MustOk(engine->CommitGroup());
  CHECK(GetElsewhere("before") == std::nullopt);
  CHECK(GetElsewhere("after") == "2");
}

TEST_CASE_FIXTURE(GroupFixture, "two threads whose groups want each other's keys never deadlock and lose no update") {
  // Each thread holds one key in its group and then increments the other's:
  // whoever finds the other's stripe taken writes its group, releases its own
  // keys and waits, so both finish.
  Set("x", "0");
  Set("y", "0");
  std::atomic<int> holding{0};
  auto run = [&](std::string_view mine, std::string_view theirs) {
    engine->OpenGroup();
    for (int i = 0; i < 100; ++i) Must(strings.IncrBy(0, mine, 1));
    holding.fetch_add(1);
    while (holding.load() < 2) std::this_thread::yield();  // both hold a key now
    for (int i = 0; i < 100; ++i) Must(strings.IncrBy(0, theirs, 1));
    MustOk(engine->CommitGroup());
  };
  std::thread first(run, "x", "y");
  std::thread second(run, "y", "x");
  first.join();
  second.join();
  CHECK(Get("x") == "200");
  CHECK(Get("y") == "200");
}

TEST_CASE_FIXTURE(GroupFixture, "COPY and RENAME in a group copy only the source's members, not its neighbours'") {
  // Regression: the group's overlay ignores iterate_upper_bound, and a copy
  // that trusted the bound took the sub-keys of the next key too.
  HashStore hashes(*engine);
  engine->OpenGroup();
  test::PutCollection(*engine, 0, "a", KeyType::kHash, {{"f1", "1"}});
  test::PutCollection(*engine, 0, "b", KeyType::kHash, {{"g1", "2"}, {"g2", "3"}});
  CHECK(Must(keyspace.Copy(0, "a", 0, "copy", false)));
  CHECK(Must(keyspace.Rename(0, "a", "renamed", false)));
  for (const char* key : {"copy", "renamed"}) {
    auto fields = Must(hashes.GetAll(0, key));
    REQUIRE(fields.size() == 1);
    CHECK(fields[0].field == "f1");
  }
  MustOk(engine->CommitGroup());
  CHECK(Must(hashes.GetAll(0, "copy")).size() == 1);
}

TEST_CASE_FIXTURE(GroupFixture, "multi-key writes from two groups over the same keys never deadlock") {
  // Regression: a guard that took a stripe back from its group and then
  // waited for another one held stripes out of order — two threads doing
  // MSETs over shared keys each waited for the other's taken-back stripe.
  auto run = [&](unsigned seed) {
    std::mt19937 random(seed);
    engine->OpenGroup();
    for (int i = 0; i < 3000; ++i) {
      std::vector<std::string> keys;
      for (int k = 0; k < 10; ++k) keys.push_back("k" + std::to_string(random() % 40));
      std::vector<std::pair<std::string_view, std::string_view>> pairs;
      for (const auto& key : keys) pairs.emplace_back(key, "v");
      MustOk(strings.MultiSet(0, pairs));
      if (i % 200 == 199) {  // an io loop turn ends
        MustOk(engine->CommitGroup());
        engine->OpenGroup();
      }
    }
    MustOk(engine->CommitGroup());
  };
  std::thread first(run, 1);
  std::thread second(run, 2);
  first.join();
  second.join();
  for (int k = 0; k < 40; ++k) CHECK(GetElsewhere("k" + std::to_string(k)) == "v");
}

TEST_CASE("a stripe lock excludes, and wakes the threads that wait for it") {
  StripeLock lock;
  CHECK(lock.try_lock());
  CHECK_FALSE(lock.try_lock());
  lock.unlock();
  // Four threads add to a plain counter under the lock; with the lock held
  // long enough for the others to sleep on it, every unlock must wake one.
  int64_t counter = 0;
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        lock.lock();
        int64_t seen = counter;
        if (i % 1000 == 0) std::this_thread::yield();  // let others find it taken
        counter = seen + 1;
        lock.unlock();
      }
      finished.fetch_add(1);
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(counter == 80000);
  CHECK(finished.load() == 4);  // none left asleep
  CHECK(lock.try_lock());
}

TEST_CASE("a guard that re-takes a deferred stripe keeps it through a flush") {
  KeyLocks locks;
  size_t flushes = 0;
  locks.BeginDeferring([&] {
    ++flushes;
    locks.ReleaseDeferred();
  });
  { KeyLockGuard first(locks, 0, "a"); }
  CHECK(locks.HasDeferred());
  {
    KeyLockGuard again(locks, 0, "a");  // owns the stripe now
    CHECK_FALSE(locks.HasDeferred());
    locks.ReleaseDeferred();  // what a flush does: must not free "a" under the live guard
    std::atomic<bool> taken{false};
    std::thread other([&] { taken = locks.Stripe(locks.StripeOf(0, "a")).try_lock(); });
    other.join();
    CHECK_FALSE(taken.load());
  }
  CHECK(locks.HasDeferred());
  locks.EndDeferring();
  CHECK_FALSE(locks.HasDeferred());
  std::atomic<bool> taken{false};
  std::thread other([&] {
    StripeLock& stripe = locks.Stripe(locks.StripeOf(0, "a"));
    taken = stripe.try_lock();
    if (taken) stripe.unlock();
  });
  other.join();
  CHECK(taken.load());
  CHECK(flushes == 0);
}

}  // namespace
}  // namespace kvd::storage
