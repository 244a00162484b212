#include "roles/proxy/worker.h"

#include <unordered_set>

#include "common/tick_clock.h"

namespace kvd::proxy {

Worker::Worker(const ProxyConfig& config, ProxyStats& stats) : config_(config), stats_(stats) {}

void Worker::SetRoutes(std::shared_ptr<const RouteTable> routes) {
  routes_ = std::move(routes);
  // Links to servers that no longer serve a group (an old master after a
  // failover) go once nothing waits on them.
  std::unordered_set<std::string> current;
  for (const auto& backend : routes_->backends()) current.insert(LinkKey(backend));
  for (auto it = links_.begin(); it != links_.end();) {
    if (!current.count(it->first) && it->second->waiting() == 0) {
      it->second->Close("no longer a backend");
      it = links_.erase(it);
    } else {
      ++it;
    }
  }
}

BackendLink& Worker::LinkTo(const Backend& backend) {
  auto& link = links_[LinkKey(backend)];
  if (!link) link = std::make_shared<BackendLink>(io_, backend, config_.backend_timeout_ms);
  return *link;
}

void Worker::StartSweep() {
  sweep_.expires_after(std::chrono::milliseconds(200));
  sweep_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    uint64_t now_ms = TickMicros() / 1000;
    for (auto& [key, link] : links_) link->CheckOverdue(now_ms);
    StartSweep();
  });
}

}  // namespace kvd::proxy
