#include "cluster/raft/quorum.h"

#include <algorithm>
#include <vector>

namespace kvd::cluster::raft {

size_t MajorityOf(size_t voters) { return voters / 2 + 1; }

Index QuorumIndex(const Membership& membership, const std::function<Index(NodeId)>& match_of) {
  if (membership.voters.empty()) return 0;
  std::vector<Index> matches;
  matches.reserve(membership.voters.size());
  for (NodeId id : membership.voters) matches.push_back(match_of(id));
  // After sorting in descending order, the majority-th largest value is stored
  // on at least a majority of voters.
  std::sort(matches.begin(), matches.end(), std::greater<>());
  return matches[MajorityOf(matches.size()) - 1];
}

bool IsQuorum(const Membership& membership, const std::set<NodeId>& acks) {
  if (membership.voters.empty()) return false;
  size_t counted = 0;
  for (NodeId id : acks) counted += membership.Contains(id) ? 1 : 0;
  return counted >= MajorityOf(membership.voters.size());
}

VoteOutcome TallyVotes(const Membership& membership, const std::map<NodeId, bool>& granted_by) {
  if (membership.voters.empty()) return VoteOutcome::kLost;
  size_t granted = 0;
  size_t rejected = 0;
  for (const auto& [id, granted_vote] : granted_by) {
    if (!membership.Contains(id)) continue;
    (granted_vote ? granted : rejected) += 1;
  }
  size_t majority = MajorityOf(membership.voters.size());
  if (granted >= majority) return VoteOutcome::kWon;
  if (rejected > membership.voters.size() - majority) return VoteOutcome::kLost;
  return VoteOutcome::kPending;
}

}  // namespace kvd::cluster::raft
