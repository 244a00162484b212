#include "roles/server/blocking.h"

#include <algorithm>

namespace kvd::server {

void BlockingRegistry::Block(uint64_t client_id, uint8_t db, const std::vector<std::string>& named, Wake wake) {
  // A key named twice (BLPOP k k 0) is one place in one queue.
  std::vector<std::string> keys;
  for (const auto& key : named) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  std::lock_guard lock(mutex_);
  auto known = waiters_.find(client_id);
  if (known != waiters_.end() && known->second.db == db && known->second.keys == keys) {
    known->second.woken = false;
    known->second.wake = std::move(wake);
    return;
  }
  RemoveLocked(client_id);
  for (const auto& key : keys) queues_[Slot(db, key)].push_back(client_id);
  waiters_[client_id] = Waiter{db, keys, std::move(wake), false, {}};
  blocked_.store(waiters_.size(), std::memory_order_relaxed);
}

bool BlockingRegistry::HasWaiters(uint8_t db, const std::vector<std::string_view>& keys) const {
  if (Empty()) return false;
  std::lock_guard lock(mutex_);
  for (std::string_view key : keys) {
    if (queues_.count(Slot(db, key)) != 0) return true;
  }
  return false;
}

std::string BlockingRegistry::WokenBy(uint64_t client_id) const {
  std::lock_guard lock(mutex_);
  auto it = waiters_.find(client_id);
  return it == waiters_.end() || !it->second.woken ? std::string() : it->second.woken_by;
}

void BlockingRegistry::Served(uint64_t client_id) {
  std::lock_guard lock(mutex_);
  RemoveLocked(client_id);
}

void BlockingRegistry::Unblock(uint64_t client_id) {
  std::vector<Wake> to_wake;
  {
    std::lock_guard lock(mutex_);
    auto it = waiters_.find(client_id);
    if (it == waiters_.end()) return;
    if (it->second.woken) WakeNextLocked(Slot(it->second.db, it->second.woken_by), client_id, &to_wake);
    RemoveLocked(client_id);
  }
  for (auto& wake : to_wake) wake();
}

void BlockingRegistry::PassOn(uint64_t client_id, uint8_t db, const std::vector<std::string>& keys) {
  std::vector<Wake> to_wake;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) WakeNextLocked(Slot(db, key), client_id, &to_wake);
  }
  for (auto& wake : to_wake) wake();
}

void BlockingRegistry::RemoveLocked(uint64_t client_id) {
  auto it = waiters_.find(client_id);
  if (it == waiters_.end()) return;
  for (const auto& key : it->second.keys) {
    auto queue = queues_.find(Slot(it->second.db, key));
    if (queue == queues_.end()) continue;
    auto& ids = queue->second;
    ids.erase(std::remove(ids.begin(), ids.end(), client_id), ids.end());
    if (ids.empty()) queues_.erase(queue);
  }
  waiters_.erase(it);
  blocked_.store(waiters_.size(), std::memory_order_relaxed);
}

void BlockingRegistry::WakeNextLocked(const std::string& slot, uint64_t after, std::vector<Wake>* to_wake) {
  auto queue = queues_.find(slot);
  if (queue == queues_.end()) return;
  const auto& ids = queue->second;
  auto from = after == 0 ? ids.begin() : std::find(ids.begin(), ids.end(), after);
  if (from == ids.end()) {
    from = ids.begin();  // `after` is not in this queue (any more): start at the front
  } else if (after != 0) {
    ++from;
  }
  for (auto id = from; id != ids.end(); ++id) {
    Waiter& waiter = waiters_.at(*id);
    if (waiter.woken || *id == after) continue;
    waiter.woken = true;
    waiter.woken_by = slot.substr(1);
    to_wake->push_back(waiter.wake);
    return;
  }
}

void BlockingRegistry::Signal(const storage::WrittenKeys& written) {
  if (Empty()) return;
  std::vector<Wake> to_wake;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [db, key] : written.keys) WakeNextLocked(Slot(db, key), 0, &to_wake);
  }
  for (auto& wake : to_wake) wake();
}

}  // namespace kvd::server
