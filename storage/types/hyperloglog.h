// HyperLogLog values as Redis 7.0 keeps them in a string, so that PFCOUNT
// gives the same estimate Redis gives for the same elements: 16384 six-bit
// registers addressed by MurmurHash64A (seed 0xadc83b19), Ertl's improved
// estimator, and the "HYLL" string layout (16-byte header; dense 6-bit
// packing or sparse ZERO/XZERO/VAL runs). Pure functions, no storage.
//
// Sparse values are written in canonical form (the shortest runs, in order),
// which Redis's in-place updates do not always produce: the registers, and
// so every count, are the same; the bytes of a sparse value may differ.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kvd::storage {

constexpr size_t kHllRegisters = 16384;
using HllRegisters = std::array<uint8_t, kHllRegisters>;

// Redis's error texts for a string that is not an HLL, and for a broken one.
inline constexpr const char* kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr const char* kCorruptHll = "INVALIDOBJ Corrupted HLL object detected";

uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

// The register an element lands in and the value it proposes (1..51).
struct HllPattern {
  size_t index;
  uint8_t count;
};
HllPattern HllPatternOf(std::string_view element);

// Reads a value written by Redis or by kvd. InvalidArgument with kNotHll or
// kCorruptHll. `dense` tells which layout it had.
Status DecodeHll(std::string_view value, HllRegisters* registers, bool* dense);
// Sparse while the registers allow (every value <= 32 and at most 3000 bytes,
// Redis's hll-sparse-max-bytes) unless `dense` is asked for; the cached
// cardinality is marked invalid.
std::string EncodeHll(const HllRegisters& registers, bool dense);

uint64_t EstimateCardinality(const HllRegisters& registers);

}  // namespace kvd::storage
