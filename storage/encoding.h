// The on-disk encoding. Pure functions; every byte layout lives here.
//
//   meta   CF: [db:1][slot:2][user key]                     -> metadata (below)
//   data   CF: [db:1][slot:2][keylen:4][user key][version:8][field] -> value
//   zscore CF: [db:1][slot:2][keylen:4][user key][version:8][score:8][member] -> ""
//
//   metadata: [type:1][expire_ms:8]  then
//             string:     the value bytes
//             collection: [version:8][size:8][type-specific tail]
//
// All integers are big-endian so that keys sort numerically. The slot prefix
// makes one slot one contiguous key range (slot migration, per-slot counts).
// The enum values below are written to disk: never renumber them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kvd::storage {

enum class KeyType : uint8_t { kString = 1, kHash = 2, kList = 3, kSet = 4, kZSet = 5 };

const char* KeyTypeName(KeyType type);  // "string", "hash", "list", "set", "zset"
bool ParseKeyTypeName(std::string_view name, KeyType* type);

void PutBigEndian64(std::string* out, uint64_t value);
void PutBigEndian32(std::string* out, uint32_t value);
void PutBigEndian16(std::string* out, uint16_t value);
uint64_t GetBigEndian64(const char* data);
uint32_t GetBigEndian32(const char* data);
uint16_t GetBigEndian16(const char* data);

// ---- meta keys ----------------------------------------------------------
constexpr size_t kMetaKeyPrefixSize = 3;  // db + slot

std::string EncodeMetaKey(uint8_t db, std::string_view user_key);
std::string EncodeMetaKey(uint8_t db, uint16_t slot, std::string_view user_key);
std::string DbPrefix(uint8_t db);                    // first byte of every key of `db`
std::string SlotPrefix(uint8_t db, uint16_t slot);   // first three bytes

struct MetaKey {
  uint8_t db = 0;
  uint16_t slot = 0;
  std::string_view user_key;
};
bool DecodeMetaKey(std::string_view raw, MetaKey* out);

// ---- metadata values ----------------------------------------------------
struct Metadata {
  KeyType type = KeyType::kString;
  uint64_t expire_ms = 0;  // absolute unix time in ms; 0 = no expiry
  uint64_t version = 0;    // collections: sub-keys of other versions are garbage
  uint64_t size = 0;       // collections: number of elements
  std::string tail;        // collections: type-specific fields (list head/tail...)
  std::string value;       // strings: the value itself

  bool IsExpired(uint64_t now_ms) const { return expire_ms != 0 && expire_ms <= now_ms; }
};

std::string EncodeMetadata(const Metadata& meta);
Status DecodeMetadata(std::string_view raw, Metadata* out);
// Reads only type and expiry (cheap; no copy of the value).
Status PeekMetadata(std::string_view raw, KeyType* type, uint64_t* expire_ms);
std::string EncodeStringMetadata(std::string_view value, uint64_t expire_ms);

// ---- sub-keys -----------------------------------------------------------
// Prefix of every sub-key of one version of one key, in data and zscore CFs.
std::string EncodeSubKeyPrefix(uint8_t db, std::string_view user_key, uint64_t version);
std::string EncodeSubKey(uint8_t db, std::string_view user_key, uint64_t version, std::string_view field);

struct SubKey {
  uint8_t db = 0;
  uint16_t slot = 0;
  std::string_view user_key;
  uint64_t version = 0;
  std::string_view field;
};
bool DecodeSubKey(std::string_view raw, SubKey* out);
// Length of the prefix shared by every sub-key of one version of one key
// (EncodeSubKeyPrefix); 0 when `raw` is too short to hold one.
size_t SubKeyPrefixLength(std::string_view raw);

// Doubles mapped to 8 bytes that sort like the numbers (for the zscore CF).
uint64_t EncodeSortableDouble(double value);
double DecodeSortableDouble(uint64_t bits);

}  // namespace kvd::storage
