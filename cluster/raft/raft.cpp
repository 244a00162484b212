// Raft: construction, the term rules every message goes through, dispatch by
// role, and the Ready/Advance handshake with the driver.
#include "cluster/raft/raft.h"

#include <algorithm>
#include <limits>

namespace kvd::cluster::raft {
namespace {

bool IsVoteRequest(MessageType type) { return type == MessageType::kPreVote || type == MessageType::kVote; }

// Only the leader of a term sends these, so the sender is that term's leader.
bool IsFromLeader(MessageType type) {
  return type == MessageType::kAppend || type == MessageType::kHeartbeat || type == MessageType::kSnapshot;
}

Status ValidateConfig(const Config& config) {
  if (config.id == kNoNode) return Status::InvalidArgument("raft: node id 0 is reserved");
  if (config.heartbeat_tick < 1) return Status::InvalidArgument("raft: heartbeat_tick must be >= 1");
  if (config.election_tick <= config.heartbeat_tick) {
    return Status::InvalidArgument("raft: election_tick must be greater than heartbeat_tick");
  }
  if (config.max_entries_per_message < 1 || config.max_inflight_messages < 1) {
    return Status::InvalidArgument("raft: max_entries_per_message and max_inflight_messages must be >= 1");
  }
  return Status::Ok();
}

Status ValidateState(const PersistentState& state) {
  const SnapshotMeta& snapshot = state.snapshot.meta;
  Index expected = snapshot.index + 1;
  Term previous_term = snapshot.term;
  for (const Entry& entry : state.entries) {
    if (entry.index != expected) {
      return Status::Corruption("raft log: entry " + std::to_string(entry.index) + " where " +
                                std::to_string(expected) + " was expected");
    }
    if (entry.term < previous_term) return Status::Corruption("raft log: terms go backwards at " + std::to_string(expected));
    previous_term = entry.term;
    ++expected;
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Raft>> Raft::Create(const Config& config, PersistentState state) {
  KVD_RETURN_IF_ERROR(ValidateConfig(config));
  KVD_RETURN_IF_ERROR(ValidateState(state));
  return std::unique_ptr<Raft>(new Raft(config, std::move(state)));
}

Raft::Raft(const Config& config, PersistentState state)
    : config_(config),
      // Mixing in the id keeps timeouts apart even if every node got the same seed.
      rng_(config.random_seed ^ (config.id * 0x9E3779B97F4A7C15ULL)),
      log_(EntryId{state.snapshot.meta.index, state.snapshot.meta.term}, std::move(state.entries),
           state.hard_state.commit),
      snapshot_(std::move(state.snapshot)) {
  configs_.Reset(snapshot_.meta.index, snapshot_.meta.membership);
  for (const Entry& entry : log_.Slice(log_.FirstIndex(), log_.LastIndex(), std::numeric_limits<size_t>::max())) {
    configs_.Record(entry);
  }
  persisted_hard_state_ = state.hard_state;
  term_ = state.hard_state.term;
  vote_ = state.hard_state.vote;
  // Entries of a newer term than the hard state mean the store kept a Ready's
  // entries but not its hard state: nothing of that Ready was sent, so taking
  // the newer term without a vote is safe.
  if (log_.LastTerm() > term_) {
    term_ = log_.LastTerm();
    vote_ = kNoNode;
  }
  BecomeFollower(term_, kNoNode);
}

Status Raft::Step(const Message& m) {
  KVD_RETURN_IF_ERROR(ValidateMessage(m));
  if (m.term > term_) {
    // Leader stickiness: a recent leader is alive, so a higher-term candidate
    // is disruptive (partitioned, or removed from the cluster) - ignore it.
    if (IsVoteRequest(m.type) && InLease()) return Status::Ok();
    // A pre-vote asks about a future term; it changes nobody's term. A granted
    // answer carries that future term too.
    bool future_term = m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResp && !m.reject);
    if (!future_term) BecomeFollower(m.term, IsFromLeader(m.type) ? m.from : kNoNode);
  } else if (m.term < term_) {
    HandleStaleTerm(m);
    return Status::Ok();
  }
  if (IsVoteRequest(m.type)) {
    HandleVoteRequest(m);
    return Status::Ok();
  }
  switch (role_) {
    case Role::kLeader:
      StepLeader(m);
      return Status::Ok();
    case Role::kPreCandidate:
    case Role::kCandidate:
      StepCandidate(m);
      return Status::Ok();
    case Role::kFollower:
      return StepFollower(m);
  }
  return Status::Ok();
}

bool Raft::InLease() const {
  return config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_tick;
}

void Raft::HandleStaleTerm(const Message& m) {
  if ((config_.check_quorum || config_.pre_vote) &&
      (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat)) {
    // An old leader still talks to us. With pre-vote / check-quorum, our higher
    // term may come from an election it never heard of; telling it lets it step
    // down instead of both sides waiting forever.
    Send(Reply(MessageType::kAppendResp, m.from));
  } else if (m.type == MessageType::kPreVote) {
    // Tell the pre-candidate our term so it stops campaigning below it.
    Message reply = Reply(MessageType::kPreVoteResp, m.from);
    reply.reject = true;
    Send(std::move(reply));
  }
}

Status Raft::ValidateMessage(const Message& m) const {
  if (m.to != config_.id) return Status::InvalidArgument("raft message for node " + std::to_string(m.to));
  if (m.from == kNoNode || m.from == config_.id) return Status::InvalidArgument("raft message from an invalid node");
  if (m.type == MessageType::kSnapshot && !m.snapshot) return Status::InvalidArgument("raft snapshot message without snapshot");
  if (m.snapshot && m.snapshot->meta.term > m.term) return Status::InvalidArgument("raft snapshot from a future term");
  Index expected = m.index + 1;
  Term previous_term = m.log_term;
  for (const Entry& entry : m.entries) {
    if (entry.index != expected || entry.term < previous_term || entry.term > m.term) {
      return Status::InvalidArgument("raft append with inconsistent entries");
    }
    previous_term = entry.term;
    ++expected;
  }
  return Status::Ok();
}

void Raft::StepLeader(const Message& m) {
  switch (m.type) {
    case MessageType::kAppendResp:
      HandleAppendResponse(m);
      break;
    case MessageType::kHeartbeatResp:
      HandleHeartbeatResponse(m);
      break;
    case MessageType::kReadIndex:
      HandleReadIndexRequest(m.from, m.context);
      break;
    default:
      break;  // answers to an earlier candidacy, or nonsense: ignore
  }
}

void Raft::StepCandidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
      // Someone won this term: follow it.
      BecomeFollower(m.term, m.from);
      (void)StepFollower(m);
      break;
    case MessageType::kPreVoteResp:
    case MessageType::kVoteResp:
      HandleVoteResponse(m);
      break;
    default:
      break;
  }
}

Status Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      leader_ = m.from;
      return HandleAppend(m);
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleHeartbeat(m);
      return Status::Ok();
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleSnapshot(m);
      return Status::Ok();
    case MessageType::kReadIndexResp:
      confirmed_reads_.push_back({m.context, m.index});
      return Status::Ok();
    default:
      return Status::Ok();  // e.g. a read forwarded to us by someone who thinks we lead
  }
}

void Raft::Send(Message m) { outbox_.push_back(std::move(m)); }

Message Raft::Reply(MessageType type, NodeId to) const {
  Message m;
  m.type = type;
  m.from = config_.id;
  m.to = to;
  m.term = term_;
  return m;
}

HardState Raft::CurrentHardState() const { return {term_, vote_, log_.committed()}; }

bool Raft::HasReady() const {
  if (SoftState{leader_, role_} != reported_soft_state_ || CurrentHardState() != persisted_hard_state_) return true;
  if (snapshot_to_install_ || !outbox_.empty()) return true;
  if (log_.stable() < log_.LastIndex() || log_.committed() > log_.applied()) return true;
  return std::any_of(confirmed_reads_.begin(), confirmed_reads_.end(),
                     [&](const ReadState& read) { return read.index <= log_.applied(); });
}

Ready Raft::GetReady() {
  Ready ready;
  SoftState soft{leader_, role_};
  if (soft != reported_soft_state_) ready.soft_state = reported_soft_state_ = soft;
  HardState hard = CurrentHardState();
  if (hard != persisted_hard_state_) ready.hard_state = hard;
  ready.snapshot = std::move(snapshot_to_install_);
  snapshot_to_install_.reset();
  ready.entries = log_.UnstableEntries();
  ready.messages = std::move(outbox_);
  outbox_.clear();
  ready.committed_entries = log_.EntriesToApply();

  Index applied_after = ready.committed_entries.empty() ? log_.applied() : ready.committed_entries.back().index;
  auto waiting = std::stable_partition(confirmed_reads_.begin(), confirmed_reads_.end(),
                                       [&](const ReadState& read) { return read.index <= applied_after; });
  ready.read_states.assign(std::make_move_iterator(confirmed_reads_.begin()), std::make_move_iterator(waiting));
  confirmed_reads_.erase(confirmed_reads_.begin(), waiting);
  return ready;
}

void Raft::Advance(const Ready& ready) {
  if (ready.hard_state) persisted_hard_state_ = *ready.hard_state;
  if (!ready.entries.empty()) log_.StableTo({ready.entries.back().index, ready.entries.back().term});
  if (!ready.committed_entries.empty()) log_.AppliedTo(ready.committed_entries.back().index);
}

std::vector<PeerStatus> Raft::Peers() const {
  std::vector<PeerStatus> peers;
  for (const auto& [id, progress] : progress_) {
    peers.push_back({id, progress.match(), progress.next(), progress.state(), progress.recent_active});
  }
  return peers;
}

}  // namespace kvd::cluster::raft
