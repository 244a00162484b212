// The binlog's logical record: which command a write came from, in the form
// that replays it (EXPIRE becomes PEXPIREAT, SPOP becomes SREM, an expiry the
// server performed becomes DEL). It travels as RocksDB "log data" inside the
// WriteBatch of the write it describes, so it reaches the WAL — kvd's binlog —
// atomically with the data and never costs a memtable entry.
//
// Encoding: 'K' 0x01 | time_ms fixed64 LE | db u8 | argc varint | (len varint, bytes)*
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kvd::storage {

struct BinlogRecord {
  uint64_t time_ms = 0;
  uint8_t db = 0;
  std::vector<std::string> args;  // as it replays, e.g. {"PEXPIREAT", "k", "1700000000000"}
};

std::string EncodeBinlogRecord(const BinlogRecord& record);
// The same, from the parts: a write command encodes its arguments without copying them.
std::string EncodeBinlogRecord(uint64_t time_ms, uint8_t db, const std::vector<std::string>& args);
// The same into `out` (replacing what it held), so a caller can reuse its buffer.
void EncodeBinlogRecordInto(std::string* out, uint64_t time_ms, uint8_t db, const std::vector<std::string>& args);
// Corruption when `blob` is not a binlog record of a version this build reads.
Result<BinlogRecord> DecodeBinlogRecord(std::string_view blob);

}  // namespace kvd::storage
