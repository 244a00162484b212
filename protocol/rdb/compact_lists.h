// Redis's packed element lists, as they appear inside RDB values: listpack
// (Redis 7), ziplist (before 7) and intset. Each decoder returns the elements
// in order, integers as their decimal text, or Corruption for any byte that
// does not fit the format (a length past the end, a missing terminator, a
// header that disagrees with the contents). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kvd::protocol::rdb {

// The unsigned and the two's-complement value of `bytes` (at most 8) read little-endian.
uint64_t LittleEndian(std::string_view bytes);
int64_t SignedLittleEndian(std::string_view bytes);

Result<std::vector<std::string>> DecodeListpack(std::string_view blob);
Result<std::vector<std::string>> DecodeZiplist(std::string_view blob);
Result<std::vector<std::string>> DecodeIntset(std::string_view blob);

}  // namespace kvd::protocol::rdb
