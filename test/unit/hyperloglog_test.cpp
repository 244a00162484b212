// HyperLogLog values without a server: the facts below were read from
// redis-server 7.0 (GET and PFCOUNT of the same elements).
#include <doctest/doctest.h>

#include <string>

#include "storage/types/hyperloglog.h"

namespace kvd::storage {
namespace {

HllRegisters Add(HllRegisters registers, int from, int to) {
  for (int i = from; i <= to; ++i) {
    HllPattern pattern = HllPatternOf(std::to_string(i));
    registers[pattern.index] = std::max(registers[pattern.index], pattern.count);
  }
  return registers;
}

TEST_CASE("hyperloglog: an element lands where Redis puts it, in Redis's sparse bytes") {
  HllPattern a = HllPatternOf("a");
  CHECK(a.index == 12711);
  CHECK(a.count == 2);
  HllRegisters registers{};
  registers[a.index] = a.count;
  // redis-cli: PFADD h a; GET h
  CHECK(EncodeHll(registers, false) == std::string("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80q\xa6\x84NW", 21));
  CHECK(EncodeHll(HllRegisters{}, false) == std::string("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff", 18));
}

TEST_CASE("hyperloglog: estimates equal Redis's, sparse and dense alike") {
  HllRegisters thousand = Add({}, 1, 1000);
  CHECK(EstimateCardinality(thousand) == 1001);           // redis: PFADD of 1..1000, PFCOUNT
  HllRegisters twenty_thousand = Add({}, 1, 20000);
  CHECK(EstimateCardinality(twenty_thousand) == 19891);  // redis: PFADD of 1..20000
  CHECK(EstimateCardinality(HllRegisters{}) == 0);
  for (bool dense : {false, true}) {
    std::string value = EncodeHll(thousand, dense);
    HllRegisters decoded{};
    bool was_dense = !dense;
    REQUIRE(DecodeHll(value, &decoded, &was_dense).ok());
    CHECK(was_dense == dense);
    CHECK(decoded == thousand);
  }
  // 20,000 elements do not fit 3000 sparse bytes: dense, 16 + 12288 bytes, as in Redis.
  CHECK(EncodeHll(twenty_thousand, false).size() == 12304);
}

TEST_CASE("hyperloglog: other strings and broken values are refused with Redis's errors") {
  HllRegisters registers{};
  bool dense = false;
  CHECK(DecodeHll("hello", &registers, &dense).message() == kNotHll);
  CHECK(DecodeHll(std::string("HYLL\x00", 5) + std::string(11, '\0'), &registers, &dense).message() == kNotHll);
  CHECK(DecodeHll(std::string("HYLL\x02", 5) + std::string(11, '\0'), &registers, &dense).message() == kNotHll);
  std::string short_sparse = std::string("HYLL\x01", 5) + std::string(11, '\0') + "\x7f";  // XZERO cut in half
  CHECK(DecodeHll(short_sparse, &registers, &dense).message() == kCorruptHll);
  std::string too_few = std::string("HYLL\x01", 5) + std::string(11, '\0') + "\x3f";  // 64 of 16384 registers
  CHECK(DecodeHll(too_few, &registers, &dense).message() == kCorruptHll);
}

}  // namespace
}  // namespace kvd::storage
