// CRC-64 in the variant Redis puts at the end of RDB files and DUMP payloads
// ("Jones": polynomial 0xad93d23594c935a9, reflected, initial value 0, no
// final xor). Incremental, table-driven.
#pragma once

#include <cstdint>
#include <string_view>

namespace kvd {

// The CRC of what `crc` covered followed by `bytes` (0 starts afresh).
uint64_t Crc64Extend(uint64_t crc, std::string_view bytes);
inline uint64_t Crc64Of(std::string_view bytes) { return Crc64Extend(0, bytes); }

}  // namespace kvd
