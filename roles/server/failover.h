// FAILOVER (Redis 6.2+): a master hands its role to one of its replicas
// without losing a write. It pauses writes, waits until the replica holds
// everything (replication/failover_plan.h decides), tells it REPLICAOF NO ONE
// and follows it; the paused writes then meet a replica (-READONLY), as in
// Redis. The wait runs on a thread of its own; ABORT or a timeout without
// FORCE resume the writes on this master.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "roles/server/replication/failover_plan.h"

namespace kvd::server {

struct ServerContext;

// Follows host:port with this server's settings (REPLICAOF, and FAILOVER's last step).
Status FollowMaster(ServerContext& server, const std::string& host, uint16_t port);

class Failover {
 public:
  explicit Failover(ServerContext& server) : server_(server) {}
  ~Failover();
  Failover(const Failover&) = delete;
  Failover& operator=(const Failover&) = delete;

  // Pauses writes and starts waiting; the caller checked the plan as Redis does.
  void Start(replication::FailoverPlan plan);
  // False when no failover is in progress.
  bool Abort();
  bool InProgress() const { return state_.load() != State::kNone; }
  // INFO's master_failover_state.
  const char* StateName() const;

 private:
  enum class State { kNone, kWaitingForSync, kInProgress };
  void Run(replication::FailoverPlan plan);
  // REPLICAOF NO ONE on the replica, then follow it; an error leaves us master.
  Status HandOver(const std::string& host, uint16_t port);
  void Finish(const std::string& outcome);

  ServerContext& server_;
  std::atomic<State> state_{State::kNone};
  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool abort_ = false;
  std::thread thread_;
};

}  // namespace kvd::server
