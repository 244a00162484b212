// SLOWLOG: the commands that ran longer than slowlog-log-slower-than
// microseconds, newest first, at most slowlog-max-len of them, as Redis
// keeps them (long arguments and argument lists shortened the same way).
// Only a slow command takes the lock; every other one reads one atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace kvd::server {

struct SlowLogEntry {
  uint64_t id = 0;
  uint64_t unix_seconds = 0;
  uint64_t micros = 0;
  std::vector<std::string> args;  // shortened
  std::string client_addr;
  std::string client_name;
};

class SlowLog {
 public:
  // A negative threshold logs nothing, 0 everything.
  void Configure(int64_t slower_than_micros, int64_t max_len);
  bool IsSlow(uint64_t micros) const {
    int64_t threshold = threshold_.load(std::memory_order_relaxed);
    return threshold >= 0 && micros >= static_cast<uint64_t>(threshold);
  }
  void Add(uint64_t micros, const std::vector<std::string>& args, std::string client_addr, std::string client_name,
           uint64_t unix_seconds);
  // The newest `count` entries (all of them for SIZE_MAX), newest first.
  std::vector<SlowLogEntry> Latest(size_t count) const;
  size_t Length() const;
  void Reset();

 private:
  std::atomic<int64_t> threshold_{10000};
  mutable std::mutex mutex_;
  size_t max_len_ = 128;          // guarded by mutex_
  uint64_t next_id_ = 0;          // guarded by mutex_
  std::deque<SlowLogEntry> entries_;  // guarded by mutex_, newest first
};

// The arguments as the slow log keeps them, as Redis does: passwords (AUTH's
// arguments, HELLO's after AUTH) shown as "(redacted)"; at most 32 arguments
// (the last one then says how many more there were), each cut to 128 bytes
// with a note of how many more it had.
std::vector<std::string> LoggedArgs(const std::vector<std::string>& args);

}  // namespace kvd::server
