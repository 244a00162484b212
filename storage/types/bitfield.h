// The bit-level string commands' pure parts: BITFIELD's integer fields at any
// bit offset (big-endian bit order, as SETBIT numbers bits) with Redis's
// overflow rules, and BITOP's byte-wise combination of values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::storage {

enum class BitfieldOverflow { kWrap, kSat, kFail };

struct BitfieldOp {
  enum class Kind { kGet, kSet, kIncrBy };
  Kind kind = Kind::kGet;
  bool is_signed = false;
  int bits = 8;          // 1..64 signed, 1..63 unsigned
  uint64_t offset = 0;   // in bits
  int64_t value = 0;     // SET's value, INCRBY's increment
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
};

// Runs `ops` in order over `value`, which must already hold every byte a
// SET or INCRBY touches (bytes past its end read as zero). Per op: GET the
// field, SET the old value, INCRBY the new one; nullopt when FAIL refused it.
std::vector<std::optional<int64_t>> RunBitfield(std::string* value, const std::vector<BitfieldOp>& ops);

// The byte length a value needs for every SET and INCRBY of `ops` (0: none writes).
uint64_t BitfieldWriteEnd(const std::vector<BitfieldOp>& ops);

// The bytes the SET and INCRBY ops of `ops` may change, read from `value`
// (which holds them all) before RunBitfield: after it, SameBytes says whether
// the ops changed nothing, which Redis 7 does not count as a write.
struct ByteSpan {
  uint64_t first = 0;
  std::string bytes;
};
std::vector<ByteSpan> WrittenBytes(const std::string& value, const std::vector<BitfieldOp>& ops);
bool SameBytes(const std::string& value, const std::vector<ByteSpan>& before);

enum class BitOperation { kAnd, kOr, kXor, kNot };

// BITOP: the result is as long as the longest source, shorter ones (and
// missing keys, passed as empty) read as zero bytes. NOT takes one source.
std::string CombineBits(BitOperation op, const std::vector<std::string>& sources);

}  // namespace kvd::storage
