#include "storage/binlog_record.h"

#include <cstring>

namespace kvd::storage {
namespace {

constexpr char kMagic = 'K';
constexpr char kVersion = 1;

size_t VarintLength(uint64_t value) {
  size_t length = 1;
  for (; value >= 0x80; value >>= 7) ++length;
  return length;
}

char* PutVarint(char* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

bool GetVarint(std::string_view* in, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

}  // namespace

// Sized first, then filled in one pass: this runs once per write command.
void EncodeBinlogRecordInto(std::string* out, uint64_t time_ms, uint8_t db, const std::vector<std::string>& args) {
  size_t total = 11 + VarintLength(args.size());
  for (const auto& arg : args) total += VarintLength(arg.size()) + arg.size();
  out->resize(total);
  char* at = out->data();
  *at++ = kMagic;
  *at++ = kVersion;
  for (int i = 0; i < 8; ++i) *at++ = static_cast<char>(time_ms >> (8 * i));
  *at++ = static_cast<char>(db);
  at = PutVarint(at, args.size());
  for (const auto& arg : args) {
    at = PutVarint(at, arg.size());
    if (!arg.empty()) std::memcpy(at, arg.data(), arg.size());
    at += arg.size();
  }
}

std::string EncodeBinlogRecord(uint64_t time_ms, uint8_t db, const std::vector<std::string>& args) {
  std::string out;
  EncodeBinlogRecordInto(&out, time_ms, db, args);
  return out;
}

std::string EncodeBinlogRecord(const BinlogRecord& record) {
  return EncodeBinlogRecord(record.time_ms, record.db, record.args);
}

Result<BinlogRecord> DecodeBinlogRecord(std::string_view blob) {
  if (blob.size() < 11 || blob[0] != kMagic) return Status::Corruption("not a kvd binlog record");
  if (blob[1] != kVersion) {
    return Status::Corruption("binlog record version " + std::to_string(static_cast<uint8_t>(blob[1])) +
                              " is not supported by this kvd");
  }
  BinlogRecord record;
  for (int i = 0; i < 8; ++i) record.time_ms |= static_cast<uint64_t>(static_cast<uint8_t>(blob[2 + i])) << (8 * i);
  record.db = static_cast<uint8_t>(blob[10]);
  std::string_view rest = blob.substr(11);
  uint64_t argc = 0;
  if (!GetVarint(&rest, &argc) || argc > rest.size()) return Status::Corruption("truncated binlog record");
  record.args.reserve(argc);
  for (uint64_t i = 0; i < argc; ++i) {
    uint64_t length = 0;
    if (!GetVarint(&rest, &length) || length > rest.size()) return Status::Corruption("truncated binlog record");
    record.args.emplace_back(rest.substr(0, length));
    rest.remove_prefix(length);
  }
  if (!rest.empty()) return Status::Corruption("trailing bytes after binlog record");
  return record;
}

}  // namespace kvd::storage
