// The RocksDB engine: column families, options, the one write path and the
// durability policy. Typed stores (strings, keyspace, later hashes...) sit on
// top of it and never open RocksDB themselves.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "storage/key_locks.h"

namespace kvd::storage {

enum class FsyncPolicy { kAlways, kEverysec, kNo };
Result<FsyncPolicy> ParseFsyncPolicy(std::string_view name);
const char* FsyncPolicyName(FsyncPolicy policy);

struct EngineOptions {
  std::string dir;
  size_t block_cache_mb = 128;
  size_t write_buffer_mb = 64;
  FsyncPolicy fsync = FsyncPolicy::kEverysec;
  int databases = 16;
  const Clock* clock = SystemClock::Instance();
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* meta() { return meta_; }
  rocksdb::ColumnFamilyHandle* data() { return data_; }
  rocksdb::ColumnFamilyHandle* zscore() { return zscore_; }
  KeyLocks& locks() { return locks_; }
  uint64_t NowMs() const { return clock_->NowMs(); }
  int databases() const { return databases_; }

  // Point read; NotFound when absent.
  Status Get(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string* value);
  // The only way data is written. Writes reach the OS (or the disk) when
  // MakeDurable() runs, which the server does once per pipeline pass.
  Status Commit(rocksdb::WriteBatch* batch);
  // Makes every committed write as durable as the fsync policy promises:
  // in the OS page cache (no, everysec) or on disk (always, group-committed).
  Status MakeDurable();

  // A fresh version for a collection that is (re)created; increases across restarts.
  uint64_t NextVersion();

  void SetFsyncPolicy(FsyncPolicy policy) { fsync_ = policy; }
  FsyncPolicy fsync_policy() const { return fsync_; }
  uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  uint64_t ApproximateMemoryUsage();
  uint64_t ApproximateDiskUsage();

  // Flushes the WAL to disk and memtables to SST files; safe to call twice.
  Status Close();

 private:
  Engine() = default;
  Status SyncWal(bool to_disk);
  void BackgroundFsyncLoop();

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* data_ = nullptr;
  rocksdb::ColumnFamilyHandle* zscore_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  KeyLocks locks_;
  const Clock* clock_ = nullptr;
  int databases_ = 16;
  std::atomic<FsyncPolicy> fsync_{FsyncPolicy::kEverysec};
  std::atomic<uint64_t> last_version_{0};

  std::atomic<uint64_t> commits_{0};
  std::mutex sync_mutex_;
  uint64_t synced_commits_ = 0;   // guarded by sync_mutex_: commits known to be on disk
  uint64_t flushed_commits_ = 0;  // guarded by sync_mutex_: commits known to be in the OS

  std::mutex background_mutex_;
  std::condition_variable background_wakeup_;
  bool stopping_ = false;
  std::thread background_fsync_;
  bool closed_ = false;
};

}  // namespace kvd::storage
