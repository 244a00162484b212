#include "storage/scan_cursors.h"

namespace kvd::storage {

uint64_t ScanCursors::Save(std::string position) {
  std::lock_guard lock(mutex_);
  uint64_t id = next_id_++;
  positions_.emplace(id, std::move(position));
  order_.push_back(id);
  while (order_.size() > capacity_) {
    positions_.erase(order_.front());
    order_.pop_front();
  }
  return id;
}

std::string ScanCursors::Find(uint64_t cursor) {
  std::lock_guard lock(mutex_);
  auto it = positions_.find(cursor);
  return it == positions_.end() ? std::string() : it->second;
}

}  // namespace kvd::storage
