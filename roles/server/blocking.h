// Clients blocked on keys (BLPOP, BZPOPMIN...). Each key has a FIFO of
// waiters. When a committed write touches a key, its first waiter is taken
// off every queue it stands in and woken on its own thread; it retries its
// command, and if it still finds nothing it goes back to the front. A
// successful pop is itself a write, so it wakes the next waiter in turn.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/written_keys.h"

namespace kvd::server {

class BlockingRegistry {
 public:
  using Wake = std::function<void()>;

  // `front`: a woken waiter that found nothing keeps its place.
  void Block(uint64_t client_id, uint8_t db, const std::vector<std::string>& keys, Wake wake, bool front);
  void Unblock(uint64_t client_id);
  void Signal(const storage::WrittenKeys& written);
  // Whether a client waits for any of `keys` of database `db`.
  bool HasWaiters(uint8_t db, const std::vector<std::string_view>& keys) const;
  bool Empty() const { return blocked_.load(std::memory_order_relaxed) == 0; }
  size_t blocked_clients() const { return blocked_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    uint8_t db;
    std::vector<std::string> keys;
    Wake wake;
  };
  static std::string Slot(uint8_t db, std::string_view key) {
    std::string slot(1, static_cast<char>(db));
    slot.append(key);
    return slot;
  }
  void RemoveLocked(uint64_t client_id);

  mutable std::mutex mutex_;
  std::map<uint64_t, Waiter> waiters_;
  std::map<std::string, std::deque<uint64_t>> queues_;
  std::atomic<size_t> blocked_{0};
};

}  // namespace kvd::server
