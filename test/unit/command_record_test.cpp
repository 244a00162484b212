// Binlog records: every write carries the record of the command it came from,
// in the same WriteBatch, after its operations.
#include <doctest/doctest.h>

#include <rocksdb/transaction_log.h>

#include <string>
#include <vector>

#include "storage/binlog_record.h"
#include "storage/keyspace.h"
#include "storage/wal_reader.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using test::Must;
using test::MustOk;

// One WAL batch as the binlog sees it: its records and how many operations
// preceded each of them in the batch.
struct SeenRecord {
  std::vector<std::string> args;
  uint8_t db;
  size_t operations_before;
};

class RecordCollector : public rocksdb::WriteBatch::Handler {
 public:
  explicit RecordCollector(std::vector<SeenRecord>* out) : out_(out) {}
  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override { return Count(); }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice&) override { return Count(); }
  rocksdb::Status SingleDeleteCF(uint32_t, const rocksdb::Slice&) override { return Count(); }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override { return Count(); }
  void LogData(const rocksdb::Slice& blob) override {
    auto record = DecodeBinlogRecord(std::string_view(blob.data(), blob.size()));
    REQUIRE(record.ok());
    out_->push_back({record->args, record->db, operations_});
  }

 private:
  rocksdb::Status Count() {
    ++operations_;
    return rocksdb::Status::OK();
  }
  std::vector<SeenRecord>* out_;
  size_t operations_ = 0;
};

struct RecordFixture : test::EngineFixture {
  StringStore strings{*engine};
  Keyspace keyspace{*engine};

  std::vector<std::vector<SeenRecord>> Batches() {
    MustOk(engine->MakeDurable());  // the WAL is written out per pass: do it as the server would
    std::unique_ptr<rocksdb::TransactionLogIterator> it;
    MustOk(engine->db()->GetUpdatesSince(1, &it).ok() ? Status::Ok() : Status::IOError("GetUpdatesSince"));
    std::vector<std::vector<SeenRecord>> batches;
    for (; it->Valid(); it->Next()) {
      rocksdb::BatchResult result = it->GetBatch();
      std::vector<SeenRecord> records;
      RecordCollector collector(&records);
      REQUIRE(result.writeBatchPtr->Iterate(&collector).ok());
      batches.push_back(std::move(records));
    }
    return batches;
  }
  void Set(std::string_view key, std::string_view value) { Must(strings.Set(0, key, value, SetOptions{})); }
};

using Args = std::vector<std::string>;

TEST_CASE_FIXTURE(RecordFixture, "a command's record follows its writes in the same batch; no write, no record") {
  {
    Args args{"SET", "k", "v"};
    Engine::CommandRecord record(*engine, 3, args);
    Must(strings.Set(3, "k", "v", SetOptions{}));
    record.Finish();
  }
  {
    Args args{"SET", "k", "w", "NX"};  // does not write: k exists
    Engine::CommandRecord record(*engine, 3, args);
    SetOptions nx;
    nx.condition = SetOptions::Condition::kIfAbsent;
    CHECK_FALSE(Must(strings.Set(3, "k", "w", nx)).written);
    record.Finish();
  }
  auto batches = Batches();
  REQUIRE(batches.size() == 1);
  REQUIRE(batches[0].size() == 1);
  CHECK(batches[0][0].args == Args{"SET", "k", "v"});
  CHECK(batches[0][0].db == 3);
  CHECK(batches[0][0].operations_before == 1);
}

TEST_CASE_FIXTURE(RecordFixture, "a rewritten record replaces the command's own arguments") {
  Args args{"EXPIRE", "k", "10"};
  Set("k", "v");
  engine->OpenGroup();  // as on the server: the record is added when the command is done
  {
    Engine::CommandRecord record(*engine, 0, args);
    CHECK(Must(keyspace.ExpireAt(0, "k", now() + 10'000, ExpireCondition::kAlways)));
    Engine::RewriteCurrentRecord({"PEXPIREAT", "k", std::to_string(now() + 10'000)});
    record.Finish();
  }
  MustOk(engine->CommitGroup());
  auto batches = Batches();
  REQUIRE(batches.size() == 2);
  REQUIRE(batches[1].size() == 1);
  CHECK(batches[1][0].args == Args{"PEXPIREAT", "k", std::to_string(now() + 10'000)});
}

TEST_CASE_FIXTURE(RecordFixture, "in a commit group every command's record lands in the one batch, in order") {
  engine->OpenGroup();
  for (int i = 0; i < 3; ++i) {
    Args args{"SET", "k" + std::to_string(i), "v"};
    Engine::CommandRecord record(*engine, 0, args);
    Set(args[1], "v");
    record.Finish();
  }
  {
    Engine::Transaction transaction(*engine);
    transaction.AddRecord(0, {"MULTI"});
    Args args{"SET", "t", "1"};
    Engine::CommandRecord record(*engine, 0, args);
    Set("t", "1");
    record.Finish();
    transaction.AddRecord(0, {"EXEC"});
    MustOk(transaction.Finish());
  }
  MustOk(engine->CommitGroup());
  auto batches = Batches();
  REQUIRE(batches.size() == 2);  // the group was written once before the transaction began, then again
  std::vector<Args> all;
  for (const auto& batch : batches) {
    for (const auto& seen : batch) all.push_back(seen.args);
  }
  CHECK(all == std::vector<Args>{{"SET", "k0", "v"}, {"SET", "k1", "v"}, {"SET", "k2", "v"},
                                 {"MULTI"}, {"SET", "t", "1"}, {"EXEC"}});
}

TEST_CASE_FIXTURE(RecordFixture, "FLUSHDB's record travels with its range delete") {
  engine->OpenGroup();
  Args set_args{"SET", "a", "1"};
  {
    Engine::CommandRecord record(*engine, 0, set_args);
    Set("a", "1");
    record.Finish();
  }
  Args flush_args{"FLUSHDB"};
  {
    Engine::CommandRecord record(*engine, 0, flush_args);
    MustOk(keyspace.FlushDb(0));
    record.Finish();
  }
  MustOk(engine->CommitGroup());
  auto batches = Batches();
  REQUIRE(batches.size() == 1);
  REQUIRE(batches[0].size() == 2);
  CHECK(batches[0][0].args == set_args);
  CHECK(batches[0][1].args == flush_args);
}

TEST_CASE_FIXTURE(RecordFixture, "EXEC's closing mark reaches the binlog after a FLUSHDB inside the transaction") {
  engine->OpenGroup();
  {
    Engine::Transaction transaction(*engine);
    transaction.AddRecord(0, {"MULTI"});
    Args flush_args{"FLUSHDB"};
    Engine::CommandRecord record(*engine, 0, flush_args);
    MustOk(keyspace.FlushDb(0));
    record.Finish();
    CHECK(transaction.HasWrites());
    transaction.AddRecord(0, {"EXEC"});  // only a record is left to write
    MustOk(transaction.Finish());
  }
  CHECK(engine->GroupNeedsCommit());
  MustOk(engine->CommitGroup());
  // A batch of records alone uses no sequence number, and GetUpdatesSince
  // skips it: read the WAL the way `kvd binlog` does.
  MustOk(engine->MakeDurable());
  auto reader = Must(BinlogReader::Open(dir.path()));
  std::vector<Args> all;
  WalBatch batch;
  while (Must(reader->Next(&batch))) {
    for (const auto& entry : batch.records) all.push_back(entry.record.args);
  }
  std::string seen;
  for (const auto& args : all) seen += args[0] + " ";
  const std::vector<Args> expected{{"MULTI"}, {"FLUSHDB"}, {"EXEC"}};
  CHECK_MESSAGE(all == expected, seen);
}

TEST_CASE_FIXTURE(RecordFixture, "the server's own expiry deletes are recorded as DEL") {
  MustOk(Must(strings.Set(2, "gone", "v", SetOptions{})).written ? Status::Ok() : Status::IOError("not set"));
  CHECK(Must(keyspace.ExpireAt(2, "gone", now() + 5, ExpireCondition::kAlways)));
  clock.Advance(10);
  auto swept = Must(keyspace.SweepExpired("", 100));
  CHECK(swept.second == 1);
  auto batches = Batches();
  REQUIRE_FALSE(batches.empty());
  REQUIRE(batches.back().size() == 1);
  CHECK(batches.back()[0].args == Args{"DEL", "gone"});
  CHECK(batches.back()[0].db == 2);
}

}  // namespace
}  // namespace kvd::storage
