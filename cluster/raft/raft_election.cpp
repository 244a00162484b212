// Raft: timers, campaigns (pre-vote and vote), and role transitions.
#include <algorithm>

#include "cluster/raft/quorum.h"
#include "cluster/raft/raft.h"

namespace kvd::cluster::raft {

void Raft::Tick() {
  ++ticks_;
  if (role_ == Role::kLeader) {
    TickLeader();
  } else {
    TickElection();
  }
}

// Only voters campaign: a node being added (not yet in its own voter set) or
// one that was removed waits to hear from a leader instead.
bool Raft::Promotable() const { return configs_.Current().Contains(config_.id); }

void Raft::ResetTimers() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  randomized_timeout_ =
      config_.election_tick + static_cast<int>(rng_.Below(static_cast<uint64_t>(config_.election_tick)));
}

void Raft::TickElection() {
  // Saturates: a node that may not campaign must not overflow the counter.
  if (election_elapsed_ < randomized_timeout_) ++election_elapsed_;
  if (election_elapsed_ >= randomized_timeout_ && Promotable()) Campaign(config_.pre_vote);
}

void Raft::TickLeader() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      if (!QuorumActive()) {
        BecomeFollower(term_, kNoNode);
        return;
      }
      for (auto& [id, progress] : progress_) progress.recent_active = false;
    }
  }
  RetryStalledSnapshots();
  if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

bool Raft::QuorumActive() const {
  std::set<NodeId> active{config_.id};
  for (const auto& [id, progress] : progress_) {
    if (progress.recent_active) active.insert(id);
  }
  return IsQuorum(configs_.Current(), active);
}

void Raft::Campaign(bool pre_vote) {
  if (pre_vote) {
    // Term and vote stay as they are: losing a pre-vote leaves no trace.
    role_ = Role::kPreCandidate;
  } else {
    ++term_;
    vote_ = config_.id;
    role_ = Role::kCandidate;
  }
  leader_ = kNoNode;
  ResetTimers();
  votes_.clear();
  votes_[config_.id] = true;
  if (TallyVotes(configs_.Current(), votes_) == VoteOutcome::kWon) {  // the only voter
    pre_vote ? Campaign(false) : BecomeLeader();
    return;
  }
  Term campaign_term = pre_vote ? term_ + 1 : term_;
  for (NodeId voter : configs_.Current().voters) {
    if (voter == config_.id) continue;
    Message request = Reply(pre_vote ? MessageType::kPreVote : MessageType::kVote, voter);
    request.term = campaign_term;
    request.index = log_.LastIndex();
    request.log_term = log_.LastTerm();
    Send(std::move(request));
  }
}

void Raft::HandleVoteRequest(const Message& m) {
  bool pre_vote = m.type == MessageType::kPreVote;
  MessageType response = pre_vote ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  // One vote per term: repeat it for the same candidate, never give it to
  // another, and not while following a leader of this term. A pre-vote for a
  // future term binds nothing.
  bool can_vote = vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre_vote && m.term > term_);
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    Message reply = Reply(response, m.from);
    reply.term = m.term;
    Send(std::move(reply));
    if (!pre_vote) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
    return;
  }
  Message reply = Reply(response, m.from);
  reply.reject = true;
  Send(std::move(reply));
}

void Raft::HandleVoteResponse(const Message& m) {
  bool pre_vote = role_ == Role::kPreCandidate;
  if (m.type != (pre_vote ? MessageType::kPreVoteResp : MessageType::kVoteResp)) return;
  votes_.emplace(m.from, !m.reject);
  switch (TallyVotes(configs_.Current(), votes_)) {
    case VoteOutcome::kWon:
      pre_vote ? Campaign(false) : BecomeLeader();
      break;
    case VoteOutcome::kLost:
      BecomeFollower(term_, kNoNode);
      break;
    case VoteOutcome::kPending:
      break;
  }
}

void Raft::BecomeFollower(Term term, NodeId leader) {
  if (term != term_) {
    term_ = term;
    vote_ = kNoNode;
  }
  role_ = Role::kFollower;
  leader_ = leader;
  ResetTimers();
  votes_.clear();
  progress_.clear();
  read_queue_.Clear();
  reads_awaiting_commit_.clear();
}

void Raft::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = config_.id;
  ResetTimers();
  votes_.clear();
  progress_.clear();
  for (NodeId voter : configs_.Current().voters) {
    if (voter != config_.id) progress_.emplace(voter, Progress(log_.LastIndex() + 1, config_.max_inflight_messages));
  }
  // Entries of earlier terms only commit indirectly (Figure 8), so commit one
  // of our own at once. Until it commits, membership changes wait: the log
  // may still hold an uncommitted change from a previous leader.
  AppendLocal(EntryType::kNoop, {});
  pending_conf_index_ = log_.LastIndex();
}

}  // namespace kvd::cluster::raft
