// Key → slot hashing shared by the storage encoding and the proxy:
// CRC-32/IEEE of the key (or of its {hash tag}) modulo 1024, as in codis.
#pragma once

#include <cstdint>
#include <string_view>

namespace kvd::cluster {

constexpr uint16_t kSlotCount = 1024;

uint32_t Crc32(std::string_view data);
// The part of the key that is hashed: the text between the first '{' and the
// next '}' when that is non-empty, otherwise the whole key (Redis Cluster's rule).
std::string_view HashTag(std::string_view key);
uint16_t SlotOf(std::string_view key);

}  // namespace kvd::cluster
