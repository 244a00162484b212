// CLIENT PAUSE: while a pause lasts, the commands it covers wait and run when
// it ends (Redis 7: WRITE covers writes and the commands that may replicate,
// ALL covers every command). Replication links are not clients here and keep
// streaming. The decision is a function of the pause and the clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace kvd::server {

enum class PauseScope : uint8_t { kNone = 0, kWrite = 1, kAll = 2 };

class ClientPause {
 public:
  // Redis's rule: a pause never shortens or narrows the one in effect; it
  // extends the end and widens the scope (of one still in effect at `now_ms`).
  void Pause(uint64_t now_ms, uint64_t until_ms, PauseScope scope);
  void Unpause();
  // The end of the pause covering a command (`may_replicate`: a write,
  // PUBLISH, WAIT, an EXEC of writes), or 0 when none covers it at `now_ms`.
  uint64_t CoveringUntil(bool may_replicate, uint64_t now_ms) const;
  // False when no pause is in effect: one relaxed load, for every command.
  bool MayBeActive() const { return scope_.load(std::memory_order_relaxed) != PauseScope::kNone; }
  // Whether writes are paused now (the expiry sweeper waits then, as in Redis).
  bool WritesPaused(uint64_t now_ms) const { return CoveringUntil(true, now_ms) != 0; }

 private:
  mutable std::mutex mutex_;
  // Reset once the pause has run out, so that MayBeActive() turns false again.
  mutable std::atomic<PauseScope> scope_{PauseScope::kNone};
  mutable uint64_t until_ms_ = 0;
};

}  // namespace kvd::server
