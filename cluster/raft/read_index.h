// Bookkeeping for linearizable reads (ReadIndex, Raft thesis §6.4).
//
// A leader cannot answer a read from its own state: a newer leader may exist
// that it has not heard of. Instead it records its commit index as the read
// index, then confirms it is still leader by a heartbeat round acknowledged
// by a majority. Every request waiting when a round is acknowledged is
// confirmed with it: the round started after the request was recorded.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "cluster/raft/types.h"

namespace kvd::cluster::raft {

// A read the application may serve once it has applied up to `index`.
struct ReadState {
  std::string context;
  Index index = 0;

  bool operator==(const ReadState&) const = default;
};

struct PendingRead {
  std::string context;
  NodeId requester = kNoNode;  // who gets the answer: the leader itself or a follower
  Index index = 0;             // the leader's commit index when the read arrived
  uint64_t round = 0;          // heartbeat round that confirms it
  std::set<NodeId> acks;
};

class ReadIndexQueue {
 public:
  // Queues a read and starts a new round for it; returns the round number to
  // carry in the heartbeats sent now.
  uint64_t Add(std::string context, NodeId requester, Index index, NodeId leader);
  // `from` answered the heartbeat of `round`, which vouches for every request
  // of that round or earlier. Returns the requests now confirmed by a
  // majority of `membership`, oldest first.
  std::vector<PendingRead> Ack(uint64_t round, NodeId from, const Membership& membership);
  // The newest round still waiting, 0 if none: regular heartbeats carry it so
  // a lost heartbeat does not leave reads hanging until the next request.
  uint64_t LatestRound() const { return pending_.empty() ? 0 : pending_.back().round; }
  // Leadership lost: the reads can no longer be confirmed (callers time out).
  void Clear() { pending_.clear(); }
  bool empty() const { return pending_.empty(); }

 private:
  std::deque<PendingRead> pending_;
  uint64_t last_round_ = 0;  // keeps growing across terms so old answers never match new rounds
};

}  // namespace kvd::cluster::raft
