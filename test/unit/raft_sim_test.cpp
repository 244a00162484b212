// Randomized, deterministic simulation of 3- and 5-node Raft clusters under
// message loss, duplication, delay/reordering, symmetric and asymmetric
// partitions, crashes (losing unpersisted state) and restarts, with
// proposals, reads, compaction and membership changes flowing. Every
// schedule is fully determined by its seed; the cluster checks safety after
// every exchange round (raft_sim.h), and once the faults heal, a leader must
// be elected and a proposal committed within a bounded number of ticks.
//
// By default 4000 three-node and 2400 five-node schedules run (a twentieth
// of that in sanitizer or unoptimized builds).
//
// Replay one schedule:      KVD_RAFT_SEED=1234 kvd_unit_tests -tc='raft sim: 3*'
// ... with a trace:         KVD_RAFT_TRACE=1 KVD_RAFT_SEED=1234 ...
// Run more schedules:       KVD_RAFT_SCHEDULES=20000 kvd_unit_tests -ts='raft*'
// Print recovery stats:     KVD_RAFT_STATS=1 ...
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "raft_sim.h"

namespace kvd::test::raftsim {
namespace {

using raft::MembershipChange;
using raft::MembershipChangeType;
using raft::NodeId;

// Ticks a healed cluster may take to elect a leader and commit a proposal on
// every member. Election timeouts are 10-20 ticks; a few failed elections
// (split votes, candidates with stale logs, leases still running) fit easily.
constexpr int kRecoveryBoundTicks = 300;

// Sanitizer and unoptimized builds are 20-40 times slower: they run the
// same checks over fewer schedules (KVD_RAFT_SCHEDULES overrides either way).
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
constexpr uint64_t kScheduleDivisor = 20;
#else
constexpr uint64_t kScheduleDivisor = 1;
#endif

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

std::vector<uint64_t> Seeds(uint64_t first, uint64_t default_count) {
  if (std::getenv("KVD_RAFT_SEED") != nullptr) return {EnvNumber("KVD_RAFT_SEED", 0)};
  std::vector<uint64_t> seeds;
  uint64_t count = EnvNumber("KVD_RAFT_SCHEDULES", default_count / kScheduleDivisor);
  for (uint64_t i = 0; i < count; ++i) seeds.push_back(first + i);
  return seeds;
}

struct ScheduleResult {
  std::string failure;  // empty on success
  int recovery_ticks = 0;
  SimStats stats;
  uint64_t membership_changes = 0;
};

// One random schedule: a chaos phase with faults, then healing and a
// liveness check.
class Schedule {
 public:
  Schedule(uint64_t seed, size_t nodes)
      : rng_(seed * 0x9E3779B97F4A7C15ULL + 7), cluster_(seed, RandomConfig(rng_)), size_(nodes) {
    cluster_.trace = std::getenv("KVD_RAFT_TRACE") != nullptr;
    cluster_.Bootstrap(nodes);
    next_id_ = nodes + 1;
    Faults faults;
    faults.drop_percent = rng_.Below(16);
    faults.duplicate_percent = rng_.Below(11);
    faults.max_delay = rng_.Below(4);
    faults.ready_percent = 60 + rng_.Below(41);
    faults.shuffle = rng_.Percent(80);
    cluster_.set_faults(faults);
    PlanMembershipChanges();
  }

  ScheduleResult Run() {
    ScheduleResult result;
    int chaos_ticks = 150 + static_cast<int>(rng_.Below(150));
    for (int tick = 0; tick < chaos_ticks && cluster_.ok(); ++tick) {
      RandomEvents();
      cluster_.Tick();
      RebootSomeVoters();
    }
    if (cluster_.ok()) Heal();
    if (cluster_.ok()) result.recovery_ticks = RecoverAndCommit();
    result.failure = cluster_.violation();
    if (result.failure.empty() && result.recovery_ticks < 0) {
      result.failure = "no proposal committed within " + std::to_string(kRecoveryBoundTicks) + " ticks after healing";
    }
    if (result.failure.empty() && !pending_changes_.empty()) result.failure = "membership changes never proposed";
    result.stats = cluster_.stats();
    for (const auto& [index, record] : cluster_.applied_record()) {
      if (record.type == raft::EntryType::kMembership) ++result.membership_changes;
    }
    return result;
  }

 private:
  // A third of the schedules add and remove nodes alternately (two to four
  // changes), with everything else going on.
  void PlanMembershipChanges() {
    if (!rng_.Percent(35)) return;
    bool add = size_ == 3 || rng_.Percent(50);
    for (uint64_t changes = 2 + rng_.Below(3); changes > 0; --changes, add = !add) {
      // The node to remove is picked among the voters when it is proposed.
      pending_changes_.push_back(add ? MembershipChange{MembershipChangeType::kAddNode, next_id_++}
                                     : MembershipChange{MembershipChangeType::kRemoveNode, raft::kNoNode});
    }
    change_after_tick_ = rng_.Below(100);
  }

  void RandomEvents() {
    if (rng_.Percent(40)) Propose();
    if (rng_.Percent(8)) Read();
    if (rng_.Percent(3)) (void)cluster_.Compact(RandomNode());
    if (rng_.Percent(2)) CrashOne();
    for (NodeId id : cluster_.ids()) {
      if (!cluster_.node(id).up() && rng_.Percent(6)) cluster_.Restart(id);
    }
    if (rng_.Percent(3)) CutNetwork();
    if (rng_.Percent(3)) cluster_.HealNetwork();
    if (cluster_.now() >= change_after_tick_) TryMembershipChange();
  }

  NodeId RandomNode() {
    std::vector<NodeId> ids = cluster_.ids();
    return ids[rng_.Below(ids.size())];
  }

  // Bursts of proposals to any node that believes it leads - a deposed leader
  // cut off from the others builds a long divergent suffix that the new
  // leader must later find and overwrite - or to a random node (refused).
  void Propose() {
    std::vector<NodeId> leaders;
    for (NodeId id : cluster_.ids()) {
      if (cluster_.node(id).up() && cluster_.raft(id).is_leader()) leaders.push_back(id);
    }
    NodeId target = leaders.empty() || rng_.Percent(10) ? RandomNode() : leaders[rng_.Below(leaders.size())];
    uint64_t burst = 1 + (rng_.Percent(20) ? rng_.Below(12) : 0);
    for (uint64_t i = 0; i < burst; ++i) (void)cluster_.Propose(target, "p" + std::to_string(proposals_++));
  }

  void Read() { (void)cluster_.ReadIndex(RandomNode(), "r" + std::to_string(reads_++)); }

  // Leaders crash more often than others: that is where the hard cases are.
  // Half the crashes are immediate reboots, which lose exactly the state that
  // was not persisted and come back while the old messages are in flight.
  void CrashOne() {
    NodeId victim = cluster_.Leader();
    if (victim == raft::kNoNode || rng_.Percent(50)) victim = RandomNode();
    cluster_.Crash(victim);
    if (rng_.Percent(50)) cluster_.Restart(victim);
  }

  void CutNetwork() {
    std::vector<NodeId> ids = cluster_.ids();
    switch (rng_.Below(4)) {
      case 0: {  // a random split into two sides
        std::set<NodeId> side;
        for (NodeId id : ids) {
          if (rng_.Percent(50)) side.insert(id);
        }
        std::set<NodeId> rest;
        for (NodeId id : ids) {
          if (!side.count(id)) rest.insert(id);
        }
        cluster_.Partition({side, rest});
        break;
      }
      case 1:  // one node alone
        cluster_.Isolate(RandomNode());
        break;
      case 2:  // the leader alone: it keeps accepting proposals it cannot commit
        cluster_.Isolate(cluster_.Leader() != raft::kNoNode ? cluster_.Leader() : RandomNode());
        break;
      default:  // asymmetric: some links fail in one direction only
        for (int i = 0; i < 2; ++i) cluster_.Block(RandomNode(), RandomNode());
        break;
    }
  }

  void TryMembershipChange() {
    if (pending_changes_.empty()) return;
    NodeId leader = cluster_.Leader();
    if (leader == raft::kNoNode) return;
    MembershipChange change = pending_changes_.front();
    if (change.type == MembershipChangeType::kAddNode && !cluster_.has_node(change.node)) {
      cluster_.AddNode(change.node);
    }
    if (change.type == MembershipChangeType::kRemoveNode) {
      const auto& voters = cluster_.raft(leader).membership().voters;
      std::vector<NodeId> candidates(voters.begin(), voters.end());
      change.node = candidates[rng_.Below(candidates.size())];
    }
    auto proposed = cluster_.raft(leader).ProposeMembershipChange(change);
    cluster_.Settle();
    if (proposed.ok()) pending_changes_.erase(pending_changes_.begin());
  }

  // Targeted fault: a node that just granted its vote reboots now and then,
  // before other candidates of the same term reach it. Only a vote that
  // survives the restart keeps it from voting twice.
  void RebootSomeVoters() {
    for (NodeId id : cluster_.ids()) {
      SimNode& node = cluster_.node(id);
      if (!node.up()) continue;
      std::pair<raft::Term, NodeId> vote{node.raft->term(), node.raft->vote()};
      bool fresh_vote = vote.second != raft::kNoNode && vote.second != id && votes_seen_[id] != vote;
      votes_seen_[id] = vote;
      if (fresh_vote && rng_.Percent(20)) {
        cluster_.Crash(id);
        cluster_.Restart(id);
      }
    }
  }

  void Heal() {
    cluster_.HealNetwork();
    cluster_.set_faults(Faults{});
    for (NodeId id : cluster_.ids()) cluster_.Restart(id);
  }

  // Returns the ticks until a proposal is applied on every voter of the
  // leader's configuration, or -1.
  int RecoverAndCommit() {
    std::optional<raft::EntryId> marker;
    raft::Term marker_term = 0;
    for (int tick = 1; tick <= kRecoveryBoundTicks && cluster_.ok(); ++tick) {
      TryMembershipChange();
      NodeId leader = cluster_.Leader();
      if (leader != raft::kNoNode && (!marker || cluster_.raft(leader).term() != marker_term)) {
        auto proposed = cluster_.Propose(leader, "marker-" + std::to_string(tick));
        if (proposed.ok()) {
          marker = *proposed;
          marker_term = proposed->term;
        }
      }
      cluster_.Tick();
      leader = cluster_.Leader();
      if (marker && leader != raft::kNoNode && pending_changes_.empty() && CommittedEverywhere(leader, *marker)) {
        return tick;
      }
    }
    return -1;
  }

  bool CommittedEverywhere(NodeId leader, raft::EntryId entry) {
    for (NodeId voter : cluster_.raft(leader).membership().voters) {
      if (!cluster_.IsApplied(voter, entry)) return false;
    }
    return true;
  }

  // Small batches and windows split catch-up into many messages, which is
  // what exposes ordering bugs (e.g. Figure 8 needs an old entry to reach a
  // majority without the new leader's own entry). Pre-vote and check-quorum
  // are each off in some schedules.
  static raft::Config RandomConfig(raft::Prng& rng) {
    raft::Config config = SimCluster::DefaultConfig();
    config.max_entries_per_message = 1 + rng.Below(6);
    config.max_inflight_messages = 1 + rng.Below(6);
    // Without pre-vote, competing candidacies in one term are far more
    // common, which is what exposes vote-persistence bugs.
    config.pre_vote = rng.Percent(70);
    config.check_quorum = rng.Percent(70);
    return config;
  }

  raft::Prng rng_;
  SimCluster cluster_;
  size_t size_;
  NodeId next_id_;
  uint64_t proposals_ = 0;
  uint64_t reads_ = 0;
  std::vector<MembershipChange> pending_changes_;
  std::map<NodeId, std::pair<raft::Term, NodeId>> votes_seen_;
  uint64_t change_after_tick_ = 0;
};

void RunSchedules(size_t nodes, uint64_t first_seed, uint64_t default_count) {
  int worst_recovery = 0;
  SimStats total;
  uint64_t membership_changes = 0;
  for (uint64_t seed : Seeds(first_seed, default_count)) {
    ScheduleResult result = Schedule(seed, nodes).Run();
    if (!result.failure.empty()) {
      INFO("replay: KVD_RAFT_SEED=" << seed << " kvd_unit_tests -tc='raft sim: " << nodes
                                    << " nodes*' (add KVD_RAFT_TRACE=1 for a trace)");
      CAPTURE(seed);
      CAPTURE(nodes);
      FAIL(result.failure);
    }
    worst_recovery = std::max(worst_recovery, result.recovery_ticks);
    total.messages_delivered += result.stats.messages_delivered;
    total.snapshots_installed += result.stats.snapshots_installed;
    total.reads_served += result.stats.reads_served;
    total.crashes += result.stats.crashes;
    total.leaders_elected += result.stats.leaders_elected;
    membership_changes += result.membership_changes;
  }
  if (std::getenv("KVD_RAFT_STATS") != nullptr) {
    std::fprintf(stderr,
                 "%zu nodes: worst recovery %d ticks, %llu messages, %llu leaders, %llu crashes, "
                 "%llu snapshots installed, %llu reads served, %llu membership changes\n",
                 nodes, worst_recovery, static_cast<unsigned long long>(total.messages_delivered),
                 static_cast<unsigned long long>(total.leaders_elected), static_cast<unsigned long long>(total.crashes),
                 static_cast<unsigned long long>(total.snapshots_installed),
                 static_cast<unsigned long long>(total.reads_served),
                 static_cast<unsigned long long>(membership_changes));
  }
}

TEST_SUITE("raft sim") {
  TEST_CASE("raft sim: 3 nodes, random faults, crashes, compaction, membership changes") {
    RunSchedules(3, 1, 4000);
  }

  TEST_CASE("raft sim: 5 nodes, random faults, crashes, compaction, membership changes") {
    RunSchedules(5, 1'000'001, 2400);
  }
}

}  // namespace
}  // namespace kvd::test::raftsim
