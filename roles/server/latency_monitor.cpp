#include "roles/server/latency_monitor.h"

#include <algorithm>

namespace kvd::server {

void LatencyMonitor::Record(std::string_view event, uint64_t now_s, uint64_t latency_ms) {
  uint64_t threshold = threshold_ms();
  if (threshold == 0 || latency_ms < threshold) return;
  std::lock_guard lock(mutex_);
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Event{}).first;
  Event& entry = it->second;
  entry.max_ms = std::max(entry.max_ms, latency_ms);
  if (!entry.samples.empty() && entry.samples.back().time_s == now_s) {
    entry.samples.back().latency_ms = std::max(entry.samples.back().latency_ms, latency_ms);
    return;
  }
  entry.samples.push_back({now_s, latency_ms});
  if (entry.samples.size() > kSamplesPerEvent) entry.samples.pop_front();
}

std::vector<LatencyMonitor::Summary> LatencyMonitor::Latest() const {
  std::lock_guard lock(mutex_);
  std::vector<Summary> summaries;
  for (const auto& [name, entry] : events_) summaries.push_back({name, entry.samples.back(), entry.max_ms});
  return summaries;
}

std::vector<LatencyMonitor::Sample> LatencyMonitor::History(std::string_view event) const {
  std::lock_guard lock(mutex_);
  auto it = events_.find(event);
  if (it == events_.end()) return {};
  return {it->second.samples.begin(), it->second.samples.end()};
}

size_t LatencyMonitor::Reset(const std::vector<std::string>& events) {
  std::lock_guard lock(mutex_);
  if (events.empty()) {
    size_t count = events_.size();
    events_.clear();
    return count;
  }
  size_t count = 0;
  for (const auto& event : events) count += events_.erase(event);
  return count;
}

}  // namespace kvd::server
