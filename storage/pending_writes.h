// The writes of an open commit group (engine.h): what many commands of one io
// loop round wrote, not yet in RocksDB. Point reads are answered from a hash
// table; an ordered index (for iterators) is built only when one is asked
// for. When the group is written, every key goes out once with its last
// value, so a pipeline of SADDs to one set inserts its metadata into the
// memtable once instead of once per command.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kvd::storage {

class PendingWrites {
 public:
  enum class Found { kNotHere, kValue, kDeleted };

  // Takes the operations and log data of `batch`; Aborted for a range delete
  // (the caller writes those itself).
  Status Append(const rocksdb::WriteBatch& batch, const std::vector<rocksdb::ColumnFamilyHandle*>& handles);
  void AddLogData(std::string_view blob);
  // One operation of a command (write_set.h), taken without a batch to parse.
  void Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value);
  void Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key);

  // The group's state of one key: a value, a delete, or nothing written here.
  Found Find(uint32_t cf, std::string_view key, std::string* value) const;
  // An index over everything so far, for an iterator over the group and the
  // database (WriteBatchWithIndex::NewIteratorWithBase). Stays valid until
  // the next change.
  rocksdb::WriteBatchWithIndex& Index();

  // One batch: each key's last operation in key order, then the log data in
  // the order it came.
  void BuildBatch(rocksdb::WriteBatch* out) const;
  bool empty() const { return ops_.empty(); }
  size_t bytes() const { return bytes_; }
  void Clear();

 private:
  enum class Kind : uint8_t { kPut, kDelete, kLogData };
  struct Op {
    Kind kind;
    uint32_t cf_id;  // 0 for log data; HandleOf() gives the handle
    std::string_view key;  // points into arena_
    std::string_view value;
    bool superseded = false;  // a later operation on the same key replaces it
  };
  // The last operation on each key, in an open-addressing table (linear
  // probing, a power-of-two size): no allocation per key, unlike a node-based map.
  static constexpr uint32_t kEmptySlot = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t op = kEmptySlot;  // index in ops_
  };
  static uint64_t HashOf(uint32_t cf, std::string_view key);
  // The slot holding `key` of column family `cf`, or the empty slot where it would go.
  size_t SlotOf(uint32_t cf, std::string_view key, uint64_t hash) const;
  void GrowSlots();
  std::string_view Keep(std::string_view bytes);
  rocksdb::ColumnFamilyHandle* HandleOf(uint32_t cf_id) const;
  void RememberHandle(rocksdb::ColumnFamilyHandle* cf);
  void Add(Kind kind, uint32_t cf_id, std::string_view key, std::string_view value);
  class Collector;

  std::vector<Op> ops_;
  std::vector<Slot> slots_;
  size_t used_slots_ = 0;
  std::vector<rocksdb::ColumnFamilyHandle*> handle_by_id_;  // every column family written, by id
  std::vector<std::unique_ptr<char[]>> arena_;
  size_t arena_used_ = 0;
  size_t arena_capacity_ = 0;
  size_t bytes_ = 0;
  std::unique_ptr<rocksdb::WriteBatchWithIndex> index_;
  size_t indexed_ops_ = 0;  // ops_ already in index_
};

}  // namespace kvd::storage
