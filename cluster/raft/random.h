// A tiny seedable PRNG (SplitMix64). The Raft core draws its randomized
// election timeouts from it so that a run is fully determined by the seed in
// its Config: simulation tests replay a failing schedule exactly. Not for
// anything security related.
#pragma once

#include <cstdint>

namespace kvd::cluster::raft {

class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform enough in [0, bound) for timeouts and test schedules; 0 when
  // bound is 0.
  uint64_t Below(uint64_t bound) { return bound == 0 ? 0 : Next() % bound; }

  // True with probability `percent` / 100.
  bool Percent(uint64_t percent) { return Below(100) < percent; }

 private:
  uint64_t state_;
};

}  // namespace kvd::cluster::raft
