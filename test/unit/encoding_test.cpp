// storage/encoding: byte layouts of keys and metadata, and sortable doubles.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cluster/slot.h"
#include "storage/encoding.h"

namespace kvd::storage {
namespace {

using namespace std::string_literals;

TEST_CASE("encoding: big-endian helpers") {
  std::string out;
  PutBigEndian64(&out, 0x0102030405060708ULL);
  PutBigEndian32(&out, 0xA1B2C3D4u);
  PutBigEndian16(&out, 0xBEEF);
  CHECK(out == "\x01\x02\x03\x04\x05\x06\x07\x08\xA1\xB2\xC3\xD4\xBE\xEF"s);
  CHECK(GetBigEndian64(out.data()) == 0x0102030405060708ULL);
  CHECK(GetBigEndian32(out.data() + 8) == 0xA1B2C3D4u);
  CHECK(GetBigEndian16(out.data() + 12) == 0xBEEF);
  std::string max;
  PutBigEndian64(&max, std::numeric_limits<uint64_t>::max());
  CHECK(GetBigEndian64(max.data()) == std::numeric_limits<uint64_t>::max());
}

TEST_CASE("encoding: key type names") {
  CHECK(std::string(KeyTypeName(KeyType::kString)) == "string");
  CHECK(std::string(KeyTypeName(KeyType::kHash)) == "hash");
  CHECK(std::string(KeyTypeName(KeyType::kList)) == "list");
  CHECK(std::string(KeyTypeName(KeyType::kSet)) == "set");
  CHECK(std::string(KeyTypeName(KeyType::kZSet)) == "zset");
  KeyType type = KeyType::kString;
  CHECK(ParseKeyTypeName("ZSET", &type));
  CHECK(type == KeyType::kZSet);
  CHECK(ParseKeyTypeName("hash", &type));
  CHECK(type == KeyType::kHash);
  CHECK_FALSE(ParseKeyTypeName("stream", &type));
  CHECK_FALSE(ParseKeyTypeName("has", &type));
  CHECK_FALSE(ParseKeyTypeName("", &type));
  CHECK(type == KeyType::kHash);
}

TEST_CASE("encoding: meta keys") {
  std::string key = EncodeMetaKey(3, "foo");
  CHECK(key == "\x03\x01\x21"s + "foo");  // slot 289 = 0x0121
  CHECK(key == EncodeMetaKey(3, cluster::SlotOf("foo"), "foo"));
  CHECK(key.compare(0, 3, SlotPrefix(3, 289)) == 0);
  CHECK(key.compare(0, 1, DbPrefix(3)) == 0);
  MetaKey decoded;
  REQUIRE(DecodeMetaKey(key, &decoded));
  CHECK(decoded.db == 3);
  CHECK(decoded.slot == 289);
  CHECK(decoded.user_key == "foo");

  for (std::string user_key : {""s, "a\0b"s, "\xff\xff\xff"s, std::string(1000, 'k')}) {
    std::string raw = EncodeMetaKey(15, user_key);
    MetaKey round;
    REQUIRE(DecodeMetaKey(raw, &round));
    CHECK(round.db == 15);
    CHECK(round.slot == cluster::SlotOf(user_key));
    CHECK(round.user_key == user_key);
  }
  CHECK_FALSE(DecodeMetaKey("\x01\x02"s, &decoded));
}

TEST_CASE("encoding: one slot is one contiguous range, databases do not mix") {
  // Keys sharing a hash tag land in one slot and sort together under its prefix.
  std::vector<std::string> keys = {EncodeMetaKey(0, "{t}b"), EncodeMetaKey(0, "zzz"), EncodeMetaKey(0, "{t}a"),
                                   EncodeMetaKey(1, "{t}a"), EncodeMetaKey(0, "{t}\xff"),
                                   EncodeMetaKey(0, "aaa")};
  std::sort(keys.begin(), keys.end());
  std::string slot = SlotPrefix(0, cluster::SlotOf("t"));
  std::vector<size_t> in_slot;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].compare(0, slot.size(), slot) == 0) in_slot.push_back(i);
  }
  REQUIRE(in_slot.size() == 3);
  CHECK(in_slot[2] - in_slot[0] == 2);
  CHECK(keys.back() == EncodeMetaKey(1, "{t}a"));  // db 1 sorts after all of db 0
}

TEST_CASE("encoding: sub-keys") {
  std::string raw = EncodeSubKey(2, "hash", 0x1122334455667788ULL, "field\0x"s);
  SubKey sub;
  REQUIRE(DecodeSubKey(raw, &sub));
  CHECK(sub.db == 2);
  CHECK(sub.slot == cluster::SlotOf("hash"));
  CHECK(sub.user_key == "hash");
  CHECK(sub.version == 0x1122334455667788ULL);
  CHECK(sub.field == "field\0x"s);
  std::string prefix = EncodeSubKeyPrefix(2, "hash", 0x1122334455667788ULL);
  CHECK(raw.compare(0, prefix.size(), prefix) == 0);
  CHECK(raw.size() == prefix.size() + 7);
  CHECK(prefix == "\x02"s + raw.substr(1, 2) + "\x00\x00\x00\x04"s + "hash" + "\x11\x22\x33\x44\x55\x66\x77\x88"s);

  // An empty key and an empty field.
  std::string empty = EncodeSubKey(0, "", 1, "");
  REQUIRE(DecodeSubKey(empty, &sub));
  CHECK(sub.user_key.empty());
  CHECK(sub.field.empty());
  CHECK(sub.version == 1);

  // Truncated records do not decode.
  CHECK_FALSE(DecodeSubKey(raw.substr(0, 6), &sub));
  CHECK_FALSE(DecodeSubKey(prefix.substr(0, prefix.size() - 1), &sub));
}

TEST_CASE("encoding: the sub-key prefix of one key never covers another key") {
  // Same slot (hash tag), one key a prefix of the other: the length field separates them.
  std::string short_prefix = EncodeSubKeyPrefix(0, "{t}a", 5);
  std::string long_key = EncodeSubKey(0, "{t}ab", 5, "field");
  CHECK(long_key.compare(0, short_prefix.size(), short_prefix) != 0);
  // Versions separate generations of one key, and sort numerically.
  std::string v1 = EncodeSubKey(0, "k", 1, "f");
  std::string v256 = EncodeSubKey(0, "k", 256, "f");
  CHECK(v1.compare(0, EncodeSubKeyPrefix(0, "k", 256).size(), EncodeSubKeyPrefix(0, "k", 256)) != 0);
  CHECK(v1 < v256);
}

TEST_CASE("encoding: string metadata") {
  std::string raw = EncodeStringMetadata("va\0lue"s, 1234567890123ULL);
  Metadata meta;
  REQUIRE(DecodeMetadata(raw, &meta).ok());
  CHECK(meta.type == KeyType::kString);
  CHECK(meta.expire_ms == 1234567890123ULL);
  CHECK(meta.value == "va\0lue"s);
  Metadata same;
  same.type = KeyType::kString;
  same.expire_ms = 1234567890123ULL;
  same.value = "va\0lue"s;
  CHECK(EncodeMetadata(same) == raw);

  KeyType type = KeyType::kHash;
  uint64_t expire = 0;
  REQUIRE(PeekMetadata(raw, &type, &expire).ok());
  CHECK(type == KeyType::kString);
  CHECK(expire == 1234567890123ULL);

  Metadata empty_value;
  REQUIRE(DecodeMetadata(EncodeStringMetadata("", 0), &empty_value).ok());
  CHECK(empty_value.value.empty());
  CHECK(empty_value.expire_ms == 0);
}

TEST_CASE("encoding: collection metadata") {
  for (KeyType type : {KeyType::kHash, KeyType::kList, KeyType::kSet, KeyType::kZSet}) {
    Metadata meta;
    meta.type = type;
    meta.expire_ms = 42;
    meta.version = 0xDEADBEEF12345678ULL;
    meta.size = 1000000;
    meta.tail = type == KeyType::kList ? "\x00\x01\x02head-tail"s : "";
    std::string raw = EncodeMetadata(meta);
    Metadata back;
    REQUIRE(DecodeMetadata(raw, &back).ok());
    CHECK(back.type == type);
    CHECK(back.expire_ms == 42);
    CHECK(back.version == meta.version);
    CHECK(back.size == 1000000);
    CHECK(back.tail == meta.tail);
    CHECK(back.value.empty());
  }
}

TEST_CASE("encoding: corrupt metadata is reported") {
  Metadata meta;
  CHECK(DecodeMetadata("", &meta).code() == Status::Code::kCorruption);
  CHECK(DecodeMetadata("\x01\x00\x00"s, &meta).code() == Status::Code::kCorruption);  // short header
  std::string unknown_type = "\x09"s + std::string(8, '\0');
  CHECK(DecodeMetadata(unknown_type, &meta).code() == Status::Code::kCorruption);
  std::string zero_type = std::string(9, '\0');
  CHECK(DecodeMetadata(zero_type, &meta).code() == Status::Code::kCorruption);
  std::string short_hash = "\x02"s + std::string(8, '\0') + std::string(15, '\0');
  CHECK(DecodeMetadata(short_hash, &meta).code() == Status::Code::kCorruption);
  KeyType type;
  uint64_t expire;
  CHECK(PeekMetadata("\x01"s, &type, &expire).code() == Status::Code::kCorruption);
}

TEST_CASE("encoding: expiry boundary") {
  Metadata meta;
  CHECK_FALSE(meta.IsExpired(std::numeric_limits<uint64_t>::max()));  // 0 means never
  meta.expire_ms = 1000;
  CHECK_FALSE(meta.IsExpired(999));
  CHECK(meta.IsExpired(1000));
  CHECK(meta.IsExpired(1001));
}

std::string SortKey(double value) {
  std::string out;
  PutBigEndian64(&out, EncodeSortableDouble(value));
  return out;
}

TEST_CASE("encoding: sortable doubles keep numeric order as bytes") {
  const double denorm = std::numeric_limits<double>::denorm_min();
  std::vector<double> ascending = {-INFINITY, -std::numeric_limits<double>::max(), -1e300, -2.5, -1, -0.5,
                                   -1e-300, -denorm, 0, denorm, 1e-300, 0.5, 1, 1.0000000000000002, 2.5, 1e300,
                                   std::numeric_limits<double>::max(), INFINITY};
  for (size_t i = 1; i < ascending.size(); ++i) {
    CAPTURE(ascending[i - 1]);
    CAPTURE(ascending[i]);
    CHECK(EncodeSortableDouble(ascending[i - 1]) < EncodeSortableDouble(ascending[i]));
    CHECK(SortKey(ascending[i - 1]) < SortKey(ascending[i]));  // memcmp order, as RocksDB compares
  }
  for (double value : ascending) {
    double back = DecodeSortableDouble(EncodeSortableDouble(value));
    CHECK(std::memcmp(&back, &value, sizeof(double)) == 0);  // bit-exact
  }
}

TEST_CASE("encoding: -0 and 0 are one score") {
  CHECK(EncodeSortableDouble(-0.0) == EncodeSortableDouble(0.0));
  double back = DecodeSortableDouble(EncodeSortableDouble(-0.0));
  CHECK(back == 0.0);
  CHECK_FALSE(std::signbit(back));
  CHECK(EncodeSortableDouble(-std::numeric_limits<double>::denorm_min()) < EncodeSortableDouble(-0.0));
}

}  // namespace
}  // namespace kvd::storage

#include "storage/binlog_record.h"

namespace kvd::storage {
namespace {

TEST_CASE("binlog records round-trip binary arguments and refuse damage") {
  BinlogRecord record{1'700'000'000'123ULL, 7, {"SET", std::string("k\0\r\n", 4), std::string(300, 'v')}};
  std::string blob = EncodeBinlogRecord(record);
  auto decoded = DecodeBinlogRecord(blob);
  REQUIRE(decoded.ok());
  CHECK(decoded->time_ms == record.time_ms);
  CHECK(decoded->db == 7);
  CHECK(decoded->args == record.args);
  for (size_t cut = 0; cut < blob.size(); ++cut) CHECK_FALSE(DecodeBinlogRecord(blob.substr(0, cut)).ok());
  std::string newer = blob;
  newer[1] = 9;
  CHECK(DecodeBinlogRecord(newer).status().message().find("version 9") != std::string::npos);
}

}  // namespace
}  // namespace kvd::storage
