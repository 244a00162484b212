#include "roles/server/client_pause.h"

#include <algorithm>

namespace kvd::server {

void ClientPause::Pause(uint64_t now_ms, uint64_t until_ms, PauseScope scope, PauseCause cause) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[static_cast<size_t>(cause)];
  if (entry.scope == PauseScope::kNone || entry.until_ms <= now_ms) {  // none in effect: this one alone
    entry = {scope, until_ms};
  } else {
    entry.until_ms = std::max(entry.until_ms, until_ms);
    entry.scope = std::max(entry.scope, scope);
  }
  UpdateActive();
}

void ClientPause::Unpause(PauseCause cause) {
  std::lock_guard lock(mutex_);
  entries_[static_cast<size_t>(cause)] = Entry{};
  UpdateActive();
}

void ClientPause::UpdateActive() const {
  bool any = std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.scope != PauseScope::kNone; });
  active_.store(any, std::memory_order_relaxed);
}

uint64_t ClientPause::CoveringUntil(bool may_replicate, uint64_t now_ms) const {
  if (!active_.load(std::memory_order_relaxed)) return 0;
  std::lock_guard lock(mutex_);
  uint64_t until = 0;
  for (Entry& entry : entries_) {
    if (entry.scope == PauseScope::kNone) continue;
    if (entry.until_ms <= now_ms) {
      entry = Entry{};
      continue;
    }
    if (entry.scope == PauseScope::kAll || may_replicate) until = std::max(until, entry.until_ms);
  }
  UpdateActive();
  return until;
}

}  // namespace kvd::server
