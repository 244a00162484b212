// SCAN cursors are opaque integers to clients, but our iteration position is a
// RocksDB key. This bounded table maps the integers handed out to positions.
// An unknown or evicted cursor restarts the iteration (SCAN may repeat keys).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kvd::storage {

class ScanCursors {
 public:
  explicit ScanCursors(size_t capacity = 16384) : capacity_(capacity) {}
  // Remembers `position`; returns a non-zero cursor for it.
  uint64_t Save(std::string position);
  // The position saved under `cursor`, or empty (start) when unknown.
  std::string Find(uint64_t cursor);

 private:
  std::mutex mutex_;
  size_t capacity_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::string> positions_;
  std::deque<uint64_t> order_;
};

}  // namespace kvd::storage
