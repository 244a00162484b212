// StringStore on a temporary RocksDB, with a manual clock for expiry.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "common/redis_errors.h"
#include "storage/keyspace.h"
#include "storage/types/string_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using namespace std::string_literals;
using test::Must;
using test::MustOk;

struct StringFixture : test::EngineFixture {
  std::optional<StringStore> strings{std::in_place, *engine};
  std::optional<Keyspace> keyspace{std::in_place, *engine};

  std::optional<std::string> Get(std::string_view key, uint8_t db = 0) { return Must(strings->Get(db, key)); }
  SetResult Set(std::string_view key, std::string_view value, SetOptions options = {}) {
    return Must(strings->Set(0, key, value, options));
  }
  int64_t Pttl(std::string_view key) { return Must(keyspace->PttlMs(0, key)); }
  // Re-creates the stores after Reopen() replaced the engine.
  void ReopenAll() {
    Reopen();
    strings.emplace(*engine);
    keyspace.emplace(*engine);
  }
};

SetOptions With(SetOptions::Condition condition, SetOptions::Ttl ttl = SetOptions::Ttl::kClear,
                uint64_t expire_at_ms = 0, bool return_old = false) {
  SetOptions options;
  options.condition = condition;
  options.ttl = ttl;
  options.expire_at_ms = expire_at_ms;
  options.return_old = return_old;
  return options;
}

TEST_CASE_FIXTURE(StringFixture, "strings: get and set") {
  CHECK(Get("missing") == std::nullopt);
  SetResult result = Set("k", "v");
  CHECK(result.written);
  CHECK_FALSE(result.old_value.has_value());
  CHECK(Get("k") == "v");
  Set("k", "bin\0ary\r\n"s);
  CHECK(Get("k") == "bin\0ary\r\n"s);
  Set("empty", "");
  CHECK(Get("empty") == "");
  CHECK(Must(strings->StrLen(0, "k")) == 9);
  CHECK(Must(strings->StrLen(0, "missing")) == 0);
  // Databases are separate.
  CHECK(Get("k", 1) == std::nullopt);
  MustOk(strings->Set(1, "k", "db1", {}).status());
  CHECK(Get("k", 1) == "db1");
  CHECK(Get("k") == "bin\0ary\r\n"s);
}

TEST_CASE_FIXTURE(StringFixture, "strings: SET NX and XX") {
  SetResult nx = Set("k", "first", With(SetOptions::Condition::kIfAbsent));
  CHECK(nx.written);
  nx = Set("k", "second", With(SetOptions::Condition::kIfAbsent));
  CHECK_FALSE(nx.written);
  CHECK(Get("k") == "first");

  SetResult xx = Set("absent", "x", With(SetOptions::Condition::kIfPresent));
  CHECK_FALSE(xx.written);
  CHECK(Get("absent") == std::nullopt);
  xx = Set("k", "third", With(SetOptions::Condition::kIfPresent));
  CHECK(xx.written);
  CHECK(Get("k") == "third");
}

TEST_CASE_FIXTURE(StringFixture, "strings: SET GET returns the old value") {
  SetResult result = Set("k", "one", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kClear, 0, true));
  CHECK(result.written);
  CHECK(result.old_value == std::nullopt);
  result = Set("k", "two", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kClear, 0, true));
  CHECK(result.written);
  CHECK(result.old_value == "one");
  // NX GET on an existing key: the old value, and no write.
  result = Set("k", "three", With(SetOptions::Condition::kIfAbsent, SetOptions::Ttl::kClear, 0, true));
  CHECK_FALSE(result.written);
  CHECK(result.old_value == "two");
  CHECK(Get("k") == "two");
}

TEST_CASE_FIXTURE(StringFixture, "strings: expiry with EX-style times, KEEPTTL and plain SET") {
  uint64_t at = now() + 10000;
  Set("k", "v", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kSetAt, at));
  CHECK(Pttl("k") == 10000);
  CHECK(Must(keyspace->ExpireTimeMs(0, "k")) == static_cast<int64_t>(at));

  clock.Advance(4000);
  CHECK(Pttl("k") == 6000);
  Set("k", "kept", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kKeep));
  CHECK(Get("k") == "kept");
  CHECK(Pttl("k") == 6000);

  Set("k", "plain");
  CHECK(Pttl("k") == -1);

  // KEEPTTL on a new key: no TTL.
  Set("fresh", "v", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kKeep));
  CHECK(Pttl("fresh") == -1);
}

TEST_CASE_FIXTURE(StringFixture, "strings: expired keys disappear when the clock passes their time") {
  uint64_t at = now() + 1000;
  Set("k", "v", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kSetAt, at));
  clock.Advance(999);
  CHECK(Get("k") == "v");
  CHECK(Pttl("k") == 1);
  clock.Advance(1);  // now == expire time: gone
  CHECK(Get("k") == std::nullopt);
  CHECK(Pttl("k") == -2);
  CHECK(Must(keyspace->Exists(0, {"k"})) == 0);
  CHECK(Must(keyspace->Type(0, "k")) == std::nullopt);
  CHECK(Must(strings->StrLen(0, "k")) == 0);
  auto many = Must(strings->MultiGet(0, {"k"}));
  CHECK(many[0] == std::nullopt);

  // An expired key counts as absent for NX and XX, and its TTL does not leak.
  CHECK_FALSE(Set("k", "xx", With(SetOptions::Condition::kIfPresent)).written);
  CHECK(Set("k", "nx", With(SetOptions::Condition::kIfAbsent)).written);
  CHECK(Get("k") == "nx");
  CHECK(Pttl("k") == -1);

  // INCR on an expired key starts from zero.
  Set("counter", "41", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kSetAt, now() + 5));
  clock.Advance(5);
  CHECK(Must(strings->IncrBy(0, "counter", 1)) == 1);
  CHECK(Pttl("counter") == -1);
}

TEST_CASE_FIXTURE(StringFixture, "strings: other types") {
  test::PutCollection(*engine, 0, "h", KeyType::kHash, {{"f", "v"}});
  Result<std::optional<std::string>> got = strings->Get(0, "h");
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == Status::Code::kWrongType);
  CHECK(strings->IncrBy(0, "h", 1).status().code() == Status::Code::kWrongType);
  CHECK(strings->Append(0, "h", "x").status().code() == Status::Code::kWrongType);
  CHECK(strings->GetRange(0, "h", 0, -1).status().code() == Status::Code::kWrongType);
  CHECK(strings->SetBit(0, "h", 1, true).status().code() == Status::Code::kWrongType);
  CHECK(strings->Set(0, "h", "x", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kClear, 0, true))
            .status()
            .code() == Status::Code::kWrongType);
  // NX sees the hash as existing.
  CHECK_FALSE(Set("h", "x", With(SetOptions::Condition::kIfAbsent)).written);
  CHECK(Must(keyspace->Type(0, "h")) == KeyType::kHash);
  // MGET reads other types as absent.
  Set("s", "str");
  auto values = Must(strings->MultiGet(0, {"s", "h", "missing", "s"}));
  REQUIRE(values.size() == 4);
  CHECK(values[0] == "str");
  CHECK(values[1] == std::nullopt);
  CHECK(values[2] == std::nullopt);
  CHECK(values[3] == "str");
  // A plain SET replaces any type.
  CHECK(Set("h", "now a string").written);
  CHECK(Get("h") == "now a string");
  CHECK(Must(keyspace->Type(0, "h")) == KeyType::kString);
}

TEST_CASE_FIXTURE(StringFixture, "strings: MSET, MSETNX, GETDEL, GETEX") {
  MustOk(strings->MultiSet(0, {{"a", "1"}, {"b", "2"}, {"a", "3"}}));
  CHECK(Get("a") == "3");  // the last of a repeated key wins
  CHECK(Get("b") == "2");

  CHECK_FALSE(Must(strings->MultiSetIfNoneExist(0, {{"c", "x"}, {"b", "y"}})));
  CHECK(Get("c") == std::nullopt);  // all or nothing
  CHECK(Get("b") == "2");
  CHECK(Must(strings->MultiSetIfNoneExist(0, {{"c", "x"}, {"d", "y"}})));
  CHECK(Get("c") == "x");
  CHECK(Get("d") == "y");

  CHECK(Must(strings->GetDel(0, "c")) == "x");
  CHECK(Get("c") == std::nullopt);
  CHECK(Must(strings->GetDel(0, "c")) == std::nullopt);

  TtlChange set_at;
  set_at.kind = TtlChange::Kind::kSetAt;
  set_at.expire_at_ms = now() + 500;
  CHECK(Must(strings->GetEx(0, "d", set_at)) == "y");
  CHECK(Pttl("d") == 500);
  CHECK(Must(strings->GetEx(0, "d", TtlChange{})) == "y");
  CHECK(Pttl("d") == 500);
  TtlChange persist;
  persist.kind = TtlChange::Kind::kPersist;
  CHECK(Must(strings->GetEx(0, "d", persist)) == "y");
  CHECK(Pttl("d") == -1);
  TtlChange past;
  past.kind = TtlChange::Kind::kSetAt;
  past.expire_at_ms = now();
  CHECK(Must(strings->GetEx(0, "d", past)) == "y");  // returns the value, then the key is gone
  CHECK(Get("d") == std::nullopt);
  CHECK(Must(strings->GetEx(0, "d", persist)) == std::nullopt);
}

TEST_CASE_FIXTURE(StringFixture, "strings: INCRBY") {
  CHECK(Must(strings->IncrBy(0, "n", 1)) == 1);
  CHECK(Must(strings->IncrBy(0, "n", 9)) == 10);
  CHECK(Must(strings->IncrBy(0, "n", -25)) == -15);
  CHECK(Get("n") == "-15");

  Set("max", "9223372036854775807");
  Result<int64_t> over = strings->IncrBy(0, "max", 1);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == Status::Code::kOutOfRange);
  CHECK(over.status().message() == "ERR increment or decrement would overflow");
  CHECK(Get("max") == "9223372036854775807");
  CHECK(Must(strings->IncrBy(0, "max", -1)) == std::numeric_limits<int64_t>::max() - 1);

  Set("min", "-9223372036854775808");
  Result<int64_t> under = strings->IncrBy(0, "min", -1);
  REQUIRE_FALSE(under.ok());
  CHECK(under.status().code() == Status::Code::kOutOfRange);
  CHECK(under.status().message() == errors::kOverflow);
  CHECK(Must(strings->IncrBy(0, "zero", std::numeric_limits<int64_t>::min())) ==
        std::numeric_limits<int64_t>::min());

  for (std::string bad : {"abc"s, " 1"s, "1 "s, "01"s, "1.5"s, ""s, "99999999999999999999"s}) {
    CAPTURE(bad);
    Set("bad", bad);
    Result<int64_t> result = strings->IncrBy(0, "bad", 1);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == Status::Code::kInvalidArgument);
    CHECK(result.status().message() == "ERR value is not an integer or out of range");
    CHECK(Get("bad") == bad);
  }

  // INCR keeps the TTL.
  Set("ttl", "5", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kSetAt, now() + 3000));
  CHECK(Must(strings->IncrBy(0, "ttl", 1)) == 6);
  CHECK(Pttl("ttl") == 3000);
}

TEST_CASE_FIXTURE(StringFixture, "strings: INCRBYFLOAT") {
  Set("f", "10.5");
  CHECK(Must(strings->IncrByFloat(0, "f", 0.1L)) == "10.6");
  CHECK(Get("f") == "10.6");
  CHECK(Must(strings->IncrByFloat(0, "new", 3.0L)) == "3");
  Set("i", "5");
  CHECK(Must(strings->IncrByFloat(0, "i", -5.0L)) == "0");
  Set("e", "5.0e3");
  CHECK(Must(strings->IncrByFloat(0, "e", 1.0L)) == "5001");

  Set("text", "abc");
  Result<std::string> bad = strings->IncrByFloat(0, "text", 1.0L);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "ERR value is not a valid float");
  Result<std::string> inf = strings->IncrByFloat(0, "f", static_cast<long double>(INFINITY));
  REQUIRE_FALSE(inf.ok());
  CHECK(inf.status().message() == "ERR increment would produce NaN or Infinity");
  CHECK(Get("f") == "10.6");

  Set("ttl", "1", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kSetAt, now() + 777));
  CHECK(Must(strings->IncrByFloat(0, "ttl", 0.5L)) == "1.5");
  CHECK(Pttl("ttl") == 777);
}

TEST_CASE_FIXTURE(StringFixture, "strings: APPEND and SETRANGE") {
  CHECK(Must(strings->Append(0, "a", "Hello")) == 5);
  CHECK(Must(strings->Append(0, "a", " World")) == 11);
  CHECK(Get("a") == "Hello World");
  CHECK(Must(strings->Append(0, "a", "")) == 11);

  CHECK(Must(strings->SetRange(0, "a", 6, "Redis")) == 11);
  CHECK(Get("a") == "Hello Redis");
  CHECK(Must(strings->SetRange(0, "a", 11, "!")) == 12);
  CHECK(Get("a") == "Hello Redis!");

  CHECK(Must(strings->SetRange(0, "pad", 5, "hi")) == 7);
  CHECK(Get("pad") == "\0\0\0\0\0hi"s);

  // An empty value changes nothing and creates nothing.
  CHECK(Must(strings->SetRange(0, "none", 10, "")) == 0);
  CHECK(Must(keyspace->Exists(0, {"none"})) == 0);
  CHECK(Must(strings->SetRange(0, "a", 100, "")) == 12);

  Result<size_t> too_long = strings->SetRange(0, "big", kMaxStringSize, "x");
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.status().message() == errors::kStringTooLong);

  // Both keep the TTL.
  Set("t", "x", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kSetAt, now() + 100));
  CHECK(Must(strings->Append(0, "t", "y")) == 2);
  CHECK(Must(strings->SetRange(0, "t", 0, "z")) == 2);
  CHECK(Get("t") == "zy");
  CHECK(Pttl("t") == 100);
}

TEST_CASE_FIXTURE(StringFixture, "strings: GETRANGE") {
  Set("s", "This is a string");
  auto range = [&](int64_t start, int64_t end) { return Must(strings->GetRange(0, "s", start, end)); };
  CHECK(range(0, 3) == "This");
  CHECK(range(-3, -1) == "ing");
  CHECK(range(0, -1) == "This is a string");
  CHECK(range(10, 100) == "string");
  CHECK(range(-100, 3) == "This");
  CHECK(range(5, 3) == "");
  CHECK(range(100, 200) == "");
  CHECK(range(-1, -5) == "");  // both negative, start after end
  CHECK(range(-100, -200) == "");
  // Redis clamps an end before the start of the string to 0.
  CHECK(range(0, -100) == "T");
  CHECK(range(2, -100) == "");
  CHECK(Must(strings->GetRange(0, "missing", 0, -1)) == "");
  Set("empty", "");
  CHECK(Must(strings->GetRange(0, "empty", 0, -1)) == "");
  CHECK(Must(strings->GetRange(0, "empty", -1, -1)) == "");
}

TEST_CASE("NormalizeRange") {
  int64_t start = -3, end = -1;
  CHECK(NormalizeRange(10, &start, &end));
  CHECK(start == 7);
  CHECK(end == 9);
  start = 0;
  end = 100;
  CHECK(NormalizeRange(10, &start, &end));
  CHECK(end == 9);
  start = 0;
  end = -100;
  CHECK(NormalizeRange(10, &start, &end));
  CHECK(start == 0);
  CHECK(end == 0);
  start = 0;
  end = -1;
  CHECK_FALSE(NormalizeRange(0, &start, &end));
  start = std::numeric_limits<int64_t>::min();
  end = std::numeric_limits<int64_t>::max();
  CHECK(NormalizeRange(10, &start, &end));
  CHECK(start == 0);
  CHECK(end == 9);
}

TEST_CASE_FIXTURE(StringFixture, "strings: SETBIT and GETBIT") {
  CHECK(Must(strings->SetBit(0, "b", 7, true)) == 0);
  CHECK(Get("b") == "\x01"s);
  CHECK(Must(strings->GetBit(0, "b", 7)) == 1);
  CHECK(Must(strings->GetBit(0, "b", 6)) == 0);
  CHECK(Must(strings->GetBit(0, "b", 1000)) == 0);
  CHECK(Must(strings->SetBit(0, "b", 7, true)) == 1);
  CHECK(Must(strings->SetBit(0, "b", 7, false)) == 1);
  CHECK(Get("b") == "\x00"s);
  CHECK(Must(strings->SetBit(0, "b", 0, true)) == 0);
  CHECK(Get("b") == "\x80"s);
  CHECK(Must(strings->SetBit(0, "b", 100, true)) == 0);
  CHECK(Must(strings->StrLen(0, "b")) == 13);
  CHECK(Must(strings->GetBit(0, "b", 100)) == 1);
  CHECK(Must(strings->GetBit(0, "missing", 0)) == 0);
  // Works on strings written as text: 'a' is 0x61 = 01100001.
  Set("a", "a");
  CHECK(Must(strings->GetBit(0, "a", 1)) == 1);
  CHECK(Must(strings->GetBit(0, "a", 3)) == 0);
  CHECK(Must(strings->SetBit(0, "a", 6, true)) == 0);
  CHECK(Get("a") == "c");
}

TEST_CASE_FIXTURE(StringFixture, "strings: BITCOUNT") {
  Set("f", "foobar");
  auto count = [&](int64_t start, int64_t end, BitUnit unit = BitUnit::kByte) {
    return Must(strings->BitCount(0, "f", BitRange{start, end, unit}));
  };
  CHECK(Must(strings->BitCount(0, "f", std::nullopt)) == 26);
  CHECK(count(0, 0) == 4);
  CHECK(count(1, 1) == 6);
  CHECK(count(1, -2) == 18);
  CHECK(count(-1, -1) == 4);
  CHECK(count(5, 30, BitUnit::kBit) == 17);
  CHECK(count(0, -1, BitUnit::kBit) == 26);
  CHECK(count(-100, -200) == 0);
  CHECK(count(0, -100) == 4);                // end clamps to byte 0
  CHECK(count(0, -100, BitUnit::kBit) == 0);  // end clamps to bit 0, which is clear
  CHECK(count(10, 5) == 0);
  CHECK(Must(strings->BitCount(0, "missing", std::nullopt)) == 0);
  CHECK(CountBits("\xff\xff"s, BitRange{3, 12, BitUnit::kBit}) == 10);
}

TEST_CASE_FIXTURE(StringFixture, "strings: BITPOS") {
  auto pos = [&](std::string_view key, bool bit, std::optional<BitRange> range = std::nullopt,
                 bool end_given = false) { return Must(strings->BitPos(0, key, bit, range, end_given)); };
  Set("a", "\xff\xf0\x00"s);
  CHECK(pos("a", false) == 12);
  CHECK(pos("a", true) == 0);
  Set("b", "\x00\xff\xf0"s);
  CHECK(pos("b", true, BitRange{0, -1}) == 8);
  CHECK(pos("b", true, BitRange{2, -1}) == 16);
  CHECK(pos("b", true, BitRange{2, -1}, true) == 16);
  CHECK(pos("b", true, BitRange{7, 15, BitUnit::kBit}, true) == 8);
  CHECK(pos("b", false, BitRange{8, -1, BitUnit::kBit}, true) == 20);
  Set("zeros", "\x00\x00\x00"s);
  CHECK(pos("zeros", true, BitRange{7, -3, BitUnit::kBit}, true) == -1);
  CHECK(pos("zeros", true) == -1);
  CHECK(pos("zeros", false) == 0);

  // All ones: a clear bit is found past the end only when no end was given.
  Set("ones", "\xff\xff"s);
  CHECK(pos("ones", false) == 16);
  CHECK(pos("ones", false, BitRange{0, -1}) == 16);
  CHECK(pos("ones", false, BitRange{0, -1}, true) == -1);
  CHECK(pos("ones", false, BitRange{0, -1, BitUnit::kBit}, true) == -1);
  CHECK(pos("ones", false, BitRange{1, -1}) == 16);
  CHECK(pos("ones", true, BitRange{-100, -200}, true) == 0);  // BITPOS clamps both to 0

  // A missing key is an endless run of zeros; an existing empty string has no bits.
  CHECK(pos("missing", true) == -1);
  CHECK(pos("missing", false) == 0);
  Set("empty", "");
  CHECK(pos("empty", true) == -1);
  CHECK(pos("empty", false) == -1);
  CHECK(FindBit("", false, BitRange{}, false) == -1);
}

TEST_CASE_FIXTURE(StringFixture, "strings: data survives closing and reopening the engine") {
  Set("persist", "value");
  Set("ttl", "v", With(SetOptions::Condition::kAlways, SetOptions::Ttl::kSetAt, now() + 60000));
  MustOk(strings->MultiSet(3, {{"other-db", "x"}}));
  CHECK(Must(strings->IncrBy(0, "n", 42)) == 42);
  ReopenAll();
  CHECK(Get("persist") == "value");
  CHECK(Get("ttl") == "v");
  CHECK(Pttl("ttl") == 60000);
  CHECK(Get("other-db", 3) == "x");
  CHECK(Must(strings->IncrBy(0, "n", 1)) == 43);
  // Close twice is harmless.
  MustOk(engine->Close());
  MustOk(engine->Close());
  engine.reset();
  Open();
  strings.emplace(*engine);
  CHECK(Get("n") == "43");
}

}  // namespace
}  // namespace kvd::storage
