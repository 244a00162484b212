// The master side of replication: one feeder thread per replica streams the
// binlog to it and reads its acknowledgements; writers (semi-sync, sync,
// WAIT) wait here until enough replicas acknowledged a sequence.
//
// A feeder reads the binlog from disk (RocksDB's WAL), never from a copy in
// memory, so a slow replica costs the master one bounded send buffer and a
// position in the files — it never holds the master back (async mode).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine.h"

namespace kvd::server::replication {

struct ReplicaView {
  uint64_t id = 0;
  std::string ip;
  uint16_t port = 0;       // its listening port (REPLCONF listening-port)
  uint64_t acked = 0;      // last sequence it has committed
  uint64_t last_ack_ms = 0;
};

class Feeder;

// True when a replica's last acknowledgement (steady clock ms) is at most
// `max_lag_ms` old. A feeder thread may store a time later than the caller's
// `now_ms`: that is a fresh acknowledgement, not a lag of 2^64 ms (which made
// sync-mode writes fail with NOREPLICAS now and then).
inline bool AckedWithin(uint64_t last_ack_ms, uint64_t now_ms, uint64_t max_lag_ms) {
  return last_ack_ms >= now_ms || now_ms - last_ack_ms <= max_lag_ms;
}

class Master {
 public:
  explicit Master(storage::Engine& engine);
  ~Master();
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Takes over the connected socket `fd` of a replica that asked PSYNC:
  // sends `greeting` (the PSYNC answer), then the binlog from `next_sequence`.
  void Attach(int fd, std::string ip, uint16_t port, uint64_t next_sequence, std::string greeting);
  // New writes reached the binlog: wake idle feeders.
  void NotifyWritten();
  // Disconnects every replica and waits for the feeders to end (before the
  // database is replaced, or when this server becomes a replica itself).
  void DisconnectAll();

  std::vector<ReplicaView> Replicas() const;
  // Replicas that acknowledged within the last `max_lag_ms`.
  size_t Healthy(uint64_t max_lag_ms) const;
  size_t AckedAtLeast(uint64_t sequence) const;

  // Runs `done(acked_count)` once `needed` replicas acknowledged `sequence`,
  // or after `timeout_ms` (0: never) with the count reached by then. `done`
  // runs at once, or on a feeder or the timer thread: post it where it belongs.
  void WaitForAcks(uint64_t sequence, size_t needed, uint64_t timeout_ms, std::function<void(size_t)> done);

  // Called by feeders.
  void OnAck(uint64_t replica_id, uint64_t sequence);
  // True while a writer or WAIT waits for acknowledgements: feeders then send
  // each write at once instead of gathering a millisecond's worth.
  bool AcksAwaited() const { return waiter_count_.load() != 0; }
  void OnFeederExit(uint64_t replica_id);

 private:
  struct Waiter {
    uint64_t sequence;
    size_t needed;
    uint64_t deadline_ms;  // steady clock; 0 = none
    std::function<void(size_t)> done;
  };
  size_t AckedAtLeastLocked(uint64_t sequence) const;
  void ReleaseSatisfied(std::unique_lock<std::mutex>& lock);
  void TimerLoop();
  void ReapExited();

  storage::Engine& engine_;
  mutable std::mutex mutex_;
  std::condition_variable timer_wakeup_;
  std::list<std::unique_ptr<Feeder>> feeders_;  // guarded by mutex_
  std::vector<uint64_t> exited_;                // guarded by mutex_: feeders to join
  std::vector<Waiter> waiters_;                 // guarded by mutex_
  uint64_t next_id_ = 1;
  std::atomic<size_t> feeder_count_{0};  // lets NotifyWritten skip the lock when there are none
  std::atomic<size_t> waiter_count_{0};  // waiters_.size(): feeders hurry while anyone waits
  bool stopping_ = false;
  uint64_t timer_due_ms_ = 0;  // guarded by mutex_: when the timer thread wakes next (steady clock)
  std::thread timer_;
};

}  // namespace kvd::server::replication
