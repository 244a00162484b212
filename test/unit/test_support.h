// Helpers shared by the unit tests: a temporary directory that removes itself,
// an engine opened on it with a manual clock, and unwrapping of Results.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/encoding.h"
#include "storage/engine.h"
#include "test/wait_for.h"

namespace kvd::test {

// Fails the test (REQUIRE) when `result` holds an error; returns the value.
template <typename T>
T Must(Result<T> result) {
  REQUIRE_MESSAGE(result.ok(), result.status().message());
  return std::move(result).value();
}

inline void MustOk(const Status& status) { REQUIRE_MESSAGE(status.ok(), status.message()); }

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kvd-unit-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    REQUIRE_MESSAGE(made != nullptr, "mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A RocksDB engine in a fresh temporary directory whose time only moves when
// the test moves it.
struct EngineFixture {
  static constexpr uint64_t kStartMs = 1'700'000'000'000ULL;

  TempDir dir;
  ManualClock clock{kStartMs};
  std::unique_ptr<storage::Engine> engine;

  EngineFixture() { Open(); }
  ~EngineFixture() {
    if (engine) {
      Status closed = engine->Close();
      CHECK_MESSAGE(closed.ok(), closed.message());
    }
  }

  void Open() {
    storage::EngineOptions options;
    options.dir = dir.path();
    options.clock = &clock;
    options.block_cache_mb = 8;
    options.write_buffer_mb = 4;
    options.fsync = storage::FsyncPolicy::kNo;
    engine = Must(storage::Engine::Open(options));
  }

  void Reopen() {
    MustOk(engine->Close());
    engine.reset();
    Open();
  }

  uint64_t now() const { return clock.NowMs(); }
};

// Writes a collection the way a typed store would (meta record plus one data
// sub-key per field), for tests of code that handles every type.
inline uint64_t PutCollection(storage::Engine& engine, uint8_t db, std::string_view key, storage::KeyType type,
                              const std::vector<std::pair<std::string, std::string>>& fields,
                              uint64_t expire_ms = 0) {
  storage::Metadata meta;
  meta.type = type;
  meta.version = engine.NextVersion();
  meta.size = fields.size();
  meta.expire_ms = expire_ms;
  rocksdb::WriteBatch batch;
  batch.Put(engine.meta(), storage::EncodeMetaKey(db, key), storage::EncodeMetadata(meta));
  for (const auto& [field, value] : fields) {
    batch.Put(engine.data(), storage::EncodeSubKey(db, key, meta.version, field), value);
  }
  MustOk(engine.Commit(&batch));
  return meta.version;
}

// Every (field, value) stored in the data column family for `key`, any version.
struct StoredField {
  uint64_t version;
  std::string field;
  std::string value;
};
inline std::vector<StoredField> DataOf(storage::Engine& engine, uint8_t db, std::string_view key) {
  std::vector<StoredField> out;
  std::unique_ptr<rocksdb::Iterator> it(engine.db()->NewIterator(rocksdb::ReadOptions(), engine.data()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    storage::SubKey sub;
    if (!storage::DecodeSubKey(std::string_view(it->key().data(), it->key().size()), &sub)) continue;
    if (sub.db != db || sub.user_key != key) continue;
    out.push_back({sub.version, std::string(sub.field), it->value().ToString()});
  }
  REQUIRE(it->status().ok());
  return out;
}

// Number of records in the meta column family, expired or not.
inline size_t RawMetaRecords(storage::Engine& engine) {
  size_t count = 0;
  std::unique_ptr<rocksdb::Iterator> it(engine.db()->NewIterator(rocksdb::ReadOptions(), engine.meta()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  REQUIRE(it->status().ok());
  return count;
}

}  // namespace kvd::test
