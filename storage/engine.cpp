#include "storage/engine.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/version.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/convenience.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <type_traits>

#include "common/logging.h"
#include "storage/binlog_record.h"
#include "storage/binlog_retention.h"
#include "storage/encoding.h"
#include "storage/pending_writes.h"
#include "storage/read_ahead.h"
#include "storage/wal_reader.h"

namespace kvd::storage {

std::string RocksDbVersion() {
  return std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." + std::to_string(ROCKSDB_PATCH);
}

const char* RocksDbBuild() { return KVD_ROCKSDB_BUILD; }

Result<FsyncPolicy> ParseFsyncPolicy(std::string_view name) {
  if (name == "always") return FsyncPolicy::kAlways;
  if (name == "everysec") return FsyncPolicy::kEverysec;
  if (name == "no") return FsyncPolicy::kNo;
  return Status::InvalidArgument("fsync must be one of always, everysec, no");
}

const char* FsyncPolicyName(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kAlways: return "always";
    case FsyncPolicy::kEverysec: return "everysec";
    case FsyncPolicy::kNo: return "no";
  }
  return "everysec";
}

namespace {

Status FromRocks(const rocksdb::Status& status) {
  if (status.ok()) return Status::Ok();
  if (status.IsNotFound()) return Status::NotFound();
  if (status.IsCorruption()) return Status::Corruption(status.ToString());
  return Status::IOError(status.ToString());
}

// Drops sub-keys whose collection no longer exists in this version: that is
// what makes DEL, overwrite and expiry of a huge collection O(1).
class StaleSubKeyFilter : public rocksdb::CompactionFilter {
 public:
  StaleSubKeyFilter(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, const Clock* clock)
      : db_(db), meta_(meta), clock_(clock) {}

  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*, bool*) const override {
    std::string_view raw(key.data(), key.size());
    size_t prefix_length = SubKeyPrefixLength(raw);
    if (prefix_length == 0) return false;
    // A compaction meets the sub-keys of one collection one after another:
    // look its metadata up once per kRecheckEvery of them. Reusing a verdict
    // is safe both ways (a stale version never becomes current again, and
    // keeping is never wrong); the re-check lets a compaction that started
    // before a DEL still drop most of the deleted collection.
    std::string_view prefix = raw.substr(0, prefix_length);
    if (prefix != last_prefix_ || ++uses_ >= kRecheckEvery) {
      last_prefix_.assign(prefix);
      last_verdict_ = IsStale(raw);
      uses_ = 0;
    }
    return last_verdict_;
  }
  const char* Name() const override { return "kvd.StaleSubKeyFilter"; }

 private:
  bool IsStale(std::string_view sub_key) const {
    SubKey sub;
    if (db_ == nullptr || !DecodeSubKey(sub_key, &sub)) return false;
    std::string meta_key = EncodeMetaKey(sub.db, sub.slot, sub.user_key);
    std::string raw;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), meta_, meta_key, &raw);
    if (status.IsNotFound()) return true;
    if (!status.ok()) return false;  // keep it when unsure
    Metadata meta;
    if (!DecodeMetadata(raw, &meta).ok()) return false;
    if (meta.type == KeyType::kString) return true;
    if (meta.version != sub.version) return true;
    return meta.IsExpired(clock_->NowMs());
  }

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* meta_;
  const Clock* clock_;
  // RocksDB calls one filter object from one compaction thread at a time.
  static constexpr int kRecheckEvery = 256;
  mutable std::string last_prefix_;
  mutable bool last_verdict_ = false;
  mutable int uses_ = 0;
};

// The DB and the meta handle exist only after Open, so the factory learns them late.
class StaleSubKeyFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  explicit StaleSubKeyFilterFactory(const Clock* clock) : clock_(clock) {}
  void Attach(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
    meta_ = meta;
    db_.store(db);
  }
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    return std::make_unique<StaleSubKeyFilter>(db_.load(), meta_, clock_);
  }
  const char* Name() const override { return "kvd.StaleSubKeyFilterFactory"; }

 private:
  std::atomic<rocksdb::DB*> db_{nullptr};
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  const Clock* clock_;
};

// Memtable inserts are the largest CPU cost of a write. RocksDB can start an
// insert from where the last one with the same prefix ended instead of from the
// skiplist's top: per slot for meta keys, per collection for sub-keys (so
// LPUSH/HSET/ZADD on one key insert next to their previous sub-key).
class SubKeyPrefixTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "kvd.SubKeyPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), SubKeyPrefixLength(std::string_view(key.data(), key.size())));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return SubKeyPrefixLength(std::string_view(key.data(), key.size())) != 0;
  }
};

// Pops and removals leave tombstones among a collection's sub-keys, and every
// walk over the collection (SPOP's sampling, a sorted set's ranges) steps
// over them until a compaction drops them. A file with many deletions (a
// quarter of its entries, or 4,096 within any 16,384) is compacted early:
// SPOP of a 200,000-member set went from 7.5k to 41k pops/s (bench/HISTORY.md).
std::shared_ptr<rocksdb::TablePropertiesCollectorFactory> DeletionTriggeredCompaction() {
  return rocksdb::NewCompactOnDeletionCollectorFactory(16 * 1024, 4 * 1024, 0.25);
}

// What a column family is read for.
enum class Reads {
  kScans,        // only iterated (zscore, default)
  kPointLookups, // meta: one key per read, many keys per file
  kSubKeys,      // data: point reads among possibly millions of one collection's sub-keys
};

rocksdb::ColumnFamilyOptions TableOptions(const std::shared_ptr<rocksdb::Cache>& cache, size_t write_buffer_bytes,
                                          Reads reads) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;  // keeps memory bounded by the cache size
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  if (reads != Reads::kPointLookups) {
    // Index and filter in 4 KB partitions under a small pinned top level. The
    // sub-keys of one big collection share a long prefix and compress to a few
    // bytes each, so one SST file holds millions of them: its whole filter was
    // megabytes, larger than a block cache shard, so it never stayed cached
    // and every point read fetched it from the file again (SADD to a set of 3
    // million members fell from 110k to 1.5k per second). Meta keys do not
    // compress like that; whole filters keep GET about a third cheaper there.
    table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
    table.partition_filters = true;
    table.metadata_block_size = 4096;
    table.pin_top_level_index_and_filter = true;
  }
  table.block_size = 16 * 1024;
  if (reads != Reads::kScans) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
    // A hash index inside each data block: a point read finds its key without a binary search.
    table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    table.data_block_hash_table_util_ratio = 0.75;
  }
  table.format_version = 5;
  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size = write_buffer_bytes;
  cf.max_write_buffer_number = 3;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  return cf;
}

}  // namespace

namespace {

// RocksDB's recovery drops a torn or corrupt last WAL record (a write cut off
// by a crash, never acknowledged) and only says so in its own LOG: tell the
// operator in ours.
void ReportTornBinlogTail(const std::string& data_dir) {
  auto files = ListWalFiles(data_dir);
  if (!files.ok() || files->empty()) return;
  auto reader = WalFileReader::Open(files->back());
  if (!reader.ok()) return;
  std::string record;
  uint64_t offset = 0;
  Result<bool> more = true;
  while (more.ok() && *more) more = (*reader)->Next(&record, &offset);
  if (!more.ok()) {
    KVD_LOG(kWarning) << "binlog: " << more.status().message() << "; RocksDB recovery decides what is kept";
  } else if (!(*reader)->tail_note().empty()) {
    KVD_LOG(kWarning) << "binlog: " << (*reader)->tail_note()
                      << " (a write cut off by a crash, never acknowledged; recovery drops it)";
  }
}

}  // namespace

namespace {

// A database swap (a replica's full sync) renames DATA/db away and the new
// database into its place. A crash between the two renames leaves no DATA/db:
// finish the swap if the new database is complete, else put the old one back.
Status RecoverInterruptedSwap(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path db = fs::path(dir) / "db";
  fs::path incoming = fs::path(dir) / "db.incoming";
  fs::path old = fs::path(dir) / "db.old";
  if (!fs::exists(db, error)) {
    if (fs::exists(incoming / "CURRENT", error)) {
      KVD_LOG(kNotice) << "finishing an interrupted database swap: " << incoming.string() << " becomes " << db.string();
      fs::rename(incoming, db, error);
    } else if (fs::exists(old, error)) {
      KVD_LOG(kNotice) << "undoing an interrupted database swap: restoring " << old.string();
      fs::rename(old, db, error);
    }
    if (error) return Status::IOError("cannot recover the database swap in " + dir + ": " + error.message());
  }
  fs::remove_all(old, error);
  return Status::Ok();
}

}  // namespace

void Engine::StopPerfCountersOfThisThread() {
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
}

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  std::error_code fs_error;
  std::filesystem::create_directories(options.dir, fs_error);
  if (fs_error) return Status::IOError("cannot create data directory " + options.dir + ": " + fs_error.message());
  KVD_RETURN_IF_ERROR(RecoverInterruptedSwap(options.dir));

  ReportTornBinlogTail(options.dir);
  std::unique_ptr<Engine> engine(new Engine());
  engine->options_ = options;
  engine->clock_ = options.clock;
  engine->databases_ = options.databases;
  engine->fsync_ = options.fsync;
  // Shards of at least 8 MB: a block larger than its shard is never kept,
  // and a meta SST file's whole filter can be a few MB.
  size_t cache_bytes = options.block_cache_mb * 1024 * 1024;
  int shard_bits = 0;
  while (shard_bits < 6 && (cache_bytes >> (shard_bits + 1)) >= (8u << 20)) ++shard_bits;
  engine->block_cache_ = rocksdb::NewLRUCache(cache_bytes, shard_bits);
  KVD_RETURN_IF_ERROR(engine->OpenDb());
  uint64_t now_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  engine->last_version_ = now_us;
  engine->background_ = std::thread([e = engine.get()] { e->BackgroundLoop(); });
  return engine;
}

Status Engine::OpenDb() {
  size_t write_buffer = options_.write_buffer_mb * 1024 * 1024;
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.manual_wal_flush = true;  // the server flushes once per pipeline pass
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.db_write_buffer_size = write_buffer * 4;
  db_options.keep_log_file_num = 4;
  // The WAL is the binlog (see README, "Binlog"): keep old WAL files for
  // replicas and `kvd binlog`, and on recovery stop at a torn or corrupt tail
  // record instead of serving it. A TTL makes RocksDB archive old WAL files;
  // this one is so long that RocksDB never deletes them — RunPeriodicChores does.
  db_options.WAL_size_limit_MB = 0;
  db_options.WAL_ttl_seconds = uint64_t{1} << 40;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_total_wal_size = write_buffer * 8;
  // Writers arrive from every io thread; on a small machine spinning while
  // waiting for the write group leader steals the CPU the leader needs.
  db_options.enable_write_thread_adaptive_yield = false;
  db_options.allow_concurrent_memtable_write = false;
  // Compactions are background work: on a small machine they must not take
  // the CPU from the io threads (latency) — flushes keep normal priority.
  db_options.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW);

  auto filter_factory = std::make_shared<StaleSubKeyFilterFactory>(options_.clock);
  rocksdb::ColumnFamilyOptions meta_cf = TableOptions(block_cache_, write_buffer, Reads::kPointLookups);
  // Most GETs miss the memtable; a bloom filter over it answers that without a skiplist search.
  meta_cf.memtable_whole_key_filtering = true;
  meta_cf.memtable_prefix_bloom_size_ratio = 0.05;
  meta_cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kMetaKeyPrefixSize));
  rocksdb::ColumnFamilyOptions data_cf = TableOptions(block_cache_, write_buffer, Reads::kSubKeys);
  data_cf.compaction_filter_factory = filter_factory;
  data_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<SubKeyPrefixTransform>();
  // SADD, HSET and ZADD ask whether a member exists before writing it; most
  // new members are in no memtable, and the bloom filter says so cheaply.
  data_cf.memtable_whole_key_filtering = true;
  data_cf.memtable_prefix_bloom_size_ratio = 0.05;
  data_cf.table_properties_collector_factories.emplace_back(DeletionTriggeredCompaction());
  rocksdb::ColumnFamilyOptions zscore_cf = TableOptions(block_cache_, write_buffer, Reads::kScans);
  zscore_cf.compaction_filter_factory = filter_factory;
  zscore_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<SubKeyPrefixTransform>();
  zscore_cf.table_properties_collector_factories.emplace_back(DeletionTriggeredCompaction());
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, TableOptions(block_cache_, 4 << 20, Reads::kScans)},
      {"meta", meta_cf},
      {"data", data_cf},
      {"zscore", zscore_cf},
  };

  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, DbDir(), families, &handles_, &raw_db);
  if (!status.ok() && status.ToString().find("lock") != std::string::npos) {
    return Status::IOError("data directory " + options_.dir + " is in use by another kvd (" + status.ToString() + ")");
  }
  if (!status.ok()) return Status::IOError("cannot open RocksDB in " + options_.dir + ": " + status.ToString());
  db_.reset(raw_db);
  meta_ = handles_[1];
  data_ = handles_[2];
  zscore_ = handles_[3];
  filter_factory->Attach(raw_db, meta_);
  return Status::Ok();
}

Status Engine::CloseDb() {
  Status result = FromRocks(db_->FlushWAL(true));
  rocksdb::FlushOptions flush;
  flush.wait = true;
  rocksdb::Status flushed = db_->Flush(flush, handles_);
  if (result.ok() && !flushed.ok()) result = FromRocks(flushed);
  // The compaction filter reads through the meta handle: stop compactions before the handles go.
  rocksdb::CancelAllBackgroundWork(db_.get(), true);
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  handles_.clear();
  rocksdb::Status closed = db_->Close();
  if (result.ok() && !closed.ok()) result = FromRocks(closed);
  db_.reset();
  return result;
}

Status Engine::ReplaceDatabase(const std::string& new_db_dir) {
  namespace fs = std::filesystem;
  // The syncing thread must not touch db_ meanwhile.
  std::scoped_lock lock(fsync_mutex_, sync_mutex_);
  std::string incoming = options_.dir + "/db.incoming";
  std::string old = options_.dir + "/db.old";
  std::error_code error;
  fs::remove_all(incoming, error);
  fs::rename(new_db_dir, incoming, error);
  if (error) return Status::IOError("cannot stage the new database " + new_db_dir + ": " + error.message());
  Status closed = CloseDb();
  if (!closed.ok()) KVD_LOG(kWarning) << "closing the replaced database: " << closed.message();
  fs::rename(DbDir(), old, error);
  if (!error) fs::rename(incoming, DbDir(), error);
  if (error) {
    KVD_LOG(kWarning) << "database swap failed (" << error.message() << "); reopening the previous database";
    std::error_code ignored;
    if (!fs::exists(DbDir(), ignored)) fs::rename(old, DbDir(), ignored);
    KVD_RETURN_IF_ERROR(OpenDb());
    return Status::IOError("cannot move the new database into place: " + error.message());
  }
  KVD_RETURN_IF_ERROR(OpenDb());
  fs::remove_all(old, error);
  synced_commits_ = flushed_commits_ = commits_.load();
  return Status::Ok();
}

Status Engine::ApplyReplicated(uint64_t sequence, std::string data) {
  rocksdb::WriteBatch batch(std::move(data));
  uint64_t expected = db_->GetLatestSequenceNumber() + 1;
  if (sequence != expected) {
    return Status::Aborted("replicated batch starts at sequence " + std::to_string(sequence) + ", expected " +
                           std::to_string(expected));
  }
  return WriteToDb(&batch);
}

Engine::~Engine() {
  Status status = Close();
  if (!status.ok()) KVD_LOG(kWarning) << "closing the storage engine: " << status.message();
}

namespace {
thread_local Engine::Transaction* t_transaction = nullptr;
thread_local ReadAhead t_read_ahead;
thread_local bool t_committed = false;
thread_local uint64_t t_writes = 0;  // Commit() calls on this thread, to tell if a command wrote
thread_local Engine::CommandRecord* t_record = nullptr;

// Replays a batch's operations into another batch (a plain WriteBatch, or a
// transaction's indexed one, which cannot hold range deletes).
template <typename Target>
class Replay : public rocksdb::WriteBatch::Handler {
 public:
  Replay(Target* target, const std::vector<rocksdb::ColumnFamilyHandle*>& handles)
      : target_(target), handles_(handles) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    return target_->Put(Handle(cf), key, value);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return target_->Delete(Handle(cf), key);
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return target_->Delete(Handle(cf), key);
  }
  void LogData(const rocksdb::Slice& blob) override { target_->PutLogData(blob); }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin, const rocksdb::Slice& end) override {
    if constexpr (std::is_same_v<Target, rocksdb::WriteBatch>) {
      return target_->DeleteRange(Handle(cf), begin, end);
    } else {
      return rocksdb::Status::NotSupported("range delete in a transaction");
    }
  }

 private:
  rocksdb::ColumnFamilyHandle* Handle(uint32_t id) const {
    for (auto* handle : handles_) {
      if (handle->GetID() == id) return handle;
    }
    return handles_[0];
  }
  Target* target_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles_;
};

}  // namespace

Engine::Transaction::Transaction(Engine& engine)
    : engine_(engine), batch_(rocksdb::BytewiseComparator(), 0, true), previous_(t_transaction) {
  // Reads see one batch and the database: a second batch would hide the outer one's writes.
  if (Transaction* outer = engine_.ActiveTransaction()) {
    joined_ = outer;
    return;
  }
  // Nor do they see the commit group: write it first so that nothing it holds is hidden.
  engine_.FlushGroup();
  t_transaction = this;
}

Engine::Transaction::~Transaction() {
  if (t_transaction == this) t_transaction = previous_;
}

Status Engine::Transaction::Finish() {
  if (joined_ != nullptr) return Status::Ok();  // the outer one commits it all
  t_transaction = previous_;
  if (!HoldsAnything()) return Status::Ok();
  // Nested in the server's commit group: join it, so it stays one atomic unit there.
  return engine_.Commit(batch_.GetWriteBatch());
}

bool Engine::Transaction::HoldsAnything() {
  // Records count too: a transaction's closing record may follow writes that a
  // range delete already committed, and must still reach the WAL.
  return batch_.GetWriteBatch()->GetDataSize() > kWriteBatchHeaderSize;
}

void Engine::Transaction::AddRecord(uint8_t db, std::vector<std::string> args) {
  if (joined_ != nullptr) return joined_->AddRecord(db, std::move(args));
  batch_.PutLogData(EncodeBinlogRecord(BinlogRecord{engine_.NowMs(), db, std::move(args)}));
}

Engine::Transaction* Engine::ActiveTransaction() {
  return t_transaction != nullptr && &t_transaction->engine_ == this ? t_transaction : nullptr;
}

struct Engine::Group {
  explicit Group(Engine& owner) : engine(owner) {}
  Engine& engine;
  PendingWrites writes;
  Status error;  // of a write made before CommitGroup()
};

namespace {
// The group lives as long as the thread (its buffers are reused round after
// round); `open` says whether one is open now.
struct ThreadGroup {
  std::unique_ptr<Engine::Group> group;
  bool open = false;
};
thread_local ThreadGroup t_group;
constexpr size_t kGroupFlushBytes = 8 << 20;  // bounds the memory and lock time of one group
}  // namespace

Engine::Group* Engine::OpenGroupOfThisThread() const {
  return t_group.open && &t_group.group->engine == this ? t_group.group.get() : nullptr;
}

void Engine::OpenGroup() {
  if (t_group.open || t_transaction != nullptr) return;
  if (t_group.group == nullptr || &t_group.group->engine != this) t_group.group = std::make_unique<Group>(*this);
  t_group.open = true;
  locks_.BeginDeferring([this] { FlushGroup(); });
}

bool Engine::GroupNeedsCommit() const {
  Group* group = OpenGroupOfThisThread();
  if (group == nullptr) return false;
  return !group->writes.empty() || locks_.HasDeferred() || !group->error.ok();
}

void Engine::FlushGroup() {
  Group* group = OpenGroupOfThisThread();
  if (group == nullptr) return;
  if (!group->writes.empty()) {
    rocksdb::WriteBatch batch(group->writes.bytes());  // reserved once: the batch is built without regrowing
    group->writes.BuildBatch(&batch);
    group->writes.Clear();
    Status written = WriteToDb(&batch);
    if (!written.ok() && group->error.ok()) group->error = written;
  }
  locks_.ReleaseDeferred();
}

Status Engine::CommitGroup() {
  Group* group = OpenGroupOfThisThread();
  if (group == nullptr) return Status::Ok();
  FlushGroup();
  Status result = std::move(group->error);
  group->error = Status::Ok();
  locks_.EndDeferring();
  t_group.open = false;
  return result;
}

Status Engine::Get(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string* value) {
  rocksdb::Slice slice(key.data(), key.size());
  if (Transaction* txn = ActiveTransaction(); txn != nullptr && !txn->IsEmptyOutermost()) {
    return FromRocks(txn->batch_.GetFromBatchAndDB(db_.get(), rocksdb::ReadOptions(), cf, slice, value));
  }
  if (Group* group = OpenGroupOfThisThread(); group != nullptr) {
    switch (group->writes.Find(cf->GetID(), key, value)) {
      case PendingWrites::Found::kValue: return Status::Ok();
      case PendingWrites::Found::kDeleted: return Status::NotFound();
      case PendingWrites::Found::kNotHere: break;
    }
  }
  if (const rocksdb::Status* read = t_read_ahead.Find(cf, key, value)) return FromRocks(*read);
  return FromRocks(db_->Get(rocksdb::ReadOptions(), cf, slice, value));
}

void Engine::ReadAheadKeys(rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys) {
  if (ActiveTransaction() != nullptr || keys.empty()) return;
  t_read_ahead.Load(db_.get(), cf, std::move(keys));
}

bool Engine::CanKeepLockedReadAhead() const {
  return OpenGroupOfThisThread() != nullptr && t_transaction == nullptr;
}

void Engine::KeepLockedReadAhead(rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys,
                                 const std::vector<std::string>& values) {
  if (keys.empty() || !CanKeepLockedReadAhead()) return;
  t_read_ahead.Keep(cf, std::move(keys), values);
}

bool Engine::IsReadAhead(const rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  return t_read_ahead.Holds(cf, key);
}

std::string_view Engine::NextReadAheadKey(const rocksdb::ColumnFamilyHandle* cf) { return t_read_ahead.NextKey(cf); }

void Engine::ClearReadAhead() { t_read_ahead.Clear(); }

std::unique_ptr<rocksdb::Iterator> Engine::NewIterator(const rocksdb::ReadOptions& options,
                                                       rocksdb::ColumnFamilyHandle* cf) {
  std::unique_ptr<rocksdb::Iterator> base(db_->NewIterator(options, cf));
  if (Transaction* txn = ActiveTransaction(); txn != nullptr && !txn->IsEmptyOutermost()) {
    return std::unique_ptr<rocksdb::Iterator>(txn->batch_.NewIteratorWithBase(cf, base.release(), &options));
  }
  if (Group* group = OpenGroupOfThisThread(); group != nullptr && !group->writes.empty()) {
    return std::unique_ptr<rocksdb::Iterator>(group->writes.Index().NewIteratorWithBase(cf, base.release(), &options));
  }
  return base;
}

Status Engine::WriteToDb(rocksdb::WriteBatch* batch) {
  t_read_ahead.Clear();  // what it read may be what this batch changes
  Status status = FromRocks(db_->Write(rocksdb::WriteOptions(), batch));
  if (!status.ok()) return status;
  commits_.fetch_add(1, std::memory_order_release);
  t_committed = true;
  if (observer_) observer_(*batch);
  return Status::Ok();
}

uint64_t Engine::ThreadWrites() { return t_writes; }

bool Engine::TakeThreadCommitted() {
  bool committed = t_committed;
  t_committed = false;
  return committed;
}

Status Engine::Commit(rocksdb::WriteBatch* batch) {
  ++t_writes;
  if (Transaction* txn = ActiveTransaction()) return CommitIntoTransaction(txn, batch);
  if (Group* group = OpenGroupOfThisThread()) return CommitIntoGroup(group, batch);
  AttachCurrentRecord(batch);
  return WriteToDb(batch);
}

Status Engine::Commit(const WriteSet& writes) {
  Group* group = ActiveTransaction() == nullptr ? OpenGroupOfThisThread() : nullptr;
  if (group == nullptr) {
    rocksdb::WriteBatch batch;
    writes.AppendTo(&batch);
    return Commit(&batch);
  }
  ++t_writes;
  for (const WriteSet::Op& op : writes) {
    if (op.kind == WriteSet::Kind::kPut) {
      group->writes.Put(op.cf, writes.KeyOf(op), writes.ValueOf(op));
    } else {
      group->writes.Delete(op.cf, writes.KeyOf(op));
    }
  }
  if (group->writes.bytes() > kGroupFlushBytes) FlushGroup();
  return Status::Ok();
}

void Engine::AttachCurrentRecord(rocksdb::WriteBatch* batch) {
  if (t_record == nullptr || &t_record->engine_ != this || t_record->emitted_) return;
  batch->PutLogData(t_record->Encode());
  t_record->emitted_ = true;
}

Engine::CommandRecord::CommandRecord(Engine& engine, uint8_t db, const std::vector<std::string>& args)
    : engine_(engine),
      db_(db),
      args_(args),
      time_ms_(engine.NowMs()),
      writes_at_start_(t_writes),
      previous_(t_record) {
  t_record = this;
}

Engine::CommandRecord::~CommandRecord() {
  if (t_record == this) t_record = previous_;
}

void Engine::CommandRecord::Rewrite(std::vector<std::string> args) {
  rewritten_ = std::move(args);
  rewrote_ = true;
}

void Engine::RewriteCurrentRecord(std::vector<std::string> args) {
  if (t_record != nullptr) t_record->Rewrite(std::move(args));
}

std::string Engine::CommandRecord::Encode() const {
  return EncodeBinlogRecord(time_ms_, db_, rewrote_ ? rewritten_ : args_);
}

void Engine::CommandRecord::Finish() {
  if (t_record == this) t_record = previous_;
  if (emitted_ || t_writes == writes_at_start_) return;
  emitted_ = true;
  if (Transaction* txn = engine_.ActiveTransaction()) {
    txn->batch_.PutLogData(Encode());
  } else if (Group* group = engine_.OpenGroupOfThisThread()) {
    thread_local std::string encoded;  // the group copies it; the buffer serves the next record
    EncodeBinlogRecordInto(&encoded, time_ms_, db_, rewrote_ ? rewritten_ : args_);
    group->writes.AddLogData(encoded);
    if (encoded.capacity() > (1u << 20)) std::string().swap(encoded);  // a huge value's record is not kept
  }
  // Otherwise every commit went out at once, the first one carrying the record.
}

void Engine::AddRecord(rocksdb::WriteBatch* batch, uint8_t db, std::vector<std::string> args, uint64_t time_ms) {
  batch->PutLogData(EncodeBinlogRecord(BinlogRecord{time_ms, db, std::move(args)}));
}

Status Engine::CommitIntoTransaction(Transaction* txn, rocksdb::WriteBatch* batch) {
  if (batch->HasDeleteRange()) return WriteOutWithRangeDelete(txn, batch);
  Replay<rocksdb::WriteBatchWithIndex> into_transaction(&txn->batch_, handles_);
  return FromRocks(batch->Iterate(&into_transaction));
}

Status Engine::CommitIntoGroup(Group* group, rocksdb::WriteBatch* batch) {
  if (batch->HasDeleteRange()) return WriteOutWithRangeDelete(nullptr, batch);
  KVD_RETURN_IF_ERROR(group->writes.Append(*batch, handles_));
  if (group->writes.bytes() > kGroupFlushBytes) FlushGroup();
  return Status::Ok();
}

Status Engine::WriteOutWithRangeDelete(Transaction* innermost, rocksdb::WriteBatch* batch) {
  std::vector<Transaction*> chain;
  for (Transaction* t = innermost; t != nullptr && &t->engine_ == this; t = t->previous_) chain.push_back(t);
  rocksdb::WriteBatch merged;
  if (Group* group = OpenGroupOfThisThread()) {
    group->writes.BuildBatch(&merged);
    group->writes.Clear();
  }
  Replay<rocksdb::WriteBatch> into_merged(&merged, handles_);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    KVD_RETURN_IF_ERROR(FromRocks((*it)->batch_.GetWriteBatch()->Iterate(&into_merged)));
  }
  KVD_RETURN_IF_ERROR(FromRocks(batch->Iterate(&into_merged)));
  AttachCurrentRecord(&merged);
  for (Transaction* t : chain) {
    t->batch_.Clear();
    t->wrote_out_ = true;
  }
  return WriteToDb(&merged);
}

Status Engine::SyncWal(bool to_disk) {
  uint64_t target = commits_.load(std::memory_order_acquire);
  // The fsync itself runs outside sync_mutex_: io threads that only need
  // their writes in the OS must not wait for the disk.
  std::unique_lock disk_lock(fsync_mutex_, std::defer_lock);
  if (to_disk) disk_lock.lock();
  uint64_t covering = 0;
  {
    std::lock_guard lock(sync_mutex_);
    if ((to_disk ? synced_commits_ : flushed_commits_) >= target) return Status::Ok();  // covered (group commit)
    covering = commits_.load(std::memory_order_acquire);
    if (flushed_commits_ < covering) {
      KVD_RETURN_IF_ERROR(FromRocks(db_->FlushWAL(false)));
      flushed_commits_ = covering;
      if (wal_flushed_hook_) wal_flushed_hook_();
    }
    if (!to_disk) return Status::Ok();
  }
  KVD_RETURN_IF_ERROR(FromRocks(db_->SyncWAL()));
  std::lock_guard lock(sync_mutex_);
  synced_commits_ = std::max(synced_commits_, covering);
  return Status::Ok();
}

Status Engine::MakeDurable() { return SyncWal(fsync_.load() == FsyncPolicy::kAlways); }

void Engine::MakeDurableAsync(std::function<void(Status)> done) {
  if (fsync_.load() != FsyncPolicy::kAlways) return done(MakeDurable());
  {
    std::lock_guard lock(background_mutex_);
    durability_waiters_.push_back(std::move(done));
  }
  background_wakeup_.notify_all();
}

// One thread does every fsync: the group fsync for the writers waiting under
// `always` (all of them, from every io thread, share one), and the periodic
// one under `everysec`. It also purges the binlog.
void Engine::BackgroundLoop() {
  using std::chrono::steady_clock;
  std::unique_lock lock(background_mutex_);
  auto next_periodic = steady_clock::now() + std::chrono::seconds(1);
  while (true) {
    background_wakeup_.wait_until(
        lock, next_periodic, [&] { return stopping_ || !durability_waiters_.empty() || flush_data_wanted_; });
    if (flush_data_wanted_ && !stopping_) {
      flush_data_wanted_ = false;
      lock.unlock();
      FlushDataSoon();
      lock.lock();
      continue;
    }
    if (!durability_waiters_.empty()) {
      std::vector<std::function<void(Status)>> waiters;
      waiters.swap(durability_waiters_);
      lock.unlock();
      Status status = SyncWal(true);
      for (auto& done : waiters) done(status);
      lock.lock();
      continue;
    }
    if (stopping_) break;
    if (steady_clock::now() < next_periodic) continue;
    next_periodic = steady_clock::now() + std::chrono::seconds(1);
    lock.unlock();
    RunPeriodicChores();
    lock.lock();
  }
}

void Engine::NoteDeletedSubKeys() {
  int64_t now = static_cast<int64_t>(SteadyNowMs());
  int64_t last = last_data_flush_ms_.load(std::memory_order_relaxed);
  if (now - last < 1000 || !last_data_flush_ms_.compare_exchange_strong(last, now)) return;
  {
    std::lock_guard lock(background_mutex_);
    flush_data_wanted_ = true;
  }
  background_wakeup_.notify_all();
}

void Engine::FlushDataSoon() {
  std::lock_guard db_in_place(fsync_mutex_);  // ReplaceDatabase may be swapping db_
  rocksdb::FlushOptions flush;
  flush.wait = false;
  flush.allow_write_stall = true;
  rocksdb::Status flushed = db_->Flush(flush, data_);
  if (!flushed.ok()) KVD_LOG(kWarning) << "flushing deleted sub-keys: " << flushed.ToString();
}

void Engine::RunPeriodicChores() {
  if (fsync_.load() == FsyncPolicy::kEverysec) {
    Status status = SyncWal(true);
    if (!status.ok()) KVD_LOG(kWarning) << "background fsync failed: " << status.message();
  }
  BinlogLimits limits{options_.binlog_max_size_mb * 1024 * 1024, options_.binlog_max_age_s};
  std::lock_guard disk_lock(fsync_mutex_);  // ReplaceDatabase may be moving the directory
  // A checkpoint can hold the WAL files for a while; this thread also does the
  // fsyncs, so it does not wait: the purge runs again in a second.
  std::unique_lock wal_files(wal_files_mutex_, std::try_to_lock);
  if (!wal_files.owns_lock()) return;
  auto purged = PurgeArchivedWals(options_.dir, limits, static_cast<int64_t>(::time(nullptr)));
  if (!purged.ok()) {
    KVD_LOG(kWarning) << "binlog retention: " << purged.status().message();
  } else if (*purged > 0) {
    KVD_LOG(kVerbose) << "binlog retention: deleted " << *purged << " old binlog file(s)";
  }
}

uint64_t Engine::NextVersion() {
  uint64_t now_us = clock_->NowMs() * 1000;
  uint64_t previous = last_version_.load();
  uint64_t next;
  do {
    next = std::max(previous + 1, now_us);
  } while (!last_version_.compare_exchange_weak(previous, next));
  return next;
}

uint64_t Engine::ApproximateMemoryUsage() {
  uint64_t total = block_cache_ ? block_cache_->GetUsage() : 0;
  uint64_t memtables = 0;
  for (auto* handle : handles_) {
    if (db_->GetIntProperty(handle, "rocksdb.cur-size-all-mem-tables", &memtables)) total += memtables;
  }
  return total;
}

Result<Engine::BinlogInfo> Engine::Binlog() {
  auto wal_files = LockWalFiles();
  rocksdb::VectorLogPtr files;
  KVD_RETURN_IF_ERROR(FromRocks(db_->GetSortedWalFiles(files)));
  BinlogInfo info;
  info.last_sequence = db_->GetLatestSequenceNumber();
  info.files = files.size();
  for (const auto& file : files) {
    info.bytes += file->SizeFileBytes();
    if (info.first_sequence == 0 || (file->StartSequence() != 0 && file->StartSequence() < info.first_sequence)) {
      info.first_sequence = file->StartSequence();
    }
  }
  return info;
}

uint64_t Engine::ApproximateDiskUsage() {
  uint64_t total = 0, size = 0;
  for (auto* handle : handles_) {
    if (db_->GetIntProperty(handle, "rocksdb.total-sst-files-size", &size)) total += size;
  }
  return total;
}

Status Engine::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  if (db_ == nullptr) return Status::Ok();  // Open() failed before RocksDB was open
  {
    std::lock_guard lock(background_mutex_);
    stopping_ = true;
  }
  background_wakeup_.notify_all();
  if (background_.joinable()) background_.join();
  return CloseDb();
}

}  // namespace kvd::storage
