// Focused Raft scenarios on the simulated cluster (no faults unless a test
// sets them): elections, pre-vote, check-quorum, leader stickiness, the
// Figure 8 commit rule, fast back-off, snapshots, ReadIndex, membership
// changes, restarts and input validation. The cluster's safety checks
// (raft_sim.h) run throughout; every test ends by requiring them clean.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "raft_sim.h"

namespace kvd::test::raftsim {
namespace {

using raft::Entry;
using raft::EntryType;
using raft::Index;
using raft::Membership;
using raft::MembershipChange;
using raft::MembershipChangeType;
using raft::Message;
using raft::MessageType;
using raft::NodeId;
using raft::PersistentState;
using raft::Term;

constexpr int kElectionTick = 10;

Membership Voters(std::initializer_list<NodeId> ids) { return Membership{std::set<NodeId>(ids)}; }

// A persisted state whose log has the given terms at indexes 1, 2, ...
PersistentState StateWithLog(const Membership& voters, Term term, const std::vector<Term>& log_terms, Index commit) {
  PersistentState state = PersistentState::Bootstrap(voters);
  state.hard_state = {term, raft::kNoNode, commit};
  for (size_t i = 0; i < log_terms.size(); ++i) {
    Index index = i + 1;
    state.entries.push_back({index, log_terms[i], EntryType::kNormal, "i" + std::to_string(index) + "t" +
                                                                          std::to_string(log_terms[i])});
  }
  return state;
}

std::vector<Term> Repeat(std::vector<std::pair<size_t, Term>> runs) {
  std::vector<Term> out;
  for (auto [count, term] : runs) out.insert(out.end(), count, term);
  return out;
}

// Ticks until some node leads and has committed its first entry.
NodeId ElectLeader(SimCluster& cluster) {
  bool elected = cluster.TickUntil(
      [&] {
        NodeId leader = cluster.Leader();
        return leader != raft::kNoNode &&
               cluster.raft(leader).log().TermAt(cluster.raft(leader).log().committed()) == cluster.raft(leader).term();
      },
      100);
  REQUIRE(elected);
  return cluster.Leader();
}

NodeId SomeFollower(NodeId leader) { return leader == 1 ? 2 : 1; }

bool AppliedEverywhere(SimCluster& cluster, raft::EntryId entry, const std::vector<NodeId>& nodes) {
  return std::all_of(nodes.begin(), nodes.end(), [&](NodeId id) { return cluster.IsApplied(id, entry); });
}

raft::Config ConfigWith(bool pre_vote, bool check_quorum) {
  raft::Config config = SimCluster::DefaultConfig();
  config.pre_vote = pre_vote;
  config.check_quorum = check_quorum;
  return config;
}

TEST_SUITE("raft scenarios") {
  TEST_CASE("raft election: a single node elects itself and commits alone") {
    SimCluster cluster(1);
    cluster.Bootstrap(1);
    NodeId leader = ElectLeader(cluster);
    CHECK(leader == 1);
    auto proposed = cluster.Propose(1, "solo");
    REQUIRE(proposed.ok());
    cluster.Tick();
    CHECK(cluster.IsApplied(1, *proposed));
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft election: three nodes elect one leader and replicate") {
    SimCluster cluster(2);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    for (NodeId id : cluster.ids()) CHECK(cluster.raft(id).leader() == leader);
    auto proposed = cluster.Propose(leader, "x");
    REQUIRE(proposed.ok());
    CHECK(cluster.TickUntil([&] { return AppliedEverywhere(cluster, *proposed, {1, 2, 3}); }, 5));
    auto refused = cluster.Propose(SomeFollower(leader), "y");
    CHECK(refused.status().Is(Status::Code::kAborted));
    CHECK(refused.status().message().find("leader is node " + std::to_string(leader)) != std::string::npos);
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft pre-vote: a partitioned node rejoins without disrupting the leader") {
    SimCluster cluster(3);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    Term term = cluster.raft(leader).term();
    NodeId loner = SomeFollower(leader);
    cluster.Isolate(loner);
    for (int i = 0; i < 20 * kElectionTick; ++i) cluster.Tick();
    // Its pre-votes never succeed, so its term never moves.
    CHECK(cluster.raft(loner).term() == term);
    CHECK_FALSE(cluster.raft(loner).is_leader());
    cluster.HealNetwork();
    for (int i = 0; i < 5 * kElectionTick; ++i) cluster.Tick();
    CHECK(cluster.Leader() == leader);
    CHECK(cluster.raft(leader).term() == term);
    CHECK(cluster.raft(loner).leader() == leader);
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft pre-vote: without it the rejoining node deposes the leader (control)") {
    SimCluster cluster(3, ConfigWith(false, true));
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    Term term = cluster.raft(leader).term();
    NodeId loner = SomeFollower(leader);
    cluster.Isolate(loner);
    for (int i = 0; i < 20 * kElectionTick; ++i) cluster.Tick();
    CHECK(cluster.raft(loner).term() > term);
    cluster.HealNetwork();
    for (int i = 0; i < 5 * kElectionTick; ++i) cluster.Tick();
    CHECK(cluster.raft(leader).term() > term);
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft check-quorum: an isolated leader steps down, the majority elects another") {
    SimCluster cluster(4);
    cluster.Bootstrap(3);
    NodeId old_leader = ElectLeader(cluster);
    cluster.Isolate(old_leader);
    CHECK(cluster.TickUntil([&] { return !cluster.raft(old_leader).is_leader(); }, 2 * kElectionTick + 1));
    CHECK(cluster.TickUntil(
        [&] { return cluster.Leader() != raft::kNoNode && cluster.Leader() != old_leader; }, 4 * kElectionTick));
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft check-quorum: without it an isolated leader keeps leading (control)") {
    SimCluster cluster(4, ConfigWith(true, false));
    cluster.Bootstrap(3);
    NodeId old_leader = ElectLeader(cluster);
    cluster.Isolate(old_leader);
    for (int i = 0; i < 10 * kElectionTick; ++i) cluster.Tick();
    CHECK(cluster.raft(old_leader).is_leader());
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft stickiness: vote requests are ignored while the leader is heard") {
    SimCluster cluster(5);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    NodeId follower = SomeFollower(leader);
    NodeId other = 6 - leader - follower;
    Term term = cluster.raft(follower).term();
    Message vote;
    vote.type = MessageType::kVote;
    vote.from = other;
    vote.to = follower;
    vote.term = term + 1;
    vote.index = cluster.raft(follower).log().LastIndex() + 10;
    vote.log_term = term + 1;

    CHECK(cluster.raft(follower).Step(vote).ok());
    CHECK(cluster.raft(follower).term() == term);
    CHECK(cluster.raft(follower).leader() == leader);

    // Once a whole election timeout passes without the leader, it votes.
    cluster.Isolate(leader);
    for (int i = 0; i < kElectionTick; ++i) cluster.TickNode(follower);
    CHECK(cluster.raft(follower).Step(vote).ok());
    CHECK(cluster.raft(follower).term() == term + 1);
    CHECK(cluster.raft(follower).vote() == other);
    REQUIRE(cluster.ok());
  }

  // Raft paper, Figure 8, with five nodes. S1 (log 1:t1 2:t2) wins term 4
  // with votes of S2 (same log), S3 and S4 (1:t1); S5 holds 2:t3. S1's
  // appends reach only S2 and S3, and without its own no-op 3:t4: entry 2 is
  // then on a majority, yet S5 could still win an election and replace it,
  // so it must not count as committed.
  TEST_CASE("raft Figure 8: an old-term entry on a majority is not committed by counting") {
    SimCluster cluster(6, ConfigWith(true, false));
    Membership five = Voters({1, 2, 3, 4, 5});
    cluster.AddNode(1, StateWithLog(five, 3, {1, 2}, 1));
    cluster.AddNode(2, StateWithLog(five, 3, {1, 2}, 1));
    cluster.AddNode(3, StateWithLog(five, 3, {1}, 1));
    cluster.AddNode(4, StateWithLog(five, 3, {1}, 1));
    cluster.AddNode(5, StateWithLog(five, 3, {1, 3}, 1));
    cluster.filter = [](Message& m) {
      if (m.from != 1 || m.type != MessageType::kAppend) return true;
      if (m.to == 4 || m.to == 5) return false;
      std::erase_if(m.entries, [](const Entry& e) { return e.term == 4; });
      return true;
    };
    for (int i = 0; i < 3 * kElectionTick && !cluster.raft(1).is_leader(); ++i) cluster.TickNode(1);
    REQUIRE(cluster.raft(1).is_leader());
    CHECK(cluster.raft(1).term() == 4);
    for (int i = 0; i < 3; ++i) cluster.TickNode(1);
    CHECK(cluster.raft(2).log().MatchTerm(2, 2));
    CHECK(cluster.raft(3).log().MatchTerm(2, 2));
    CHECK(cluster.raft(3).log().LastIndex() == 2);
    CHECK(cluster.raft(1).log().committed() == 1);

    SUBCASE("S1 crashes: S5 wins term 5 and replaces entry 2 everywhere") {
      cluster.Crash(1);
      cluster.filter = nullptr;
      for (int i = 0; i < 3 * kElectionTick && !cluster.raft(5).is_leader(); ++i) cluster.TickNode(5);
      REQUIRE(cluster.raft(5).is_leader());
      CHECK(cluster.raft(5).term() == 5);
      CHECK(cluster.TickUntil(
          [&] {
            return cluster.raft(2).log().committed() >= 3 && cluster.raft(3).log().committed() >= 3 &&
                   cluster.raft(4).log().committed() >= 3;
          },
          10));
      CHECK(cluster.raft(2).log().MatchTerm(2, 3));
      CHECK(cluster.raft(3).log().MatchTerm(2, 3));
      cluster.Restart(1);
      CHECK(cluster.TickUntil([&] { return cluster.raft(1).log().MatchTerm(2, 3); }, 10));
    }
    SUBCASE("S1 survives: entry 2 commits together with S1's own entry") {
      cluster.filter = nullptr;
      CHECK(cluster.TickUntil([&] { return cluster.raft(1).log().committed() >= 3; }, 5));
      CHECK(cluster.applied_record().at(2).term == 2);
    }
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft fast back-off: one rejection per conflicting term, not per entry") {
    Membership three = Voters({1, 2, 3});
    std::vector<Term> leader_log = Repeat({{20, 1}, {20, 3}});
    std::vector<Term> follower_log;
    SUBCASE("longer divergent log") { follower_log = Repeat({{20, 1}, {40, 2}}); }
    SUBCASE("shorter log") { follower_log = Repeat({{5, 1}}); }
    SUBCASE("several divergent terms") { follower_log = Repeat({{20, 1}, {10, 2}, {10, 2}, {5, 2}}); }
    SimCluster cluster(7);
    cluster.AddNode(1, StateWithLog(three, 3, leader_log, 5));
    cluster.AddNode(2, StateWithLog(three, 3, follower_log, 5));
    cluster.AddNode(3, StateWithLog(three, 3, leader_log, 5));
    int rejections = 0;
    cluster.filter = [&](Message& m) {
      if (m.type == MessageType::kAppendResp && m.from == 2 && m.reject) ++rejections;
      return true;
    };
    for (int i = 0; i < 3 * kElectionTick && !cluster.raft(1).is_leader(); ++i) cluster.TickNode(1);
    REQUIRE(cluster.raft(1).is_leader());
    CHECK(cluster.TickUntil(
        [&] {
          const raft::RaftLog& log = cluster.raft(2).log();
          return log.Last() == cluster.raft(1).log().Last() && log.committed() == log.LastIndex();
        },
        20));
    CAPTURE(follower_log.size());
    CHECK(rejections >= 1);
    CHECK(rejections <= 2);
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft snapshot: a follower whose next entry is compacted gets InstallSnapshot") {
    SimCluster cluster(8);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    NodeId lagging = SomeFollower(leader);
    cluster.Isolate(lagging);
    raft::EntryId last;
    for (int i = 0; i < 30; ++i) last = cluster.Propose(leader, "s" + std::to_string(i)).value();
    cluster.Tick();
    REQUIRE(cluster.IsApplied(leader, last));
    REQUIRE(cluster.Compact(leader).ok());
    Index snapshot_index = cluster.raft(leader).snapshot().meta.index;
    CHECK(snapshot_index == last.index);
    CHECK(cluster.raft(leader).log().FirstIndex() == last.index + 1);
    int snapshots_sent = 0;
    cluster.filter = [&](Message& m) {
      if (m.type == MessageType::kSnapshot && m.to == lagging) ++snapshots_sent;
      return true;
    };
    cluster.HealNetwork();
    CHECK(cluster.TickUntil([&] { return cluster.IsApplied(lagging, last); }, 10));
    CHECK(snapshots_sent == 1);
    CHECK(cluster.stats().snapshots_installed == 1);
    CHECK(cluster.node(lagging).disk.snapshot.meta.index == snapshot_index);
    CHECK(cluster.raft(lagging).log().base().index == snapshot_index);
    // Replication continues normally after the snapshot.
    auto after = cluster.Propose(leader, "after");
    REQUIRE(after.ok());
    CHECK(cluster.TickUntil([&] { return cluster.IsApplied(lagging, *after); }, 5));
    // Compacting twice at the same point, or beyond what is applied, is refused.
    CHECK_FALSE(cluster.raft(leader).Compact(snapshot_index, "again").ok());
    CHECK_FALSE(cluster.raft(leader).Compact(after->index + 5, "future").ok());
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft read index: leader reads wait for a majority to confirm leadership") {
    SimCluster cluster(9);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    auto written = cluster.Propose(leader, "w");
    cluster.Tick();
    cluster.filter = [](Message& m) { return m.type != MessageType::kHeartbeatResp; };
    REQUIRE(cluster.ReadIndex(leader, "r1").ok());
    for (int i = 0; i < 3; ++i) cluster.Tick();
    CHECK(cluster.served_reads().count("r1") == 0);
    cluster.filter = nullptr;
    CHECK(cluster.TickUntil([&] { return cluster.served_reads().count("r1") == 1; }, 3));
    REQUIRE(cluster.ok());  // the cluster checked the read index covers "w"
    CHECK(written.ok());
  }

  TEST_CASE("raft read index: followers forward to the leader") {
    SimCluster cluster(10);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    NodeId follower = SomeFollower(leader);
    for (int i = 0; i < 5; ++i) (void)cluster.Propose(leader, "w" + std::to_string(i));
    REQUIRE(cluster.ReadIndex(follower, "r2").ok());
    CHECK(cluster.TickUntil([&] { return cluster.served_reads().count("r2") == 1; }, 3));
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft read index: no leader, stale leader, fresh leader") {
    SimCluster cluster(11);
    cluster.Bootstrap(3);
    SUBCASE("without a known leader the read is refused") {
      CHECK(cluster.ReadIndex(1, "r").Is(Status::Code::kAborted));
    }
    SUBCASE("an isolated leader cannot confirm a read") {
      NodeId leader = ElectLeader(cluster);
      cluster.Isolate(leader);
      REQUIRE(cluster.ReadIndex(leader, "r3").ok());
      for (int i = 0; i < 3 * kElectionTick; ++i) cluster.Tick();
      CHECK(cluster.served_reads().count("r3") == 0);
    }
    SUBCASE("a new leader serves reads only after committing its first entry") {
      cluster.filter = [](Message& m) { return m.type != MessageType::kAppendResp; };
      CHECK(cluster.TickUntil([&] { return cluster.Leader() != raft::kNoNode; }, 50));
      NodeId leader = cluster.Leader();
      REQUIRE(cluster.ReadIndex(leader, "r4").ok());
      for (int i = 0; i < 3; ++i) cluster.Tick();
      CHECK(cluster.served_reads().count("r4") == 0);
      cluster.filter = nullptr;
      CHECK(cluster.TickUntil([&] { return cluster.served_reads().count("r4") == 1; }, 5));
    }
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft membership: add a fourth node, then remove the leader") {
    SimCluster cluster(12);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    cluster.AddNode(4);
    CHECK(cluster.raft(4).membership().voters.empty());
    auto added = cluster.raft(leader).ProposeMembershipChange({MembershipChangeType::kAddNode, 4});
    REQUIRE(added.ok());
    CHECK(cluster.raft(leader).membership() == Voters({1, 2, 3, 4}));  // in force once appended
    CHECK(cluster.TickUntil([&] { return cluster.IsApplied(4, *added); }, 10));
    CHECK(cluster.raft(4).membership() == Voters({1, 2, 3, 4}));
    auto write = cluster.Propose(leader, "with four");
    REQUIRE(write.ok());
    CHECK(cluster.TickUntil([&] { return AppliedEverywhere(cluster, *write, {1, 2, 3, 4}); }, 5));

    auto removed = cluster.raft(leader).ProposeMembershipChange({MembershipChangeType::kRemoveNode, leader});
    REQUIRE(removed.ok());
    // The old leader leads until the change commits, then steps down.
    CHECK(cluster.TickUntil([&] { return !cluster.raft(leader).is_leader(); }, 5));
    CHECK(cluster.IsApplied(leader, *removed));
    CHECK(cluster.TickUntil(
        [&] { return cluster.Leader() != raft::kNoNode && cluster.Leader() != leader; }, 5 * kElectionTick));
    NodeId new_leader = cluster.Leader();
    std::vector<NodeId> remaining;
    for (NodeId id : std::vector<NodeId>{1, 2, 3, 4}) {
      if (id != leader) remaining.push_back(id);
    }
    CHECK(cluster.raft(new_leader).membership().voters == std::set<NodeId>(remaining.begin(), remaining.end()));
    auto final_write = cluster.Propose(new_leader, "without the old leader");
    REQUIRE(final_write.ok());
    CHECK(cluster.TickUntil([&] { return AppliedEverywhere(cluster, *final_write, remaining); }, 5));
    // The removed node stays quiet: it is not a voter, so it never campaigns.
    Term term = cluster.raft(leader).term();
    for (int i = 0; i < 10 * kElectionTick; ++i) cluster.Tick();
    CHECK(cluster.raft(leader).term() == term);
    CHECK(cluster.Leader() == new_leader);
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft membership: one change at a time, and invalid changes") {
    SimCluster cluster(13);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    cluster.AddNode(4);
    cluster.AddNode(5);
    raft::Raft& r = cluster.raft(leader);
    auto first = r.ProposeMembershipChange({MembershipChangeType::kAddNode, 4});
    REQUIRE(first.ok());
    CHECK(r.ProposeMembershipChange({MembershipChangeType::kAddNode, 5}).status().Is(Status::Code::kBusy));
    CHECK(cluster.TickUntil([&] { return r.log().committed() >= first->index; }, 5));
    CHECK(r.ProposeMembershipChange({MembershipChangeType::kAddNode, 4}).status().Is(Status::Code::kInvalidArgument));
    CHECK(r.ProposeMembershipChange({MembershipChangeType::kRemoveNode, 9}).status().Is(
        Status::Code::kInvalidArgument));
    CHECK(r.ProposeMembershipChange({MembershipChangeType::kAddNode, raft::kNoNode}).status().Is(
        Status::Code::kInvalidArgument));
    CHECK(cluster.raft(SomeFollower(leader))
              .ProposeMembershipChange({MembershipChangeType::kAddNode, 5})
              .status()
              .Is(Status::Code::kAborted));
    CHECK(r.ProposeMembershipChange({MembershipChangeType::kAddNode, 5}).ok());
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft membership: a new leader changes nothing before its first entry commits") {
    SimCluster cluster(14);
    cluster.Bootstrap(3);
    cluster.filter = [](Message& m) { return m.type != MessageType::kAppendResp; };
    CHECK(cluster.TickUntil([&] { return cluster.Leader() != raft::kNoNode; }, 50));
    NodeId leader = cluster.Leader();
    cluster.AddNode(4);
    CHECK(cluster.raft(leader).ProposeMembershipChange({MembershipChangeType::kAddNode, 4}).status().Is(
        Status::Code::kBusy));
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft restart: persisted state survives, unpersisted state is lost") {
    SimCluster cluster(15);
    cluster.Bootstrap(3);
    NodeId leader = ElectLeader(cluster);
    auto kept = cluster.Propose(leader, "kept");
    REQUIRE(kept.ok());
    CHECK(cluster.TickUntil([&] { return AppliedEverywhere(cluster, *kept, {1, 2, 3}); }, 5));
    Term term = cluster.raft(leader).term();
    for (NodeId id : cluster.ids()) cluster.Crash(id);
    for (NodeId id : cluster.ids()) cluster.Restart(id);
    for (NodeId id : cluster.ids()) {
      CHECK(cluster.raft(id).term() == term);
      CHECK(cluster.raft(id).log().LastIndex() >= kept->index);
    }
    // Entries after the snapshot are applied again from the start.
    CHECK(cluster.TickUntil([&] { return AppliedEverywhere(cluster, *kept, {1, 2, 3}); }, 5 * kElectionTick));
    leader = ElectLeader(cluster);

    // The leader appends in memory, but its Ready is never handled.
    Faults stuck;
    stuck.ready_percent = 0;
    cluster.set_faults(stuck);
    auto lost = cluster.raft(leader).Propose("lost");
    REQUIRE(lost.ok());
    CHECK(cluster.node(leader).disk.LastIndex() < lost->index);
    cluster.Crash(leader);
    cluster.set_faults(Faults{});
    cluster.Restart(leader);
    CHECK(cluster.raft(leader).log().LastIndex() < lost->index);
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft restart: a granted vote survives a restart") {
    SimCluster cluster(16, ConfigWith(false, false));
    cluster.Bootstrap(3);
    Message request;
    request.type = MessageType::kVote;
    request.from = 1;
    request.to = 3;
    request.term = 1;
    std::vector<std::pair<NodeId, bool>> answers;  // (candidate, granted)
    cluster.filter = [&](Message& m) {
      if (m.type == MessageType::kVoteResp && m.from == 3) answers.push_back({m.to, !m.reject});
      return false;  // keep the candidates out of it
    };
    REQUIRE(cluster.raft(3).Step(request).ok());
    cluster.Settle();  // persists the vote, then answers
    cluster.Crash(3);
    cluster.Restart(3);
    CHECK(cluster.raft(3).term() == 1);
    CHECK(cluster.raft(3).vote() == 1);
    request.from = 2;  // a competing candidate of the same term
    REQUIRE(cluster.raft(3).Step(request).ok());
    cluster.Settle();
    CHECK(answers == std::vector<std::pair<NodeId, bool>>{{1, true}, {2, false}});
    REQUIRE(cluster.ok());
  }

  TEST_CASE("raft validation: bad config, bad persisted state, bad messages") {
    raft::Config config;
    CHECK(raft::Raft::Create(config, {}).status().Is(Status::Code::kInvalidArgument));
    config.id = 1;
    config.election_tick = 1;
    CHECK(raft::Raft::Create(config, {}).status().Is(Status::Code::kInvalidArgument));
    config.election_tick = 10;
    PersistentState gap = StateWithLog(Voters({1}), 1, {1, 1, 1}, 0);
    gap.entries.erase(gap.entries.begin() + 1);
    CHECK(raft::Raft::Create(config, gap).status().Is(Status::Code::kCorruption));
    PersistentState backwards = StateWithLog(Voters({1}), 3, {2, 1}, 0);
    CHECK(raft::Raft::Create(config, backwards).status().Is(Status::Code::kCorruption));

    auto node = raft::Raft::Create(config, StateWithLog(Voters({1, 2}), 2, {1, 2}, 0));
    REQUIRE(node.ok());
    Message m;
    m.type = MessageType::kAppend;
    m.from = 2;
    m.to = 3;
    m.term = 2;
    CHECK((*node)->Step(m).Is(Status::Code::kInvalidArgument));  // not for us
    m.to = 1;
    m.from = 1;
    CHECK((*node)->Step(m).Is(Status::Code::kInvalidArgument));  // from ourselves
    m.from = 2;
    m.index = 2;
    m.log_term = 2;
    m.entries = {Entry{4, 2, EntryType::kNormal, "gap"}};
    CHECK((*node)->Step(m).Is(Status::Code::kInvalidArgument));  // not contiguous
    m.entries = {Entry{3, 5, EntryType::kNormal, "future"}};
    CHECK((*node)->Step(m).Is(Status::Code::kInvalidArgument));  // term above the message's
    m.type = MessageType::kSnapshot;
    m.entries.clear();
    CHECK((*node)->Step(m).Is(Status::Code::kInvalidArgument));  // no snapshot attached
    m.type = MessageType::kAppend;
    m.entries = {Entry{3, 2, EntryType::kNormal, "fine"}};
    CHECK((*node)->Step(m).ok());
    CHECK((*node)->log().LastIndex() == 3);
  }
}

}  // namespace
}  // namespace kvd::test::raftsim
