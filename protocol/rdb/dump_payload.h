// The DUMP payload: one value in Redis's RDB serialization, then the RDB
// version (2 bytes, little-endian) and a CRC-64 (8 bytes, little-endian) of
// everything before it. DUMP and RESTORE exchange values with redis-server
// and between kvd servers in this form.
//
// Encoding writes the plain RDB types every Redis since 2.x loads (string,
// list, set, hash, and zset with binary scores) under RDB version 10, the one
// Redis 7.0 writes and accepts. Decoding also takes the packed forms Redis
// writes (listpack, ziplist, intset, quicklist, LZF-compressed and
// integer-encoded strings) up to RDB version 12. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kvd::protocol::rdb {

enum class ValueKind { kString, kList, kSet, kZSet, kHash };

struct DumpedValue {
  ValueKind kind = ValueKind::kString;
  std::string string;                                        // kString
  std::vector<std::string> elements;                         // kList (in order), kSet
  std::vector<std::pair<std::string, std::string>> fields;   // kHash
  std::vector<std::pair<std::string, double>> scored;        // kZSet
};

inline constexpr uint16_t kWrittenRdbVersion = 10;
inline constexpr uint16_t kNewestReadRdbVersion = 12;

// Redis's error texts for a payload RESTORE refuses.
inline constexpr const char* kBadVersionOrChecksum = "ERR DUMP payload version or checksum are wrong";
inline constexpr const char* kBadDataFormat = "ERR Bad data format";

std::string EncodeDumpPayload(const DumpedValue& value);

// InvalidArgument with one of the texts above when the footer does not check
// out or the value cannot be decoded. Empty collections, duplicate members or
// fields and NaN scores count as bad data, as in Redis.
Result<DumpedValue> DecodeDumpPayload(std::string_view payload);

}  // namespace kvd::protocol::rdb
