// WATCH: which clients watch which keys. A committed write marks the
// watchers of its keys dirty (through the engine's commit observer, while the
// writer still holds its key locks), and EXEC refuses to run for a dirty one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/written_keys.h"

namespace kvd::server {

struct WatchedKey {
  uint8_t db = 0;
  std::string key;
  uint64_t expire_ms = 0;  // the key's TTL when watched; EXEC fails if it has passed since
};

// One per client that watches; only `dirty` is touched by other threads.
struct Watcher {
  std::atomic<bool> dirty{false};
  std::vector<WatchedKey> keys;
};

class WatchRegistry {
 public:
  // `existed`: whether the key was there when watched. FLUSHDB and FLUSHALL
  // touch only watched keys that exist, as in Redis; a key created after
  // WATCH already made its watchers dirty, so existing at WATCH is what counts.
  // `expired`: it was still stored but its time had passed. As in Redis,
  // reclaiming such a key (DEL, the expiry sweep) changes nothing logically
  // and leaves the watcher clean; any write that stores the key again does
  // not, even a SET whose time has already passed.
  void Add(Watcher* watcher, uint8_t db, const std::string& key, bool existed, bool expired);
  void RemoveAll(Watcher* watcher);
  // `stored` says whether a record of the key is stored now (after the
  // write), live or expired; it is asked only about keys watched while expired.
  using StoredCheck = std::function<bool(uint8_t db, const std::string& key)>;
  void Touch(const storage::WrittenKeys& written, const StoredCheck& stored);
  bool Empty() const { return watched_.load(std::memory_order_relaxed) == 0; }

 private:
  static std::string Slot(uint8_t db, const std::string& key) { return std::string(1, static_cast<char>(db)) + key; }

  struct Watch {
    Watcher* watcher;
    bool existed;
    bool expired;  // until the stored, expired key is reclaimed
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Watch>> by_key_;
  std::atomic<size_t> watched_{0};
};

}  // namespace kvd::server
