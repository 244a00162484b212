#include "roles/sentinel/monitor/down_state.h"

#include <algorithm>

namespace kvd::sentinel {

void DownState::OnValidReply(uint64_t now_ms) {
  last_valid_reply_ms_ = std::max(last_valid_reply_ms_, now_ms);
  failures_since_valid_reply_ = 0;
}

void DownState::OnFailure(uint64_t now_ms) {
  ++failures_since_valid_reply_;
  last_failure_ms_ = std::max(last_failure_ms_.value_or(0), now_ms);
}

uint64_t DownState::SilentForMs(uint64_t now_ms) const {
  return now_ms > last_valid_reply_ms_ ? now_ms - last_valid_reply_ms_ : 0;
}

bool DownState::SubjectivelyDown(uint64_t now_ms, uint64_t down_after_ms) const {
  return SilentForMs(now_ms) > down_after_ms;
}

bool ObjectivelyDown(size_t down_votes, size_t quorum) { return down_votes >= std::max<size_t>(quorum, 1); }

size_t DefaultQuorum(size_t sentinels) { return sentinels / 2 + 1; }

}  // namespace kvd::sentinel
