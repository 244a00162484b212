// The RocksDB engine: column families, options, the one write path and the
// durability policy. Typed stores (strings, keyspace, later hashes...) sit on
// top of it and never open RocksDB themselves.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/key_locks.h"
#include "storage/write_set.h"

namespace kvd::storage {

enum class FsyncPolicy { kAlways, kEverysec, kNo };
Result<FsyncPolicy> ParseFsyncPolicy(std::string_view name);
const char* FsyncPolicyName(FsyncPolicy policy);

// The RocksDB kvd is linked with: "7.8.3", and "release" (built by
// packaging/rocksdb-release.sh, with NDEBUG) or "debian" (librocksdb-dev,
// assertions on). INFO shows both.
std::string RocksDbVersion();
const char* RocksDbBuild();

struct EngineOptions {
  std::string dir;
  size_t block_cache_mb = 128;
  size_t write_buffer_mb = 8;
  FsyncPolicy fsync = FsyncPolicy::kEverysec;
  int databases = 16;
  // Binlog retention (storage/binlog_retention.h): WAL files that memtable
  // flushes made obsolete wait in db/archive/; whole files beyond these
  // limits are deleted each second.
  uint64_t binlog_max_size_mb = 1024;
  uint64_t binlog_max_age_s = 0;  // 0: no age limit
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

  // Point read; NotFound when absent. Sees the open transaction's writes.
  Status Get(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string* value);
  // Reads `keys` of `cf` now, in one MultiGet, for this thread's next Get()
  // calls (storage/read_ahead.h). They are forgotten at ClearReadAhead() and
  // when this thread writes to the database (a commit outside a group, or
  // the group's batch); a write kept in the open group hides what was read
  // ahead of its key. Nothing happens inside a transaction.
  void ReadAheadKeys(rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys);
  // Keeps `values` of `keys` of `cf`, just read from the database (not from
  // the group), for this thread's next Get() calls, like ReadAheadKeys. For
  // sub-keys of a collection whose key this thread has locked: kept only
  // inside an open commit group, whose deferred key locks last until its
  // batch is written, so nobody else changes them before they are used.
  void KeepLockedReadAhead(rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys,
                           const std::vector<std::string>& values);
  // Whether KeepLockedReadAhead would keep anything now.
  bool CanKeepLockedReadAhead() const;
  // Whether this thread holds `key` of `cf` read ahead.
  static bool IsReadAhead(const rocksdb::ColumnFamilyHandle* cf, std::string_view key);
  // The key of `cf` this thread's next read-ahead Get() most likely asks for (ReadAhead::NextKey).
  static std::string_view NextReadAheadKey(const rocksdb::ColumnFamilyHandle* cf);
  static void ClearReadAhead();
  // For the busy threads (io threads, a replica's applier): switches off
  // RocksDB's thread-local perf counters, on by default and bumped on every
  // read and write, which nothing on those threads reads.
  static void StopPerfCountersOfThisThread();
  // Iterator that sees the open transaction's writes. Honour the prefix you
  // seek in: the transaction overlay does not apply iterate_lower_bound.
  std::unique_ptr<rocksdb::Iterator> NewIterator(const rocksdb::ReadOptions& options, rocksdb::ColumnFamilyHandle* cf);
  // The only way data is written. Writes reach the OS (or the disk) when
  // MakeDurable() runs, which the server does once per pipeline pass. Inside
  // a transaction the writes join the transaction instead. Commands commit a
  // WriteSet; a batch is for what a WriteSet cannot hold (range deletes,
  // records of their own, a finished transaction).
  Status Commit(const WriteSet& writes);
  Status Commit(rocksdb::WriteBatch* batch);

  // Collects every Commit() made on this thread while it lives into one
  // atomic batch, committed by Finish(). Used by MULTI/EXEC: other clients see
  // all of the transaction or none of it. (A range delete — FLUSHDB inside
  // MULTI — commits what was collected so far together with it.) One made
  // while another is active on the thread (a command that writes atomically,
  // run inside EXEC) joins it: its reads see everything the outer one wrote,
  // and its writes land there.
  class Transaction {
   public:
    explicit Transaction(Engine& engine);
    ~Transaction();  // discards what was not finished
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Status Finish();
    // True once anything was written inside (also when a range delete
    // already carried it out).
    bool HasWrites() { return joined_ != nullptr ? joined_->HasWrites() : batch_.GetWriteBatch()->Count() != 0 || wrote_out_; }
    // Puts a binlog record into the transaction's batch (MULTI / EXEC marks).
    void AddRecord(uint8_t db, std::vector<std::string> args);

   private:
    friend class Engine;
    bool IsEmptyOutermost() { return previous_ == nullptr && batch_.GetWriteBatch()->Count() == 0; }
    // Operations or binlog records not yet written.
    bool HoldsAnything();
    Engine& engine_;
    rocksdb::WriteBatchWithIndex batch_;
    Transaction* previous_;
    Transaction* joined_ = nullptr;  // the outer transaction this one is part of
    bool wrote_out_ = false;
  };

  // The commit group: while one is open on a thread, the writes of every
  // command run there are collected into one batch (which that thread's reads
  // see) and their key locks stay held until CommitGroup() writes it. The
  // server opens one per round of an io loop, so a pipeline — or many clients
  // served in the same round — costs one RocksDB write instead of one each.
  // Nobody outside the thread sees the writes before CommitGroup(); callers
  // must not acknowledge them before that.
  void OpenGroup();
  // True while the open group holds writes or locks (then CommitGroup() must run).
  bool GroupNeedsCommit() const;
  // Writes the group's batch, releases its locks and closes it. An error means
  // some writes of the group may be lost: acknowledge none of them.
  Status CommitGroup();
  // Writes what this thread's open group holds now (the commit observer
  // sees it) and keeps the group open. WATCH and EXEC use it: a write waiting
  // in the group has not yet told the watch registry about its keys.
  void WriteOutOpenGroup() { FlushGroup(); }
  struct Group;  // its state (engine.cpp)

  // The binlog record of the command running on this thread (binlog_record.h).
  // Whatever the command commits carries the record: it goes into the same
  // WriteBatch, after the command's operations, so the WAL — the binlog —
  // holds both or neither. A command that writes nothing leaves no record.
  // Outside a group or transaction the record rides on the command's first
  // commit, so a Rewrite() after that is too late (the server always runs
  // commands in a group).
  class CommandRecord {
   public:
    CommandRecord(Engine& engine, uint8_t db, const std::vector<std::string>& args);
    ~CommandRecord();
    CommandRecord(const CommandRecord&) = delete;
    CommandRecord& operator=(const CommandRecord&) = delete;
    // Replaces the record by the form that replays the same effect
    // (EXPIRE -> PEXPIREAT, SPOP -> SREM...).
    void Rewrite(std::vector<std::string> args);
    // Adds the record to what this command wrote; call once it has run.
    void Finish();

   private:
    friend class Engine;
    std::string Encode() const;
    Engine& engine_;
    uint8_t db_;
    const std::vector<std::string>& args_;
    std::vector<std::string> rewritten_;
    bool rewrote_ = false;
    uint64_t time_ms_;
    uint64_t writes_at_start_;
    bool emitted_ = false;
    CommandRecord* previous_;
  };
  // Rewrites the record of the command running on this thread, if any.
  static void RewriteCurrentRecord(std::vector<std::string> args);
  // Appends a record by itself (the server's own deletes of expired keys).
  static void AddRecord(rocksdb::WriteBatch* batch, uint8_t db, std::vector<std::string> args, uint64_t time_ms);

  // Called after every successful write with the batch that was written,
  // while the writer still holds its key locks (WATCH and blocked clients use it).
  using CommitObserver = std::function<void(const rocksdb::WriteBatch&)>;
  void SetCommitObserver(CommitObserver observer) { observer_ = std::move(observer); }
  // Called after the WAL was flushed to the OS with new writes in it (the
  // moment they become readable from the binlog files): wakes replica feeders.
  void SetWalFlushedHook(std::function<void()> hook) { wal_flushed_hook_ = std::move(hook); }
  // True once since the last call if this thread committed anything: tells
  // the server that a pass of commands needs MakeDurable() before replying.
  static bool TakeThreadCommitted();
  // Commit() calls made on this thread so far: a change tells a caller that
  // the command it ran wrote something (perhaps still in the commit group).
  static uint64_t ThreadWrites();
  // Makes every committed write as durable as the fsync policy promises:
  // in the OS page cache (no, everysec) or on disk (always, group-committed).
  Status MakeDurable();
  // The same without blocking the caller: `done` runs — on the engine's
  // syncing thread under `always`, at once otherwise — when every write
  // committed before the call is as durable as the policy promises. Under
  // `always` one fsync serves every caller waiting at that moment.
  void MakeDurableAsync(std::function<void(Status)> done);

  // A fresh version for a collection that is (re)created; increases across restarts.
  uint64_t NextVersion();

  void SetFsyncPolicy(FsyncPolicy policy) { fsync_ = policy; }
  FsyncPolicy fsync_policy() const { return fsync_; }
  uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  uint64_t ApproximateMemoryUsage();

  // The binlog (RocksDB's WAL, live files and the archive): the sequence of
  // the newest write — the replication offset — and what is still kept.
  struct BinlogInfo {
    uint64_t first_sequence = 0;  // of the oldest kept file; 0 when none
    uint64_t last_sequence = 0;
    uint64_t bytes = 0;
    size_t files = 0;
  };
  uint64_t LatestSequence() { return db_->GetLatestSequenceNumber(); }
  Result<BinlogInfo> Binlog();
  // Keeps binlog retention from deleting archived WAL files while held.
  // RocksDB fails a listing of the WAL files (GetSortedWalFiles, checkpoints)
  // when one it listed is deleted before it reads it.
  std::unique_lock<std::mutex> LockWalFiles() { return std::unique_lock(wal_files_mutex_); }
  uint64_t ApproximateDiskUsage();

  // Flushes the WAL to disk and memtables to SST files; safe to call twice.
  Status Close();

  // ---- replication ----------------------------------------------------------
  // DATA/db: the RocksDB directory (its files also hold the replication identity).
  std::string DbDir() const { return options_.dir + "/db"; }
  const std::string& data_dir() const { return options_.dir; }
  // Replaces the whole database by the one in `new_db_dir` (a checkpoint
  // fetched from a master), which is moved, not copied. The caller guarantees
  // that nothing else uses the engine meanwhile (the server parks its io
  // threads). A crash in the middle is finished or undone by the next Open.
  Status ReplaceDatabase(const std::string& new_db_dir);
  // Writes a batch exactly as the master wrote it (its WAL record contents).
  // It must start at the next sequence number so that sequences — the
  // replication offsets — stay identical on master and replicas; Aborted if not.
  Status ApplyReplicated(uint64_t sequence, std::string data);

  // A walk over sub-keys stepped over many deleted ones (SPOP or SREM of most
  // of a set). While they sit in the memtable no compaction can drop them,
  // so the background thread flushes the data column family — at most once
  // a second; the deletion-triggered compaction then removes them.
  void NoteDeletedSubKeys();

 private:
  Engine() = default;
  Status OpenDb();
  Status CloseDb();
  Status SyncWal(bool to_disk);
  Group* OpenGroupOfThisThread() const;
  Status CommitIntoGroup(Group* group, rocksdb::WriteBatch* batch);
  // Writes what the group collected so far and releases its deferred locks;
  // the group stays open. Errors are kept for CommitGroup() to report.
  void FlushGroup();
  Status CommitIntoTransaction(Transaction* txn, rocksdb::WriteBatch* batch);
  // A range delete cannot wait in a group or transaction: writes what they
  // hold (oldest first) and `batch` together now.
  Status WriteOutWithRangeDelete(Transaction* innermost, rocksdb::WriteBatch* batch);
  // Puts the current command's record at the end of `batch`, once.
  void AttachCurrentRecord(rocksdb::WriteBatch* batch);
  Status WriteToDb(rocksdb::WriteBatch* batch);
  Transaction* ActiveTransaction();
  void BackgroundLoop();
  // Each second: the everysec fsync and the binlog retention.
  void RunPeriodicChores();
  // Schedules a flush of the data column family (NoteDeletedSubKeys).
  void FlushDataSoon();

  EngineOptions options_;
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

  CommitObserver observer_;
  std::function<void()> wal_flushed_hook_;
  std::atomic<uint64_t> commits_{0};
  std::mutex fsync_mutex_;  // one fsync at a time; held by ReplaceDatabase too
  std::mutex wal_files_mutex_;  // see LockWalFiles()
  std::mutex sync_mutex_;
  uint64_t synced_commits_ = 0;   // guarded by sync_mutex_: commits known to be on disk
  uint64_t flushed_commits_ = 0;  // guarded by sync_mutex_: commits known to be in the OS

  std::mutex background_mutex_;
  std::condition_variable background_wakeup_;
  std::vector<std::function<void(Status)>> durability_waiters_;  // guarded by background_mutex_
  bool flush_data_wanted_ = false;                                // guarded by background_mutex_
  std::atomic<int64_t> last_data_flush_ms_{0};
  bool stopping_ = false;
  std::thread background_;
  bool closed_ = false;
};

}  // namespace kvd::storage
