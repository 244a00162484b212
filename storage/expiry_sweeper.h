// Deletes expired keys in the background, a small window at a time, so that
// expired data leaves the disk without any request waiting for it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "storage/keyspace.h"

namespace kvd::storage {

class ExpirySweeper {
 public:
  ExpirySweeper(Keyspace& keyspace, int interval_ms = 100, size_t keys_per_round = 2000)
      : keyspace_(keyspace), interval_ms_(interval_ms), keys_per_round_(keys_per_round) {}
  ~ExpirySweeper() { Stop(); }

  // While `hold` answers true the sweeper deletes nothing (CLIENT PAUSE WRITE
  // keeps the dataset still, as Redis's does). Set before Start().
  void SetHold(std::function<bool()> hold) { hold_ = std::move(hold); }
  void Start();
  void Stop();
  uint64_t expired_keys() const { return expired_keys_.load(std::memory_order_relaxed); }

 private:
  void Run();

  Keyspace& keyspace_;
  int interval_ms_;
  size_t keys_per_round_;
  std::function<bool()> hold_;
  std::atomic<uint64_t> expired_keys_{0};
  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kvd::storage
