#include "roles/server/blocking.h"

#include <algorithm>

namespace kvd::server {

void BlockingRegistry::Block(uint64_t client_id, uint8_t db, const std::vector<std::string>& keys, Wake wake,
                             bool front) {
  std::lock_guard lock(mutex_);
  RemoveLocked(client_id);
  for (const auto& key : keys) {
    auto& queue = queues_[Slot(db, key)];
    if (front) {
      queue.push_front(client_id);
    } else {
      queue.push_back(client_id);
    }
  }
  waiters_[client_id] = Waiter{db, keys, std::move(wake)};
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

void BlockingRegistry::Unblock(uint64_t client_id) {
  std::lock_guard lock(mutex_);
  RemoveLocked(client_id);
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

void BlockingRegistry::Signal(const storage::WrittenKeys& written) {
  if (Empty()) return;
  std::vector<Wake> to_wake;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [db, key] : written.keys) {
      auto queue = queues_.find(Slot(db, key));
      if (queue == queues_.end() || queue->second.empty()) continue;
      uint64_t first = queue->second.front();
      auto waiter = waiters_.find(first);
      if (waiter == waiters_.end()) continue;
      to_wake.push_back(std::move(waiter->second.wake));
      RemoveLocked(first);
    }
  }
  for (auto& wake : to_wake) wake();
}

}  // namespace kvd::server
