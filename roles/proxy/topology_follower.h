// Where the proxy's tables come from, on threads of their own (blocking
// clients, off the io threads):
// - the routing table: read once from a snapshot file (--slots), or read
//   from the sentinels and re-read whenever TOPOLOGY WATCH says it changed
//   (--sentinels; on a failure the next sentinel is tried), so a failover
//   or a slot assignment reaches the proxy within a round trip;
// - the key table: COMMAND, asked of the backends until one answers;
// - with --sentinels, the proxy's own entry in the topology (id, address,
//   last seen), proposed to the Raft leader now and then and withdrawn on a
//   clean stop, so operators and clients can find the proxies.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "protocol/resp_client.h"
#include "roles/proxy/key_table.h"
#include "roles/proxy/options.h"
#include "roles/proxy/routes.h"

namespace kvd::proxy {

class TopologyFollower {
 public:
  using RoutesSink = std::function<void(std::shared_ptr<const RouteTable>)>;
  using KeysSink = std::function<void(std::shared_ptr<const KeyTable>)>;

  TopologyFollower(const ProxyConfig& config, RoutesSink routes_sink, KeysSink keys_sink);
  ~TopologyFollower();

  // File mode: reads and publishes the slot map (an error stops start-up).
  Status LoadFile();
  void Start();
  void Stop();

 private:
  void FollowSentinels();
  // One session with one sentinel: read, publish, watch, until it fails.
  Status FollowOne(const std::string& address);
  void LoadKeyTable();
  void KeepRegistered();
  // Proposes `command` (JSON) to whichever sentinel leads; true once applied.
  bool ProposeToLeader(const std::string& command);
  Result<std::shared_ptr<const KeyTable>> AskForCommands(const Backend& backend);
  void Publish(std::shared_ptr<const RouteTable> routes);
  // Waits up to `ms`; false once Stop was called.
  bool Pause(int ms);

  const ProxyConfig& config_;
  RoutesSink routes_sink_;
  KeysSink keys_sink_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::shared_ptr<const RouteTable> routes_;  // the last published
  protocol::RespClient* watching_ = nullptr;  // shut down by Stop to end a long poll
  std::thread sentinel_thread_;
  std::thread keys_thread_;
  std::thread registration_thread_;
};

}  // namespace kvd::proxy
