// Striped per-key locks for read-modify-write commands. A command locks the
// stripes of all keys it writes, in stripe order, so two commands can never
// deadlock; readers take no lock.
//
// Locks are re-entrant per thread: EXEC holds the stripes of every key of the
// transaction and the commands it runs lock them again without blocking.
#pragma once

#include <algorithm>
#include <array>
#include <bitset>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

namespace kvd::storage {

class KeyLocks {
 public:
  static constexpr size_t kStripes = 1024;

  size_t StripeOf(uint8_t db, std::string_view key) const {
    return (std::hash<std::string_view>{}(key) + db * 0x9E3779B97F4A7C15ULL) % kStripes;
  }
  std::mutex& Stripe(size_t index) { return stripes_[index]; }

 private:
  std::array<std::mutex, kStripes> stripes_;
};

// Holds the stripes of one or more keys for the lifetime of the guard.
class KeyLockGuard {
 public:
  KeyLockGuard(KeyLocks& locks, uint8_t db, std::string_view key) : locks_(locks) {
    stripes_.push_back(locks.StripeOf(db, key));
    Acquire();
  }
  // For commands over several keys (in possibly several databases).
  KeyLockGuard(KeyLocks& locks, const std::vector<std::pair<uint8_t, std::string_view>>& keys) : locks_(locks) {
    for (const auto& [db, key] : keys) stripes_.push_back(locks.StripeOf(db, key));
    std::sort(stripes_.begin(), stripes_.end());
    stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
    Acquire();
  }
  ~KeyLockGuard() {
    for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) {
      HeldByThisThread().reset(*it);
      locks_.Stripe(*it).unlock();
    }
  }
  KeyLockGuard(const KeyLockGuard&) = delete;
  KeyLockGuard& operator=(const KeyLockGuard&) = delete;

 private:
  static std::bitset<KeyLocks::kStripes>& HeldByThisThread() {
    thread_local std::bitset<KeyLocks::kStripes> held;
    return held;
  }
  void Acquire() {
    auto& held = HeldByThisThread();
    // Stripes this thread holds already (an enclosing guard) are neither taken nor released here.
    stripes_.erase(std::remove_if(stripes_.begin(), stripes_.end(), [&](size_t s) { return held.test(s); }),
                   stripes_.end());
    for (size_t stripe : stripes_) {
      locks_.Stripe(stripe).lock();
      held.set(stripe);
    }
  }
  KeyLocks& locks_;
  std::vector<size_t> stripes_;
};

}  // namespace kvd::storage
