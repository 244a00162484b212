#include "cluster/raft/read_index.h"

#include "cluster/raft/quorum.h"

namespace kvd::cluster::raft {

uint64_t ReadIndexQueue::Add(std::string context, NodeId requester, Index index, NodeId leader) {
  PendingRead read{std::move(context), requester, index, ++last_round_, {leader}};
  pending_.push_back(std::move(read));
  return last_round_;
}

std::vector<PendingRead> ReadIndexQueue::Ack(uint64_t round, NodeId from, const Membership& membership) {
  for (PendingRead& read : pending_) {
    if (read.round > round) break;
    read.acks.insert(from);
  }
  std::vector<PendingRead> confirmed;
  // A later request confirmed implies the earlier ones got the same acks, so
  // popping from the front in order loses nothing.
  while (!pending_.empty() && IsQuorum(membership, pending_.front().acks)) {
    confirmed.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  return confirmed;
}

}  // namespace kvd::cluster::raft
