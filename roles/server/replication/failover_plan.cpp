#include "roles/server/replication/failover_plan.h"

namespace kvd::server::replication {

FailoverStep DecideFailover(const FailoverPlan& plan, const std::vector<ReplicaView>& replicas,
                            uint64_t master_sequence, uint64_t now_ms) {
  auto named = [&](const ReplicaView& replica) {
    return !plan.target_host || (replica.ip == *plan.target_host && replica.port == plan.target_port);
  };
  for (const ReplicaView& replica : replicas) {
    if (named(replica) && replica.acked >= master_sequence) {
      return {FailoverStep::Kind::kHandOver, replica.ip, replica.port,
              "target " + replica.ip + ":" + std::to_string(replica.port) + " is synced"};
    }
  }
  if (plan.deadline_ms == 0 || now_ms < plan.deadline_ms) return {};
  if (plan.force && plan.target_host) {
    return {FailoverStep::Kind::kHandOver, *plan.target_host, plan.target_port, "time out exceeded, failing over"};
  }
  return {FailoverStep::Kind::kAbort, "", 0, "Replica never caught up before timeout"};
}

}  // namespace kvd::server::replication
