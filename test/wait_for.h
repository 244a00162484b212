// Polling with a deadline, for unit and integration tests alike: a test waits
// for a condition, never for a fixed time.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace kvd::test {

// Polls `condition` (every few milliseconds) until it is true or `timeout` passed.
inline bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling interval, not synchronisation
  }
  return true;
}

}  // namespace kvd::test
