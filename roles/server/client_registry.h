// Who is connected: for CLIENT LIST/KILL, INFO clients, maxclients and the
// idle-timeout sweep. A connection registers its ClientState on accept.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "roles/server/watch_registry.h"

namespace kvd::server {

// Per-connection state that only the connection's own thread touches.
struct Session {
  bool in_multi = false;
  bool multi_failed = false;  // a command queued in MULTI was refused: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  Watcher watcher;
  std::set<std::string> channels;
  std::set<std::string> patterns;
  std::set<std::string> shard_channels;  // SSUBSCRIBE
  uint16_t replica_listening_port = 0;  // REPLCONF listening-port from a replica
  // CLIENT REPLY: OFF drops every reply; SKIP drops the next command's.
  bool replies_off = false;
  bool skip_this_reply = false;  // the command running now answers nothing
  bool skip_next_reply = false;  // set by CLIENT REPLY SKIP, for the command after it
  // What (P)SUBSCRIBE's confirmations count, as Redis does; shard channels count apart.
  size_t subscriptions() const { return channels.size() + patterns.size(); }
  // Whether the connection is in the subscribed context (any kind).
  bool subscribed_any() const { return subscriptions() + shard_channels.size() > 0; }
};

// Why a blocked client is woken: a key it waits on was written, CLIENT
// UNBLOCK (answer as on timeout, or with an -UNBLOCKED error), or CLIENT
// UNPAUSE (a postponed command runs now).
enum class WakeReason { kKeyWritten, kUnblockAsTimeout, kUnblockWithError, kPauseEnded };

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
  std::atomic<int> protocol{2};  // RESP version; changed by HELLO
  // A blocked or subscribed client waits for the server on purpose: like
  // Redis, the idle timeout leaves it alone (a blocked pop has its own timeout).
  std::atomic<bool> blocked{false};
  std::atomic<bool> subscribed{false};
  std::atomic<bool> postponed{false};   // held by CLIENT PAUSE (CLIENT UNBLOCK leaves it alone, as Redis)
  std::atomic<bool> monitoring{false};  // after MONITOR: receives every command as a line
  bool ExemptFromIdleTimeout() const { return blocked.load() || subscribed.load(); }
  Session session;

  std::string name() const;
  void set_name(std::string name);
  std::string last_command() const;
  void set_last_command(std::string_view name);

  // Callable from any thread; each runs on the connection's own thread.
  void RequestClose() const {  // CLIENT KILL, idle timeout, shutdown
    if (close_) close_();
  }
  void Push(std::string bytes) const {  // pub/sub messages
    if (push_) push_(std::move(bytes));
  }
  void Wake(WakeReason reason = WakeReason::kKeyWritten) const {
    if (wake_) wake_(reason);
  }
  void set_hooks(std::function<void()> close, std::function<void(std::string)> push,
                 std::function<void(WakeReason)> wake) {
    close_ = std::move(close);
    push_ = std::move(push);
    wake_ = std::move(wake);
  }

 private:
  mutable std::mutex mutex_;
  std::string name_;
  std::string last_command_ = "NULL";
  std::function<void()> close_;
  std::function<void(std::string)> push_;
  std::function<void(WakeReason)> wake_;
};

class ClientRegistry {
 public:
  uint64_t NextId() { return next_id_.fetch_add(1); }
  // False when `max_clients` are connected already.
  bool Register(std::shared_ptr<ClientState> client, size_t max_clients);
  void Unregister(uint64_t id);
  size_t Count() const;
  std::vector<std::shared_ptr<ClientState>> List() const;
  // Runs the commands a pause held (after CLIENT UNPAUSE, or a FAILOVER's end).
  void WakePostponed() const;
  void CloseAll();

 private:
  std::atomic<uint64_t> next_id_{1};
  mutable std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<ClientState>> clients_;
};

}  // namespace kvd::server
