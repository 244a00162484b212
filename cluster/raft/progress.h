// The leader's view of one follower: how much of the log it is known to hold
// (match), what to send next (next), and how aggressively to send.
//
//  - kProbe: we do not know where the logs agree. Send one append at a time
//    and wait for the answer (or the next heartbeat response) before the next,
//    so a follower far behind is not flooded with rejected appends.
//  - kReplicate: the follower is in sync. Stream appends optimistically,
//    bounded by a window of messages in flight.
//  - kSnapshot: the entries it needs are compacted; a snapshot is on its way.
//    Nothing else is sent until it is acknowledged or the attempt times out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "cluster/raft/types.h"

namespace kvd::cluster::raft {

enum class ProgressState : uint8_t { kProbe, kReplicate, kSnapshot };

const char* ProgressStateName(ProgressState state);

class Progress {
 public:
  Progress(Index next, size_t max_inflight) : next_(next), max_inflight_(max_inflight) {}

  Index match() const { return match_; }
  Index next() const { return next_; }
  ProgressState state() const { return state_; }
  Index pending_snapshot() const { return pending_snapshot_; }
  uint64_t snapshot_sent_tick() const { return snapshot_sent_tick_; }

  // Heard from the follower during the current check-quorum period.
  bool recent_active = false;

  // The follower acknowledged holding the log up to `index`. Returns false
  // for a stale or duplicate acknowledgement.
  bool MaybeUpdate(Index index);

  // The follower rejected the append whose previous entry was `rejected`;
  // `match_hint` is where the leader now believes the logs may agree. Returns
  // false when the rejection is stale (answers an append sent before a newer
  // decision), in which case nothing changes.
  bool MaybeDecreaseTo(Index rejected, Index match_hint);

  // An append ending at `last` (with or without entries) went out.
  void OnAppendSent(Index last, bool has_entries);
  // A heartbeat response arrived: the follower is reachable, so a paused probe
  // may resend, and a full window frees one slot in case appends were lost.
  void OnHeartbeatResponse();

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(Index snapshot_index, uint64_t now_tick);

  // Nothing new should be sent to this follower right now.
  bool IsPaused() const;

 private:
  void FreeInflightsUpTo(Index index);

  Index match_ = 0;
  Index next_;
  ProgressState state_ = ProgressState::kProbe;
  bool probe_sent_ = false;
  Index pending_snapshot_ = 0;
  uint64_t snapshot_sent_tick_ = 0;
  size_t max_inflight_;
  std::deque<Index> inflight_;  // last index of each append in flight (kReplicate)
};

}  // namespace kvd::cluster::raft
