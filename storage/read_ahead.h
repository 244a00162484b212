// Point reads done ahead of time for the commands a thread is about to run:
// a run of pipelined GETs, or one MGET, looks its keys up in one RocksDB
// MultiGet — one pass over the memtables and files for all of them, their
// cache misses overlapped — and each command then finds its value here.
//
// Engine keeps one per thread and forgets it as soon as that thread writes
// anything, so a command never reads ahead past its own thread's writes.
// Writes of other threads between the MultiGet and a command are like
// writes made just after it: the read still happened while the command
// was waiting to be answered.
#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::storage {

class ReadAhead {
 public:
  // Room for `count` keys of the column family `cf` (a handle: unique to
  // its database); fill keys(), values() and statuses() (MultiGet's
  // outputs), then the entries can be found.
  void Prepare(const void* cf, size_t count);
  std::vector<rocksdb::Slice>& keys() { return keys_; }
  std::vector<std::string>& key_bytes() { return key_bytes_; }
  std::vector<rocksdb::PinnableSlice>& values() { return values_; }
  std::vector<rocksdb::Status>& statuses() { return statuses_; }

  // What MultiGet said of `key` (its value copied to `value` when found);
  // nullptr when `key` was not read ahead.
  const rocksdb::Status* Find(const void* cf, std::string_view key, std::string* value);
  void Clear();
  bool empty() const { return count_ == 0; }

 private:
  const void* cf_ = nullptr;
  size_t count_ = 0;
  size_t next_ = 0;  // commands run in the order their keys were read: the next Find is usually here
  std::vector<std::string> key_bytes_;
  std::vector<rocksdb::Slice> keys_;
  std::vector<rocksdb::PinnableSlice> values_;
  std::vector<rocksdb::Status> statuses_;
};

}  // namespace kvd::storage
