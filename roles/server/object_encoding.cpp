#include "roles/server/object_encoding.h"

#include <string>

#include "common/numbers.h"

namespace kvd::server {
namespace {

// Redis stores a string as an integer only in its canonical form ("12", not "012" or "+12").
bool IsCanonicalInteger(std::string_view value, int64_t* number) {
  return value.size() <= 20 && ParseInt64(value, number) && std::to_string(*number) == value;
}

bool AllShorterThan(const std::vector<storage::FieldValue>& elements, uint64_t limit) {
  for (const auto& element : elements) {
    if (element.field.size() > limit || element.value.size() > limit) return false;
  }
  return true;
}

}  // namespace

std::string_view StringEncoding(std::string_view value) {
  int64_t number = 0;
  if (IsCanonicalInteger(value, &number)) return "int";
  return value.size() <= 44 ? "embstr" : "raw";
}

bool IsSharedInteger(std::string_view value) {
  int64_t number = 0;
  return IsCanonicalInteger(value, &number) && number >= 0 && number < 10000;
}

uint64_t ElementsToInspect(storage::KeyType type, uint64_t size) {
  switch (type) {
    case storage::KeyType::kHash:
    case storage::KeyType::kZSet: return size <= kListpackMaxEntries ? size : 0;
    case storage::KeyType::kSet: return size <= kIntsetMaxEntries ? size : 0;
    default: return 0;
  }
}

std::string_view CollectionEncoding(storage::KeyType type, uint64_t size,
                                    const std::vector<storage::FieldValue>& elements) {
  switch (type) {
    case storage::KeyType::kList: return "quicklist";  // Redis 7.0 has no other list encoding
    case storage::KeyType::kHash:
      return size <= kListpackMaxEntries && AllShorterThan(elements, kListpackMaxValue) ? "listpack" : "hashtable";
    case storage::KeyType::kZSet:
      return size <= kListpackMaxEntries && AllShorterThan(elements, kListpackMaxValue) ? "listpack" : "skiplist";
    case storage::KeyType::kSet: {
      if (size > kIntsetMaxEntries) return "hashtable";
      int64_t number = 0;
      for (const auto& member : elements) {
        if (!IsCanonicalInteger(member.field, &number)) return "hashtable";
      }
      return "intset";
    }
    case storage::KeyType::kString: break;
  }
  return "raw";
}

uint64_t EstimateBytes(std::string_view meta_key, std::string_view meta_value, const storage::Metadata& meta,
                       size_t sub_key_prefix, const std::vector<storage::FieldValue>& sample) {
  uint64_t bytes = meta_key.size() + meta_value.size();
  if (meta.type == storage::KeyType::kString || sample.empty()) return bytes;
  uint64_t sampled = 0;
  for (const auto& element : sample) {
    sampled += sub_key_prefix + element.field.size() + element.value.size();
    // The score index repeats the member after the prefix and an 8-byte score.
    if (meta.type == storage::KeyType::kZSet) sampled += sub_key_prefix + 8 + element.field.size();
  }
  return bytes + static_cast<uint64_t>(static_cast<long double>(sampled) / sample.size() * meta.size);
}

}  // namespace kvd::server
