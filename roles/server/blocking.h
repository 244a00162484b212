// Clients blocked on keys (BLPOP, BZPOPMIN...). Each key has a FIFO of
// waiters, and a waiter keeps its place in every queue it stands in until it
// is served, times out or leaves. When a committed write touches a key, the
// first waiter of that key not already woken is woken on its own thread and
// runs its command again:
//   - served: it leaves (Served); the next waiter of the key it took from is
//     woken (PassOn), and its writes wake the waiters of the keys they ready;
//   - nothing there (another client took it): it stays where it was (Block
//     again);
//   - the key holds another type than it waits for: it stays where it was
//     and hands the wake-up on to the waiters behind it (PassOn), who may
//     wait for that type — as Redis serves, in order, every client of a
//     ready key that can use it.
// A woken waiter that leaves before it ran (timeout, CLIENT UNBLOCK, closed
// connection) hands its wake-up on as well, so no element is left unserved.
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

  // Joins the end of each key's queue; a waiter already there (woken, and
  // found nothing) keeps its places and may be woken again.
  void Block(uint64_t client_id, uint8_t db, const std::vector<std::string>& keys, Wake wake);
  // The client got its reply from a key: it leaves every queue.
  void Served(uint64_t client_id);
  // The client leaves without being served; a wake-up it had not used yet goes on.
  void Unblock(uint64_t client_id);
  // `client_id` could not use `keys` (another type): wakes the next waiter behind it on each.
  void PassOn(uint64_t client_id, uint8_t db, const std::vector<std::string>& keys);
  void Signal(const storage::WrittenKeys& written);
  // The key whose write woke the client (empty if none): it tries that one
  // first, as Redis serves a client from the ready key it is processing.
  std::string WokenBy(uint64_t client_id) const;
  // Whether a client waits for any of `keys` of database `db`.
  bool HasWaiters(uint8_t db, const std::vector<std::string_view>& keys) const;
  bool Empty() const { return blocked_.load(std::memory_order_relaxed) == 0; }
  size_t blocked_clients() const { return blocked_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    uint8_t db;
    std::vector<std::string> keys;
    Wake wake;
    bool woken = false;  // woken and not yet run again
    std::string woken_by;
  };
  static std::string Slot(uint8_t db, std::string_view key) {
    std::string slot(1, static_cast<char>(db));
    slot.append(key);
    return slot;
  }
  void RemoveLocked(uint64_t client_id);
  // Marks the first waiter of `slot` after `after` (0: from the front) that
  // is not woken yet, and adds its wake-up to `to_wake`.
  void WakeNextLocked(const std::string& slot, uint64_t after, std::vector<Wake>* to_wake);

  mutable std::mutex mutex_;
  std::map<uint64_t, Waiter> waiters_;
  std::map<std::string, std::deque<uint64_t>> queues_;
  std::atomic<size_t> blocked_{0};
};

}  // namespace kvd::server
