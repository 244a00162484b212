// The leader's side of failure handling: objective down, choosing and
// promoting a replica, committing the new master, and pointing every other
// server of the group at it.
#include "cluster/topology/command.h"
#include "common/logging.h"
#include "cluster/address.h"
#include "roles/sentinel/probe.h"
#include "roles/sentinel/sentinel_node.h"

namespace kvd::sentinel {

using cluster::HostPort;
using cluster::JoinAddress;
using cluster::SplitAddress;

namespace topology = cluster::topology;

namespace {
constexpr uint64_t kRepointEveryMs = 3000;  // between REPLICAOF attempts on one server
}  // namespace

bool SentinelNode::ObjectivelyDownNow(const std::string& group, uint64_t now) {
  size_t votes = 0;
  uint64_t fresh_ms = 3 * config_.monitor_interval_ms + 1000;
  std::string master = MasterOf(group);
  for (const auto& [sentinel, report] : reports_[group]) {
    if (report.down && report.master == master && now - report.at_ms <= fresh_ms) ++votes;
  }
  return ObjectivelyDown(votes, Quorum());
}

// The replicas' offsets must be read after the master stopped writing: the
// one holding the most (in sync mode, every acknowledged write) is chosen.
// So on objective down every replica is probed again, and the choice waits
// for those answers (or one monitor interval, for replicas that are down too).
void SentinelNode::DecideFailovers(uint64_t now) {
  for (const auto& [name, group] : store_.topology().groups) {
    if (failovers_.count(name) != 0) continue;
    if (!ObjectivelyDownNow(name, now)) {
      odown_since_.erase(name);
      continue;
    }
    auto [since, first] = odown_since_.emplace(name, now);
    if (first) {
      KVD_LOG(kWarning) << "+odown master " << name << " " << group.master << " #quorum " << Quorum();
      front_.Publish("+odown", "master " + name + " " + HostPort(group.master) + " #quorum " + std::to_string(Quorum()));
      for (auto& [address, instance] : instances_) {
        if (instance.group == name && address != group.master) instance.last_probe_ms = 0;  // probe now
      }
      continue;
    }
    bool all_fresh = true;
    for (const auto& [address, instance] : instances_) {
      if (instance.group != name || address == group.master || !instance.info) continue;
      if (instance.down.last_valid_reply_ms() < since->second) all_fresh = false;
    }
    if (!all_fresh && now - since->second < config_.monitor_interval_ms) continue;
    StartFailover(name, now);
    if (failovers_.count(name) != 0) odown_since_.erase(name);
  }
}

std::vector<ReplicaObservation> SentinelNode::Observations(const std::string& group, uint64_t now,
                                                           std::vector<std::string>* addresses) {
  std::string master = MasterOf(group);
  const auto* known = store_.FindGroup(group);
  auto listed = [&](const std::string& address) {
    if (known == nullptr) return false;
    for (const auto& replica : known->replicas) {
      if (replica.address == address) return true;
    }
    return false;
  };
  std::vector<ReplicaObservation> observations;
  for (const auto& [address, instance] : instances_) {
    if (instance.group != group || address == master || !instance.info) continue;
    // A listed replica that already reports role master was promoted by a
    // leader that died before committing it: it stays a candidate.
    bool promoted_leftover = instance.info->role == InstanceRole::kMaster && listed(address);
    if (instance.info->role != InstanceRole::kReplica && !promoted_leftover) continue;
    ReplicaObservation seen;
    seen.host = instance.host;
    seen.port = instance.port;
    seen.reachable = !instance.down.SubjectivelyDown(now, config_.down_after_ms);
    seen.last_reply_age_ms = instance.down.SilentForMs(now);
    seen.link_up = promoted_leftover || instance.info->master_link_up;
    seen.master_link_down_ms = instance.link_down_since_ms == 0 ? 0 : now - instance.link_down_since_ms;
    seen.priority = instance.info->slave_priority;
    seen.offset = promoted_leftover ? instance.info->master_repl_offset : instance.info->slave_repl_offset;
    observations.push_back(seen);
    addresses->push_back(address);
  }
  return observations;
}

void SentinelNode::StartFailover(const std::string& group, uint64_t now) {
  const auto* found = store_.FindGroup(group);
  if (found == nullptr) return;
  std::vector<std::string> addresses;
  auto observations = Observations(group, now, &addresses);
  auto master = instances_.find(found->master);
  uint64_t master_down_ms = master == instances_.end() ? 0 : master->second.down.SilentForMs(now);
  SelectionPolicy policy{5 * config_.monitor_interval_ms + 1000, config_.down_after_ms * 10 + master_down_ms};
  FailoverChoice choice = ChooseReplica(observations, policy);
  Failover failover;
  failover.epoch = found->config_epoch;
  failover.old_master = found->master;
  for (size_t index : RankCandidates(observations, policy)) failover.candidates.push_back(addresses[index]);
  for (size_t i = 0; i < observations.size(); ++i) {
    if (!choice.reasons[i].empty()) KVD_LOG(kNotice) << "failover " << group << ": " << addresses[i] << " excluded: " << choice.reasons[i];
  }
  if (failover.candidates.empty()) {
    uint64_t& last = last_proposal_ms_["nocandidate:" + group];
    if (now - last > 5000) {
      last = now;
      KVD_LOG(kWarning) << "-failover-abort-no-good-slave master " << group << " " << found->master;
    }
    return;
  }
  KVD_LOG(kWarning) << "+try-failover master " << group << " " << found->master << " (config epoch "
                    << failover.epoch << ")";
  auto& started = failovers_[group] = std::move(failover);
  PromoteNext(group, started, now);
}

void SentinelNode::PromoteNext(const std::string& group, Failover& failover, uint64_t now) {
  if (failover.next >= failover.candidates.size()) {
    KVD_LOG(kWarning) << "-failover-abort master " << group << ": no candidate became master";
    failovers_.erase(group);
    return;
  }
  failover.promoting = failover.candidates[failover.next++];
  failover.deadline_ms = now + config_.failover_timeout_ms;
  failover.committing = false;
  KVD_LOG(kWarning) << "+selected-slave " << failover.promoting << "; sending REPLICAOF NO ONE";
  auto instance = instances_.find(failover.promoting);
  if (instance == instances_.end()) return;
  // CONFIG REWRITE keeps the new role over a restart, as Redis Sentinel has it
  // (a server without a config file refuses it, and that is all).
  Probe(io_, instance->second.host, instance->second.port, AuthOf(group),
        {{"REPLICAOF", "NO", "ONE"}, {"CONFIG", "REWRITE"}},
        config_.failover_timeout_ms, [address = failover.promoting](Result<std::vector<protocol::RespValue>> replies) {
          if (!replies.ok()) KVD_LOG(kWarning) << "REPLICAOF NO ONE to " << address << ": " << replies.status().message();
        });
}

void SentinelNode::AdvanceFailovers(uint64_t now) {
  std::vector<std::string> groups;
  for (const auto& [group, failover] : failovers_) groups.push_back(group);
  for (const auto& group : groups) {
    auto it = failovers_.find(group);
    if (it == failovers_.end()) continue;
    Failover& failover = it->second;
    auto instance = instances_.find(failover.promoting);
    bool promoted = instance != instances_.end() && instance->second.info &&
                    instance->second.info->role == InstanceRole::kMaster &&
                    instance->second.down.SilentForMs(now) < 1000;
    if (promoted && !failover.committing) {
      KVD_LOG(kWarning) << "+promoted-slave " << failover.promoting << "; committing the new master";
      failover.committing = true;
      topology::SetMaster set;
      set.group = group;
      set.master = failover.promoting;
      set.expected_epoch = failover.epoch;
      set.new_epoch = failover.epoch + 1;
      Status allowed = store_.Check(set);
      if (!allowed.ok()) {
        KVD_LOG(kWarning) << "failover " << group << " abandoned: " << allowed.message();
        failovers_.erase(it);
        continue;
      }
      Status proposed = raft_.Propose(topology::EncodeCommand(set), [this, group](bool applied) {
        auto again = failovers_.find(group);
        if (!applied && again != failovers_.end()) again->second.committing = false;  // retried next tick
      });
      if (!proposed.ok()) failover.committing = false;
      continue;
    }
    if (!failover.committing && now > failover.deadline_ms) {
      KVD_LOG(kWarning) << "failover " << group << ": " << failover.promoting << " did not become master in time";
      PromoteNext(group, failover, now);
    }
  }
}

void SentinelNode::SendReplicaOf(Instance& instance, const std::string& master, uint64_t now) {
  // Retries to the same master are spaced out; a new master is told at once.
  if (instance.last_repoint_target == master && now - instance.last_repoint_ms < kRepointEveryMs) return;
  instance.last_repoint_ms = now;
  instance.last_repoint_target = master;
  std::string host;
  uint16_t port = 0;
  if (!SplitAddress(master, &host, &port)) return;
  KVD_LOG(kNotice) << "+slave-reconf " << JoinAddress(instance.host, instance.port) << " -> REPLICAOF " << master;
  Probe(io_, instance.host, instance.port, AuthOf(instance.group),
        {{"REPLICAOF", host, std::to_string(port)}, {"CONFIG", "REWRITE"}},
        config_.failover_timeout_ms, [](Result<std::vector<protocol::RespValue>>) {});
}

// Points every reachable server of a group that does not follow the
// committed master at it: the replicas after a failover, and an old master
// that comes back.
void SentinelNode::Reconcile(uint64_t now) {
  for (const auto& [name, group] : store_.topology().groups) {
    if (failovers_.count(name) != 0) continue;
    auto master = instances_.find(group.master);
    bool master_serving = master != instances_.end() && master->second.info &&
                          master->second.info->role == InstanceRole::kMaster &&
                          !master->second.down.SubjectivelyDown(now, config_.down_after_ms);
    if (!master_serving) continue;  // nothing to follow yet (or a failover is due)
    for (auto& [address, instance] : instances_) {
      if (instance.group != name || address == group.master || !instance.info) continue;
      if (instance.down.SilentForMs(now) > 2 * config_.monitor_interval_ms + 500) continue;
      const InstanceInfo& info = *instance.info;
      bool follows = info.role == InstanceRole::kReplica && JoinAddress(info.master_host, info.master_port) == group.master;
      if (!follows) SendReplicaOf(instance, group.master, now);
    }
  }
}

}  // namespace kvd::sentinel
