// Comparing kvd with a real redis-server: a Debian redis-server the test
// starts on a free port (stopped by pid), and an exact text form of replies.
#pragma once

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

}  // namespace kvdtest
