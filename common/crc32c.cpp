#include "common/crc32c.h"

#include <array>

namespace kvd {

namespace {

constexpr uint32_t kCastagnoliReflected = 0x82F63B78u;

// Slicing-by-8: table k maps a byte to its CRC contribution k bytes further on,
// so eight input bytes cost eight lookups and no per-bit work.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

CrcTables MakeCrcTables() {
  CrcTables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kCastagnoliReflected : 0);
    tables[0][byte] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t byte = 0; byte < 256; ++byte) {
      uint32_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
    }
  }
  return tables;
}

const CrcTables& Tables() {
  static const CrcTables tables = MakeCrcTables();
  return tables;
}

uint32_t LoadLittleEndian32(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

void Crc32c::Update(std::string_view bytes) {
  const CrcTables& t = Tables();
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  uint32_t crc = state_;
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t low = crc ^ LoadLittleEndian32(p);
    uint32_t high = LoadLittleEndian32(p + 4);
    crc = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24] ^
          t[3][high & 0xFF] ^ t[2][(high >> 8) & 0xFF] ^ t[1][(high >> 16) & 0xFF] ^ t[0][high >> 24];
  }
  for (; n > 0; ++p, --n) crc = t[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
  state_ = crc;
}

uint32_t Crc32cOf(std::string_view bytes) {
  Crc32c crc;
  crc.Update(bytes);
  return crc.value();
}

uint32_t Crc32cExtend(uint32_t crc, std::string_view bytes) {
  Crc32c continued(crc);
  continued.Update(bytes);
  return continued.value();
}

}  // namespace kvd
