// Server-wide counters for INFO. Connections add their per-pass tallies in one
// step, so the hot path touches shared cache lines once per pipeline pass.
#pragma once

#include <atomic>
#include <cstdint>

namespace kvd::server {

struct PassTally {
  uint64_t commands = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
};

class Stats {
 public:
  void Add(const PassTally& tally) {
    commands_.fetch_add(tally.commands, std::memory_order_relaxed);
    hits_.fetch_add(tally.hits, std::memory_order_relaxed);
    misses_.fetch_add(tally.misses, std::memory_order_relaxed);
    input_bytes_.fetch_add(tally.input_bytes, std::memory_order_relaxed);
    output_bytes_.fetch_add(tally.output_bytes, std::memory_order_relaxed);
  }
  void ConnectionAccepted() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionRejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }
  // Called once a second by the server's cron.
  void Sample();
  void Reset();

  uint64_t commands() const { return commands_.load(std::memory_order_relaxed); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t input_bytes() const { return input_bytes_.load(std::memory_order_relaxed); }
  uint64_t output_bytes() const { return output_bytes_.load(std::memory_order_relaxed); }
  uint64_t connections() const { return connections_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  uint64_t ops_per_sec() const { return ops_per_sec_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> commands_{0}, hits_{0}, misses_{0}, input_bytes_{0}, output_bytes_{0};
  std::atomic<uint64_t> connections_{0}, rejected_{0};
  std::atomic<uint64_t> ops_per_sec_{0};
  uint64_t last_sample_commands_ = 0;  // cron thread only
};

}  // namespace kvd::server
