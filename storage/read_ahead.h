// Point reads done ahead of time for the commands a thread is about to run:
// a run of pipelined GETs, or one MGET, looks its keys up in one RocksDB
// MultiGet — one pass over the memtables and files for all of them, their
// cache misses overlapped — and a run of pops from one end of a list reads
// its next elements with one iterator (Keep). Each command then finds its
// value here.
//
// Engine keeps one per thread. A write this thread keeps in its commit group
// hides what was read ahead of that key (the group is read first), and the
// read-ahead is forgotten when this thread writes to the database, so a
// command never reads ahead past its own thread's writes. Writes of other
// threads between the MultiGet and a GET are like writes made just after
// it: the read still happened while the GET was waiting to be answered.
// Pops read ahead only what their locked key holds (Engine::KeepLockedReadAhead).
#pragma once

#include <rocksdb/db.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::storage {

class ReadAhead {
 public:
  // Reads `keys` of `cf` in one MultiGet, replacing what was read before.
  void Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys);
  // Holds `values` of `keys` (read by the caller, all found), replacing what was read before.
  void Keep(const rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys,
            const std::vector<std::string>& values);
  // What MultiGet said of `key` in `cf` (its value copied to `value` when
  // found); nullptr when `key` was not read ahead.
  const rocksdb::Status* Find(const rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string* value);
  // The key the next command of the run will most likely ask for (empty when
  // nothing of `cf` is read ahead, or the run is over): lets it skip encoding its key again.
  std::string_view NextKey(const rocksdb::ColumnFamilyHandle* cf) const {
    return cf == cf_ && next_ < keys_.size() ? std::string_view(keys_[next_]) : std::string_view();
  }
  bool Holds(const rocksdb::ColumnFamilyHandle* cf, std::string_view key) const {
    return IndexOf(cf, key) < keys_.size();
  }
  void Clear();

 private:
  // Position of `key` in keys_, or keys_.size() when it is not there.
  size_t IndexOf(const rocksdb::ColumnFamilyHandle* cf, std::string_view key) const;

  const rocksdb::ColumnFamilyHandle* cf_ = nullptr;  // a handle is unique to its database
  size_t next_ = 0;  // commands run in the order their keys were read: the next Find is usually here
  std::vector<std::string> keys_;
  std::vector<size_t> order_;    // scratch: positions in keys_, sorted by key
  std::vector<size_t> slot_of_;  // position in keys_ -> index in the three arrays below
  std::vector<rocksdb::Slice> key_slices_;  // for MultiGet, in key order
  std::vector<rocksdb::PinnableSlice> values_;
  std::vector<rocksdb::Status> statuses_;
};

}  // namespace kvd::storage
