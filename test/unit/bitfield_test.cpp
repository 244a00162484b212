// BITFIELD's fields and overflow rules and BITOP's combination, without a server.
#include <doctest/doctest.h>

#include "storage/types/bitfield.h"

namespace kvd::storage {
namespace {

BitfieldOp Op(BitfieldOp::Kind kind, bool is_signed, int bits, uint64_t offset, int64_t value = 0,
              BitfieldOverflow overflow = BitfieldOverflow::kWrap) {
  BitfieldOp op;
  op.kind = kind;
  op.is_signed = is_signed;
  op.bits = bits;
  op.offset = offset;
  op.value = value;
  op.overflow = overflow;
  return op;
}

constexpr auto kGet = BitfieldOp::Kind::kGet;
constexpr auto kSet = BitfieldOp::Kind::kSet;
constexpr auto kIncr = BitfieldOp::Kind::kIncrBy;

TEST_CASE("bitfield: fields are read big-endian at any bit offset, past the end as zeros") {
  std::string value("\x81\xff", 2);  // 1000 0001 1111 1111
  auto replies = RunBitfield(&value, {Op(kGet, false, 8, 0), Op(kGet, false, 4, 4), Op(kGet, true, 4, 4),
                                      Op(kGet, false, 8, 12), Op(kGet, true, 64, 0)});
  CHECK(replies[0] == 0x81);
  CHECK(replies[1] == 1);
  CHECK(replies[2] == 1);
  CHECK(replies[3] == 0xf0);  // four ones, then four bits past the end
  CHECK(replies[4] == static_cast<int64_t>(0x81ff000000000000ULL));
}

TEST_CASE("bitfield: SET answers the old value, INCRBY the new one, each overflow rule as Redis") {
  std::string value(2, '\0');
  auto replies = RunBitfield(&value, {Op(kSet, false, 8, 0, 200), Op(kIncr, false, 8, 0, 100),
                                      Op(kIncr, false, 8, 0, 100, BitfieldOverflow::kSat),
                                      Op(kIncr, false, 8, 0, 1, BitfieldOverflow::kFail),
                                      Op(kIncr, false, 8, 0, -300, BitfieldOverflow::kSat)});
  CHECK(replies[0] == 0);
  CHECK(replies[1] == 44);   // 300 wraps to 44
  CHECK(replies[2] == 144);  // 44 + 100 fits
  CHECK(replies[3] == 145);
  CHECK(replies[4] == 0);    // saturates at the bottom
  // Signed: wrapping crosses from the top to the bottom.
  replies = RunBitfield(&value, {Op(kSet, true, 4, 0, 7), Op(kIncr, true, 4, 0, 1), Op(kIncr, true, 4, 0, -1, BitfieldOverflow::kFail),
                                 Op(kIncr, true, 4, 0, -100, BitfieldOverflow::kSat)});
  CHECK(replies[1] == -8);
  CHECK(!replies[2].has_value());  // -9 does not fit: FAIL changes nothing
  CHECK(replies[3] == -8);
  // A negative SET to an unsigned field overflows upwards (Redis reads it as unsigned).
  replies = RunBitfield(&value, {Op(kSet, false, 8, 8, -1, BitfieldOverflow::kSat), Op(kGet, false, 8, 8),
                                 Op(kSet, false, 8, 8, -1, BitfieldOverflow::kFail)});
  CHECK(replies[1] == 255);
  CHECK(!replies[2].has_value());
}

TEST_CASE("bitfield: i64 and u63 edges wrap and saturate without overflowing") {
  std::string value(8, '\0');
  auto replies = RunBitfield(&value, {Op(kSet, true, 64, 0, INT64_MIN), Op(kIncr, true, 64, 0, -1),
                                      Op(kIncr, true, 64, 0, 1, BitfieldOverflow::kSat),
                                      Op(kSet, false, 63, 0, INT64_MAX), Op(kIncr, false, 63, 0, 1),
                                      Op(kIncr, false, 63, 0, -1, BitfieldOverflow::kSat)});
  CHECK(replies[1] == INT64_MAX);
  CHECK(replies[2] == INT64_MAX);
  CHECK(replies[4] == 0);
  CHECK(replies[5] == 0);
  CHECK(BitfieldWriteEnd({Op(kGet, false, 8, 1000), Op(kSet, true, 5, 3), Op(kIncr, false, 8, 9)}) == 3);
  CHECK(BitfieldWriteEnd({Op(kGet, false, 8, 1000)}) == 0);
}

TEST_CASE("bitfield: the bytes SET and INCRBY may change tell whether they changed anything") {
  std::string value("\x01\xF0\x00", 3);
  std::vector<BitfieldOp> same = {Op(BitfieldOp::Kind::kSet, false, 8, 0, 1), Op(BitfieldOp::Kind::kGet, false, 8, 8),
                                  Op(BitfieldOp::Kind::kIncrBy, true, 4, 8, 0)};
  auto before = WrittenBytes(value, same);
  CHECK(before.size() == 2);  // GET changes nothing
  RunBitfield(&value, same);
  CHECK(SameBytes(value, before));

  std::vector<BitfieldOp> changing = {Op(BitfieldOp::Kind::kIncrBy, false, 3, 13, 1)};
  before = WrittenBytes(value, changing);
  RunBitfield(&value, changing);
  CHECK_FALSE(SameBytes(value, before));
  CHECK(value == std::string("\x01\xF1\x00", 3));
  // A SET that writes back what was there is no change, even across a byte boundary.
  std::vector<BitfieldOp> back = {Op(BitfieldOp::Kind::kSet, false, 12, 4, 0x1F1)};
  before = WrittenBytes(value, back);
  RunBitfield(&value, back);
  CHECK(SameBytes(value, before));
}

TEST_CASE("bitop: the longest source sets the length, shorter ones read as zeros") {
  CHECK(CombineBits(BitOperation::kAnd, {"abc", "x"}) == std::string("\x60\x00\x00", 3));
  CHECK(CombineBits(BitOperation::kOr, {"a", "", "\x02"}) == "c");
  CHECK(CombineBits(BitOperation::kXor, {"ab", "ab"}) == std::string(2, '\0'));
  CHECK(CombineBits(BitOperation::kNot, {std::string("\x0f\xff", 2)}) == std::string("\xf0\x00", 2));
  CHECK(CombineBits(BitOperation::kAnd, {"", ""}).empty());
}

}  // namespace
}  // namespace kvd::storage
