// Time as a dependency, so expiry logic can be tested without waiting.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace kvd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t NowMs() const = 0;
};

class SystemClock : public Clock {
 public:
  uint64_t NowMs() const override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  }
  static SystemClock* Instance() {
    static SystemClock clock;
    return &clock;
  }
};

// Milliseconds of a monotonic clock: for timeouts and intervals, never for
// timestamps shown to users (those come from a Clock).
inline uint64_t SteadyNowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

class ManualClock : public Clock {
 public:
  explicit ManualClock(uint64_t now_ms) : now_ms_(now_ms) {}
  uint64_t NowMs() const override { return now_ms_.load(); }
  void Advance(uint64_t ms) { now_ms_ += ms; }
  void Set(uint64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<uint64_t> now_ms_;
};

}  // namespace kvd
