// One io thread of the proxy: its clients, its own connections to the
// backends (so no lock is taken on the request path) and its copy of the
// routing and key tables, replaced whole when the topology changes.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "roles/proxy/backend_link.h"
#include "roles/proxy/key_table.h"
#include "roles/proxy/options.h"
#include "roles/proxy/routes.h"

namespace kvd::proxy {

struct ProxyStats {
  std::atomic<uint64_t> connected_clients{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> total_commands{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> next_client_id{1};
  uint64_t start_ms = 0;
};

class Worker {
 public:
  Worker(const ProxyConfig& config, ProxyStats& stats);

  boost::asio::io_context& io() { return io_; }
  const ProxyConfig& config() const { return config_; }
  ProxyStats& stats() { return stats_; }
  // Null until the first topology (routes) and the first COMMAND reply (keys) arrive.
  const RouteTable* routes() const { return routes_.get(); }
  const std::shared_ptr<const RouteTable>& shared_routes() const { return routes_; }
  const KeyTable* keys() const { return keys_.get(); }

  // Call on this worker's thread (post to io()).
  void SetRoutes(std::shared_ptr<const RouteTable> routes);
  void SetKeys(std::shared_ptr<const KeyTable> keys) { keys_ = std::move(keys); }
  // This thread's link to `backend`, made on first use.
  BackendLink& LinkTo(const Backend& backend);
  // Starts the periodic check for backends that stopped answering.
  void StartSweep();

 private:
  static std::string LinkKey(const Backend& backend) { return backend.address + '\n' + backend.auth_pass; }

  boost::asio::io_context io_{1};
  const ProxyConfig& config_;
  ProxyStats& stats_;
  std::shared_ptr<const RouteTable> routes_;
  std::shared_ptr<const KeyTable> keys_;
  std::unordered_map<std::string, std::shared_ptr<BackendLink>> links_;
  boost::asio::steady_timer sweep_{io_};
};

}  // namespace kvd::proxy
