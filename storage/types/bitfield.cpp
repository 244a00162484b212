#include "storage/types/bitfield.h"

#include <algorithm>

namespace kvd::storage {
namespace {

uint64_t ReadField(std::string_view value, uint64_t offset, int bits) {
  uint64_t field = 0;
  for (int i = 0; i < bits; ++i) {
    uint64_t bit = offset + static_cast<uint64_t>(i);
    uint64_t byte = bit / 8;
    unsigned set = byte < value.size() ? (static_cast<unsigned char>(value[byte]) >> (7 - bit % 8)) & 1u : 0u;
    field = (field << 1) | set;
  }
  return field;
}

void WriteField(std::string* value, uint64_t offset, int bits, uint64_t field) {
  for (int i = 0; i < bits; ++i) {
    uint64_t bit = offset + static_cast<uint64_t>(i);
    auto& cell = reinterpret_cast<unsigned char&>((*value)[bit / 8]);
    unsigned char mask = static_cast<unsigned char>(1u << (7 - bit % 8));
    bool on = (field >> (bits - 1 - i)) & 1u;
    cell = on ? (cell | mask) : static_cast<unsigned char>(cell & ~mask);
  }
}

uint64_t LowBits(int bits) { return bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1; }

// The field's bits as the integer the type says (sign-extended for signed types).
int64_t AsInteger(uint64_t field, const BitfieldOp& op) {
  if (!op.is_signed || op.bits == 64) return static_cast<int64_t>(field);
  uint64_t sign = uint64_t{1} << (op.bits - 1);
  return static_cast<int64_t>((field ^ sign) - sign);
}

// `base` + `delta` stored in the op's type under its overflow rule; nullopt
// for an overflow under FAIL. `base` is the raw 64-bit start value: a field's
// integer, or SET's argument, which Redis reads as unsigned for an unsigned
// type (so a negative SET to a u8 overflows upwards).
std::optional<uint64_t> Fit(const BitfieldOp& op, int64_t base, int64_t delta) {
  __int128 exact = op.is_signed ? static_cast<__int128>(base) : static_cast<__int128>(static_cast<uint64_t>(base));
  exact += delta;
  __int128 max = op.is_signed ? (static_cast<__int128>(1) << (op.bits - 1)) - 1 : static_cast<__int128>(LowBits(op.bits));
  __int128 min = op.is_signed ? -max - 1 : 0;
  uint64_t wrapped = (static_cast<uint64_t>(base) + static_cast<uint64_t>(delta)) & LowBits(op.bits);
  if (exact >= min && exact <= max) return wrapped;
  switch (op.overflow) {
    case BitfieldOverflow::kWrap: return wrapped;
    case BitfieldOverflow::kSat: return static_cast<uint64_t>(exact > max ? max : min) & LowBits(op.bits);
    case BitfieldOverflow::kFail: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::optional<int64_t>> RunBitfield(std::string* value, const std::vector<BitfieldOp>& ops) {
  std::vector<std::optional<int64_t>> replies;
  replies.reserve(ops.size());
  for (const BitfieldOp& op : ops) {
    int64_t current = AsInteger(ReadField(*value, op.offset, op.bits), op);
    if (op.kind == BitfieldOp::Kind::kGet) {
      replies.emplace_back(current);
      continue;
    }
    bool set = op.kind == BitfieldOp::Kind::kSet;
    std::optional<uint64_t> stored = set ? Fit(op, op.value, 0) : Fit(op, current, op.value);
    if (!stored) {
      replies.emplace_back(std::nullopt);
      continue;
    }
    WriteField(value, op.offset, op.bits, *stored);
    replies.emplace_back(set ? current : AsInteger(*stored, op));
  }
  return replies;
}

uint64_t BitfieldWriteEnd(const std::vector<BitfieldOp>& ops) {
  uint64_t end = 0;
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) continue;
    end = std::max(end, (op.offset + static_cast<uint64_t>(op.bits) + 7) / 8);
  }
  return end;
}

std::vector<ByteSpan> WrittenBytes(const std::string& value, const std::vector<BitfieldOp>& ops) {
  std::vector<ByteSpan> spans;
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) continue;
    uint64_t first = op.offset / 8;
    uint64_t end = (op.offset + static_cast<uint64_t>(op.bits) + 7) / 8;
    spans.push_back({first, value.substr(first, end - first)});
  }
  return spans;
}

bool SameBytes(const std::string& value, const std::vector<ByteSpan>& before) {
  for (const ByteSpan& span : before) {
    if (value.compare(span.first, span.bytes.size(), span.bytes) != 0) return false;
  }
  return true;
}

std::string CombineBits(BitOperation op, const std::vector<std::string>& sources) {
  size_t length = 0;
  for (const std::string& source : sources) length = std::max(length, source.size());
  std::string result(length, '\0');
  if (op == BitOperation::kNot) {
    for (size_t i = 0; i < length; ++i) result[i] = static_cast<char>(~static_cast<unsigned char>(sources[0][i]));
    return result;
  }
  for (size_t i = 0; i < length; ++i) {
    auto byte_of = [i](const std::string& source) {
      return i < source.size() ? static_cast<unsigned char>(source[i]) : static_cast<unsigned char>(0);
    };
    unsigned char combined = byte_of(sources[0]);
    for (size_t s = 1; s < sources.size(); ++s) {
      unsigned char next = byte_of(sources[s]);
      if (op == BitOperation::kAnd) combined &= next;
      if (op == BitOperation::kOr) combined |= next;
      if (op == BitOperation::kXor) combined ^= next;
    }
    result[i] = static_cast<char>(combined);
  }
  return result;
}

}  // namespace kvd::storage
