// Replication as the rest of the server sees it: this server's role (master,
// or replica of host:port), its history identity, the replicas it feeds, and
// the acknowledgement policy writes follow (async, semi-sync, sync).
//
// Modes, as the README states them:
//   async      reply at once; replicas catch up.
//   semi-sync  reply once min-replica-acks replicas acknowledged the write, or
//              after replica-ack-timeout-ms — then fall back to async (logged,
//              counted in INFO) until the replicas have caught up again.
//   sync       like semi-sync but never falls back: a write is refused up front
//              (-NOREPLICAS) when fewer healthy replicas are connected, and a
//              write not acknowledged in time is answered with an error saying
//              its outcome is unknown.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"
#include "roles/server/replication/identity.h"
#include "roles/server/replication/master.h"
#include "roles/server/replication/replica.h"
#include "storage/engine.h"

namespace kvd::server::replication {

enum class Mode { kAsync, kSemiSync, kSync };
Result<Mode> ParseMode(std::string_view name);
const char* ModeName(Mode mode);

// Settings that passes read on every write: kept in atomics, set from the config.
struct AckPolicy {
  std::atomic<Mode> mode{Mode::kAsync};
  std::atomic<size_t> min_acks{1};
  std::atomic<uint64_t> ack_timeout_ms{1000};
  std::atomic<uint64_t> max_lag_ms{10'000};  // a replica silent longer is not "healthy"
  std::atomic<bool> read_only{true};
};

class Replication {
 public:
  explicit Replication(storage::Engine& engine);
  ~Replication();

  // Loads the identity kept with the data, or starts a new history.
  Status Init();
  // How the server parks its io threads while the database is swapped.
  void SetIoPauser(std::function<void(const std::function<void()>&)> pause) { pause_io_ = std::move(pause); }
  // Runs after every role change (true: now a replica) and after a database swap.
  void SetRoleHook(std::function<void(bool replica)> hook) { role_hook_ = std::move(hook); }
  void SetDatabaseReplacedHook(std::function<void()> hook) { replaced_hook_ = std::move(hook); }

  // REPLICAOF host port: starts (or restarts) following that master.
  Status Follow(LinkSettings settings);
  // REPLICAOF NO ONE: stops following and, when we were a replica, starts a
  // new history that continues the old one's sequence.
  void BecomeMaster();
  // Stops the link and disconnects our replicas (server shutdown).
  void Stop();
  bool IsReplica() const { return replica_active_.load(std::memory_order_relaxed); }
  std::optional<LinkStatus> Link() const;

  Identity identity() const;
  // Before a write of our own while we are a replica (replica-read-only no):
  // the first one parts our history from the master's, as a promotion does
  // (a new replication id, the master's as the second with the last
  // sequence we share). A replica applies the master's binlog as it is, so
  // it cannot keep writes the master does not have: the master's next write
  // (or our next PSYNC) finds them, and we save them to a diverged-*.resp
  // file and sync fully. The history a sync adopts ends the fork.
  Status ForkForLocalWrite();
  Master& master() { return master_; }
  AckPolicy& policy() { return policy_; }

  // PSYNC from a replica that has everything before `next_sequence`.
  PsyncDecision DecidePsync(const std::string& replica_replid, uint64_t next_sequence);

  // Semi-sync bookkeeping: a wait that timed out switches to async until the
  // replicas acknowledge what was written when it happened.
  bool SemiSyncDegraded();
  void NoteSemiSyncTimeout(uint64_t sequence);
  uint64_t semi_sync_timeouts() const { return semi_sync_timeouts_.load(); }
  uint64_t sync_unknown_outcomes() const { return sync_unknown_outcomes_.load(); }
  void NoteSyncUnknownOutcome() { sync_unknown_outcomes_.fetch_add(1); }

 private:
  Status SetIdentity(const Identity& identity);
  Status ReplaceDatabase(const std::string& new_db_dir, const Identity& identity);
  void StopLink();

  storage::Engine& engine_;
  Master master_;
  AckPolicy policy_;
  std::function<void(const std::function<void()>&)> pause_io_;
  std::function<void(bool)> role_hook_;
  std::function<void()> replaced_hook_;

  mutable std::mutex identity_mutex_;
  Identity identity_;  // guarded by identity_mutex_
  std::mutex fork_mutex_;  // serialises ForkForLocalWrite
  std::atomic<bool> forked_locally_{false};  // since the last history a sync adopted

  std::mutex role_mutex_;  // serialises REPLICAOF
  std::unique_ptr<Replica> replica_;  // guarded by role_mutex_ for changes
  std::atomic<bool> replica_active_{false};
  mutable std::mutex link_mutex_;  // guards reading replica_ for status

  std::mutex semi_sync_mutex_;
  std::optional<uint64_t> degraded_at_;  // guarded by semi_sync_mutex_
  std::atomic<bool> degraded_{false};
  std::atomic<uint64_t> semi_sync_timeouts_{0};
  std::atomic<uint64_t> sync_unknown_outcomes_{0};
};

}  // namespace kvd::server::replication
