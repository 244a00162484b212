#include "roles/server/stats.h"

namespace kvd::server {

void Stats::Sample() {
  uint64_t now = commands();
  ops_per_sec_.store(now >= last_sample_commands_ ? now - last_sample_commands_ : 0, std::memory_order_relaxed);
  last_sample_commands_ = now;
}

void Stats::Reset() {
  for (auto* counter : {&commands_, &hits_, &misses_, &input_bytes_, &output_bytes_, &connections_, &rejected_}) {
    counter->store(0, std::memory_order_relaxed);
  }
  last_sample_commands_ = 0;
}

}  // namespace kvd::server
