#include "common/tick_clock.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define KVD_HAVE_TSC 1
#endif

namespace kvd {
namespace {

uint64_t SteadyMicros() {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

#ifdef KVD_HAVE_TSC
bool InvariantTsc() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    bool constant = false, nonstop = false;
    std::string word;
    while (words >> word) {
      constant = constant || word == "constant_tsc";
      nonstop = nonstop || word == "nonstop_tsc";
    }
    return constant && nonstop;
  }
  return false;
}

// Microseconds per tick, measured against the steady clock over 2 ms; 0 when
// the counter cannot be trusted.
double MeasureMicrosPerTick() {
  if (!InvariantTsc()) return 0;
  auto start = std::chrono::steady_clock::now();
  uint64_t first = __rdtsc();
  std::chrono::steady_clock::time_point now;
  do {
    now = std::chrono::steady_clock::now();
  } while (now - start < std::chrono::milliseconds(2));
  uint64_t ticks = __rdtsc() - first;
  double micros = std::chrono::duration<double, std::micro>(now - start).count();
  return ticks == 0 ? 0 : micros / static_cast<double>(ticks);
}
#endif

}  // namespace

uint64_t TickMicros() {
#ifdef KVD_HAVE_TSC
  static const double micros_per_tick = MeasureMicrosPerTick();
  if (micros_per_tick > 0) return static_cast<uint64_t>(static_cast<double>(__rdtsc()) * micros_per_tick);
#endif
  return SteadyMicros();
}

}  // namespace kvd
