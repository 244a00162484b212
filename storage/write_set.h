// What one command writes, staged until Engine::Commit(): puts and deletes per
// column family. Engine::Commit() hands them straight to the open commit
// group (pending_writes.h). A rocksdb::WriteBatch in its place cost a varint
// encoding per operation that the group then parsed back (about 13% of a
// SET's instructions); a command's few operations and their bytes stay
// inline here, without an allocation.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <string_view>

namespace kvd::storage {

class WriteSet {
 public:
  enum class Kind : uint8_t { kPut, kDelete };
  struct Op {
    Kind kind;
    rocksdb::ColumnFamilyHandle* cf;
    size_t key_at;
    size_t key_size;
    size_t value_at;
    size_t value_size;
  };

  void Put(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key, const rocksdb::Slice& value) {
    Add(Kind::kPut, cf, key, value);
  }
  void Delete(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key) { Add(Kind::kDelete, cf, key, {}); }

  size_t Count() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  const Op* begin() const { return ops_.data(); }
  const Op* end() const { return ops_.data() + ops_.size(); }
  std::string_view KeyOf(const Op& op) const { return {bytes_.data() + op.key_at, op.key_size}; }
  std::string_view ValueOf(const Op& op) const { return {bytes_.data() + op.value_at, op.value_size}; }

  // The same operations appended to `batch`, in order.
  void AppendTo(rocksdb::WriteBatch* batch) const;

 private:
  void Add(Kind kind, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key, const rocksdb::Slice& value);

  boost::container::small_vector<Op, 4> ops_;
  boost::container::small_vector<char, 256> bytes_;
};

}  // namespace kvd::storage
