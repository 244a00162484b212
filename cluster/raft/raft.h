// A Raft consensus node as a pure state machine: no sockets, threads, clocks
// or randomness of its own. The driver (transport + durable storage) feeds it
// time with Tick(), network input with Step(), client requests with
// Propose()/ProposeMembershipChange()/ReadIndex(), and collects the resulting
// work with GetReady(), then acknowledges it with Advance().
//
// Driving loop (single-threaded; everything here is one event loop's state):
//
//   every tick interval:        raft.Tick();
//   for each received message:  raft.Step(DecodeMessage(bytes));
//   whenever raft.HasReady():   Ready rd = raft.GetReady();
//                               persist rd (see Ready in ready.h), then send
//                               rd.messages, then apply, then
//                               raft.Advance(rd);
//
// THE PERSISTENCE CONTRACT: a Ready's snapshot, entries and hard state must
// be durable before any of its messages is sent, and Advance(rd) must come
// after that. Votes and acknowledgements are promises about disk contents;
// breaking this loses committed entries or elects two leaders per term.
// Restart with Raft::Create from exactly what was persisted: state still in
// memory (a Ready not yet persisted) is lost in a crash, and that is safe.
// Tick/Step/Propose may be called between GetReady and Advance (Advance
// copes), but GetReady must not be called again before Advance.
//
// Features (Raft paper and Ongaro's thesis):
//  - Elections with randomized timeouts drawn in [election_tick,
//    2*election_tick) from Config::random_seed (deterministic per seed).
//  - Pre-vote (thesis §9.6): a node first asks whether it could win at
//    term+1, without changing anyone's term. A node cut off from the cluster
//    never gathers a pre-vote majority, so it does not raise its term, and
//    when it rejoins it does not depose the healthy leader.
//  - Check-quorum: a leader that has not heard from a majority during an
//    election timeout steps down (a partitioned leader stops serving).
//  - Leader stickiness (thesis §4.2.3), with check_quorum: a node that heard
//    from a leader within the last election timeout ignores (pre-)vote
//    requests of a higher term, so removed or flapping servers cannot
//    disrupt a healthy cluster.
//  - Log replication with the log-matching check, fast back-off (a rejection
//    carries a hint: the follower's last index whose term is <= the probed
//    term, so one round trip skips a whole conflicting term), a probe /
//    pipelined-replicate flow per follower (progress.h), and the Figure 8
//    rule: a leader only commits, by counting replicas, entries of its
//    current term. A new leader appends an empty (kNoop) entry so entries of
//    earlier terms become committed promptly.
//  - Snapshots: the application compacts the log with Compact(index, data);
//    a follower whose next entry is compacted gets a kSnapshot message and
//    the snapshot shows up in its Ready.
//  - Membership changes, one server at a time (thesis §4.1): see
//    ProposeMembershipChange.
//  - Linearizable reads with ReadIndex: see ReadIndex.
//
// Not implemented: leadership transfer, learners (non-voting members),
// joint consensus, proposal forwarding (followers return "not leader").
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/raft/config_history.h"
#include "cluster/raft/log.h"
#include "cluster/raft/message.h"
#include "cluster/raft/persistent_state.h"
#include "cluster/raft/progress.h"
#include "cluster/raft/random.h"
#include "cluster/raft/read_index.h"
#include "cluster/raft/ready.h"
#include "cluster/raft/types.h"
#include "common/status.h"

namespace kvd::cluster::raft {

struct Config {
  NodeId id = kNoNode;
  // In ticks. A follower that hears nothing from a leader for a random time
  // in [election_tick, 2*election_tick) starts an election; a leader sends
  // heartbeats every heartbeat_tick. Keep election_tick >> heartbeat_tick
  // (e.g. 10:1 with a 100 ms tick).
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  // Seeds the PRNG of the election timeouts; the id is mixed in, so nodes
  // given the same seed still draw different timeouts. The same seed and
  // inputs always produce the same run (what the simulation tests rely on).
  uint64_t random_seed = 0;
  size_t max_entries_per_message = 64;
  // Appends in flight per follower while replicating optimistically.
  size_t max_inflight_messages = 64;
};

// A follower as the leader sees it, for status reporting.
struct PeerStatus {
  NodeId id = kNoNode;
  Index match = 0;
  Index next = 0;
  ProgressState state = ProgressState::kProbe;
  bool recent_active = false;
};

class Raft {
 public:
  // Validates `config` and `state` (contiguous log after the snapshot, ...).
  // Committed entries after the snapshot are handed out again for applying:
  // the application restarts its state machine from state.snapshot.
  static Result<std::unique_ptr<Raft>> Create(const Config& config, PersistentState state);

  // One unit of logical time.
  void Tick();
  // Handles a message from a peer. Errors mean the message was invalid
  // (wrong recipient, inconsistent entries, ...) and was ignored; messages
  // that are merely stale are ignored with Ok.
  Status Step(const Message& message);

  // Leader only: appends `data` as a kNormal entry. The returned position
  // identifies it: if the entry applied at that index has another term, the
  // proposal was lost (leadership changed) and may be retried. Errors:
  // Aborted("not leader ...") on other nodes.
  Result<EntryId> Propose(std::string data);

  // Leader only: adds or removes one voter. The kMembership entry takes
  // effect on every node as soon as it is appended to its log, not when it
  // commits; because any majority of the old set overlaps any majority of a
  // set one server larger or smaller, the two can never elect two leaders
  // (thesis §4.1). The rule this relies on: only one change at a time - a
  // change is refused (Busy) while a previous one is uncommitted, and also
  // until the leader has committed an entry of its own term (its no-op),
  // which closes the single-server bug found after the thesis. A leader that
  // removes itself keeps leading (without counting its own vote) until the
  // change commits, then steps down. A node being added should start with
  // an empty PersistentState; it catches up through appends or a snapshot.
  Result<EntryId> ProposeMembershipChange(const MembershipChange& change);

  // Starts a linearizable read identified by `context` (unique per read).
  // On the leader: once it has committed an entry of its current term, it
  // records its commit index as the read index and confirms leadership with
  // a heartbeat round acknowledged by a majority. On a follower: the request
  // is forwarded to the known leader, which answers with the read index.
  // Either way the read then appears in a later Ready's read_states, released
  // only when this node has applied at least that index - serving it from
  // the local state machine at that point is linearizable. Returns
  // Aborted("not leader ...") when no leader is known. A read can be lost
  // (leader change, message loss); callers retry after a timeout.
  Status ReadIndex(std::string context);

  // The application took a snapshot of its state machine at `index` (which
  // it has applied, and which is persisted). Drops the log up to `index` and
  // keeps the snapshot for followers that fall behind. Returns the meta the
  // application must persist with `data` (PersistentState::SetSnapshot);
  // write the snapshot durably before discarding the log on disk.
  Result<SnapshotMeta> Compact(Index index, std::string data);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& ready);

  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  bool is_leader() const { return role_ == Role::kLeader; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader() const { return leader_; }
  const Membership& membership() const { return configs_.Current(); }
  const RaftLog& log() const { return log_; }
  const Snapshot& snapshot() const { return snapshot_; }
  std::vector<PeerStatus> Peers() const;  // empty unless leader

 private:
  Raft(const Config& config, PersistentState state);

  // raft.cpp: message dispatch and term rules.
  bool InLease() const;
  void HandleStaleTerm(const Message& m);
  Status ValidateMessage(const Message& m) const;
  void StepLeader(const Message& m);
  void StepCandidate(const Message& m);
  Status StepFollower(const Message& m);
  void Send(Message m);
  Message Reply(MessageType type, NodeId to) const;
  HardState CurrentHardState() const;

  // raft_election.cpp: roles, timers, campaigns, votes.
  bool Promotable() const;
  void ResetTimers();
  void TickElection();
  void TickLeader();
  bool QuorumActive() const;
  void Campaign(bool pre_vote);
  void HandleVoteRequest(const Message& m);
  void HandleVoteResponse(const Message& m);
  void BecomeFollower(Term term, NodeId leader);
  void BecomeLeader();

  // raft_replication.cpp: the log, from both sides.
  EntryId AppendLocal(EntryType type, std::string data);
  void AppendToLog(const std::vector<Entry>& entries);
  void OnMembershipChanged();
  bool MaybeCommitLeader();
  void AfterCommitAdvanced();
  bool SendAppend(NodeId to, bool send_if_empty);
  void SendSnapshot(NodeId to, Progress& progress);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  void RetryStalledSnapshots();
  void HandleAppendResponse(const Message& m);
  void HandleHeartbeatResponse(const Message& m);
  Status HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  Progress* FindProgress(NodeId id);

  // raft_client.cpp: reads and the leader's read queue.
  bool CommittedInCurrentTerm() const;
  void HandleReadIndexRequest(NodeId requester, std::string context);
  void ReleaseRead(const PendingRead& read);
  void ReleaseDeferredReads();

  Config config_;
  Prng rng_;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;
  RaftLog log_;
  ConfigHistory configs_;
  Snapshot snapshot_;                         // newest snapshot, sent to lagging followers
  std::optional<Snapshot> snapshot_to_install_;  // received, not yet handed out in a Ready

  int election_elapsed_ = 0;  // ticks since the leader was heard (leader: since the last quorum check)
  int heartbeat_elapsed_ = 0;
  int randomized_timeout_ = 0;
  uint64_t ticks_ = 0;  // total ticks, to time out snapshot transfers

  std::map<NodeId, Progress> progress_;  // leader: every voter but itself
  std::map<NodeId, bool> votes_;         // (pre-)candidate: answers so far
  Index pending_conf_index_ = 0;         // leader: last membership entry (or its no-op) that must commit first

  ReadIndexQueue read_queue_;
  std::vector<PendingRead> reads_awaiting_commit_;  // leader: arrived before its no-op committed
  std::vector<ReadState> confirmed_reads_;          // waiting for this node to apply their index

  std::vector<Message> outbox_;
  HardState persisted_hard_state_;
  SoftState reported_soft_state_;
};

}  // namespace kvd::cluster::raft
