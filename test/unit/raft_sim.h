// A deterministic simulated cluster for the Raft tests: nodes with a "disk"
// (PersistentState), a network with loss, duplication, delay (hence
// reordering) and directed link cuts, and a clock that only moves on Tick().
// Everything random comes from one seed, so a schedule replays exactly.
//
// The replicated application is a hash chain over the applied entries, so
// two nodes agree on their state iff they applied the same sequence. The
// cluster checks safety continuously and records the first violation:
//  - at most one leader per term;
//  - a new leader holds every entry known committed (Leader Completeness);
//  - every applied entry matches the global record of what was applied at
//    that index anywhere (committed entries never change or vanish, and all
//    nodes apply the same sequence); no entry is applied twice;
//  - commit indexes never go backwards within a node's lifetime;
//  - snapshots restore exactly the state the chain had at their index;
//  - a ReadIndex result is at least the highest index applied anywhere when
//    the read was issued (linearizability), and is released only after the
//    node applied that far;
//  - Step() never rejects a message a correct peer sent.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/raft/raft.h"
#include "cluster/raft/random.h"

namespace kvd::test::raftsim {

namespace raft = kvd::cluster::raft;

struct Faults {
  uint64_t drop_percent = 0;
  uint64_t duplicate_percent = 0;
  uint64_t max_delay = 0;  // extra ticks a message may take; 0 = delivered within the tick
  bool shuffle = false;    // messages due at the same time arrive in random order (else in send order)
  // Chance a node handles its pending Ready in a given exchange round;
  // below 100, crashes lose state that was never persisted.
  uint64_t ready_percent = 100;
};

struct ChainState {
  raft::Index applied = 0;
  uint64_t hash = 0;
};

struct SimNode {
  raft::Config config;
  raft::PersistentState disk;
  std::unique_ptr<raft::Raft> raft;  // null while crashed
  ChainState state;                  // the application, lost on crash
  raft::Index commit_seen = 0;
  uint64_t incarnation = 0;

  bool up() const { return raft != nullptr; }
};

struct AppliedRecord {
  raft::Term term = 0;
  raft::EntryType type = raft::EntryType::kNormal;
  std::string data;
  uint64_t chain_hash = 0;
};

struct SimStats {
  uint64_t messages_sent = 0;
  uint64_t messages_delivered = 0;
  uint64_t snapshots_installed = 0;
  uint64_t reads_served = 0;
  uint64_t crashes = 0;
  uint64_t leaders_elected = 0;
};

class SimCluster {
 public:
  explicit SimCluster(uint64_t seed, raft::Config base_config = DefaultConfig());
  static raft::Config DefaultConfig();

  // ---- membership of the simulation ----
  void Bootstrap(size_t count);  // nodes 1..count, all voters
  void AddNode(raft::NodeId id, raft::PersistentState disk = {});
  void Crash(raft::NodeId id);
  void Restart(raft::NodeId id);

  // ---- network ----
  void set_faults(const Faults& faults) { faults_ = faults; }
  void Block(raft::NodeId from, raft::NodeId to) { blocked_.insert({from, to}); }
  void Isolate(raft::NodeId id);
  void Partition(const std::vector<std::set<raft::NodeId>>& groups);
  void HealNetwork() { blocked_.clear(); }
  // Tests may inspect, edit or drop (return false) every message sent.
  std::function<bool(raft::Message&)> filter;

  // ---- time ----
  void Tick();                     // every live node ticks, then messages due now are exchanged
  void TickNode(raft::NodeId id);  // one node ticks, then messages are exchanged
  void Settle();                   // exchanges messages due now until quiet
  // Ticks until `done` holds (checked after each tick); false after max_ticks.
  bool TickUntil(const std::function<bool()>& done, int max_ticks);

  // ---- clients ----
  Result<raft::EntryId> Propose(raft::NodeId id, std::string data);
  Status ReadIndex(raft::NodeId id, const std::string& context);
  Status Compact(raft::NodeId id);  // snapshot the node's state at what it applied

  // ---- observation ----
  SimNode& node(raft::NodeId id) { return nodes_.at(id); }
  raft::Raft& raft(raft::NodeId id) { return *nodes_.at(id).raft; }
  bool has_node(raft::NodeId id) const { return nodes_.count(id) != 0; }
  std::vector<raft::NodeId> ids() const;
  raft::NodeId Leader() const;  // the live leader with the highest term, 0 if none
  const std::map<raft::Index, AppliedRecord>& applied_record() const { return applied_; }
  bool IsApplied(raft::NodeId id, raft::EntryId entry) const;
  const std::set<std::string>& served_reads() const { return served_reads_; }
  const std::string& violation() const { return violation_; }
  bool ok() const { return violation_.empty(); }
  const SimStats& stats() const { return stats_; }
  uint64_t now() const { return now_; }
  raft::Prng& rng() { return rng_; }
  bool trace = false;

 private:
  struct InFlight {
    uint64_t deliver_at;
    raft::NodeId from;
    raft::NodeId to;
    std::string bytes;
  };
  struct IssuedRead {
    raft::NodeId node;
    raft::Index min_index;
  };

  void Send(raft::Message message);
  bool DeliverDue();
  void Deliver(const InFlight& message);
  bool ProcessReadies();
  void HandleReady(raft::NodeId id);
  void InstallSnapshot(SimNode& node, const raft::Snapshot& snapshot);
  void Apply(SimNode& node, const raft::Entry& entry);
  void ServeRead(SimNode& node, const raft::ReadState& read);
  void CheckInvariants();
  void CheckLeaderCompleteness(const SimNode& node);
  void Violation(const std::string& what);
  void Trace(const std::string& line) const;

  raft::Config base_config_;
  raft::Prng rng_;
  uint64_t now_ = 0;
  std::map<raft::NodeId, SimNode> nodes_;
  Faults faults_;
  std::set<std::pair<raft::NodeId, raft::NodeId>> blocked_;
  std::vector<InFlight> network_;

  std::map<raft::Index, AppliedRecord> applied_;
  std::map<std::string, raft::Index> index_of_data_;
  std::map<raft::Term, raft::NodeId> leader_of_term_;
  std::map<std::string, IssuedRead> issued_reads_;
  std::set<std::string> served_reads_;
  std::string violation_;
  SimStats stats_;
};

}  // namespace kvd::test::raftsim
