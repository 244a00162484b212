// Checkpoints and the dump archive: CRC-32C, checkpoints of a live engine,
// the round trip through an archive into a database that opens with the
// same contents, and refusal of every kind of damage with nothing written.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "storage/checkpoint.h"
#include "storage/encoding.h"
#include "storage/types/hash_store.h"
#include "storage/types/list_store.h"
#include "storage/types/string_store.h"
#include "storage/types/zset_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

namespace fs = std::filesystem;
using test::Must;
using test::MustOk;

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(file.good());
}

// Every record of the three data column families, in order, as text.
std::vector<std::string> RawContents(Engine& engine) {
  std::vector<std::string> out;
  for (auto* cf : {engine.meta(), engine.data(), engine.zscore()}) {
    std::unique_ptr<rocksdb::Iterator> it(engine.db()->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.push_back(std::to_string(cf->GetID()) + "|" + it->key().ToString() + "|" + it->value().ToString());
    }
    REQUIRE(it->status().ok());
  }
  return out;
}

// Entries of `dir` whose names start with `prefix`: leftovers of a failed write.
std::vector<std::string> EntriesStartingWith(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) found.push_back(name);
  }
  return found;
}

struct CheckpointFixture : test::EngineFixture {
  CheckpointStore store{dir.path() + "/checkpoints"};
  StringStore strings{*engine};
  HashStore hashes{*engine};
  ListStore lists{*engine};
  ZSetStore zsets{*engine};

  void Fill() {
    for (int i = 0; i < 200; ++i) {
      SetOptions options;
      if (i % 10 == 0) {
        options.ttl = SetOptions::Ttl::kSetAt;
        options.expire_at_ms = now() + 1'000'000;
      }
      Must(strings.Set(static_cast<uint8_t>(i % 3), "s" + std::to_string(i), std::string(100, 'a' + i % 26), options));
    }
    Must(hashes.Set(0, "h", {{"f1", "v1"}, {"f2", "v2"}}));
    Must(lists.Push(1, "l", ListSide::kRight, {"a", "b", "c"}));
    Must(zsets.Add(2, "z", {{"m1", 1.5}, {"m2", -2}}, ZAddOptions()));
  }

  CheckpointInfo Checkpoint(const std::string& id, const std::string& owner = "me") {
    return Must(store.Create(*engine, id, owner, now()));
  }

  std::string Archive(const std::string& id) {
    std::string path = dir.path() + "/" + id + ".kvddump";
    MustOk(WriteCheckpointArchive(store, id, path));
    return path;
  }

  std::unique_ptr<Engine> OpenAt(const std::string& data_dir) {
    EngineOptions options;
    options.dir = data_dir;
    options.clock = &clock;
    options.block_cache_mb = 8;
    options.fsync = FsyncPolicy::kNo;
    return Must(Engine::Open(options));
  }
};

TEST_CASE("checkpoint: CRC-32C matches the standard check value, whole or in pieces") {
  CHECK(Crc32cOf("123456789") == 0xE3069283u);
  CHECK(Crc32cOf("") == 0u);
  std::string text;
  for (int i = 0; i < 1000; ++i) text.push_back(static_cast<char>(i * 7));
  for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{500}, size_t{999}}) {
    Crc32c pieces;
    pieces.Update(std::string_view(text).substr(0, split));
    pieces.Update(std::string_view(text).substr(split));
    CHECK(pieces.value() == Crc32cOf(text));
  }
}

TEST_CASE_FIXTURE(CheckpointFixture, "checkpoint: create, get, list, read ranges, drop") {
  Fill();
  CheckpointInfo info = Checkpoint("c1", "owner-a");
  CHECK(info.sequence > 0);
  CHECK(info.created_ms == now());
  CHECK(info.owner == "owner-a");
  std::set<std::string> names;
  for (const auto& file : info.files) names.insert(file.name);
  CHECK(names.count("CURRENT") == 1);
  CHECK(std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.ends_with(".sst"); }));

  CheckpointInfo again = Must(store.Get("c1"));
  CHECK(again.sequence == info.sequence);
  CHECK(again.files == info.files);
  auto all = Must(store.List());
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == "c1");

  for (const auto& file : info.files) {
    std::string whole;
    for (uint64_t offset = 0; offset < file.size; offset += 1000) {
      whole += Must(store.Read("c1", file.name, offset, 1000));
    }
    CHECK(whole == ReadFile(store.DbDir("c1") + "/" + file.name));
    // ReadInto: the same bytes, into the space its callback gives for the length there is.
    std::string reply = "prefix";
    size_t asked = 0;
    size_t n = Must(store.ReadInto("c1", file.name, 0, file.size + 100, [&](size_t size) {
      asked = size;
      reply.resize(6 + size);
      return reply.data() + 6;
    }));
    CHECK(n == file.size);
    CHECK(asked == file.size);
    CHECK(reply == "prefix" + whole);
    CHECK(Must(store.Read("c1", file.name, file.size, 10)).empty());
    CHECK(store.Read("c1", file.name, file.size + 1, 10).status().Is(Status::Code::kOutOfRange));
  }
  CHECK(store.Read("c1", "no-such-file", 0, 10).status().Is(Status::Code::kNotFound));
  CHECK(store.Read("c1", "../manifest", 0, 10).status().Is(Status::Code::kNotFound));
  CHECK(store.Read("../c1", "CURRENT", 0, 10).status().Is(Status::Code::kNotFound));
  CHECK(store.Read("c2", "CURRENT", 0, 10).status().Is(Status::Code::kNotFound));

  CHECK(store.Create(*engine, "c1", "x", now()).status().Is(Status::Code::kInvalidArgument));
  CHECK(store.Create(*engine, "../evil", "x", now()).status().Is(Status::Code::kInvalidArgument));
  CHECK(!fs::exists(dir.path() + "/evil"));

  MustOk(store.Drop("c1"));
  CHECK(Must(store.List()).empty());
  CHECK(store.Get("c1").status().Is(Status::Code::kNotFound));
  CHECK(store.Drop("c1").Is(Status::Code::kNotFound));
}

TEST_CASE_FIXTURE(CheckpointFixture, "checkpoint: Replace swaps in the new one; Sweep removes abandoned ones") {
  Fill();
  CheckpointInfo first = Checkpoint("a");
  MustOk(store.Replace("a", "save"));
  CHECK(Must(store.Get("save")).sequence == first.sequence);
  CHECK(store.Get("a").status().Is(Status::Code::kNotFound));

  Must(strings.Set(0, "later", "x", SetOptions()));
  CheckpointInfo second = Checkpoint("b");
  CHECK(second.sequence > first.sequence);
  MustOk(store.Replace("b", "save"));
  CHECK(Must(store.Get("save")).sequence == second.sequence);
  CHECK(store.Get("b").status().Is(Status::Code::kNotFound));
  CHECK(Must(store.List()).size() == 1);

  Checkpoint("theirs", "other-run");
  Checkpoint("mine", "me");
  fs::create_directories(store.root() + "/unfinished/db");  // a creation that never wrote its manifest
  auto foreign = [](const CheckpointInfo& info) { return info.id != "save" && info.owner != "me"; };
  uint64_t wall_now = SystemClock::Instance()->NowMs();
  CHECK(Must(store.Sweep(foreign, wall_now, 3'600'000)) == 1);
  CHECK(store.Get("theirs").status().Is(Status::Code::kNotFound));
  CHECK(fs::exists(store.root() + "/unfinished"));  // young: may still be being created
  CHECK(Must(store.Sweep(foreign, wall_now + 7'200'000, 3'600'000)) == 1);
  CHECK(!fs::exists(store.root() + "/unfinished"));
  auto left = Must(store.List());
  REQUIRE(left.size() == 2);
  CHECK(left[0].id == "mine");
  CHECK(left[1].id == "save");
}

TEST_CASE_FIXTURE(CheckpointFixture, "checkpoint: an archive round trip restores the same database") {
  Fill();
  std::vector<std::string> before = RawContents(*engine);
  CheckpointInfo info = Checkpoint("dump");
  Must(strings.Set(0, "after-the-checkpoint", "x", SetOptions()));
  std::string archive = Archive("dump");
  CHECK(EntriesStartingWith(dir.path(), "dump.kvddump.tmp").empty());

  ArchiveContents contents = Must(VerifyArchive(archive));
  CHECK(contents.header.version == kDumpFormatVersion);
  CHECK(contents.header.sequence == info.sequence);
  CHECK(contents.header.created_ms == info.created_ms);
  CHECK(contents.files == info.files);
  CHECK(contents.bytes == fs::file_size(archive));

  std::string restored = dir.path() + "/restored";
  ArchiveContents extracted = Must(ExtractArchive(archive, restored + "/db"));
  CHECK(extracted.files == info.files);
  CHECK(EntriesStartingWith(restored, "db.partial").empty());
  auto copy = OpenAt(restored);
  CHECK(RawContents(*copy) == before);
  MustOk(copy->Close());
}

TEST_CASE_FIXTURE(CheckpointFixture, "checkpoint: damaged, newer or foreign archives are refused, nothing written") {
  Fill();
  Checkpoint("dump");
  const std::string good = ReadFile(Archive("dump"));
  const std::string bad = dir.path() + "/bad.kvddump";
  const std::string dest_parent = dir.path() + "/target";
  const std::string dest = dest_parent + "/db";
  fs::create_directories(dest_parent);

  auto refusal = [&](const std::string& damaged) {
    WriteFile(bad, damaged);
    auto extracted = ExtractArchive(bad, dest);
    CHECK_FALSE(extracted.ok());
    CHECK_FALSE(VerifyArchive(bad).ok());
    CHECK_FALSE(fs::exists(dest));
    CHECK(EntriesStartingWith(dest_parent, "db").empty());
    return extracted.status().message();
  };

  std::vector<size_t> positions;
  for (size_t i = 0; i < std::min<size_t>(good.size(), 300); ++i) positions.push_back(i);
  for (size_t i = 300; i < good.size(); i += 509) positions.push_back(i);
  for (size_t i = good.size() > 64 ? good.size() - 64 : 0; i < good.size(); ++i) positions.push_back(i);

  for (size_t cut : positions) {
    CAPTURE(cut);
    refusal(good.substr(0, cut));
  }
  for (size_t at : positions) {
    CAPTURE(at);
    std::string flipped = good;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5A);
    refusal(flipped);
  }
  CHECK(refusal(good + "x").find("unexpected bytes after its end") != std::string::npos);
  CHECK(refusal(good.substr(0, good.size() / 2)).find("truncated") != std::string::npos);
  CHECK(refusal("hello, world").find("not a kvd dump file") != std::string::npos);

  std::string newer = good;
  std::string version;
  PutBigEndian32(&version, kDumpFormatVersion + 1);
  newer.replace(7, 4, version);
  CHECK(refusal(newer).find("dump format version " + std::to_string(kDumpFormatVersion + 1) +
                            " is newer than this kvd supports") != std::string::npos);

  std::string flipped_data = good;
  flipped_data[good.size() / 2] = static_cast<char>(flipped_data[good.size() / 2] ^ 1);
  std::string message = refusal(flipped_data);
  CHECK(message.find("corrupted") != std::string::npos);

  // The intact archive still extracts, but not over a directory that holds something.
  fs::create_directories(dest);
  WriteFile(dest + "/keep", "mine");
  WriteFile(bad, good);
  CHECK(ExtractArchive(bad, dest).status().Is(Status::Code::kInvalidArgument));
  CHECK(ReadFile(dest + "/keep") == "mine");
  fs::remove_all(dest);
  Must(ExtractArchive(bad, dest));
  CHECK(fs::exists(dest + "/CURRENT"));
}

TEST_CASE("checkpoint: ArchiveWriter refuses misuse and leaves no file behind") {
  test::TempDir dir;
  const std::string path = dir.path() + "/out.kvddump";
  {
    ArchiveWriter writer;
    ArchiveHeader header;
    header.file_count = 1;
    MustOk(writer.Open(path, header));
    CHECK(fs::exists(writer.temp_path()));
    CHECK(writer.BeginFile("x/y", 1).Is(Status::Code::kInvalidArgument));
    MustOk(writer.BeginFile("a", 3));
    CHECK_FALSE(writer.Append("abcd").ok());
    MustOk(writer.Append("ab"));
    CHECK_FALSE(writer.EndFile().ok());
    CHECK_FALSE(writer.Finish().ok());
  }
  CHECK(fs::is_empty(dir.path()));
  {
    ArchiveWriter writer;
    ArchiveHeader header;
    header.file_count = 2;
    MustOk(writer.Open(path, header));
    MustOk(writer.BeginFile("a", 1));
    MustOk(writer.Append("z"));
    MustOk(writer.EndFile());
    CHECK_FALSE(writer.Finish().ok());  // one file short
  }
  CHECK(fs::is_empty(dir.path()));
  {
    ArchiveWriter writer;
    ArchiveHeader header;
    header.sequence = 42;
    header.file_count = 1;
    MustOk(writer.Open(path, header));
    MustOk(writer.BeginFile("only", 0));
    MustOk(writer.EndFile());
    MustOk(writer.Finish());
  }
  ArchiveContents contents = Must(VerifyArchive(path));
  CHECK(contents.header.sequence == 42);
  REQUIRE(contents.files.size() == 1);
  CHECK(contents.files[0] == CheckpointFile{"only", 0});
  CHECK(EntriesStartingWith(dir.path(), "out.kvddump.tmp").empty());
}

}  // namespace
}  // namespace kvd::storage
