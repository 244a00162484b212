#include "cluster/raft/progress.h"

#include <algorithm>

namespace kvd::cluster::raft {

const char* ProgressStateName(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe: return "probe";
    case ProgressState::kReplicate: return "replicate";
    case ProgressState::kSnapshot: return "snapshot";
  }
  return "unknown";
}

bool Progress::MaybeUpdate(Index index) {
  bool updated = false;
  if (match_ < index) {
    match_ = index;
    updated = true;
    probe_sent_ = false;
  }
  next_ = std::max(next_, index + 1);
  FreeInflightsUpTo(index);
  return updated;
}

bool Progress::MaybeDecreaseTo(Index rejected, Index match_hint) {
  if (state_ == ProgressState::kReplicate) {
    // Appends are pipelined: a rejection of something already matched is an
    // answer to an old message.
    if (rejected <= match_) return false;
    next_ = match_ + 1;
    return true;
  }
  // Probing sends one append at a time, so only the latest one counts.
  if (next_ == 0 || rejected != next_ - 1) return false;
  next_ = std::max(std::min(rejected, match_hint + 1), match_ + 1);
  probe_sent_ = false;
  return true;
}

void Progress::OnAppendSent(Index last, bool has_entries) {
  switch (state_) {
    case ProgressState::kReplicate:
      if (has_entries) {
        next_ = last + 1;
        inflight_.push_back(last);
      }
      break;
    case ProgressState::kProbe:
      probe_sent_ = true;
      break;
    case ProgressState::kSnapshot:
      break;
  }
}

void Progress::OnHeartbeatResponse() {
  probe_sent_ = false;
  if (state_ == ProgressState::kReplicate && inflight_.size() >= max_inflight_) inflight_.pop_front();
}

void Progress::BecomeProbe() {
  // After a snapshot the follower holds at least the snapshot (if it arrived);
  // if it did not, the probe is rejected and we fall back again.
  next_ = state_ == ProgressState::kSnapshot ? std::max(match_, pending_snapshot_) + 1 : match_ + 1;
  state_ = ProgressState::kProbe;
  probe_sent_ = false;
  pending_snapshot_ = 0;
  inflight_.clear();
}

void Progress::BecomeReplicate() {
  state_ = ProgressState::kReplicate;
  next_ = match_ + 1;
  probe_sent_ = false;
  pending_snapshot_ = 0;
  inflight_.clear();
}

void Progress::BecomeSnapshot(Index snapshot_index, uint64_t now_tick) {
  state_ = ProgressState::kSnapshot;
  pending_snapshot_ = snapshot_index;
  snapshot_sent_tick_ = now_tick;
  probe_sent_ = false;
  inflight_.clear();
}

bool Progress::IsPaused() const {
  switch (state_) {
    case ProgressState::kProbe: return probe_sent_;
    case ProgressState::kReplicate: return inflight_.size() >= max_inflight_;
    case ProgressState::kSnapshot: return true;
  }
  return true;
}

void Progress::FreeInflightsUpTo(Index index) {
  while (!inflight_.empty() && inflight_.front() <= index) inflight_.pop_front();
}

}  // namespace kvd::cluster::raft
