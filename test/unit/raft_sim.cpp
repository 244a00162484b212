// The simulated cluster behind the Raft tests (see raft_sim.h).
#include "raft_sim.h"

#include <algorithm>
#include <cstdio>

#include "cluster/raft/codec.h"

namespace kvd::test::raftsim {
namespace {

using raft::Entry;
using raft::Index;
using raft::NodeId;

uint64_t Fnv1a(uint64_t hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 0x100000001B3ULL;
  return hash;
}

uint64_t ChainHash(uint64_t previous, const Entry& entry) {
  uint64_t hash = Fnv1a(0xCBF29CE484222325ULL ^ previous, &entry.index, sizeof(entry.index));
  hash = Fnv1a(hash, &entry.term, sizeof(entry.term));
  hash = Fnv1a(hash, &entry.type, sizeof(entry.type));
  return Fnv1a(hash, entry.data.data(), entry.data.size());
}

// The application's snapshot is its chain hash.
std::string EncodeChain(uint64_t hash) { return std::to_string(hash); }
uint64_t DecodeChain(const std::string& data) { return data.empty() ? 0 : std::stoull(data); }

}  // namespace

SimCluster::SimCluster(uint64_t seed, raft::Config base_config) : base_config_(base_config), rng_(seed) {
  base_config_.random_seed = seed;
}

raft::Config SimCluster::DefaultConfig() {
  raft::Config config;
  config.election_tick = 10;
  config.heartbeat_tick = 2;
  config.max_entries_per_message = 8;
  config.max_inflight_messages = 8;
  return config;
}

// ---- membership of the simulation -------------------------------------

void SimCluster::Bootstrap(size_t count) {
  raft::Membership voters;
  for (NodeId id = 1; id <= count; ++id) voters.voters.insert(id);
  for (NodeId id = 1; id <= count; ++id) AddNode(id, raft::PersistentState::Bootstrap(voters));
}

void SimCluster::AddNode(NodeId id, raft::PersistentState disk) {
  SimNode& node = nodes_[id];
  node.config = base_config_;
  node.config.id = id;
  node.disk = std::move(disk);
  Restart(id);
}

void SimCluster::Crash(NodeId id) {
  SimNode& node = nodes_.at(id);
  if (!node.up()) return;
  Trace("crash " + std::to_string(id));
  node.raft.reset();
  node.state = {};
  ++stats_.crashes;
}

void SimCluster::Restart(NodeId id) {
  SimNode& node = nodes_.at(id);
  if (node.up()) return;
  ++node.incarnation;
  raft::Config config = node.config;
  config.random_seed ^= node.incarnation * 0xA24BAED4963EE407ULL;
  auto created = raft::Raft::Create(config, node.disk);
  if (!created.ok()) return Violation("restart of node " + std::to_string(id) + ": " + created.status().message());
  node.raft = std::move(created).value();
  node.commit_seen = 0;
  Trace("start " + std::to_string(id) + " term " + std::to_string(node.raft->term()));
  InstallSnapshot(node, node.disk.snapshot);
}

// ---- network ----------------------------------------------------------

void SimCluster::Isolate(NodeId id) {
  for (const auto& [other, node] : nodes_) {
    if (other == id) continue;
    Block(id, other);
    Block(other, id);
  }
}

void SimCluster::Partition(const std::vector<std::set<NodeId>>& groups) {
  auto group_of = [&](NodeId id) -> size_t {
    for (size_t i = 0; i < groups.size(); ++i) {
      if (groups[i].count(id)) return i;
    }
    return groups.size();
  };
  for (const auto& [a, node_a] : nodes_) {
    for (const auto& [b, node_b] : nodes_) {
      if (a != b && group_of(a) != group_of(b)) Block(a, b);
    }
  }
}

void SimCluster::Send(raft::Message message) {
  ++stats_.messages_sent;
  if (filter && !filter(message)) return;
  if (rng_.Percent(faults_.drop_percent)) return;
  std::string bytes = raft::EncodeMessage(message);
  int copies = rng_.Percent(faults_.duplicate_percent) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    network_.push_back({now_ + rng_.Below(faults_.max_delay + 1), message.from, message.to, bytes});
  }
}

bool SimCluster::DeliverDue() {
  std::vector<InFlight> due;
  auto not_due = std::stable_partition(network_.begin(), network_.end(),
                                       [&](const InFlight& m) { return m.deliver_at > now_; });
  due.assign(std::make_move_iterator(not_due), std::make_move_iterator(network_.end()));
  network_.erase(not_due, network_.end());
  if (faults_.shuffle) {
    for (size_t i = due.size(); i > 1; --i) std::swap(due[i - 1], due[rng_.Below(i)]);
  }
  for (const InFlight& message : due) Deliver(message);
  return !due.empty();
}

void SimCluster::Deliver(const InFlight& in_flight) {
  if (blocked_.count({in_flight.from, in_flight.to})) return;
  auto it = nodes_.find(in_flight.to);
  if (it == nodes_.end() || !it->second.up()) return;
  auto message = raft::DecodeMessage(in_flight.bytes);
  if (!message.ok()) return Violation("undecodable message: " + message.status().message());
  ++stats_.messages_delivered;
  Status stepped = it->second.raft->Step(*message);
  if (!stepped.ok()) {
    Violation("node " + std::to_string(in_flight.to) + " rejected " + raft::MessageTypeName(message->type) +
              " from " + std::to_string(in_flight.from) + ": " + stepped.message());
  }
}

// ---- time -------------------------------------------------------------

void SimCluster::Tick() {
  ++now_;
  for (auto& [id, node] : nodes_) {
    if (node.up()) node.raft->Tick();
  }
  Settle();
}

void SimCluster::TickNode(NodeId id) {
  ++now_;
  if (node(id).up()) raft(id).Tick();
  Settle();
}

void SimCluster::Settle() {
  for (int round = 0; round < 10000 && ok(); ++round) {
    bool busy = DeliverDue();
    busy = ProcessReadies() || busy;
    CheckInvariants();
    if (!busy) return;
  }
}

bool SimCluster::TickUntil(const std::function<bool()>& done, int max_ticks) {
  for (int i = 0; i < max_ticks && ok(); ++i) {
    Tick();
    if (done()) return true;
  }
  return false;
}

bool SimCluster::ProcessReadies() {
  bool processed = false;
  for (auto& [id, node] : nodes_) {
    if (!node.up() || !node.raft->HasReady() || !rng_.Percent(faults_.ready_percent)) continue;
    HandleReady(id);
    processed = true;
  }
  return processed;
}

void SimCluster::HandleReady(NodeId id) {
  SimNode& node = nodes_.at(id);
  raft::Ready ready = node.raft->GetReady();
  if (ready.soft_state) {
    Trace("node " + std::to_string(id) + " is " + raft::RoleName(ready.soft_state->role) + " in term " +
          std::to_string(node.raft->term()) + ", leader " + std::to_string(ready.soft_state->leader));
  }
  Status persisted = node.disk.Persist(ready);
  if (!persisted.ok()) return Violation("persist on node " + std::to_string(id) + ": " + persisted.message());
  for (raft::Message& message : ready.messages) Send(std::move(message));
  if (ready.snapshot) {
    InstallSnapshot(node, *ready.snapshot);
    ++stats_.snapshots_installed;
  }
  for (const Entry& entry : ready.committed_entries) Apply(node, entry);
  for (const raft::ReadState& read : ready.read_states) ServeRead(node, read);
  node.raft->Advance(ready);
}

// ---- the application and the checks -----------------------------------

void SimCluster::InstallSnapshot(SimNode& node, const raft::Snapshot& snapshot) {
  Index index = snapshot.meta.index;
  node.state = {index, DecodeChain(snapshot.data)};
  if (index == 0) return;
  auto record = applied_.find(index);
  if (record == applied_.end()) return Violation("snapshot at " + std::to_string(index) + " of a state never applied");
  if (record->second.chain_hash != node.state.hash || record->second.term != snapshot.meta.term) {
    Violation("snapshot at " + std::to_string(index) + " differs from the applied state");
  }
}

void SimCluster::Apply(SimNode& node, const Entry& entry) {
  std::string who = "node " + std::to_string(node.config.id);
  if (entry.index != node.state.applied + 1) {
    return Violation(who + " applied " + std::to_string(entry.index) + " after " + std::to_string(node.state.applied));
  }
  node.state = {entry.index, ChainHash(node.state.hash, entry)};
  auto [record, inserted] =
      applied_.emplace(entry.index, AppliedRecord{entry.term, entry.type, entry.data, node.state.hash});
  if (!inserted && (record->second.term != entry.term || record->second.data != entry.data ||
                    record->second.chain_hash != node.state.hash)) {
    return Violation(who + " applied a different entry at " + std::to_string(entry.index) + " (term " +
                     std::to_string(entry.term) + " vs " + std::to_string(record->second.term) + ")");
  }
  if (inserted && entry.type == raft::EntryType::kNormal) {
    auto [existing, fresh] = index_of_data_.emplace(entry.data, entry.index);
    if (!fresh) Violation("proposal '" + entry.data + "' applied twice");
  }
}

void SimCluster::ServeRead(SimNode& node, const raft::ReadState& read) {
  auto issued = issued_reads_.find(read.context);
  if (issued == issued_reads_.end()) return Violation("read '" + read.context + "' was never issued");
  if (issued->second.node != node.config.id) return Violation("read '" + read.context + "' served on another node");
  if (read.index < issued->second.min_index) {
    return Violation("read '" + read.context + "' at " + std::to_string(read.index) + " misses index " +
                     std::to_string(issued->second.min_index) + " applied before it was issued");
  }
  if (node.state.applied < read.index) return Violation("read '" + read.context + "' released before applying");
  if (served_reads_.insert(read.context).second) ++stats_.reads_served;
}

void SimCluster::CheckInvariants() {
  for (auto& [id, node] : nodes_) {
    if (!node.up()) continue;
    const raft::Raft& r = *node.raft;
    if (r.log().committed() < node.commit_seen) Violation("commit index of node " + std::to_string(id) + " went back");
    node.commit_seen = r.log().committed();
    if (!r.is_leader()) continue;
    auto [it, first] = leader_of_term_.emplace(r.term(), id);
    if (it->second != id) {
      Violation("two leaders in term " + std::to_string(r.term()) + ": " + std::to_string(it->second) + " and " +
                std::to_string(id));
    }
    if (first) {
      ++stats_.leaders_elected;
      CheckLeaderCompleteness(node);
    }
  }
}

void SimCluster::CheckLeaderCompleteness(const SimNode& node) {
  const raft::RaftLog& log = node.raft->log();
  for (auto it = applied_.upper_bound(log.base().index); it != applied_.end(); ++it) {
    if (log.TermAt(it->first) != it->second.term) {
      return Violation("leader " + std::to_string(node.config.id) + " of term " + std::to_string(node.raft->term()) +
                       " lacks committed entry " + std::to_string(it->first));
    }
  }
}

void SimCluster::Violation(const std::string& what) {
  if (!violation_.empty()) return;
  violation_ = "tick " + std::to_string(now_) + ": " + what;
  Trace("VIOLATION " + violation_);
}

void SimCluster::Trace(const std::string& line) const {
  if (trace) std::fprintf(stderr, "[%6llu] %s\n", static_cast<unsigned long long>(now_), line.c_str());
}

// ---- clients ----------------------------------------------------------

Result<raft::EntryId> SimCluster::Propose(NodeId id, std::string data) {
  if (!node(id).up()) return Status::Aborted("node is down");
  auto proposed = raft(id).Propose(std::move(data));
  Settle();
  return proposed;
}

Status SimCluster::ReadIndex(NodeId id, const std::string& context) {
  if (!node(id).up()) return Status::Aborted("node is down");
  Index min_index = applied_.empty() ? 0 : applied_.rbegin()->first;
  issued_reads_[context] = {id, min_index};
  Status started = raft(id).ReadIndex(context);
  Settle();
  return started;
}

Status SimCluster::Compact(NodeId id) {
  SimNode& n = node(id);
  if (!n.up()) return Status::Aborted("node is down");
  auto meta = n.raft->Compact(n.state.applied, EncodeChain(n.state.hash));
  if (!meta.ok()) return meta.status();
  Trace("node " + std::to_string(id) + " compacted to " + std::to_string(meta->index));
  n.disk.SetSnapshot({*meta, EncodeChain(n.state.hash)});
  return Status::Ok();
}

// ---- observation ------------------------------------------------------

std::vector<NodeId> SimCluster::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, node] : nodes_) out.push_back(id);
  return out;
}

NodeId SimCluster::Leader() const {
  NodeId leader = raft::kNoNode;
  raft::Term best = 0;
  for (const auto& [id, node] : nodes_) {
    if (node.up() && node.raft->is_leader() && node.raft->term() >= best) {
      leader = id;
      best = node.raft->term();
    }
  }
  return leader;
}

bool SimCluster::IsApplied(NodeId id, raft::EntryId entry) const {
  const SimNode& n = nodes_.at(id);
  auto record = applied_.find(entry.index);
  return n.up() && n.state.applied >= entry.index && record != applied_.end() && record->second.term == entry.term;
}

}  // namespace kvd::test::raftsim
