// LZF decompression: Redis compresses long strings with it in RDB files and
// DUMP payloads. The format: a control byte below 32 copies the next
// control+1 bytes literally; any other is a back reference of length
// (control >> 5) + 2 (7 means a further length byte follows) to the output
// ((control & 31) << 8) + next byte + 1 bytes back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kvd {

// Exactly `expected_size` bytes, or Corruption when the input is malformed,
// ends early, points before the output's start or yields another size.
Result<std::string> LzfDecompress(std::string_view compressed, size_t expected_size);

}  // namespace kvd
