// Striped per-key locks for read-modify-write commands. A command locks the
// stripes of all keys it writes, in stripe order, so two commands can never
// deadlock; readers take no lock.
//
// Locks are re-entrant per thread: EXEC holds the stripes of every key of the
// transaction and the commands it runs lock them again without blocking.
//
// Deferred release: while a thread collects the writes of many commands into
// one batch (Engine's commit group), a stripe must stay locked until that
// batch is written, or another thread could read the old value and overwrite
// ours. Those stripes are held in no particular order, so a thread that holds
// deferred stripes never waits for a lock while keeping them: when try_lock
// fails it first commits its batch and releases them (the flush hook).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <bitset>
#include <functional>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace kvd::storage {

// A lock in one 4-byte word (a futex: 0 free, 1 locked, 2 locked with
// waiters). Every write command locks a random stripe; 16,384 std::mutexes
// (40 bytes each) made that a cache miss per command (~2% of INCR's CPU).
class StripeLock {
 public:
  bool try_lock() {
    uint32_t expected = 0;
    return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void lock() {
    if (try_lock()) return;
    while (state_.exchange(2, std::memory_order_acquire) != 0) state_.wait(2, std::memory_order_relaxed);
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) state_.notify_one();
  }

 private:
  std::atomic<uint32_t> state_{0};
};

class KeyLocks {
 public:
  static constexpr size_t kStripes = 16384;

  size_t StripeOf(uint8_t db, std::string_view key) const {
    return (std::hash<std::string_view>{}(key) + db * 0x9E3779B97F4A7C15ULL) % kStripes;
  }
  StripeLock& Stripe(size_t index) { return stripes_[index]; }

  // From now on this thread's guards keep their stripes when they end, until
  // ReleaseDeferred(). `flush` is called before this thread would wait for a
  // lock while holding deferred stripes; it must end with ReleaseDeferred().
  void BeginDeferring(std::function<void()> flush);
  // Unlocks every deferred stripe; deferring goes on.
  void ReleaseDeferred();
  // Unlocks every deferred stripe and stops deferring.
  void EndDeferring();
  bool HasDeferred() const;

 private:
  friend class KeyLockGuard;
  struct ThreadState {
    std::bitset<kStripes> held;
    std::bitset<kStripes> deferred_set;  // the stripes listed in `deferred`
    size_t deferred_count = 0;           // deferred_set.count(), kept cheaply
    bool deferring = false;
    std::vector<size_t> deferred;
    std::function<void()> flush;
  };
  static ThreadState& ThisThread() {
    thread_local ThreadState state;
    return state;
  }
  std::array<StripeLock, kStripes> stripes_;
};

inline void KeyLocks::BeginDeferring(std::function<void()> flush) {
  ThreadState& state = ThisThread();
  state.deferring = true;
  state.flush = std::move(flush);
}

inline void KeyLocks::ReleaseDeferred() {
  ThreadState& state = ThisThread();
  for (size_t stripe : state.deferred) {
    if (!state.deferred_set.test(stripe)) continue;  // taken back by a live guard
    state.deferred_set.reset(stripe);
    state.held.reset(stripe);
    stripes_[stripe].unlock();
  }
  state.deferred.clear();
  state.deferred_count = 0;
}

inline void KeyLocks::EndDeferring() {
  ReleaseDeferred();
  ThreadState& state = ThisThread();
  state.deferring = false;
  state.flush = nullptr;
}

inline bool KeyLocks::HasDeferred() const { return ThisThread().deferred_count != 0; }

// Holds the stripes of one or more keys for the lifetime of the guard (or,
// while the thread defers, until its batch is written).
class KeyLockGuard {
 public:
  // Inline room for the common case: a guard costs no allocation for up to four keys.
  using Stripes = boost::container::small_vector<size_t, 4>;
  // Every stripe: for commands that write keys they cannot name (FLUSHDB,
  // FLUSHALL). It waits for every other thread's commit group that holds
  // keys, so no write of such a group lands after the flush it preceded.
  struct EveryKey {};
  KeyLockGuard(KeyLocks& locks, EveryKey) : locks_(locks) {
    stripes_.resize(KeyLocks::kStripes);
    for (size_t i = 0; i < stripes_.size(); ++i) stripes_[i] = i;
    Acquire();
  }
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
    KeyLocks::ThreadState& state = KeyLocks::ThisThread();
    if (state.deferring) {
      for (size_t stripe : stripes_) {
        state.deferred.push_back(stripe);
        state.deferred_set.set(stripe);
        ++state.deferred_count;
      }
      return;
    }
    for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) {
      state.held.reset(*it);
      locks_.Stripe(*it).unlock();
    }
  }
  KeyLockGuard(const KeyLockGuard&) = delete;
  KeyLockGuard& operator=(const KeyLockGuard&) = delete;

 private:
  // Takes every stripe of `stripes_` (sorted) this thread does not hold yet.
  // A thread never waits for a lock while holding stripes out of order: if
  // one is busy, it writes its group (releasing the deferred stripes), lets go
  // of what this guard took so far, and then locks the whole set in order.
  void Acquire() {
    KeyLocks::ThreadState& state = KeyLocks::ThisThread();
    Stripes owned;
    bool busy = false;
    for (size_t stripe : stripes_) {
      if (state.deferred_set.test(stripe)) {
        // Still locked from an earlier command of the group: this guard owns it
        // now, so a flush while we run cannot release it under us.
        state.deferred_set.reset(stripe);
        --state.deferred_count;
        owned.push_back(stripe);
      } else if (state.held.test(stripe)) {
        continue;  // an enclosing guard holds it and will release it
      } else if (state.deferring ? locks_.Stripe(stripe).try_lock() : (locks_.Stripe(stripe).lock(), true)) {
        state.held.set(stripe);
        owned.push_back(stripe);
      } else {
        busy = true;
        break;
      }
    }
    if (busy) owned = AcquireInOrderAfterFlush(state, owned);
    stripes_ = std::move(owned);
  }

  Stripes AcquireInOrderAfterFlush(KeyLocks::ThreadState& state, const Stripes& taken) {
    if (state.flush) state.flush();  // writes the group: what `taken` guarded is committed
    for (size_t stripe : taken) {
      state.held.reset(stripe);
      locks_.Stripe(stripe).unlock();
    }
    Stripes owned;
    for (size_t stripe : stripes_) {
      if (state.held.test(stripe)) continue;
      locks_.Stripe(stripe).lock();
      state.held.set(stripe);
      owned.push_back(stripe);
    }
    return owned;
  }
  KeyLocks& locks_;
  Stripes stripes_;
};

}  // namespace kvd::storage
