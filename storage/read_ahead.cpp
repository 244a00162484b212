#include "storage/read_ahead.h"

namespace kvd::storage {

void ReadAhead::Prepare(const void* cf, size_t count) {
  Clear();
  cf_ = cf;
  count_ = count;
  key_bytes_.resize(count);
  keys_.resize(count);
  values_.resize(count);
  statuses_.resize(count);
}

const rocksdb::Status* ReadAhead::Find(const void* cf, std::string_view key, std::string* value) {
  if (count_ == 0 || cf != cf_) return nullptr;
  auto matches = [&](size_t i) { return std::string_view(keys_[i].data(), keys_[i].size()) == key; };
  size_t found = next_ < count_ && matches(next_) ? next_ : count_;
  for (size_t i = 0; found == count_ && i < count_; ++i) {
    if (matches(i)) found = i;
  }
  if (found == count_) return nullptr;
  next_ = found + 1;
  if (statuses_[found].ok()) value->assign(values_[found].data(), values_[found].size());
  return &statuses_[found];
}

void ReadAhead::Clear() {
  if (count_ == 0) return;
  for (size_t i = 0; i < count_; ++i) values_[i].Reset();  // unpins the blocks
  count_ = 0;
  next_ = 0;
}

}  // namespace kvd::storage
