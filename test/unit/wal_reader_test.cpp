// storage/wal_reader: RocksDB WAL files read without the database (binlog
// records, sequences, torn tails, corruption), and the `kvd binlog` tool on top.
#include <doctest/doctest.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/crc32c.h"
#include "storage/binlog_record.h"
#include "storage/wal_reader.h"
#include "test/unit/test_support.h"
#include "tools/binlog_tool.h"

namespace kvd::test {
namespace {

using namespace std::string_literals;
using storage::BinlogEntry;
using storage::BinlogRecord;
using storage::WalBatch;

constexpr size_t kBlock = 32768;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, std::string_view bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

BinlogRecord Record(uint8_t db, std::vector<std::string> args, uint64_t time_ms = EngineFixture::kStartMs) {
  BinlogRecord record;
  record.time_ms = time_ms;
  record.db = db;
  record.args = std::move(args);
  return record;
}

// Commits `puts` data operations followed by the record, as a write command
// does; returns the sequence the record should get (its last operation's).
uint64_t CommitCommand(storage::Engine& engine, const BinlogRecord& record, int puts = 1) {
  uint64_t first = engine.db()->GetLatestSequenceNumber() + 1;
  rocksdb::WriteBatch batch;
  for (int i = 0; i < puts; ++i) {
    batch.Put(engine.meta(), "key-" + std::to_string(first) + "-" + std::to_string(i), record.args.back());
  }
  batch.PutLogData(storage::EncodeBinlogRecord(record));
  MustOk(engine.Commit(&batch));
  return puts == 0 ? first : first + static_cast<uint64_t>(puts) - 1;
}

struct ReadOutcome {
  std::vector<WalBatch> batches;
  std::vector<BinlogEntry> entries;
  std::vector<std::string> notes;
  Status status;
};

ReadOutcome ReadAll(const std::string& data_dir, uint64_t skip_files_before = 0) {
  ReadOutcome outcome;
  auto reader = Must(storage::BinlogReader::Open(data_dir));
  MustOk(reader->SkipFilesBefore(skip_files_before));
  WalBatch batch;
  while (true) {
    Result<bool> got = reader->Next(&batch);
    if (!got.ok()) outcome.status = got.status();
    if (!got.ok() || !*got) break;
    for (const BinlogEntry& entry : batch.records) outcome.entries.push_back(entry);
    outcome.batches.push_back(batch);
  }
  outcome.notes = reader->notes();
  return outcome;
}

std::vector<std::string> CommandsOf(const std::vector<BinlogEntry>& entries) {
  std::vector<std::string> commands;
  for (const BinlogEntry& entry : entries) {
    std::string text;
    for (const std::string& arg : entry.record.args) text += (text.empty() ? "" : " ") + arg;
    commands.push_back(text);
  }
  return commands;
}

// The file RocksDB is writing: the newest one.
storage::WalFile NewestWal(const std::string& data_dir) {
  auto files = Must(storage::ListWalFiles(data_dir));
  REQUIRE_FALSE(files.empty());
  return files.back();
}

// A data directory made by hand: db/ with the WAL files a test puts there.
struct HandMadeDataDir {
  TempDir dir;
  std::string WalPath(uint64_t number) const {
    char name[32];
    std::snprintf(name, sizeof(name), "%06llu.log", static_cast<unsigned long long>(number));
    return dir.path() + "/db/" + name;
  }
  void AddWal(uint64_t number, std::string_view bytes) const { WriteBytes(WalPath(number), bytes); }
};

// Test-side writer of the log format, for files RocksDB would not write
// (torn tails between files, unusual record types). Records fit in a block.
void AppendPhysicalRecord(std::string* file, std::string_view payload, uint8_t type = 1) {
  size_t left = kBlock - file->size() % kBlock;
  if (left < 7) file->append(left, '\0');
  std::string typed(1, static_cast<char>(type));
  uint32_t crc = storage::MaskCrc32c(Crc32cExtend(Crc32cOf(typed), payload));
  for (int i = 0; i < 4; ++i) file->push_back(static_cast<char>(crc >> (8 * i)));
  file->push_back(static_cast<char>(payload.size() & 0xff));
  file->push_back(static_cast<char>(payload.size() >> 8));
  file->append(typed);
  file->append(payload);
}

// The same with the recyclable header (recycle_log_file_num): the log number follows the type.
void AppendRecyclableRecord(std::string* file, std::string_view payload, uint32_t log_number, uint8_t type = 5) {
  std::string checked(1, static_cast<char>(type));
  for (int i = 0; i < 4; ++i) checked.push_back(static_cast<char>(log_number >> (8 * i)));
  uint32_t crc = storage::MaskCrc32c(Crc32cExtend(Crc32cOf(checked), payload));
  for (int i = 0; i < 4; ++i) file->push_back(static_cast<char>(crc >> (8 * i)));
  file->push_back(static_cast<char>(payload.size() & 0xff));
  file->push_back(static_cast<char>(payload.size() >> 8));
  file->append(checked);
  file->append(payload);
}

// One batch as RocksDB logs it: a Put and the record for each command.
std::string BatchRep(uint64_t sequence, const std::vector<BinlogRecord>& commands) {
  rocksdb::WriteBatch batch;
  for (const BinlogRecord& command : commands) {
    REQUIRE(batch.Put("k", "v").ok());
    REQUIRE(batch.PutLogData(storage::EncodeBinlogRecord(command)).ok());
  }
  std::string rep = batch.Data();
  for (int i = 0; i < 8; ++i) rep[static_cast<size_t>(i)] = static_cast<char>(sequence >> (8 * i));
  return rep;
}

struct ToolRun {
  int code = -1;
  std::string out;
  std::string err;
};

ToolRun RunBinlogTool(std::vector<std::string> args) {
  args.insert(args.begin(), "binlog");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::ostringstream err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  ToolRun run;
  run.code = tools::RunBinlogCommand(static_cast<int>(args.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

}  // namespace

TEST_CASE("crc32c known vectors") {
  CHECK(Crc32cOf("") == 0u);
  CHECK(Crc32cOf("123456789") == 0xE3069283u);
  CHECK(Crc32cOf("a") == 0xC1D04330u);
  CHECK(Crc32cOf(std::string(32, '\0')) == 0x8A9136AAu);  // RFC 3720 B.4
  CHECK(Crc32cOf(std::string(32, '\xff')) == 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  CHECK(Crc32cOf(ascending) == 0x46DD794Eu);
  CHECK(Crc32cExtend(Crc32cOf("1234"), "56789") == Crc32cOf("123456789"));
  CHECK(storage::MaskCrc32c(0) == 0xa282ead8u);
  CHECK(storage::MaskCrc32c(0x12345678u) == (((0x12345678u >> 15) | (0x12345678u << 17)) + 0xa282ead8u));
}

TEST_CASE("wal_reader: lists archived and live WAL files by number") {
  HandMadeDataDir data;
  std::string db = data.dir.path() + "/db";
  for (std::string name : {"archive/000003.log", "archive/000007.log", "000007.log", "000012.log", "LOG",
                           "LOG.old.1700000000", "MANIFEST-000005", "000009.sst", "archive/x.log", "OPTIONS-000011"}) {
    WriteBytes(db + "/" + name, "");
  }
  auto files = Must(storage::ListWalFiles(data.dir.path()));
  REQUIRE(files.size() == 3);
  CHECK(files[0].number == 3);
  CHECK(files[0].name == "archive/000003.log");
  CHECK(files[0].path == db + "/archive/000003.log");
  CHECK(files[1].number == 7);
  CHECK(files[2].name == "000012.log");

  Result<std::vector<storage::WalFile>> missing = storage::ListWalFiles(data.dir.path() + "/nothing");
  CHECK(missing.status().Is(Status::Code::kNotFound));
}

TEST_CASE("wal_reader: records committed through the engine come back in order with their sequences") {
  EngineFixture f;
  std::vector<uint64_t> expected;
  expected.push_back(CommitCommand(*f.engine, Record(0, {"SET", "k", "v"})));
  expected.push_back(CommitCommand(*f.engine, Record(2, {"HSET", "h", "f1", "1", "f2", "2"}, f.now() + 5), 3));
  expected.push_back(CommitCommand(*f.engine, Record(0, {"SET", "bin\0\n\xff"s, "x"}), 1));
  // Two commands in one batch (a commit group), log data from someone else, and
  // a record with no operation before it.
  uint64_t first = f.engine->db()->GetLatestSequenceNumber() + 1;
  rocksdb::WriteBatch batch;
  batch.Put(f.engine->meta(), "a", "1");
  batch.PutLogData(storage::EncodeBinlogRecord(Record(1, {"SET", "a", "1"})));
  batch.PutLogData("not a kvd record");
  batch.Delete(f.engine->meta(), "b");
  batch.DeleteRange(f.engine->meta(), "c", "d");
  batch.PutLogData(storage::EncodeBinlogRecord(Record(1, {"DEL", "b", "c"})));
  MustOk(f.engine->Commit(&batch));
  expected.push_back(first);
  expected.push_back(first + 2);
  uint64_t lone = f.engine->db()->GetLatestSequenceNumber() + 1;
  rocksdb::WriteBatch record_first;
  record_first.PutLogData(storage::EncodeBinlogRecord(Record(3, {"FLUSHDB"})));
  record_first.Put(f.engine->meta(), "z", "1");
  MustOk(f.engine->Commit(&record_first));
  expected.push_back(lone);

  auto check = [&](const ReadOutcome& read) {
    MustOk(read.status);
    CHECK(read.notes.empty());
    CHECK(CommandsOf(read.entries) == std::vector<std::string>{"SET k v", "HSET h f1 1 f2 2", "SET bin\0\n\xff x"s,
                                                               "SET a 1", "DEL b c", "FLUSHDB"});
    REQUIRE(read.entries.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) CHECK(read.entries[i].sequence == expected[i]);
    CHECK(read.entries[1].record.db == 2);
    CHECK(read.entries[1].record.time_ms == EngineFixture::kStartMs + 5);
    CHECK(read.entries[5].record.db == 3);
    REQUIRE(read.batches.size() >= 5);
    const WalBatch& group = read.batches[read.batches.size() - 2];
    CHECK(group.sequence == first);
    CHECK(group.count == 3);
    CHECK(group.records.size() == 2);
  };
  SUBCASE("while the engine is open, as on a running server") {
    MustOk(f.engine->MakeDurable());
    check(ReadAll(f.dir.path()));
  }
  SUBCASE("after the engine closed") {
    MustOk(f.engine->Close());
    f.engine.reset();
    check(ReadAll(f.dir.path()));
  }
}

TEST_CASE("wal_reader: records span blocks and files; SkipFilesBefore drops whole older files") {
  EngineFixture f;
  std::string big(100000, 'x');  // FIRST, MIDDLE, MIDDLE, LAST fragments
  big[0] = 'A';
  big[99999] = 'Z';
  CommitCommand(*f.engine, Record(0, {"SET", "big", big}));
  CommitCommand(*f.engine, Record(0, {"SET", "one", "1"}));
  f.Reopen();
  CommitCommand(*f.engine, Record(0, {"SET", "two", "2"}));
  f.Reopen();
  uint64_t third = CommitCommand(*f.engine, Record(0, {"SET", "three", "3"}));
  MustOk(f.engine->Close());
  f.engine.reset();

  CHECK(Must(storage::ListWalFiles(f.dir.path())).size() >= 3);
  ReadOutcome all = ReadAll(f.dir.path());
  MustOk(all.status);
  REQUIRE(all.entries.size() == 4);
  CHECK(all.entries[0].record.args[2] == big);
  CHECK(CommandsOf({all.entries.begin() + 1, all.entries.end()}) ==
        std::vector<std::string>{"SET one 1", "SET two 2", "SET three 3"});
  for (size_t i = 1; i < all.entries.size(); ++i) CHECK(all.entries[i].sequence > all.entries[i - 1].sequence);
  for (size_t i = 1; i < all.batches.size(); ++i) CHECK(all.batches[i].file_number >= all.batches[i - 1].file_number);

  ReadOutcome skipped = ReadAll(f.dir.path(), third);
  MustOk(skipped.status);
  REQUIRE_FALSE(skipped.entries.empty());
  CHECK(CommandsOf(skipped.entries).back() == "SET three 3");
  CHECK(skipped.entries.front().record.args[1] != "big");
  CHECK(skipped.entries.front().sequence <= third);
}

TEST_CASE("wal_reader: the newest file cut at every byte of its last record gives the earlier records and a note") {
  EngineFixture f;
  int filler = 0;
  // Fill the first block so that the last record straddles into the second one.
  while (true) {
    MustOk(f.engine->MakeDurable());
    uint64_t size = std::filesystem::file_size(NewestWal(f.dir.path()).path);
    if (size >= kBlock - 400) break;
    size_t value = std::clamp<uint64_t>(kBlock - 400 - size, 1, 2000);
    CommitCommand(*f.engine, Record(0, {"SET", "filler" + std::to_string(filler++), std::string(value, 'f')}));
  }
  CommitCommand(*f.engine, Record(0, {"SET", "last", std::string(1000, 'L')}));
  MustOk(f.engine->MakeDurable());
  std::string wal = ReadBytes(NewestWal(f.dir.path()).path);

  HandMadeDataDir data;
  data.AddWal(1, wal);
  ReadOutcome whole = ReadAll(data.dir.path());
  MustOk(whole.status);
  CHECK(whole.notes.empty());
  REQUIRE(whole.entries.size() == static_cast<size_t>(filler) + 1);
  uint64_t last_offset = whole.batches.back().offset;
  REQUIRE(last_offset < kBlock);
  REQUIRE(wal.size() > kBlock);  // the last record does straddle the block boundary

  std::string path = data.WalPath(1);
  for (uint64_t cut = wal.size(); cut-- > last_offset;) {
    std::filesystem::resize_file(path, cut);
    ReadOutcome read = ReadAll(data.dir.path());
    REQUIRE_MESSAGE(read.status.ok(), "cut at ", cut, ": ", read.status.message());
    REQUIRE_MESSAGE(read.entries.size() == static_cast<size_t>(filler), "cut at ", cut);
    if (cut == last_offset) {
      CHECK(read.notes.empty());
    } else {
      REQUIRE_MESSAGE(read.notes.size() == 1, "cut at ", cut);
      CHECK(read.notes[0] ==
            "file 000001.log: truncated record at offset " + std::to_string(last_offset) + ", the rest is ignored");
    }
  }
}

TEST_CASE("wal_reader: damage followed by intact records is an error naming file and offset") {
  EngineFixture f;
  for (int i = 0; i < 120; ++i) CommitCommand(*f.engine, Record(0, {"SET", "k" + std::to_string(i), std::string(1000, 'v')}));
  MustOk(f.engine->MakeDurable());
  std::string wal = ReadBytes(NewestWal(f.dir.path()).path);
  REQUIRE(wal.size() > 3 * kBlock);
  HandMadeDataDir data;

  SUBCASE("a payload byte of the first record") {
    wal[20] ^= 0x01;
    data.AddWal(1, wal);
    ReadOutcome read = ReadAll(data.dir.path());
    CHECK(read.status.Is(Status::Code::kCorruption));
    CHECK(read.status.message() == "file 000001.log: bad checksum at offset 0, and intact records follow it");
    CHECK(read.entries.empty());
  }
  SUBCASE("the checksum of the record that starts the second block") {
    wal[kBlock + 2] ^= 0x40;
    data.AddWal(1, wal);
    ReadOutcome read = ReadAll(data.dir.path());
    CHECK(read.status.message() == "file 000001.log: bad checksum at offset 32768, and intact records follow it");
    CHECK(read.entries.size() >= 10);  // the records before it were returned
  }
  SUBCASE("a length that runs past the block") {
    wal[kBlock + 5] = '\xff';
    data.AddWal(1, wal);
    ReadOutcome read = ReadAll(data.dir.path());
    CHECK(read.status.message() == "file 000001.log: bad record length at offset 32768, and intact records follow it");
  }
  SUBCASE("damage in the last record of the newest file is a torn tail") {
    data.AddWal(1, wal);
    ReadOutcome clean = ReadAll(data.dir.path());
    uint64_t last_offset = clean.batches.back().offset;
    REQUIRE(last_offset / kBlock == (wal.size() - 1) / kBlock);
    wal[last_offset + 10] ^= 0x01;
    data.AddWal(1, wal);
    ReadOutcome read = ReadAll(data.dir.path());
    MustOk(read.status);
    CHECK(read.entries.size() == 119);
    CHECK(read.notes == std::vector<std::string>{"file 000001.log: bad checksum at offset " +
                                                 std::to_string(last_offset) + ", the rest is ignored"});
  }
  SUBCASE("the same damage in an older file, followed by a gap, is an error") {
    data.AddWal(1, wal);
    ReadOutcome clean = ReadAll(data.dir.path());
    uint64_t last_offset = clean.batches.back().offset;
    uint64_t last_sequence = clean.batches.back().sequence;
    wal[last_offset + 10] ^= 0x01;
    data.AddWal(1, wal);
    std::string next;
    AppendPhysicalRecord(&next, BatchRep(last_sequence + 1, {Record(0, {"SET", "after", "1"})}));
    data.AddWal(2, next);
    ReadOutcome read = ReadAll(data.dir.path());
    CHECK(read.status.Is(Status::Code::kCorruption));
    CHECK(read.status.message() == "file 000001.log: bad checksum at offset " + std::to_string(last_offset) +
                                       ", the rest is ignored; file 000002.log goes on at sequence " +
                                       std::to_string(last_sequence + 1) + " instead of " +
                                       std::to_string(last_sequence) + ", so records are missing");
  }
}

TEST_CASE("wal_reader: a torn older file is fine when the next file goes on at the next sequence") {
  HandMadeDataDir data;
  std::string first;
  AppendPhysicalRecord(&first, BatchRep(10, {Record(0, {"SET", "a", "1"}), Record(0, {"SET", "b", "2"})}));
  size_t lost_offset = first.size();
  AppendPhysicalRecord(&first, BatchRep(12, {Record(0, {"SET", "lost", "3"})}));
  first.resize(first.size() - 4);  // a crash tore the last write; the restarted server reused sequence 12
  data.AddWal(5, first);
  std::string second;
  AppendPhysicalRecord(&second, BatchRep(12, {Record(4, {"SET", "c", "3"})}));
  data.AddWal(9, second);

  ReadOutcome read = ReadAll(data.dir.path());
  MustOk(read.status);
  CHECK(CommandsOf(read.entries) == std::vector<std::string>{"SET a 1", "SET b 2", "SET c 3"});
  CHECK(read.entries[0].sequence == 10);
  CHECK(read.entries[1].sequence == 11);
  CHECK(read.entries[2].sequence == 12);
  CHECK(read.entries[2].record.db == 4);
  REQUIRE(read.notes.size() == 1);
  CHECK(read.notes[0] == "file 000005.log: truncated record at offset " + std::to_string(lost_offset) +
                             ", the rest is ignored; file 000009.log goes on at sequence 12, so nothing is missing");
}

TEST_CASE("wal_reader: files deleted by retention after the listing") {
  HandMadeDataDir data;
  for (uint64_t number : {1, 2, 3}) {
    std::string wal;
    AppendPhysicalRecord(&wal, BatchRep(number * 10, {Record(0, {"SET", "in", std::to_string(number)})}));
    data.AddWal(number, wal);
  }
  auto reader = Must(storage::BinlogReader::Open(data.dir.path()));
  std::filesystem::remove(data.WalPath(1));  // the oldest: the binlog simply starts later
  WalBatch batch;
  REQUIRE(Must(reader->Next(&batch)));
  CHECK(batch.file_number == 2);
  std::filesystem::remove(data.WalPath(3));  // after records were read: a gap
  Result<bool> next = reader->Next(&batch);
  CHECK(next.status().Is(Status::Code::kNotFound));
}

TEST_CASE("wal_reader: padding, zero-filled space and record types") {
  HandMadeDataDir data;
  std::string wal;
  AppendPhysicalRecord(&wal, BatchRep(1, {Record(0, {"SET", "a", "1"})}));

  SUBCASE("zero-filled (preallocated) space after the records is not a tail") {
    wal.append(kBlock + 100, '\0');
    data.AddWal(1, wal);
    ReadOutcome read = ReadAll(data.dir.path());
    MustOk(read.status);
    CHECK(read.entries.size() == 1);
    CHECK(read.notes.empty());
  }
  SUBCASE("a record after the padding of a block tail too short for a header") {
    // A payload that leaves 3 bytes in the first block, which the writer pads.
    size_t target = kBlock - wal.size() - 7 - 3;
    std::string value(target - BatchRep(2, {Record(0, {"SET", "f", ""})}).size(), 'p');
    value.resize(value.size() - (BatchRep(2, {Record(0, {"SET", "f", value})}).size() - target));  // longer varints
    std::string filler = BatchRep(2, {Record(0, {"SET", "f", value})});
    REQUIRE(wal.size() + 7 + filler.size() == kBlock - 3);
    AppendPhysicalRecord(&wal, filler);
    AppendPhysicalRecord(&wal, BatchRep(3, {Record(0, {"SET", "b", "2"})}));
    REQUIRE(wal.size() > kBlock);
    data.AddWal(1, wal);
    ReadOutcome read = ReadAll(data.dir.path());
    MustOk(read.status);
    CHECK(CommandsOf(read.entries).back() == "SET b 2");
    CHECK(read.batches.back().offset == kBlock);
  }
  SUBCASE("ignorable record types are skipped") {
    AppendPhysicalRecord(&wal, "whatever a newer RocksDB adds", 0x82);
    AppendPhysicalRecord(&wal, BatchRep(2, {Record(0, {"SET", "b", "2"})}));
    data.AddWal(1, wal);
    ReadOutcome read = ReadAll(data.dir.path());
    MustOk(read.status);
    CHECK(read.entries.size() == 2);
  }
  SUBCASE("a recycled file ends where records of its previous log begin") {
    std::string recycled;
    AppendRecyclableRecord(&recycled, BatchRep(5, {Record(0, {"SET", "new", "1"})}), 8);
    AppendRecyclableRecord(&recycled, BatchRep(2, {Record(0, {"SET", "old", "1"})}), 3);
    AppendRecyclableRecord(&recycled, BatchRep(3, {Record(0, {"SET", "older", "1"})}), 3);
    data.AddWal(8, recycled);
    ReadOutcome read = ReadAll(data.dir.path());
    MustOk(read.status);
    CHECK(CommandsOf(read.entries) == std::vector<std::string>{"SET new 1"});
    CHECK(read.notes.empty());
  }
  SUBCASE("a compressed WAL is refused clearly") {
    std::string compressed;
    AppendPhysicalRecord(&compressed, "\x07", 9);
    data.AddWal(1, compressed);
    ReadOutcome read = ReadAll(data.dir.path());
    CHECK(read.status.Is(Status::Code::kInvalidArgument));
    CHECK(read.status.message().find("file 000001.log: compressed WAL") == 0);
  }
  SUBCASE("a continuation without a first fragment, followed by records, is corruption") {
    std::string broken;
    AppendPhysicalRecord(&broken, "orphan", 4);
    broken.append(kBlock - broken.size(), '\0');
    AppendPhysicalRecord(&broken, BatchRep(2, {Record(0, {"SET", "b", "2"})}));
    data.AddWal(1, broken);
    ReadOutcome read = ReadAll(data.dir.path());
    CHECK(read.status.message() == "file 000001.log: broken fragment sequence at offset 0, and intact records follow it");
  }
  SUBCASE("a file holding three bytes of a header is a torn tail") {
    data.AddWal(1, wal);
    data.AddWal(2, "\x12\x34\x56");
    ReadOutcome read = ReadAll(data.dir.path());
    MustOk(read.status);
    CHECK(read.entries.size() == 1);
    CHECK(read.notes == std::vector<std::string>{"file 000002.log: truncated record at offset 0, the rest is ignored"});
  }
}

TEST_CASE("wal_reader: recyclable records (RocksDB recycle_log_file_num) are read") {
  TempDir dir;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.recycle_log_file_num = 1;
  // RocksDB turns recycling off under every other recovery mode.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, dir.path() + "/db", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (int i = 0; i < 3; ++i) {
    rocksdb::WriteBatch batch;
    batch.Put("k" + std::to_string(i), std::string(20000, 'r'));
    batch.PutLogData(storage::EncodeBinlogRecord(Record(0, {"SET", "k" + std::to_string(i), "r"})));
    REQUIRE(db->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  REQUIRE(db->FlushWAL(true).ok());
  std::string wal = ReadBytes(NewestWal(dir.path()).path);
  REQUIRE(db->Close().ok());
  db.reset();
  if (wal.size() < 7 || static_cast<uint8_t>(wal[6]) < 5) {
    MESSAGE("this RocksDB build does not write recyclable records with these options; nothing to check");
    return;
  }
  ReadOutcome read = ReadAll(dir.path());
  MustOk(read.status);
  CHECK(CommandsOf(read.entries) == std::vector<std::string>{"SET k0 r", "SET k1 r", "SET k2 r"});
}

TEST_CASE("binlog tool: --from and --limit never cut a MULTI ... EXEC") {
  EngineFixture f;
  uint64_t start = f.engine->db()->GetLatestSequenceNumber() + 1;
  rocksdb::WriteBatch transaction;  // as EXEC commits it: marks around the commands' records
  transaction.PutLogData(storage::EncodeBinlogRecord(Record(0, {"MULTI"})));
  transaction.Put(f.engine->meta(), "a", "1");
  transaction.PutLogData(storage::EncodeBinlogRecord(Record(0, {"SET", "a", "1"})));
  transaction.Put(f.engine->meta(), "b", "2");
  transaction.PutLogData(storage::EncodeBinlogRecord(Record(0, {"SET", "b", "2"})));
  transaction.PutLogData(storage::EncodeBinlogRecord(Record(0, {"EXEC"})));
  MustOk(f.engine->Commit(&transaction));
  CommitCommand(*f.engine, Record(0, {"SET", "c", "3"}));
  MustOk(f.engine->Close());
  f.engine.reset();

  auto commands = [](const std::string& out) {
    std::vector<std::string> names;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) names.push_back(line.substr(line.find("db=0 ") + 5));
    return names;
  };
  const std::vector<std::string> whole{"\"MULTI\"", "\"SET\" \"a\" \"1\"", "\"SET\" \"b\" \"2\"", "\"EXEC\""};
  // --from inside the transaction starts at its MULTI.
  CHECK(commands(RunBinlogTool({"--dir", f.dir.path(), "--from", std::to_string(start + 1), "--limit", "1"}).out) ==
        whole);
  // --limit inside it finishes it, and stops there.
  CHECK(commands(RunBinlogTool({"--dir", f.dir.path(), "--limit", "2"}).out) == whole);
  std::vector<std::string> all = whole;
  all.push_back("\"SET\" \"c\" \"3\"");
  CHECK(commands(RunBinlogTool({"--dir", f.dir.path(), "--limit", "5"}).out) == all);
}

TEST_CASE("binlog tool: text and RESP output, --from, --limit, bad options") {
  EngineFixture f;
  uint64_t first = CommitCommand(*f.engine, Record(0, {"SET", "k", "v"}));
  uint64_t second = CommitCommand(*f.engine, Record(0, {"SET", "odd \"key\"\n", "a\\b\t\x01\xff"s}, f.now() + 1234));
  uint64_t third = CommitCommand(*f.engine, Record(5, {"HSET", "h", "f", "1"}), 2);
  MustOk(f.engine->Close());
  f.engine.reset();

  ToolRun text = RunBinlogTool({"--dir", f.dir.path()});
  CHECK(text.code == 0);
  CHECK(text.err == "");
  CHECK(text.out == std::to_string(first) + " 2023-11-14T22:13:20.000Z db=0 \"SET\" \"k\" \"v\"\n" +
                        std::to_string(second) +
                        " 2023-11-14T22:13:21.234Z db=0 \"SET\" \"odd \\\"key\\\"\\n\" \"a\\\\b\\t\\x01\\xff\"\n" +
                        std::to_string(third) + " 2023-11-14T22:13:20.000Z db=5 \"HSET\" \"h\" \"f\" \"1\"\n");

  ToolRun resp = RunBinlogTool({"--dir", f.dir.path(), "--format", "resp"});
  CHECK(resp.code == 0);
  CHECK(resp.out == "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
                    "*3\r\n$3\r\nSET\r\n$10\r\nodd \"key\"\n\r\n$6\r\na\\b\t\x01\xff\r\n"
                    "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\n1\r\n"s);

  ToolRun from = RunBinlogTool({"--dir", f.dir.path(), "--from", std::to_string(second), "--limit", "1"});
  CHECK(from.code == 0);
  CHECK(from.out.rfind(std::to_string(second) + " ", 0) == 0);
  CHECK(std::count(from.out.begin(), from.out.end(), '\n') == 1);
  CHECK(RunBinlogTool({"--dir", f.dir.path(), "--limit", "0"}).out == "");

  ToolRun help = RunBinlogTool({"--help"});
  CHECK(help.code == 0);
  for (const char* option : {"--dir", "--from", "--limit", "--format"}) CHECK(help.out.find(option) != std::string::npos);
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {}, {"--dir", f.dir.path() + "/missing"}, {"--dir", f.dir.path(), "--from", "x"},
           {"--dir", f.dir.path(), "--limit", "-1"}, {"--dir", f.dir.path(), "--format", "json"},
           {"--dir", f.dir.path(), "--nope"}, {"--dir", f.dir.path(), "stray"}}) {
    ToolRun run = RunBinlogTool(bad);
    CHECK(run.code == 1);
    CHECK(run.out == "");
    CHECK(run.err.rfind("kvd binlog: ", 0) == 0);
  }
}

TEST_CASE("binlog tool: a torn tail prints a note, damage elsewhere exits 1 after the records before it") {
  HandMadeDataDir data;
  std::string wal;
  AppendPhysicalRecord(&wal, BatchRep(7, {Record(0, {"SET", "a", "1"})}));
  std::string torn = wal;
  AppendPhysicalRecord(&torn, BatchRep(8, {Record(0, {"SET", "b", "2"})}));
  torn.resize(torn.size() - 1);
  data.AddWal(1, torn);
  ToolRun run = RunBinlogTool({"--dir", data.dir.path()});
  CHECK(run.code == 0);
  CHECK(run.out == "7 2023-11-14T22:13:20.000Z db=0 \"SET\" \"a\" \"1\"\n");
  CHECK(run.err == "kvd binlog: note: file 000001.log: truncated record at offset " + std::to_string(wal.size()) +
                       ", the rest is ignored\n");

  data.AddWal(2, "\x01\x02\x03\x04\x05\x06\x07\x08\x09");  // garbage: the next file is newest now
  run = RunBinlogTool({"--dir", data.dir.path()});
  CHECK(run.code == 0);  // garbage in the newest file is a torn tail too; the older torn tail is unverified
  CHECK(run.err.find("file 000002.log") != std::string::npos);

  std::string damaged = wal;
  damaged.append(kBlock - damaged.size(), '\0');
  AppendPhysicalRecord(&damaged, BatchRep(8, {Record(0, {"SET", "b", "2"})}));
  damaged[3] ^= 0x10;
  data.AddWal(2, damaged);
  run = RunBinlogTool({"--dir", data.dir.path()});
  CHECK(run.code == 1);
  CHECK(run.err.find("file 000002.log: bad checksum at offset 0, and intact records follow it") != std::string::npos);
}

}  // namespace kvd::test
