// Raft: the requests an application makes - proposals, membership changes,
// linearizable reads and log compaction.
#include "cluster/raft/codec.h"
#include "cluster/raft/quorum.h"
#include "cluster/raft/raft.h"

namespace kvd::cluster::raft {
namespace {

Status NotLeader(NodeId leader) {
  if (leader == kNoNode) return Status::Aborted("not leader; no leader known");
  return Status::Aborted("not leader; leader is node " + std::to_string(leader));
}

}  // namespace

Result<EntryId> Raft::Propose(std::string data) {
  if (role_ != Role::kLeader) return NotLeader(leader_);
  return AppendLocal(EntryType::kNormal, std::move(data));
}

Result<EntryId> Raft::ProposeMembershipChange(const MembershipChange& change) {
  if (role_ != Role::kLeader) return NotLeader(leader_);
  if (change.node == kNoNode) return Status::InvalidArgument("raft: node id 0 is reserved");
  if (pending_conf_index_ > log_.committed()) {
    return Status::Busy("raft: the previous membership change (or the leader's first entry) is not committed yet");
  }
  Membership next = configs_.Current();
  if (change.type == MembershipChangeType::kAddNode) {
    if (!next.voters.insert(change.node).second) {
      return Status::InvalidArgument("raft: node " + std::to_string(change.node) + " is already a voter");
    }
  } else {
    if (next.voters.erase(change.node) == 0) {
      return Status::InvalidArgument("raft: node " + std::to_string(change.node) + " is not a voter");
    }
    if (next.voters.empty()) return Status::InvalidArgument("raft: cannot remove the last voter");
  }
  EntryId id = AppendLocal(EntryType::kMembership, EncodeMembership(next));
  pending_conf_index_ = id.index;
  return id;
}

Status Raft::ReadIndex(std::string context) {
  if (role_ == Role::kLeader) {
    HandleReadIndexRequest(config_.id, std::move(context));
    return Status::Ok();
  }
  if (leader_ == kNoNode) return NotLeader(leader_);
  Message m = Reply(MessageType::kReadIndex, leader_);
  m.context = std::move(context);
  Send(std::move(m));
  return Status::Ok();
}

// A new leader's commit index may lag behind what its predecessor committed;
// only once an entry of its own term commits is it known to be current.
bool Raft::CommittedInCurrentTerm() const { return log_.TermAt(log_.committed()) == term_; }

void Raft::HandleReadIndexRequest(NodeId requester, std::string context) {
  if (!CommittedInCurrentTerm()) {
    reads_awaiting_commit_.push_back({std::move(context), requester, 0, 0, {}});
    return;
  }
  if (IsQuorum(configs_.Current(), {config_.id})) {  // a single voter needs no confirmation
    ReleaseRead({std::move(context), requester, log_.committed(), 0, {}});
    return;
  }
  read_queue_.Add(std::move(context), requester, log_.committed(), config_.id);
  BroadcastHeartbeat();
}

void Raft::ReleaseRead(const PendingRead& read) {
  if (read.requester == config_.id) {
    confirmed_reads_.push_back({read.context, read.index});
    return;
  }
  Message m = Reply(MessageType::kReadIndexResp, read.requester);
  m.index = read.index;
  m.context = read.context;
  Send(std::move(m));
}

void Raft::ReleaseDeferredReads() {
  if (reads_awaiting_commit_.empty() || !CommittedInCurrentTerm()) return;
  std::vector<PendingRead> reads = std::move(reads_awaiting_commit_);
  reads_awaiting_commit_.clear();
  for (PendingRead& read : reads) HandleReadIndexRequest(read.requester, std::move(read.context));
}

Result<SnapshotMeta> Raft::Compact(Index index, std::string data) {
  if (index <= log_.base().index) {
    return Status::InvalidArgument("raft: log already compacted up to " + std::to_string(log_.base().index));
  }
  if (index > log_.applied() || index > log_.stable()) {
    return Status::InvalidArgument("raft: cannot snapshot at " + std::to_string(index) +
                                   ", beyond what is applied and persisted");
  }
  Term term = *log_.TermAt(index);
  snapshot_ = Snapshot{SnapshotMeta{index, term, configs_.At(index)}, std::move(data)};
  log_.CompactTo(index);
  configs_.CompactTo(index);
  return snapshot_.meta;
}

}  // namespace kvd::cluster::raft
