// The encodings OBJECT ENCODING reports, and MEMORY USAGE's estimate, without a server.
#include <doctest/doctest.h>

#include "roles/server/object_encoding.h"

namespace kvd::server {
namespace {

std::vector<storage::FieldValue> Members(std::initializer_list<const char*> names) {
  std::vector<storage::FieldValue> members;
  for (const char* name : names) members.push_back({name, ""});
  return members;
}

TEST_CASE("object encoding: strings are int only in canonical form, embstr up to 44 bytes") {
  CHECK(StringEncoding("0") == "int");
  CHECK(StringEncoding("-9223372036854775808") == "int");
  CHECK(StringEncoding("9223372036854775808") == "embstr");  // past int64
  CHECK(StringEncoding("007") == "embstr");
  CHECK(StringEncoding("+7") == "embstr");
  CHECK(StringEncoding("") == "embstr");
  CHECK(StringEncoding(std::string(44, 'a')) == "embstr");
  CHECK(StringEncoding(std::string(45, 'a')) == "raw");
  CHECK(IsSharedInteger("9999"));
  CHECK_FALSE(IsSharedInteger("10000"));
  CHECK_FALSE(IsSharedInteger("-1"));
}

TEST_CASE("object encoding: collections switch at Redis's default limits") {
  using storage::KeyType;
  CHECK(CollectionEncoding(KeyType::kList, 1, {}) == "quicklist");
  CHECK(ElementsToInspect(KeyType::kHash, 128) == 128);
  CHECK(ElementsToInspect(KeyType::kHash, 129) == 0);
  CHECK(CollectionEncoding(KeyType::kHash, 129, {}) == "hashtable");
  CHECK(CollectionEncoding(KeyType::kHash, 1, {{"f", std::string(64, 'v')}}) == "listpack");
  CHECK(CollectionEncoding(KeyType::kHash, 1, {{"f", std::string(65, 'v')}}) == "hashtable");
  CHECK(CollectionEncoding(KeyType::kZSet, 1, {{std::string(65, 'm'), ""}}) == "skiplist");
  CHECK(CollectionEncoding(KeyType::kZSet, 128, Members({"a"})) == "listpack");
  CHECK(ElementsToInspect(KeyType::kSet, 512) == 512);
  CHECK(CollectionEncoding(KeyType::kSet, 3, Members({"1", "-2", "30"})) == "intset");
  CHECK(CollectionEncoding(KeyType::kSet, 2, Members({"1", "01"})) == "hashtable");
  CHECK(CollectionEncoding(KeyType::kSet, 513, {}) == "hashtable");
}

TEST_CASE("memory usage: the meta record plus the sampled average element times the size") {
  storage::Metadata string_meta;
  CHECK(EstimateBytes("0123key", "value", string_meta, 0, {}) == 12);
  storage::Metadata hash;
  hash.type = storage::KeyType::kHash;
  hash.size = 10;
  // Two sampled elements of 10 + 2 + 3 and 10 + 4 + 1 bytes: an average of 15, times 10.
  CHECK(EstimateBytes("mk", "mv", hash, 10, {{"ab", "cde"}, {"abcd", "e"}}) == 4 + 150);
  storage::Metadata zset = hash;
  zset.type = storage::KeyType::kZSet;
  // Each member also has a score-index entry: prefix + 8 + member.
  CHECK(EstimateBytes("mk", "mv", zset, 10, {{"ab", "12345678"}}) == 4 + 10 * ((10 + 2 + 8) + (10 + 8 + 2)));
}

}  // namespace
}  // namespace kvd::server
