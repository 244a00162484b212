// MONITOR: every command the server runs, as one line to each monitoring
// client — `+<unix seconds>.<micros> [<db> <client address>] "name" "arg"...`
// with arguments quoted as Redis quotes them. With no monitor the cost per
// command is one relaxed atomic load.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kvd::server {

class ClientState;

// The monitor line for one command (pure). AUTH's and HELLO's arguments are
// shown as "(redacted)", as Redis does, so passwords never reach a monitor.
std::string FormatMonitorLine(uint64_t unix_micros, int db, const std::string& address,
                              const std::vector<std::string>& args);

class MonitorRegistry {
 public:
  void Add(const std::shared_ptr<ClientState>& client);
  void Remove(uint64_t client_id);
  bool Active() const { return count_.load(std::memory_order_relaxed) != 0; }
  // Sends the line to every monitor.
  void Feed(const std::string& line);

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, std::weak_ptr<ClientState>> monitors_;
  std::atomic<size_t> count_{0};
};

}  // namespace kvd::server
