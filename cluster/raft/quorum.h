// Majority arithmetic over a voter set. Only members of the Membership count:
// votes, acknowledgements or match indexes of other nodes (a node being
// removed, a stray message) are ignored, which is what keeps the single-server
// membership rule safe.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>

#include "cluster/raft/types.h"

namespace kvd::cluster::raft {

// Smallest number of voters that forms a majority of `voters`.
size_t MajorityOf(size_t voters);

// The largest index that a majority of voters has stored, given each voter's
// match index. 0 for an empty voter set.
Index QuorumIndex(const Membership& membership, const std::function<Index(NodeId)>& match_of);

// True when the voters among `acks` form a majority.
bool IsQuorum(const Membership& membership, const std::set<NodeId>& acks);

enum class VoteOutcome { kPending, kWon, kLost };

// kWon once a majority granted, kLost once a majority can no longer grant.
VoteOutcome TallyVotes(const Membership& membership, const std::map<NodeId, bool>& granted_by);

}  // namespace kvd::cluster::raft
