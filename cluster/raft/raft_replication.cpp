// Raft: the log, from the leader's side (appending, replicating, committing)
// and the follower's side (accepting appends, heartbeats and snapshots).
#include <algorithm>

#include "cluster/raft/quorum.h"
#include "cluster/raft/raft.h"

namespace kvd::cluster::raft {

// ---- leader ---------------------------------------------------------------

EntryId Raft::AppendLocal(EntryType type, std::string data) {
  Entry entry{log_.LastIndex() + 1, term_, type, std::move(data)};
  EntryId id{entry.index, entry.term};
  AppendToLog({std::move(entry)});
  BroadcastAppend();
  // A single voter (or a shrunk voter set) can commit without any answer.
  if (MaybeCommitLeader()) AfterCommitAdvanced();
  return id;
}

void Raft::AppendToLog(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  Membership before = configs_.Current();
  log_.TruncateAndAppend(entries);
  configs_.TruncateFrom(entries.front().index);
  for (const Entry& entry : entries) configs_.Record(entry);
  if (configs_.Current() != before) OnMembershipChanged();
}

void Raft::OnMembershipChanged() {
  if (role_ != Role::kLeader) return;
  const Membership& current = configs_.Current();
  std::erase_if(progress_, [&](const auto& item) { return !current.Contains(item.first); });
  for (NodeId voter : current.voters) {
    if (voter == config_.id || progress_.count(voter) != 0) continue;
    auto [it, inserted] = progress_.emplace(voter, Progress(log_.LastIndex(), config_.max_inflight_messages));
    // A new member gets a full election timeout before it counts as silent.
    it->second.recent_active = true;
  }
}

bool Raft::MaybeCommitLeader() {
  Index quorum_index = QuorumIndex(configs_.Current(), [&](NodeId id) -> Index {
    if (id == config_.id) return log_.LastIndex();
    auto it = progress_.find(id);
    return it == progress_.end() ? 0 : it->second.match();
  });
  // Figure 8: only an entry of the current term is committed by counting.
  return log_.MaybeCommit(quorum_index, term_);
}

void Raft::AfterCommitAdvanced() {
  BroadcastAppend();  // followers learn the new commit index
  ReleaseDeferredReads();
  // A leader that removed itself led until the change committed; now the
  // remaining voters elect a leader among themselves.
  if (!configs_.Current().Contains(config_.id) && log_.committed() >= configs_.CurrentIndex()) {
    BecomeFollower(term_, kNoNode);
  }
}

Progress* Raft::FindProgress(NodeId id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

bool Raft::SendAppend(NodeId to, bool send_if_empty) {
  Progress* progress = FindProgress(to);
  if (progress == nullptr || progress->IsPaused()) return false;
  Index previous = progress->next() - 1;
  std::optional<Term> previous_term = log_.TermAt(previous);
  if (!previous_term) {
    // The entries it needs are compacted away.
    SendSnapshot(to, *progress);
    return true;
  }
  std::vector<Entry> entries = log_.Slice(progress->next(), log_.LastIndex(), config_.max_entries_per_message);
  if (entries.empty() && !send_if_empty) return false;
  Message m = Reply(MessageType::kAppend, to);
  m.index = previous;
  m.log_term = *previous_term;
  m.commit = log_.committed();
  Index last = entries.empty() ? previous : entries.back().index;
  bool has_entries = !entries.empty();
  m.entries = std::move(entries);
  Send(std::move(m));
  progress->OnAppendSent(last, has_entries);
  return true;
}

void Raft::SendSnapshot(NodeId to, Progress& progress) {
  Message m = Reply(MessageType::kSnapshot, to);
  m.snapshot = snapshot_;
  Send(std::move(m));
  progress.BecomeSnapshot(snapshot_.meta.index, ticks_);
}

void Raft::BroadcastAppend() {
  for (auto& [id, progress] : progress_) SendAppend(id, true);
}

void Raft::BroadcastHeartbeat() {
  uint64_t round = read_queue_.LatestRound();
  for (auto& [id, progress] : progress_) {
    Message m = Reply(MessageType::kHeartbeat, id);
    // Never past what the follower is known to hold: its log beyond that may
    // still differ from ours.
    m.commit = std::min(progress.match(), log_.committed());
    m.read_seq = round;
    Send(std::move(m));
  }
}

void Raft::RetryStalledSnapshots() {
  // The snapshot (or its answer) may have been lost; probing again decides
  // afresh what the follower needs.
  for (auto& [id, progress] : progress_) {
    if (progress.state() == ProgressState::kSnapshot &&
        ticks_ - progress.snapshot_sent_tick() >= static_cast<uint64_t>(config_.election_tick)) {
      progress.BecomeProbe();
    }
  }
}

void Raft::HandleAppendResponse(const Message& m) {
  Progress* progress = FindProgress(m.from);
  if (progress == nullptr) return;
  progress->recent_active = true;
  if (m.index > log_.LastIndex()) return;  // cannot acknowledge what we never had
  if (m.reject) {
    // Fast back-off: skip to where the follower's hint says the logs may agree.
    Index match_hint = m.reject_hint;
    if (m.hint_term > 0) match_hint = log_.FindConflictByTerm(m.reject_hint, m.hint_term).index;
    if (progress->MaybeDecreaseTo(m.index, match_hint)) {
      if (progress->state() == ProgressState::kReplicate) progress->BecomeProbe();
      SendAppend(m.from, true);
    }
    return;
  }
  if (!progress->MaybeUpdate(m.index)) return;
  if (progress->state() == ProgressState::kProbe ||
      (progress->state() == ProgressState::kSnapshot && progress->match() >= progress->pending_snapshot())) {
    progress->BecomeReplicate();
  }
  if (MaybeCommitLeader()) {
    AfterCommitAdvanced();
  } else {
    while (SendAppend(m.from, false)) {
    }
  }
}

void Raft::HandleHeartbeatResponse(const Message& m) {
  Progress* progress = FindProgress(m.from);
  if (progress == nullptr) return;
  progress->recent_active = true;
  progress->OnHeartbeatResponse();
  if (progress->match() < log_.LastIndex()) SendAppend(m.from, true);
  if (m.read_seq == 0) return;
  for (const PendingRead& read : read_queue_.Ack(m.read_seq, m.from, configs_.Current())) ReleaseRead(read);
}

// ---- follower -------------------------------------------------------------

Status Raft::HandleAppend(const Message& m) {
  Message reply = Reply(MessageType::kAppendResp, m.from);
  if (m.index < log_.committed()) {
    // Everything up to our commit index is settled; tell the leader.
    reply.index = log_.committed();
    Send(std::move(reply));
    return Status::Ok();
  }
  if (!log_.MatchTerm(m.index, m.log_term)) {
    EntryId hint = log_.FindConflictByTerm(std::min(m.index, log_.LastIndex()), m.log_term);
    reply.reject = true;
    reply.index = m.index;
    reply.reject_hint = hint.index;
    reply.hint_term = hint.term;
    Send(std::move(reply));
    return Status::Ok();
  }
  Index last_new = m.index + m.entries.size();
  Index conflict = log_.FindConflict(m.entries);
  if (conflict != 0) {
    if (conflict <= log_.committed()) return Status::Corruption("raft: leader tried to overwrite a committed entry");
    AppendToLog(std::vector<Entry>(m.entries.begin() + static_cast<std::ptrdiff_t>(conflict - m.index - 1),
                                   m.entries.end()));
  }
  // Only what this append proved to match the leader may be committed.
  log_.CommitTo(std::min(m.commit, last_new));
  reply.index = last_new;
  Send(std::move(reply));
  return Status::Ok();
}

void Raft::HandleHeartbeat(const Message& m) {
  log_.CommitTo(m.commit);
  Message reply = Reply(MessageType::kHeartbeatResp, m.from);
  reply.read_seq = m.read_seq;
  Send(std::move(reply));
}

void Raft::HandleSnapshot(const Message& m) {
  const Snapshot& snapshot = *m.snapshot;
  const SnapshotMeta& meta = snapshot.meta;
  Message reply = Reply(MessageType::kAppendResp, m.from);
  if (meta.index <= log_.committed()) {
    reply.index = log_.committed();  // old news
  } else if (log_.MatchTerm(meta.index, meta.term)) {
    log_.CommitTo(meta.index);  // we already hold those entries: no need to replace anything
    reply.index = log_.committed();
  } else {
    log_.RestoreFromSnapshot({meta.index, meta.term});
    configs_.Reset(meta.index, meta.membership);
    snapshot_ = snapshot;
    snapshot_to_install_ = snapshot;
    reply.index = meta.index;
  }
  Send(std::move(reply));
}

}  // namespace kvd::cluster::raft
