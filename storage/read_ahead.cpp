#include "storage/read_ahead.h"

#include <algorithm>
#include <numeric>

namespace kvd::storage {

void ReadAhead::Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys) {
  Clear();
  cf_ = cf;
  keys_ = std::move(keys);
  // MultiGet needs its keys in order. Left to itself it sorts them through the
  // column family's comparator, a virtual call per comparison (11% of a
  // pipelined GET's instructions); plain byte comparisons here are cheaper.
  // keys_ keeps the commands' order; the MultiGet arrays are in key order.
  order_.resize(keys_.size());
  std::iota(order_.begin(), order_.end(), size_t{0});
  std::sort(order_.begin(), order_.end(), [this](size_t a, size_t b) { return keys_[a] < keys_[b]; });
  key_slices_.clear();
  slot_of_.resize(keys_.size());
  for (size_t slot = 0; slot < order_.size(); ++slot) {
    key_slices_.emplace_back(keys_[order_[slot]]);
    slot_of_[order_[slot]] = slot;
  }
  values_.resize(keys_.size());
  statuses_.resize(keys_.size());
  db->MultiGet(rocksdb::ReadOptions(), cf, keys_.size(), key_slices_.data(), values_.data(), statuses_.data(),
               /*sorted_input=*/true);
}

void ReadAhead::Keep(const rocksdb::ColumnFamilyHandle* cf, std::vector<std::string> keys,
                     const std::vector<std::string>& values) {
  Clear();
  cf_ = cf;
  keys_ = std::move(keys);
  values_.resize(keys_.size());
  statuses_.assign(keys_.size(), rocksdb::Status::OK());
  slot_of_.resize(keys_.size());
  std::iota(slot_of_.begin(), slot_of_.end(), size_t{0});
  for (size_t i = 0; i < keys_.size(); ++i) values_[i].PinSelf(values[i]);
}

const rocksdb::Status* ReadAhead::Find(const rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                                       std::string* value) {
  size_t found = IndexOf(cf, key);
  if (found == keys_.size()) return nullptr;
  next_ = found + 1;
  size_t slot = slot_of_[found];
  if (statuses_[slot].ok()) value->assign(values_[slot].data(), values_[slot].size());
  return &statuses_[slot];
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
