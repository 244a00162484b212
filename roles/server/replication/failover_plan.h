// FAILOVER's decision, as a function of what the master sees: which replica
// takes over once it holds everything (the named one, or the first caught up),
// and when the wait ends without one (the timeout; with FORCE the named replica
// takes over anyway, as in Redis). No clocks or sockets here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "roles/server/replication/master.h"

namespace kvd::server::replication {

struct FailoverPlan {
  std::optional<std::string> target_host;  // FAILOVER TO host port
  uint16_t target_port = 0;
  uint64_t deadline_ms = 0;  // TIMEOUT (absolute); 0 = wait until ABORT
  bool force = false;
};

struct FailoverStep {
  enum class Kind { kWait, kHandOver, kAbort };
  Kind kind = Kind::kWait;
  std::string host;    // kHandOver: the replica to promote
  uint16_t port = 0;
  std::string reason;  // kHandOver and kAbort: for the log
};

FailoverStep DecideFailover(const FailoverPlan& plan, const std::vector<ReplicaView>& replicas,
                            uint64_t master_sequence, uint64_t now_ms);

}  // namespace kvd::server::replication
