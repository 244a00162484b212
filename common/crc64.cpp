#include "common/crc64.h"

#include <array>

namespace kvd {

namespace {

// 0xad93d23594c935a9 with its bits in reverse order, for the reflected form.
constexpr uint64_t kJonesReflected = 0x95AC9329AC4BC9B5ULL;

std::array<uint64_t, 256> MakeTable() {
  std::array<uint64_t, 256> table{};
  for (uint64_t byte = 0; byte < 256; ++byte) {
    uint64_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kJonesReflected : 0);
    table[byte] = crc;
  }
  return table;
}

}  // namespace

uint64_t Crc64Extend(uint64_t crc, std::string_view bytes) {
  static const std::array<uint64_t, 256> table = MakeTable();
  for (unsigned char byte : bytes) crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc;
}

}  // namespace kvd
