// Who is connected: for CLIENT LIST/KILL, INFO clients, maxclients and the
// idle-timeout sweep. A connection registers its ClientState on accept.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kvd::server {

class ClientState {
 public:
  ClientState(uint64_t id, std::string addr, std::string laddr, uint64_t now_ms)
      : id(id), addr(std::move(addr)), laddr(std::move(laddr)), created_ms(now_ms), last_interaction_ms(now_ms) {}

  const uint64_t id;
  const std::string addr;   // peer "ip:port"
  const std::string laddr;  // local "ip:port"
  const uint64_t created_ms;
  std::atomic<uint64_t> last_interaction_ms;
  std::atomic<int> db{0};
  std::atomic<bool> authenticated{false};

  // Touched only by the connection's own thread.
  int protocol = 2;

  std::string name() const;
  void set_name(std::string name);
  std::string last_command() const;
  void set_last_command(std::string_view name);

  // Closes the connection from any thread (CLIENT KILL, timeout, shutdown).
  void RequestClose() const {
    if (close_) close_();
  }
  void set_close(std::function<void()> close) { close_ = std::move(close); }

 private:
  mutable std::mutex mutex_;
  std::string name_;
  std::string last_command_ = "NULL";
  std::function<void()> close_;
};

class ClientRegistry {
 public:
  uint64_t NextId() { return next_id_.fetch_add(1); }
  // False when `max_clients` are connected already.
  bool Register(std::shared_ptr<ClientState> client, size_t max_clients);
  void Unregister(uint64_t id);
  size_t Count() const;
  std::vector<std::shared_ptr<ClientState>> List() const;
  void CloseAll();

 private:
  std::atomic<uint64_t> next_id_{1};
  mutable std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<ClientState>> clients_;
};

}  // namespace kvd::server
