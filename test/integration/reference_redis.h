// Comparing kvd with a real redis-server: a Debian redis-server the test
// starts on a free port (stopped by pid), and an exact text form of replies.
#pragma once

#include <functional>
#include <memory>
#include <sys/types.h>

#include "harness.h"

namespace kvdtest {

// A reply with every type spelled out: "1" and 1 differ, and so do set, map and array.
std::string Exact(const RespValue& value);
std::string ExactCall(RespClient& client, const Args& args);
// A command as one line, for failure messages.
std::string Joined(const Args& args);

class ReferenceRedis {
 public:
  explicit ReferenceRedis(Args extra_args = {}) : extra_args_(std::move(extra_args)) {}
  ~ReferenceRedis();
  ReferenceRedis(const ReferenceRedis&) = delete;
  ReferenceRedis& operator=(const ReferenceRedis&) = delete;

  // False when /usr/bin/redis-server is missing or does not answer.
  bool Start();
  std::unique_ptr<RespClient> Connect();
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGKILL and reap.
  void Kill9();
  // Starts again on the same port and directory (after Kill9), with these arguments instead.
  bool Restart(Args extra_args);

 private:
  Args extra_args_;
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A Debian redis-server and a kvd side by side, one client each. Without
// redis-server installed, `ready()` is false (after saying so) and nothing else is started.
class SideBySide {
 public:
  SideBySide();
  bool ready() const { return kvd_ != nullptr; }
  ReferenceRedis& redis() { return redis_; }
  RespClient& reference() { return *reference_; }
  KvdServer& server() { return kvd_->server; }
  RespClient& kvd() { return *kvd_->client; }

 private:
  ReferenceRedis redis_;
  std::unique_ptr<RespClient> reference_;
  std::unique_ptr<ServerWithClient> kvd_;
};

// Random commands sent to redis-server and to kvd alike: every reply must agree.
struct RandomComparison {
  int steps = 4000;
  std::function<Args()> next_command;
  // What must agree of a reply (default: its exact text); normalizes what may differ.
  std::function<std::string(const Args& command, const RespValue& reply)> comparable;
  // Called before each step (checks of whole values, protocol switches...).
  std::function<void(int step)> before_step;
};
// Fails the test at each differing reply, stopping after five.
void CompareWithReference(RespClient& reference, RespClient& kvd, const RandomComparison& comparison);

}  // namespace kvdtest
