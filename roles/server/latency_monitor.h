// The latency monitor (LATENCY LATEST, HISTORY, RESET, GRAPH, DOCTOR): with
// latency-monitor-threshold above 0, every command that runs at least that
// many milliseconds leaves a sample under its event ("command", or
// "fast-command" for the fast ones), as in Redis: per event the last 160
// seconds that had one (the worst of each second) and the worst ever.
// Commands of every io thread record here; it locks only above the threshold.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::server {

class LatencyMonitor {
 public:
  static constexpr size_t kSamplesPerEvent = 160;
  struct Sample {
    uint64_t time_s = 0;
    uint64_t latency_ms = 0;
  };
  struct Summary {
    std::string event;
    Sample last;
    uint64_t max_ms = 0;
  };

  void SetThreshold(uint64_t ms) { threshold_ms_.store(ms, std::memory_order_relaxed); }
  uint64_t threshold_ms() const { return threshold_ms_.load(std::memory_order_relaxed); }
  // Keeps `latency_ms` for `event` at `now_s` when monitoring is on and it reaches the threshold.
  void Record(std::string_view event, uint64_t now_s, uint64_t latency_ms);
  std::vector<Summary> Latest() const;
  std::vector<Sample> History(std::string_view event) const;
  // Forgets `events` (every one when empty); how many there were.
  size_t Reset(const std::vector<std::string>& events);

 private:
  struct Event {
    std::deque<Sample> samples;
    uint64_t max_ms = 0;
  };
  std::atomic<uint64_t> threshold_ms_{0};
  mutable std::mutex mutex_;
  std::map<std::string, Event, std::less<>> events_;
};

}  // namespace kvd::server
