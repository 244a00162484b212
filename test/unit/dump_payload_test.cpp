// The DUMP payload codec (protocol/rdb): Redis 7.0's own payloads decode to
// the values it dumped, kvd's payloads round-trip, and every malformed one is
// refused with Redis's error text.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>

#include "common/crc64.h"
#include "common/lzf.h"
#include "protocol/rdb/compact_lists.h"
#include "protocol/rdb/dump_payload.h"

namespace kvd::protocol::rdb {
namespace {

std::string FromHex(std::string_view hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return bytes;
}

// Replaces the footer's checksum with the right one for the bytes before it.
std::string Reseal(std::string payload) {
  payload.resize(payload.size() - 8);
  uint64_t crc = Crc64Of(payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return payload;
}

DumpedValue Decoded(std::string_view hex) {
  Result<DumpedValue> value = DecodeDumpPayload(FromHex(hex));
  REQUIRE_MESSAGE(value.ok(), value.status().message());
  return std::move(*value);
}

std::string ErrorOf(const std::string& payload) {
  Result<DumpedValue> value = DecodeDumpPayload(payload);
  return value.ok() ? "(decoded)" : value.status().message();
}

using Strings = std::vector<std::string>;
using Pairs = std::vector<std::pair<std::string, std::string>>;
using Scored = std::vector<std::pair<std::string, double>>;

}  // namespace

TEST_CASE("crc64: Redis's Jones variant") {
  CHECK(Crc64Of("123456789") == 0xe9c6d914c4b8d9caULL);
  CHECK(Crc64Of("") == 0);
  CHECK(Crc64Extend(Crc64Of("1234"), "56789") == Crc64Of("123456789"));
}

TEST_CASE("lzf: literal runs, overlapping references, and refusals") {
  // Redis's LZF form of 100 'a's: two literals, a reference one byte back of length 96, two literals.
  std::string compressed = FromHex("016161e05700016161");
  Result<std::string> plain = LzfDecompress(compressed, 100);
  REQUIRE(plain.ok());
  CHECK(*plain == std::string(100, 'a'));
  CHECK(!LzfDecompress(compressed, 99).ok());          // more output than claimed
  CHECK(!LzfDecompress(compressed, 101).ok());         // less
  CHECK(!LzfDecompress(FromHex("e057"), 96).ok());     // a reference before the start
  CHECK(!LzfDecompress(FromHex("0561"), 6).ok());      // a literal run past the end
  CHECK(!LzfDecompress(FromHex("016161e0"), 10).ok()); // input ends inside a reference
  CHECK(!LzfDecompress("ab", size_t{1} << 40).ok());   // a size no input this short can give
}

TEST_CASE("dump payload: values redis-server 7.0 dumped") {
  SUBCASE("strings: plain, integer-encoded, LZF-compressed") {
    CHECK(Decoded("000568656c6c6f0a006372df766534200a").string == "hello");
    CHECK(Decoded("00c139300a009d94ea2793fc08b9").string == "12345");
    CHECK(Decoded("00c09c0a00ff77a3b766addee4").string == "-100");
    CHECK(Decoded("00c2e09304000a00f05efab086412fc9").string == "300000");
    CHECK(Decoded("00c3094064016161e057000161610a00e8a3b507b06df271").string == std::string(100, 'a'));
  }
  SUBCASE("lists: quicklist nodes of listpacks, one of them compressed") {
    DumpedValue small = Decoded("1201021a1a00000006008161028162020101dffb02c12c02f270110104ff0a0095346e09ce11a709");
    CHECK(small.kind == ValueKind::kList);
    CHECK(small.elements == Strings{"a", "b", "1", "-5", "300", "70000"});
    DumpedValue mixed = Decoded(
        "120102c32d408b0b8b0000000700817802e06479e05a001b66dc1802f2404b4c04f300e1f50505f400e68ee7fdffffff097f01ff0a00"
        "9b76804884e152e5");
    CHECK(mixed.elements ==
          Strings{"x", std::string(100, 'y'), "-1000", "5000000", "100000000", "-9000000000", "127"});
  }
  SUBCASE("sets: intsets of 2 and 8 bytes, and a plain set") {
    DumpedValue ints = Decoded("0b0e02000000030000000100020003000a00a5025ce26d6e4d1b");
    CHECK(ints.kind == ValueKind::kSet);
    CHECK(ints.elements == Strings{"1", "2", "3"});
    CHECK(Decoded("0b200800000003000000feffffffffffffff0100000000000000001a7118020000000a00b4290f5a81ae5c84").elements ==
          Strings{"-2", "1", "9000000000"});
    CHECK(Decoded("0202016101620a00fe642125eb033d0d").elements == Strings{"a", "b"});
  }
  SUBCASE("hashes: a listpack, and a plain hash with a compressed value") {
    DumpedValue packed = Decoded("10121200000004008166028176028167020c01ff0a00de133993f783817e");
    CHECK(packed.kind == ValueKind::kHash);
    CHECK(packed.fields == Pairs{{"f", "v"}, {"g", "12"}});
    CHECK(Decoded("04010166c3094046017676e039000176760a00f21bfa0a02f2749c").fields ==
          Pairs{{"f", std::string(70, 'v')}});
  }
  SUBCASE("sorted sets: listpacks with text and integer scores, and binary scores") {
    DumpedValue packed = Decoded("111414000000040081610283312e35048162020201ff0a00fa02b425af188763");
    CHECK(packed.kind == ValueKind::kZSet);
    CHECK(packed.scored == Scored{{"a", 1.5}, {"b", 2}});
    CHECK(Decoded("1112120000000400816e02dff902816d020201ff0a0057571c0974d0f6ea").scored == Scored{{"n", -7}, {"m", 2}});
    CHECK(Decoded("0502c3094046016d6de03900016d6d000000000000f83f0178000000000000f0ff0a007f0411c541b41a14").scored ==
          Scored{{std::string(70, 'm'), 1.5}, {"x", -INFINITY}});
  }
}

TEST_CASE("dump payload: kvd's payloads round-trip") {
  auto round_trip = [](const DumpedValue& value) {
    Result<DumpedValue> back = DecodeDumpPayload(EncodeDumpPayload(value));
    REQUIRE_MESSAGE(back.ok(), back.status().message());
    CHECK(back->kind == value.kind);
    CHECK(back->string == value.string);
    CHECK(back->elements == value.elements);
    CHECK(back->fields == value.fields);
    CHECK(back->scored == value.scored);
  };
  using namespace std::string_literals;
  DumpedValue value;
  value.string = "binary \0\r\n\xff"s;
  round_trip(value);
  value.string = "";
  round_trip(value);
  value.string = std::string(70000, 'x');  // a 32-bit length
  round_trip(value);
  value = {};
  value.kind = ValueKind::kList;
  for (int i = 0; i < 20000; ++i) value.elements.push_back(std::to_string(i % 7));  // repeats are fine in a list
  round_trip(value);
  value = {};
  value.kind = ValueKind::kSet;
  value.elements = {"", "a", std::string(100, 'b')};
  round_trip(value);
  value = {};
  value.kind = ValueKind::kHash;
  value.fields = {{"f", ""}, {"", "v"}, {"k\0"s, "\r\n"}};
  round_trip(value);
  value = {};
  value.kind = ValueKind::kZSet;
  value.scored = {{"a", -INFINITY}, {"b", 0.1}, {"c", INFINITY}, {"d", -0.0}, {"e", 1e300}};
  round_trip(value);
}

TEST_CASE("dump payload: what RESTORE refuses, in Redis's words") {
  DumpedValue text;
  text.string = "hello";
  std::string good = EncodeDumpPayload(text);
  std::string corrupted = good;
  corrupted[2] ^= 1;
  CHECK(ErrorOf(corrupted) == kBadVersionOrChecksum);
  CHECK(ErrorOf(good.substr(0, 9)) == kBadVersionOrChecksum);
  std::string newer = good;
  newer[newer.size() - 10] = 13;  // RDB version 13
  CHECK(ErrorOf(Reseal(newer)) == kBadVersionOrChecksum);
  newer[newer.size() - 10] = 12;
  CHECK(ErrorOf(Reseal(newer)) == "(decoded)");

  auto with_body = [&](const std::string& hex) { return Reseal(FromHex(hex) + FromHex("0a000000000000000000")); };
  CHECK(ErrorOf(with_body("000568656c6c")) == kBadDataFormat);          // a string cut short
  CHECK(ErrorOf(with_body("000568656c6c6f00")) == kBadDataFormat);      // a byte after the value
  CHECK(ErrorOf(with_body("0100")) == kBadDataFormat);                  // an empty list
  CHECK(ErrorOf(with_body("020201610161")) == kBadDataFormat);          // a set member twice
  CHECK(ErrorOf(with_body("0402016101620161")) == kBadDataFormat);  // cut inside a hash
  CHECK(ErrorOf(with_body("04020161016201610163")) == kBadDataFormat);  // a hash field twice
  CHECK(ErrorOf(with_body("030101fd")) == kBadDataFormat);               // a NaN score (text form)
  CHECK(ErrorOf(with_body("05010161000000000000f87f")) == kBadDataFormat);  // a NaN score (binary form)
  CHECK(ErrorOf(with_body("0f00")) == kBadDataFormat);                  // a stream: not a kvd type
  CHECK(ErrorOf(with_body("02c3")) == kBadDataFormat);                  // a count in a string's special form
  CHECK(ErrorOf(with_body("02bfffffff")) == kBadDataFormat);            // more members than bytes left
  CHECK(ErrorOf(with_body("00c3010a00")) == kBadDataFormat);            // LZF that gives nothing
}

TEST_CASE("dump payload: mangled payloads with valid checksums decode or are refused, never overrun") {
  // Redis's payloads and kvd's, each byte-flipped, cut and extended, then resealed
  // so that the decoder itself meets the damage (run under ASan to see overruns).
  std::vector<std::string> seeds = {
      FromHex("00c3094064016161e057000161610a00e8a3b507b06df271"),
      FromHex("120102c32d408b0b8b0000000700817802e06479e05a001b66dc1802f2404b4c04f300e1f50505f400e68ee7fdffffff097f01ff0a00"
              "9b76804884e152e5"),
      FromHex("0b200800000003000000feffffffffffffff0100000000000000001a7118020000000a00b4290f5a81ae5c84"),
      FromHex("10121200000004008166028176028167020c01ff0a00de133993f783817e"),
      FromHex("111414000000040081610283312e35048162020201ff0a00fa02b425af188763"),
      FromHex("0502c3094046016d6de03900016d6d000000000000f83f0178000000000000f0ff0a007f0411c541b41a14"),
  };
  DumpedValue hash;
  hash.kind = ValueKind::kHash;
  hash.fields = {{"f", "v"}, {"g", std::string(300, 'x')}};
  seeds.push_back(EncodeDumpPayload(hash));
  std::mt19937 random(20261128);
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string payload = seeds[random() % seeds.size()];
    std::string body = payload.substr(0, payload.size() - 10);
    for (int edits = 1 + static_cast<int>(random() % 3); edits > 0; --edits) {
      size_t at = random() % body.size();
      switch (random() % 4) {
        case 0: body[at] = static_cast<char>(body[at] ^ (1 << (random() % 8))); break;
        case 1: body[at] = static_cast<char>(random()); break;
        case 2: body.resize(at + 1); break;
        default: body.insert(at, 1, static_cast<char>(random())); break;
      }
    }
    Result<DumpedValue> value = DecodeDumpPayload(Reseal(body + payload.substr(payload.size() - 10)));
    if (value.ok()) {
      ++decoded;
      bool empty = value->kind != ValueKind::kString && value->elements.empty() && value->fields.empty() &&
                   value->scored.empty();
      CHECK(!empty);
    } else {
      CHECK(value.status().message() == kBadDataFormat);
    }
  }
  CHECK(decoded > 0);  // some damage (a changed letter) still decodes
}

TEST_CASE("compact lists: ziplists as Redis before 7 wrote them, and broken blobs") {
  // zlbytes, zltail, zllen 5; "ab"; int8 -3; immediate 4; int16 1000; int64 -9000000000; end.
  std::string ziplist = FromHex(
      "00000000" "00000000" "0500"
      "00" "02" "6162"
      "04" "fe" "fd"
      "03" "f5"
      "02" "c0" "e803"
      "04" "e0" "00e68ee7fdffffff"
      "ff");
  ziplist[0] = static_cast<char>(ziplist.size());
  Result<Strings> elements = DecodeZiplist(ziplist);
  REQUIRE(elements.ok());
  CHECK(*elements == Strings{"ab", "-3", "4", "1000", "-9000000000"});
  CHECK(!DecodeZiplist(ziplist.substr(0, ziplist.size() - 1)).ok());
  std::string miscounted = ziplist;
  miscounted[8] = 6;
  CHECK(!DecodeZiplist(miscounted).ok());
  CHECK(!DecodeListpack(FromHex("0700000000000000")).ok());  // says 7 bytes, has 8
  CHECK(!DecodeListpack(FromHex("07000000010081")).ok());    // no terminator
  CHECK(!DecodeIntset(FromHex("0300000001000000aaaaaa")).ok());  // a 3-byte width
  CHECK(!DecodeIntset(FromHex("020000000200000001")).ok());  // fewer bytes than two members
}

}  // namespace kvd::protocol::rdb
