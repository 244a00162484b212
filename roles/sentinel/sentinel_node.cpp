#include "roles/sentinel/sentinel_node.h"

#include <signal.h>

#include <chrono>

#include "cluster/topology/command.h"
#include "common/clock.h"
#include "common/logging.h"
#include "cluster/address.h"
#include "roles/sentinel/probe.h"

namespace kvd::sentinel {

using cluster::HostPort;
using cluster::JoinAddress;
using cluster::SplitAddress;

namespace asio = boost::asio;
namespace topology = cluster::topology;

namespace {
constexpr uint64_t kTickMs = 100;
constexpr uint64_t kReplicaListEveryMs = 2000;

RaftNodeOptions RaftOptionsOf(const SentinelConfig& config) {
  RaftNodeOptions options;
  options.id = config.id;
  for (const auto& [id, address] : config.peers) options.peers[id] = address;
  options.dir = config.dir;
  options.secret = config.cluster_secret;
  return options;
}
}  // namespace

SentinelNode::SentinelNode(SentinelConfig config)
    : config_(std::move(config)),
      signals_(io_, SIGINT, SIGTERM),
      ticker_(io_),
      raft_(
          io_, RaftOptionsOf(config_), [this](const cluster::raft::Entry& entry) { ApplyEntry(entry); },
          [this](const std::string& data) {
            Status restored = store_.Restore(data);
            if (!restored.ok()) KVD_LOG(kWarning) << "topology snapshot: " << restored.message();
            watchers_.Notify(store_);
          },
          [this] { return store_.Snapshot(); }),
      front_(io_, [this](FrontClient& client, std::vector<std::string>& args, protocol::RespWriter& reply) {
        Handle(client, args, reply);
      }) {}

uint64_t SentinelNode::NowMs() const { return SteadyNowMs(); }

Status SentinelNode::Start() {
  KVD_RETURN_IF_ERROR(front_.Listen(config_.bind, config_.port));
  KVD_RETURN_IF_ERROR(raft_.Start());
  started_ms_ = NowMs();
  signals_.async_wait([this](const boost::system::error_code& error, int) {
    if (error) return;
    KVD_LOG(kNotice) << "kvd sentinel shutting down";
    front_.CloseAll();
    io_.stop();
  });
  ScheduleTick();
  KVD_LOG(kNotice) << "kvd sentinel " << config_.id << " ready on " << config_.bind << ":" << front_.port() << ", "
                   << config_.peers.size() << " sentinels, " << config_.masters.size() << " masters";
  return Status::Ok();
}

int SentinelNode::Run() {
  io_.run();
  return 0;
}

void SentinelNode::ScheduleTick() {
  ticker_.expires_after(std::chrono::milliseconds(kTickMs));
  ticker_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    Tick();
    ScheduleTick();
  });
}

void SentinelNode::Tick() {
  uint64_t now = NowMs();
  EnsureGroups();
  ProbeDue(now);
  ReportViews(now);
  if (!raft_.IsLeader()) {
    failovers_.clear();  // only a leader fails over; a new one starts afresh
    return;
  }
  DecideFailovers(now);
  AdvanceFailovers(now);
  Reconcile(now);
  SyncReplicaLists(now);
}

// ---- the replicated topology --------------------------------------------------

void SentinelNode::ApplyEntry(const cluster::raft::Entry& entry) {
  auto command = topology::DecodeCommand(entry.data);
  std::string old_master;
  if (command.ok()) {
    if (const auto* set = std::get_if<topology::SetMaster>(&*command)) old_master = MasterOf(set->group);
  }
  auto applied = store_.ApplyEntry(entry);
  if (!applied.ok()) {
    KVD_LOG(kVerbose) << "topology: entry " << entry.index << " refused: " << applied.status().message();
    return;
  }
  watchers_.Notify(store_);
  if (!command.ok()) return;
  if (const auto* set = std::get_if<topology::SetMaster>(&*command)) {
    std::string old_host, new_host;
    uint16_t old_port = 0, new_port = 0;
    SplitAddress(old_master, &old_host, &old_port);
    SplitAddress(set->master, &new_host, &new_port);
    std::string message = set->group + " " + old_host + " " + std::to_string(old_port) + " " + new_host + " " +
                          std::to_string(new_port);
    KVD_LOG(kNotice) << "+switch-master " << message << " (config epoch " << set->new_epoch << ")";
    front_.Publish("+switch-master", message);
    if (failovers_.count(set->group) != 0) {
      front_.Publish("+failover-end", "master " + set->group + " " + HostPort(old_master));
      // The new master has just reported role master: point the others at it now.
      uint64_t now = NowMs();
      for (auto& [address, instance] : instances_) {
        if (instance.group == set->group && address != set->master && address != old_master) {
          SendReplicaOf(instance, set->master, now);
        }
      }
    }
    announced_down_.erase(set->group);
    failovers_.erase(set->group);
    reports_.erase(set->group);  // views of the old master say nothing of the new one
  } else if (const auto* add = std::get_if<topology::AddGroup>(&*command)) {
    KVD_LOG(kNotice) << "+monitor master " << add->group << " " << add->master;
  }
}

void SentinelNode::ProposeCommand(const topology::Command& command) {
  if (!raft_.IsLeader()) return;
  Status allowed = store_.Check(command);
  if (!allowed.ok()) {
    KVD_LOG(kVerbose) << "topology: not proposing " << topology::CommandName(command) << ": " << allowed.message();
    return;
  }
  Status proposed = raft_.Propose(topology::EncodeCommand(command), nullptr);
  if (!proposed.ok()) KVD_LOG(kVerbose) << "topology: proposal failed: " << proposed.message();
}

// The leader registers the configured masters that the topology lacks.
void SentinelNode::EnsureGroups() {
  if (!raft_.IsLeader()) return;
  uint64_t now = NowMs();
  for (const auto& [name, master] : config_.masters) {
    if (store_.FindGroup(name) != nullptr) continue;
    uint64_t& last = last_proposal_ms_["add:" + name];
    if (now - last < 1000) continue;
    last = now;
    topology::AddGroup add;
    add.group = name;
    add.master = JoinAddress(master.host, master.port);
    if (!master.auth_pass.empty()) add.auth_pass = master.auth_pass;
    ProposeCommand(add);
  }
}

std::string SentinelNode::MasterOf(const std::string& group) const {
  if (const auto* found = store_.FindGroup(group)) return found->master;
  auto configured = config_.masters.find(group);
  if (configured == config_.masters.end()) return "";
  return JoinAddress(configured->second.host, configured->second.port);
}

std::string SentinelNode::AuthOf(const std::string& group) const {
  // The replicated value wins (SENTINEL SET); the configured one until the group exists.
  if (const auto* found = store_.FindGroup(group)) return found->auth_pass ? *found->auth_pass : "";
  auto configured = config_.masters.find(group);
  return configured == config_.masters.end() ? "" : configured->second.auth_pass;
}

size_t SentinelNode::Quorum() const {
  return config_.quorum > 0 ? config_.quorum : DefaultQuorum(config_.peers.size());
}

// ---- monitoring -----------------------------------------------------------------

SentinelNode::Instance& SentinelNode::Track(const std::string& group, const std::string& address) {
  auto found = instances_.find(address);
  if (found != instances_.end()) {
    found->second.group = group;
    return found->second;
  }
  Instance instance(group, NowMs());
  SplitAddress(address, &instance.host, &instance.port);
  return instances_.emplace(address, std::move(instance)).first->second;
}

void SentinelNode::ProbeDue(uint64_t now) {
  std::vector<std::string> groups;
  for (const auto& [name, group] : store_.topology().groups) groups.push_back(name);
  for (const auto& [name, master] : config_.masters) {
    if (store_.FindGroup(name) == nullptr) groups.push_back(name);
  }
  for (const auto& group : groups) {
    std::string master = MasterOf(group);
    if (!master.empty()) Track(group, master);
    if (const auto* found = store_.FindGroup(group)) {
      for (const auto& replica : found->replicas) Track(group, replica.address);
    }
  }
  for (auto& [address, instance] : instances_) {
    if (instance.probing || instance.port == 0) continue;
    auto failover = failovers_.find(instance.group);
    bool urgent = failover != failovers_.end() && failover->second.promoting == address;
    if (!urgent && now - instance.last_probe_ms < config_.monitor_interval_ms) continue;
    instance.probing = true;
    instance.last_probe_ms = now;
    uint64_t timeout = std::max<uint64_t>(config_.monitor_interval_ms, 500);
    Probe(io_, instance.host, instance.port, AuthOf(instance.group), {{"INFO", "replication"}}, timeout,
          [this, address = address](Result<std::vector<protocol::RespValue>> replies) {
            OnProbe(address, std::move(replies));
          });
  }
}

void SentinelNode::OnProbe(const std::string& address, Result<std::vector<protocol::RespValue>> replies) {
  auto found = instances_.find(address);
  if (found == instances_.end()) return;
  Instance& instance = found->second;
  instance.probing = false;
  uint64_t now = NowMs();
  if (!replies.ok() || replies->empty() || (*replies)[0].type != protocol::RespValue::Type::kBulk) {
    instance.down.OnFailure(now);
    return;
  }
  auto info = ParseInfoReplication((*replies)[0].str);
  if (!info.ok()) {
    instance.down.OnFailure(now);
    return;
  }
  instance.down.OnValidReply(now);
  bool link_down = info->role == InstanceRole::kReplica && !info->master_link_up;
  if (!link_down) {
    instance.link_down_since_ms = 0;
  } else if (instance.link_down_since_ms == 0) {
    instance.link_down_since_ms = now;
  }
  std::string group = instance.group;
  bool is_master = info->role == InstanceRole::kMaster && address == MasterOf(group);
  instance.info = std::move(*info);
  if (is_master) {
    for (const auto& replica : instance.info->replicas) Track(group, JoinAddress(replica.ip, replica.port));
  }
}

bool SentinelNode::MasterSubjectivelyDown(const std::string& group, uint64_t now) {
  auto found = instances_.find(MasterOf(group));
  return found != instances_.end() && found->second.down.SubjectivelyDown(now, config_.down_after_ms);
}

// Every monitor interval each sentinel tells the Raft leader what it sees.
void SentinelNode::ReportViews(uint64_t now) {
  if (now - last_report_ms_ < std::min<uint64_t>(config_.monitor_interval_ms, 500)) return;
  last_report_ms_ = now;
  for (const auto& [name, group] : store_.topology().groups) {
    bool down = MasterSubjectivelyDown(name, now);
    bool& announced = announced_down_[name];
    if (down != announced) {
      announced = down;
      KVD_LOG(kNotice) << (down ? "+sdown" : "-sdown") << " master " << name << " " << group.master;
      front_.Publish(down ? "+sdown" : "-sdown", "master " + name + " " + HostPort(group.master));
    }
    if (raft_.IsLeader()) {
      reports_[name][config_.id] = Report{group.master, down, now};
    } else if (raft_.leader() != 0) {
      raft_.SendCommand(raft_.leader(), {"SDOWN", config_.cluster_secret, std::to_string(config_.id), name,
                                         group.master, down ? "1" : "0"});
    }
  }
}

// The leader keeps each group's replica list in the topology, so that a new
// leader knows the replicas of a master that is already dead.
void SentinelNode::SyncReplicaLists(uint64_t now) {
  for (const auto& [name, group] : store_.topology().groups) {
    uint64_t& last = last_proposal_ms_["replicas:" + name];
    if (now - last < kReplicaListEveryMs) continue;
    auto master = instances_.find(group.master);
    if (master == instances_.end() || !master->second.info || master->second.info->role != InstanceRole::kMaster ||
        master->second.down.SubjectivelyDown(now, config_.down_after_ms)) {
      continue;
    }
    std::vector<topology::Replica> replicas;
    for (const auto& connected : master->second.info->replicas) {
      std::string address = JoinAddress(connected.ip, connected.port);
      if (address == group.master) continue;
      uint32_t priority = 100;
      auto seen = instances_.find(address);
      if (seen != instances_.end() && seen->second.info) {
        priority = static_cast<uint32_t>(std::max(0, seen->second.info->slave_priority));
      }
      replicas.push_back(topology::Replica{address, priority});
    }
    std::sort(replicas.begin(), replicas.end(), [](const auto& a, const auto& b) { return a.address < b.address; });
    auto known = group.replicas;
    std::sort(known.begin(), known.end(), [](const auto& a, const auto& b) { return a.address < b.address; });
    if (replicas == known || replicas.empty()) continue;
    last = now;
    ProposeCommand(topology::SetReplicas{name, replicas});
  }
}

}  // namespace kvd::sentinel
