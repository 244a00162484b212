#include "storage/encoding.h"

#include <cstring>

#include "cluster/slot.h"

namespace kvd::storage {

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kString: return "string";
    case KeyType::kHash: return "hash";
    case KeyType::kList: return "list";
    case KeyType::kSet: return "set";
    case KeyType::kZSet: return "zset";
  }
  return "none";
}

bool ParseKeyTypeName(std::string_view name, KeyType* type) {
  for (KeyType candidate : {KeyType::kString, KeyType::kHash, KeyType::kList, KeyType::kSet, KeyType::kZSet}) {
    if (name.size() == std::strlen(KeyTypeName(candidate)) &&
        strncasecmp(name.data(), KeyTypeName(candidate), name.size()) == 0) {
      *type = candidate;
      return true;
    }
  }
  return false;
}

void PutBigEndian64(std::string* out, uint64_t value) {
  char bytes[8];
  for (int i = 7; i >= 0; --i, value >>= 8) bytes[i] = static_cast<char>(value & 0xFF);
  out->append(bytes, 8);
}

void PutBigEndian32(std::string* out, uint32_t value) {
  char bytes[4];
  for (int i = 3; i >= 0; --i, value >>= 8) bytes[i] = static_cast<char>(value & 0xFF);
  out->append(bytes, 4);
}

void PutBigEndian16(std::string* out, uint16_t value) {
  out->push_back(static_cast<char>(value >> 8));
  out->push_back(static_cast<char>(value & 0xFF));
}

uint64_t GetBigEndian64(const char* data) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

uint32_t GetBigEndian32(const char* data) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

uint16_t GetBigEndian16(const char* data) {
  return static_cast<uint16_t>((static_cast<unsigned char>(data[0]) << 8) | static_cast<unsigned char>(data[1]));
}

std::string EncodeMetaKey(uint8_t db, uint16_t slot, std::string_view user_key) {
  std::string key;
  key.reserve(kMetaKeyPrefixSize + user_key.size());
  key.push_back(static_cast<char>(db));
  PutBigEndian16(&key, slot);
  key.append(user_key);
  return key;
}

std::string EncodeMetaKey(uint8_t db, std::string_view user_key) {
  return EncodeMetaKey(db, cluster::SlotOf(user_key), user_key);
}

std::string DbPrefix(uint8_t db) { return std::string(1, static_cast<char>(db)); }

std::string SlotPrefix(uint8_t db, uint16_t slot) {
  std::string prefix = DbPrefix(db);
  PutBigEndian16(&prefix, slot);
  return prefix;
}

bool DecodeMetaKey(std::string_view raw, MetaKey* out) {
  if (raw.size() < kMetaKeyPrefixSize) return false;
  out->db = static_cast<uint8_t>(raw[0]);
  out->slot = GetBigEndian16(raw.data() + 1);
  out->user_key = raw.substr(kMetaKeyPrefixSize);
  return true;
}

namespace {
constexpr size_t kMetaHeaderSize = 1 + 8;
constexpr size_t kCollectionHeaderSize = kMetaHeaderSize + 16;

bool IsKnownType(uint8_t byte) { return byte >= 1 && byte <= 5; }
}  // namespace

std::string EncodeStringMetadata(std::string_view value, uint64_t expire_ms) {
  std::string raw;
  raw.reserve(kMetaHeaderSize + value.size());
  raw.push_back(static_cast<char>(KeyType::kString));
  PutBigEndian64(&raw, expire_ms);
  raw.append(value);
  return raw;
}

std::string EncodeMetadata(const Metadata& meta) {
  if (meta.type == KeyType::kString) return EncodeStringMetadata(meta.value, meta.expire_ms);
  std::string raw;
  raw.reserve(kCollectionHeaderSize + meta.tail.size());
  raw.push_back(static_cast<char>(meta.type));
  PutBigEndian64(&raw, meta.expire_ms);
  PutBigEndian64(&raw, meta.version);
  PutBigEndian64(&raw, meta.size);
  raw.append(meta.tail);
  return raw;
}

Status PeekMetadata(std::string_view raw, KeyType* type, uint64_t* expire_ms) {
  if (raw.size() < kMetaHeaderSize || !IsKnownType(static_cast<uint8_t>(raw[0]))) {
    return Status::Corruption("bad metadata record");
  }
  *type = static_cast<KeyType>(raw[0]);
  *expire_ms = GetBigEndian64(raw.data() + 1);
  return Status::Ok();
}

Status DecodeMetadata(std::string_view raw, Metadata* out) {
  KVD_RETURN_IF_ERROR(PeekMetadata(raw, &out->type, &out->expire_ms));
  if (out->type == KeyType::kString) {
    out->value.assign(raw.substr(kMetaHeaderSize));
    return Status::Ok();
  }
  if (raw.size() < kCollectionHeaderSize) return Status::Corruption("short collection metadata");
  out->version = GetBigEndian64(raw.data() + kMetaHeaderSize);
  out->size = GetBigEndian64(raw.data() + kMetaHeaderSize + 8);
  out->tail.assign(raw.substr(kCollectionHeaderSize));
  return Status::Ok();
}

namespace {
// The prefix, with room reserved for `extra` more bytes (the field): one allocation per sub-key.
std::string SubKeyPrefixWithRoom(uint8_t db, std::string_view user_key, uint64_t version, size_t extra) {
  std::string key;
  key.reserve(kMetaKeyPrefixSize + 4 + user_key.size() + 8 + extra);
  key.push_back(static_cast<char>(db));
  PutBigEndian16(&key, cluster::SlotOf(user_key));
  PutBigEndian32(&key, static_cast<uint32_t>(user_key.size()));
  key.append(user_key);
  PutBigEndian64(&key, version);
  return key;
}
}  // namespace

std::string EncodeSubKeyPrefix(uint8_t db, std::string_view user_key, uint64_t version) {
  return SubKeyPrefixWithRoom(db, user_key, version, 0);
}

std::string EncodeSubKey(uint8_t db, std::string_view user_key, uint64_t version, std::string_view field) {
  std::string key = SubKeyPrefixWithRoom(db, user_key, version, field.size());
  key.append(field);
  return key;
}

size_t SubKeyPrefixLength(std::string_view raw) {
  if (raw.size() < kMetaKeyPrefixSize + 4) return 0;
  size_t length = kMetaKeyPrefixSize + 4 + GetBigEndian32(raw.data() + kMetaKeyPrefixSize) + 8;
  return raw.size() < length ? 0 : length;
}

bool DecodeSubKey(std::string_view raw, SubKey* out) {
  if (raw.size() < kMetaKeyPrefixSize + 4) return false;
  uint32_t key_length = GetBigEndian32(raw.data() + kMetaKeyPrefixSize);
  size_t key_start = kMetaKeyPrefixSize + 4;
  if (raw.size() < key_start + key_length + 8) return false;
  out->db = static_cast<uint8_t>(raw[0]);
  out->slot = GetBigEndian16(raw.data() + 1);
  out->user_key = raw.substr(key_start, key_length);
  out->version = GetBigEndian64(raw.data() + key_start + key_length);
  out->field = raw.substr(key_start + key_length + 8);
  return true;
}

uint64_t EncodeSortableDouble(double value) {
  if (value == 0) value = 0;  // -0.0 and 0.0 sort as one
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  // Negative numbers: flip every bit; positive: flip the sign bit.
  return (bits & (1ULL << 63)) ? ~bits : bits | (1ULL << 63);
}

double DecodeSortableDouble(uint64_t bits) {
  bits = (bits & (1ULL << 63)) ? bits & ~(1ULL << 63) : ~bits;
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

}  // namespace kvd::storage
