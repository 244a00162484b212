#include "roles/server/client_pause.h"

#include <algorithm>

namespace kvd::server {

void ClientPause::Pause(uint64_t now_ms, uint64_t until_ms, PauseScope scope) {
  std::lock_guard lock(mutex_);
  PauseScope current = scope_.load(std::memory_order_relaxed);
  if (current == PauseScope::kNone || until_ms_ <= now_ms) {  // none in effect: this one alone
    until_ms_ = until_ms;
    scope_.store(scope, std::memory_order_relaxed);
    return;
  }
  until_ms_ = std::max(until_ms_, until_ms);
  scope_.store(std::max(current, scope), std::memory_order_relaxed);
}

void ClientPause::Unpause() {
  std::lock_guard lock(mutex_);
  scope_.store(PauseScope::kNone, std::memory_order_relaxed);
  until_ms_ = 0;
}

uint64_t ClientPause::CoveringUntil(bool may_replicate, uint64_t now_ms) const {
  if (scope_.load(std::memory_order_relaxed) == PauseScope::kNone) return 0;
  std::lock_guard lock(mutex_);
  PauseScope scope = scope_.load(std::memory_order_relaxed);
  if (scope == PauseScope::kNone) return 0;
  if (until_ms_ <= now_ms) {
    scope_.store(PauseScope::kNone, std::memory_order_relaxed);
    until_ms_ = 0;
    return 0;
  }
  if (scope == PauseScope::kWrite && !may_replicate) return 0;
  return until_ms_;
}

}  // namespace kvd::server
