// CLIENT PAUSE: while a pause lasts, the commands it covers wait and run when
// it ends (Redis 7: WRITE covers writes and the commands that may replicate,
// ALL covers every command). Replication links are not clients here and keep
// streaming. The decision is a function of the pause and the clock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace kvd::server {

enum class PauseScope : uint8_t { kNone = 0, kWrite = 1, kAll = 2 };
// Who paused: CLIENT PAUSE, or a FAILOVER in progress. Each ends on its own
// (CLIENT UNPAUSE does not resume writes a failover holds, nor the reverse);
// a command waits while either covers it.
enum class PauseCause : uint8_t { kClient = 0, kFailover = 1 };

class ClientPause {
 public:
  // Redis's rule: a pause never shortens or narrows the one of the same cause
  // in effect; it extends the end and widens the scope (of one still in effect at `now_ms`).
  void Pause(uint64_t now_ms, uint64_t until_ms, PauseScope scope, PauseCause cause = PauseCause::kClient);
  void Unpause(PauseCause cause = PauseCause::kClient);
  // The end of the pause covering a command (`may_replicate`: a write,
  // PUBLISH, WAIT, an EXEC of writes), or 0 when none covers it at `now_ms`.
  uint64_t CoveringUntil(bool may_replicate, uint64_t now_ms) const;
  // False when no pause is in effect: one relaxed load, for every command.
  bool MayBeActive() const { return active_.load(std::memory_order_relaxed); }
  // Whether writes are paused now (the expiry sweeper waits then, as in Redis).
  bool WritesPaused(uint64_t now_ms) const { return CoveringUntil(true, now_ms) != 0; }

 private:
  struct Entry {
    PauseScope scope = PauseScope::kNone;
    uint64_t until_ms = 0;
  };
  void UpdateActive() const;  // caller holds mutex_

  mutable std::mutex mutex_;
  mutable std::array<Entry, 2> entries_;  // by PauseCause; an entry that ran out is reset when seen
  // Cleared once every pause has run out, so that MayBeActive() turns false again.
  mutable std::atomic<bool> active_{false};
};

}  // namespace kvd::server
