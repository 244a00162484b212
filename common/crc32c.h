// CRC-32C (Castagnoli): the checksum of RocksDB's WAL records (which
// `kvd binlog` verifies) and of kvd's dump files. Table-driven, incremental.
#pragma once

#include <cstdint>
#include <string_view>

namespace kvd {

class Crc32c {
 public:
  // Continues from an earlier value() (0 starts afresh).
  explicit Crc32c(uint32_t previous = 0) : state_(~previous) {}
  void Update(std::string_view bytes);
  uint32_t value() const { return ~state_; }

 private:
  uint32_t state_;
};

uint32_t Crc32cOf(std::string_view bytes);
// The CRC of what `crc` covered followed by `bytes`.
uint32_t Crc32cExtend(uint32_t crc, std::string_view bytes);

}  // namespace kvd
