#include "storage/write_set.h"

namespace kvd::storage {

void WriteSet::Add(Kind kind, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key,
                   const rocksdb::Slice& value) {
  size_t key_at = bytes_.size();
  bytes_.insert(bytes_.end(), key.data(), key.data() + key.size());
  size_t value_at = bytes_.size();
  bytes_.insert(bytes_.end(), value.data(), value.data() + value.size());
  ops_.push_back(Op{kind, cf, key_at, key.size(), value_at, value.size()});
}

void WriteSet::AppendTo(rocksdb::WriteBatch* batch) const {
  for (const Op& op : ops_) {
    std::string_view key = KeyOf(op);
    rocksdb::Slice key_slice(key.data(), key.size());
    if (op.kind == Kind::kPut) {
      std::string_view value = ValueOf(op);
      batch->Put(op.cf, key_slice, rocksdb::Slice(value.data(), value.size()));
    } else {
      batch->Delete(op.cf, key_slice);
    }
  }
}

}  // namespace kvd::storage
