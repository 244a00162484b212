// Replication's pure parts (the PSYNC rule, histories, link frames) and the
// storage it rests on: streaming the binlog from one engine into another at
// identical sequence numbers, and swapping a database for a checkpoint.
#include <doctest/doctest.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <fstream>

#include "protocol/resp_value.h"
#include "roles/server/replication/identity.h"
#include "roles/server/replication/master.h"
#include "roles/server/replication/stream_format.h"
#include "storage/binlog_stream.h"
#include "storage/checkpoint.h"
#include "test/unit/test_support.h"

namespace kvd::test {
namespace {

using server::replication::DecidePsync;
using server::replication::Identity;

void Put(storage::Engine& engine, const std::string& key, const std::string& value) {
  rocksdb::WriteBatch batch;
  batch.Put(engine.meta(), key, value);
  batch.Put(engine.data(), key + "/sub", value);
  MustOk(engine.Commit(&batch));
  MustOk(engine.MakeDurable());
}

std::string Read(storage::Engine& engine, const std::string& key) {
  std::string value;
  Status status = engine.Get(engine.meta(), key, &value);
  return status.ok() ? value : "<" + status.message() + ">";
}

// Streams everything `from` wrote after `replica`'s latest sequence into `replica`.
void CatchUp(storage::Engine& from, storage::Engine& replica) {
  storage::BinlogStream stream(from.data_dir(), replica.LatestSequence() + 1);
  while (true) {
    std::vector<storage::StreamedBatch> batches;
    MustOk(stream.Read(1 << 16, from.LatestSequence(), &batches));
    if (batches.empty()) break;
    for (auto& batch : batches) MustOk(replica.ApplyReplicated(batch.sequence, std::move(batch.data)));
    MustOk(replica.MakeDurable());  // as the replica's link does before acknowledging
  }
}

}  // namespace

TEST_SUITE("replication") {
  TEST_CASE("PSYNC continues only a shared history that the binlog still holds") {
    Identity master{"A", "", 0};
    CHECK(DecidePsync(master, 100, true, "A", 101).partial);
    CHECK(DecidePsync(master, 100, true, "A", 50).partial);
    CHECK_FALSE(DecidePsync(master, 100, false, "A", 50).partial);       // purged: full sync
    CHECK_FALSE(DecidePsync(master, 100, true, "", 1).partial);          // a new replica
    CHECK_FALSE(DecidePsync(master, 100, true, "B", 50).partial);        // an unrelated history
    CHECK_FALSE(DecidePsync(master, 100, true, "B", 50).diverged_after);
    // A replica ahead of its own master's history (the master lost writes).
    auto ahead = DecidePsync(master, 100, true, "A", 120);
    CHECK_FALSE(ahead.partial);
    CHECK(ahead.diverged_after == 100);
    // Asking for a sequence inside one of the master's batches: the replica
    // holds other writes from that batch's start on.
    auto inside = DecidePsync(master, 100, false, "A", 52, 50);
    CHECK_FALSE(inside.partial);
    CHECK(inside.diverged_after == 49);
  }

  TEST_CASE("after a failover the old history continues up to the fork and diverges after it") {
    Identity replica{"A", "", 0};
    Identity promoted = server::replication::StartNewHistory(replica, 500);
    CHECK(promoted.replid != "A");
    CHECK(promoted.replid.size() == 40);
    CHECK(promoted.replid2 == "A");
    CHECK(promoted.replid2_last == 500);
    // Another replica of A that had everything up to 500 continues from the promoted one.
    CHECK(DecidePsync(promoted, 700, true, "A", 501).partial);
    CHECK(DecidePsync(promoted, 700, true, "A", 300).partial);
    // The old master wrote 501..510 that the promoted replica never saw.
    auto old_master = DecidePsync(promoted, 700, true, "A", 511);
    CHECK_FALSE(old_master.partial);
    CHECK(old_master.diverged_after == 500);
    // The replica adopts the new id and keeps the old one for its own replicas.
    Identity adopted = server::replication::ContinueHistory(replica, promoted.replid, 450);
    CHECK(adopted.replid == promoted.replid);
    CHECK(adopted.replid2 == "A");
    CHECK(adopted.replid2_last == 450);
    CHECK(server::replication::ContinueHistory(adopted, promoted.replid, 600).replid2_last == 450);
  }

  TEST_CASE("the identity file round-trips and a damaged one is an error") {
    TempDir dir;
    CHECK(server::replication::LoadIdentity(dir.path()).status().Is(Status::Code::kNotFound));
    Identity saved{"abc", "def", 42};
    MustOk(server::replication::SaveIdentity(dir.path(), saved));
    Identity loaded = Must(server::replication::LoadIdentity(dir.path()));
    CHECK(loaded.replid == "abc");
    CHECK(loaded.replid2 == "def");
    CHECK(loaded.replid2_last == 42);
    std::ofstream(dir.path() + "/kvd-replication.json") << "{not json";
    CHECK(server::replication::LoadIdentity(dir.path()).status().Is(Status::Code::kCorruption));
  }

  TEST_CASE("link frames parse back and anything else is not taken for them") {
    using protocol::ParseReply;
    using protocol::RespValue;
    std::string binary("a\0b\r\nc", 6);
    RespValue frame;
    std::string bytes = server::replication::BatchFrame(77, binary);
    REQUIRE(Must(ParseReply(bytes, &frame)) == bytes.size());
    uint64_t sequence = 0;
    std::string data;
    REQUIRE(server::replication::ParseBatchFrame(frame, &sequence, &data));
    CHECK(sequence == 77);
    CHECK(data == binary);

    REQUIRE(Must(ParseReply(server::replication::AckFrame(123), &frame)) > 0);
    CHECK(server::replication::ParseAckFrame(frame, &sequence));
    CHECK(sequence == 123);
    CHECK_FALSE(server::replication::ParseBatchFrame(frame, &sequence, &data));

    REQUIRE(Must(ParseReply(server::replication::HeartbeatFrame(), &frame)) > 0);
    CHECK(server::replication::IsHeartbeatFrame(frame));
    REQUIRE(Must(ParseReply("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n-1\r\n", &frame)) > 0);
    CHECK_FALSE(server::replication::ParseAckFrame(frame, &sequence));
    REQUIRE(Must(ParseReply(":5\r\n", &frame)) > 0);
    CHECK_FALSE(server::replication::IsHeartbeatFrame(frame));
  }

  TEST_CASE("a replica fed from the master's binlog reaches the same data at the same sequences") {
    EngineFixture master;
    EngineFixture replica;
    for (int i = 0; i < 50; ++i) Put(*master.engine, "k" + std::to_string(i), "v" + std::to_string(i));
    CatchUp(*master.engine, *replica.engine);
    CHECK(replica.engine->LatestSequence() == master.engine->LatestSequence());
    CHECK(Read(*replica.engine, "k49") == "v49");

    // Across WAL files: a reopen starts a new one; the stream follows.
    master.Reopen();
    for (int i = 50; i < 80; ++i) Put(*master.engine, "k" + std::to_string(i), "w");
    REQUIRE(master.engine->db()->Flush(rocksdb::FlushOptions()).ok());
    Put(*master.engine, "last", "x");
    CatchUp(*master.engine, *replica.engine);
    CHECK(replica.engine->LatestSequence() == master.engine->LatestSequence());
    CHECK(Read(*replica.engine, "last") == "x");

    // The replica's own binlog now holds the same batches: it can feed a replica in turn.
    EngineFixture chained;
    CatchUp(*replica.engine, *chained.engine);
    CHECK(chained.engine->LatestSequence() == master.engine->LatestSequence());
    CHECK(Read(*chained.engine, "k79") == "w");
  }

  TEST_CASE("a replica's acknowledgement is fresh also when stamped after the caller read the clock") {
    using server::replication::AckedWithin;
    CHECK(AckedWithin(1000, 1000, 10));
    CHECK(AckedWithin(995, 1000, 10));
    CHECK_FALSE(AckedWithin(900, 1000, 10));
    CHECK(AckedWithin(1001, 1000, 10));  // the feeder stored it a moment after `now` was read
  }

  TEST_CASE("joined batches land at the master's sequences, and a gap is not joined") {
    EngineFixture master;
    EngineFixture replica;
    for (int i = 0; i < 20; ++i) Put(*master.engine, "k" + std::to_string(i), "v" + std::to_string(i));
    storage::BinlogStream stream(master.engine->data_dir(), 1);
    std::vector<storage::StreamedBatch> batches;
    MustOk(stream.Read(1 << 20, master.engine->LatestSequence(), &batches));
    REQUIRE(batches.size() == 20);
    storage::BatchJoiner joiner;
    CHECK_FALSE(joiner.Add(1, "short"));
    for (size_t i = 0; i < 10; ++i) REQUIRE(joiner.Add(batches[i].sequence, batches[i].data));
    CHECK_FALSE(joiner.Add(batches[11].sequence, batches[11].data));  // batch 10 is missing
    uint64_t first = joiner.sequence();
    MustOk(replica.engine->ApplyReplicated(first, joiner.Take()));
    CHECK(joiner.empty());
    CHECK(replica.engine->LatestSequence() == batches[10].sequence - 1);
    for (size_t i = 10; i < 20; ++i) REQUIRE(joiner.Add(batches[i].sequence, batches[i].data));
    first = joiner.sequence();
    MustOk(replica.engine->ApplyReplicated(first, joiner.Take()));
    CHECK(replica.engine->LatestSequence() == master.engine->LatestSequence());
    CHECK(Read(*replica.engine, "k19") == "v19");
    MustOk(replica.engine->MakeDurable());
    // Two writes, two binlog batches on the replica: a chained replica reads them as usual.
    EngineFixture chained;
    CatchUp(*replica.engine, *chained.engine);
    CHECK(chained.engine->LatestSequence() == master.engine->LatestSequence());
    CHECK(Read(*chained.engine, "k0") == "v0");
  }

  TEST_CASE("a batch at the wrong sequence is refused, and Find tells what the binlog can serve") {
    EngineFixture master;
    EngineFixture replica;
    Put(*master.engine, "a", "1");
    Put(*master.engine, "b", "2");
    storage::BinlogStream stream(master.engine->data_dir(), 1);
    std::vector<storage::StreamedBatch> batches;
    MustOk(stream.Read(1 << 20, master.engine->LatestSequence(), &batches));
    REQUIRE(batches.size() == 2);
    CHECK(replica.engine->ApplyReplicated(batches[1].sequence, batches[1].data).Is(Status::Code::kAborted));
    MustOk(replica.engine->ApplyReplicated(batches[0].sequence, batches[0].data));
    CHECK(replica.engine->ApplyReplicated(batches[0].sequence, batches[0].data).Is(Status::Code::kAborted));

    uint64_t latest = master.engine->LatestSequence();
    auto streams_from = [&](uint64_t next) {
      return storage::BinlogStream::Find(master.engine->data_dir(), next, latest).streams;
    };
    CHECK(streams_from(1));
    CHECK(streams_from(batches[1].sequence));
    CHECK(streams_from(latest + 1));
    CHECK_FALSE(streams_from(latest + 2));
    CHECK_FALSE(streams_from(0));
    // A batch of three operations: the two sequences inside it do not start one.
    rocksdb::WriteBatch three;
    for (const char* key : {"x", "y", "z"}) three.Put(master.engine->meta(), key, "v");
    MustOk(master.engine->Commit(&three));
    MustOk(master.engine->MakeDurable());
    latest = master.engine->LatestSequence();
    auto inside = storage::BinlogStream::Find(master.engine->data_dir(), latest - 1, latest);
    CHECK_FALSE(inside.streams);
    CHECK(inside.inside_batch_from == latest - 2);
    CHECK(streams_from(latest - 2));
    CHECK_FALSE(storage::BinlogStream::Find(master.engine->data_dir(), latest - 2, latest).inside_batch_from);
  }

  TEST_CASE("a database swap installs a checkpoint in place, and survives a reopen") {
    EngineFixture master;
    EngineFixture replica;
    for (int i = 0; i < 20; ++i) Put(*master.engine, "m" + std::to_string(i), "x");
    Put(*replica.engine, "old", "gone");
    storage::CheckpointStore store(storage::CheckpointStore::RootOf(*master.engine));
    auto made = Must(store.Create(*master.engine, "c1", "test", master.now()));
    std::string staging = replica.dir.path() + "/fetched";
    std::filesystem::rename(store.DbDir("c1"), staging);

    MustOk(replica.engine->ReplaceDatabase(staging));
    CHECK(replica.engine->LatestSequence() == master.engine->LatestSequence());
    CHECK(Read(*replica.engine, "m19") == "x");
    CHECK(Read(*replica.engine, "old") == "<>");
    CHECK_FALSE(std::filesystem::exists(staging));
    CHECK_FALSE(std::filesystem::exists(replica.dir.path() + "/db.old"));
    Put(*master.engine, "after", "y");
    CatchUp(*master.engine, *replica.engine);
    replica.Reopen();
    CHECK(Read(*replica.engine, "after") == "y");
    CHECK(replica.engine->LatestSequence() == master.engine->LatestSequence());
    (void)made;
  }

  TEST_CASE("an interrupted swap is finished or undone at the next open") {
    EngineFixture replica;
    Put(*replica.engine, "kept", "1");
    MustOk(replica.engine->Close());
    replica.engine.reset();
    std::string dir = replica.dir.path();
    // Crash after DATA/db moved away, before the new one moved in, and the new one incomplete.
    std::filesystem::rename(dir + "/db", dir + "/db.old");
    std::filesystem::create_directories(dir + "/db.incoming");
    replica.Open();
    CHECK(Read(*replica.engine, "kept") == "1");
  }
}

}  // namespace kvd::test
