// One member of a sentinel group. Everything runs on one io_context thread:
//
//  monitoring  every monitor-interval-ms each master and each replica gets
//              INFO replication over a fresh connection (probe.h); a master
//              silent for down-after-ms is subjectively down here.
//  agreement   the sentinels form a Raft group (raft_node.h) that replicates
//              the topology (cluster/topology): groups, their master, replicas
//              and config epoch. Each sentinel reports its view of every master
//              to the Raft leader (SDOWN); the leader alone declares a master
//              objectively down (>= quorum reports) and fails over. No Raft
//              majority, no leader, no failover: no split brain.
//  failover    the leader ranks the replicas (monitor/failover_choice.h),
//              sends REPLICAOF NO ONE to the best, waits until it reports
//              role master, then commits the new master with a compare-and-set
//              on the group's config epoch. Every sentinel publishes
//              +switch-master when it applies that change. A candidate that
//              does not become master within failover-timeout-ms is skipped.
//  reconcile   the leader points every reachable server of a group that does
//              not follow the committed master at it (REPLICAOF), which also
//              turns a returning old master into a replica.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/topology/store.h"
#include "cluster/topology/watch.h"
#include "protocol/resp_value.h"
#include "roles/sentinel/monitor/down_state.h"
#include "roles/sentinel/monitor/failover_choice.h"
#include "roles/sentinel/monitor/instance_info.h"
#include "roles/sentinel/options.h"
#include "roles/sentinel/raft_node.h"
#include "roles/sentinel/resp_front.h"

namespace kvd::sentinel {

class SentinelNode {
 public:
  explicit SentinelNode(SentinelConfig config);
  Status Start();
  int Run();

 private:
  // What this sentinel observed of one server (a master or a replica).
  struct Instance {
    Instance(std::string group_name, uint64_t now_ms) : group(std::move(group_name)), down(now_ms) {}
    std::string group;
    std::string host;
    uint16_t port = 0;
    std::optional<InstanceInfo> info;  // last valid INFO
    DownState down;
    uint64_t last_probe_ms = 0;
    uint64_t link_down_since_ms = 0;  // when we first saw its master link down; 0 = up
    uint64_t last_repoint_ms = 0;
    std::string last_repoint_target;
    bool probing = false;
  };
  struct Failover {
    uint64_t epoch = 0;  // the config epoch it was decided on
    std::string old_master;
    std::vector<std::string> candidates;  // addresses, best first
    size_t next = 0;
    std::string promoting;
    uint64_t deadline_ms = 0;
    bool committing = false;
  };

  // sentinel_node.cpp: the loop, Raft glue, monitoring.
  uint64_t NowMs() const;
  void ScheduleTick();
  void Tick();
  void ApplyEntry(const cluster::raft::Entry& entry);
  void ProposeCommand(const cluster::topology::Command& command);
  void EnsureGroups();
  Instance& Track(const std::string& group, const std::string& address);
  void ProbeDue(uint64_t now);
  void OnProbe(const std::string& address, Result<std::vector<protocol::RespValue>> replies);
  void ReportViews(uint64_t now);
  void SyncReplicaLists(uint64_t now);
  std::string MasterOf(const std::string& group) const;
  std::string AuthOf(const std::string& group) const;
  size_t Quorum() const;
  bool MasterSubjectivelyDown(const std::string& group, uint64_t now);

  // failover.cpp
  bool ObjectivelyDownNow(const std::string& group, uint64_t now);
  void DecideFailovers(uint64_t now);
  void StartFailover(const std::string& group, uint64_t now);
  void PromoteNext(const std::string& group, Failover& failover, uint64_t now);
  void AdvanceFailovers(uint64_t now);
  void Reconcile(uint64_t now);
  void SendReplicaOf(Instance& instance, const std::string& master, uint64_t now);
  std::vector<ReplicaObservation> Observations(const std::string& group, uint64_t now,
                                               std::vector<std::string>* addresses);

  // api.cpp: the commands clients and peers send.
  void Handle(FrontClient& client, std::vector<std::string>& args, protocol::RespWriter& reply);
  void HandleSentinel(std::vector<std::string>& args, protocol::RespWriter& reply);
  void ReplyMaster(const cluster::topology::Group& group, protocol::RespWriter& reply);
  void ReplyReplicas(const cluster::topology::Group& group, protocol::RespWriter& reply);
  void HandleSubscribe(FrontClient& client, std::vector<std::string>& args, protocol::RespWriter& reply);
  std::string InfoText();

  SentinelConfig config_;
  boost::asio::io_context io_{1};
  boost::asio::signal_set signals_;
  boost::asio::steady_timer ticker_;
  cluster::topology::TopologyStore store_;
  cluster::topology::VersionWatchers watchers_;
  RaftNode raft_;
  RespFront front_;
  uint64_t started_ms_ = 0;
  std::map<std::string, Instance> instances_;  // by host:port
  // Leader: each sentinel's latest view of each group's master.
  struct Report {
    std::string master;  // the address the view is about
    bool down = false;
    uint64_t at_ms = 0;
  };
  std::map<std::string, std::map<uint64_t, Report>> reports_;
  std::map<std::string, Failover> failovers_;
  std::map<std::string, uint64_t> odown_since_;  // leader: groups declared objectively down, when
  std::map<std::string, uint64_t> last_proposal_ms_;
  uint64_t last_report_ms_ = 0;
  std::map<std::string, bool> announced_down_;  // group -> whether +sdown was published for its master  // rate limit per group and purpose
};

}  // namespace kvd::sentinel
