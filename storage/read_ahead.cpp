#include "storage/read_ahead.h"

namespace kvd::storage {

void ReadAhead::Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys) {
  Clear();
  cf_ = cf;
  keys_ = std::move(keys);
  key_slices_.assign(keys_.begin(), keys_.end());
  values_.resize(keys_.size());
  statuses_.resize(keys_.size());
  db->MultiGet(rocksdb::ReadOptions(), cf, keys_.size(), key_slices_.data(), values_.data(), statuses_.data());
}

void ReadAhead::Keep(const rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys,
                     const std::vector<std::string>& values) {
  Clear();
  cf_ = cf;
  keys_ = std::move(keys);
  values_.resize(keys_.size());
  statuses_.assign(keys_.size(), rocksdb::Status::OK());
  for (size_t i = 0; i < keys_.size(); ++i) values_[i].PinSelf(values[i]);
}

const rocksdb::Status* ReadAhead::Find(const rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                                       std::string* value) {
  size_t found = IndexOf(cf, key);
  if (found == keys_.size()) return nullptr;
  next_ = found + 1;
  if (statuses_[found].ok()) value->assign(values_[found].data(), values_[found].size());
  return &statuses_[found];
}

size_t ReadAhead::IndexOf(const rocksdb::ColumnFamilyHandle* cf, std::string_view key) const {
  if (keys_.empty() || cf != cf_) return keys_.size();
  if (next_ < keys_.size() && keys_[next_] == key) return next_;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return i;
  }
  return keys_.size();
}

void ReadAhead::Clear() {
  if (keys_.empty()) return;
  for (size_t i = 0; i < keys_.size(); ++i) values_[i].Reset();  // unpins the blocks
  keys_.clear();
  next_ = 0;
}

}  // namespace kvd::storage
