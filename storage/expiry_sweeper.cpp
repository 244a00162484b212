#include "storage/expiry_sweeper.h"

#include <chrono>

#include "common/logging.h"

namespace kvd::storage {

void ExpirySweeper::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void ExpirySweeper::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ExpirySweeper::Run() {
  std::string position;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wakeup_.wait_for(lock, std::chrono::milliseconds(interval_ms_));
    if (stopping_) break;
    if (hold_ && hold_()) continue;
    lock.unlock();
    auto swept = keyspace_.SweepExpired(position, keys_per_round_);
    if (swept.ok()) {
      position = std::move(swept->first);
      expired_keys_.fetch_add(swept->second, std::memory_order_relaxed);
    } else {
      KVD_LOG(kWarning) << "expiry sweep failed: " << swept.status().message();
      position.clear();
    }
    lock.lock();
  }
}

}  // namespace kvd::storage
