// String and generic key commands, driven through RespClient against a real
// kvd server, with Redis 7 replies and error texts.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "harness.h"

namespace kvdtest {
namespace {

constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
constexpr const char* kSyntax = "ERR syntax error";
constexpr const char* kOverflow = "ERR increment or decrement would overflow";
constexpr const char* kDbRange = "ERR DB index is out of range";
constexpr const char* kSameObject = "ERR source and destination objects are the same";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> Sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

}  // namespace

TEST_CASE("strings: SET and its options") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Simple(c, {"SET", "k", "v"}) == "OK");
  CHECK(Bulk(c, {"GET", "k"}) == "v");
  CHECK(Bulk(c, {"GET", "missing"}) == "<nil>");

  // NX / XX
  CHECK(Bulk(c, {"SET", "k", "other", "NX"}) == "<nil>");
  CHECK(Bulk(c, {"GET", "k"}) == "v");
  CHECK(Simple(c, {"SET", "nx", "1", "NX"}) == "OK");
  CHECK(Bulk(c, {"SET", "absent", "1", "XX"}) == "<nil>");
  CHECK(Int(c, {"EXISTS", "absent"}) == 0);
  CHECK(Simple(c, {"SET", "k", "v3", "xx"}) == "OK");
  CHECK(Bulk(c, {"GET", "k"}) == "v3");

  // GET returns the old value
  CHECK(Bulk(c, {"SET", "k", "v4", "GET"}) == "v3");
  CHECK(Bulk(c, {"GET", "k"}) == "v4");
  CHECK(Bulk(c, {"SET", "fresh", "x", "GET"}) == "<nil>");
  CHECK(Bulk(c, {"GET", "fresh"}) == "x");
  // Redis 7 allows NX together with GET: the old value comes back and nothing is written.
  CHECK(Bulk(c, {"SET", "k", "v5", "NX", "GET"}) == "v4");
  CHECK(Bulk(c, {"GET", "k"}) == "v4");

  // EX / PX / EXAT / PXAT / KEEPTTL
  CHECK(Simple(c, {"SET", "k", "v", "EX", "100"}) == "OK");
  int64_t ttl = Int(c, {"TTL", "k"});
  CHECK(ttl > 0);
  CHECK(ttl <= 100);
  CHECK(Simple(c, {"SET", "k", "v", "PX", "100000"}) == "OK");
  int64_t pttl = Int(c, {"PTTL", "k"});
  CHECK(pttl > 0);
  CHECK(pttl <= 100000);
  int64_t at = NowSeconds() + 1000;
  CHECK(Simple(c, {"SET", "k", "v", "EXAT", std::to_string(at)}) == "OK");
  CHECK(Int(c, {"EXPIRETIME", "k"}) == at);
  CHECK(Int(c, {"PEXPIRETIME", "k"}) == at * 1000);
  int64_t at_ms = NowSeconds() * 1000 + 2000123;
  CHECK(Simple(c, {"SET", "k", "v", "PXAT", std::to_string(at_ms)}) == "OK");
  CHECK(Int(c, {"PEXPIRETIME", "k"}) == at_ms);
  CHECK(Simple(c, {"SET", "k", "kept", "KEEPTTL"}) == "OK");
  CHECK(Int(c, {"PEXPIRETIME", "k"}) == at_ms);
  CHECK(Bulk(c, {"GET", "k"}) == "kept");
  CHECK(Simple(c, {"SET", "k", "plain"}) == "OK");  // a plain SET drops the TTL
  CHECK(Int(c, {"TTL", "k"}) == -1);

  // errors
  CHECK(Err(c, {"SET", "k", "v", "EX", "0"}) == "ERR invalid expire time in 'set' command");
  CHECK(Err(c, {"SET", "k", "v", "PX", "-5"}) == "ERR invalid expire time in 'set' command");
  CHECK(Err(c, {"SET", "k", "v", "EX", "9223372036854775807"}) == "ERR invalid expire time in 'set' command");
  CHECK(Err(c, {"SET", "k", "v", "EX", "abc"}) == kNotInteger);
  CHECK(Err(c, {"SET", "k", "v", "NX", "XX"}) == kSyntax);
  CHECK(Err(c, {"SET", "k", "v", "EX", "10", "PX", "100"}) == kSyntax);
  CHECK(Err(c, {"SET", "k", "v", "KEEPTTL", "EX", "10"}) == kSyntax);
  CHECK(Err(c, {"SET", "k", "v", "EX"}) == kSyntax);
  CHECK(Err(c, {"SET", "k", "v", "BOGUS"}) == kSyntax);
  CHECK(Err(c, {"SET", "k"}) == "ERR wrong number of arguments for 'set' command");
  CHECK(Bulk(c, {"GET", "k"}) == "plain");  // failed SETs changed nothing
}

TEST_CASE("strings: SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL GETEX") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"SETNX", "a", "1"}) == 1);
  CHECK(Int(c, {"SETNX", "a", "2"}) == 0);
  CHECK(Bulk(c, {"GET", "a"}) == "1");

  CHECK(Simple(c, {"SETEX", "se", "100", "val"}) == "OK");
  CHECK(Bulk(c, {"GET", "se"}) == "val");
  int64_t ttl = Int(c, {"TTL", "se"});
  CHECK(ttl > 0);
  CHECK(ttl <= 100);
  CHECK(Err(c, {"SETEX", "se", "0", "val"}) == "ERR invalid expire time in 'setex' command");
  CHECK(Err(c, {"SETEX", "se", "x", "val"}) == kNotInteger);
  CHECK(Simple(c, {"PSETEX", "pse", "100000", "pv"}) == "OK");
  int64_t pttl = Int(c, {"PTTL", "pse"});
  CHECK(pttl > 0);
  CHECK(pttl <= 100000);
  CHECK(Err(c, {"PSETEX", "pse", "-1", "pv"}) == "ERR invalid expire time in 'psetex' command");

  CHECK(Simple(c, {"MSET", "m1", "x", "m2", "y", "m3", "z"}) == "OK");
  CHECK(Strings(c, {"MGET", "m1", "m2", "nope", "m3"}) == std::vector<std::string>{"x", "y", "(nil)", "z"});
  CHECK(Err(c, {"MSET", "m1"}) == "ERR wrong number of arguments for 'mset' command");
  CHECK(Err(c, {"MSET", "m1", "a", "m2"}) == "ERR wrong number of arguments for 'mset' command");
  CHECK(Bulk(c, {"GET", "m1"}) == "x");
  CHECK(Int(c, {"MSETNX", "m1", "new", "m4", "w"}) == 0);
  CHECK(Bulk(c, {"GET", "m1"}) == "x");
  CHECK(Int(c, {"EXISTS", "m4"}) == 0);
  CHECK(Int(c, {"MSETNX", "m4", "w", "m5", "v"}) == 1);
  CHECK(Strings(c, {"MGET", "m4", "m5"}) == std::vector<std::string>{"w", "v"});

  CHECK(Bulk(c, {"GETSET", "a", "10"}) == "1");
  CHECK(Bulk(c, {"GET", "a"}) == "10");
  CHECK(Bulk(c, {"GETSET", "gs-new", "x"}) == "<nil>");
  CHECK(Bulk(c, {"GET", "gs-new"}) == "x");
  CHECK(Bulk(c, {"GETSET", "se", "replaced"}) == "val");
  CHECK(Int(c, {"TTL", "se"}) == -1);  // GETSET drops the TTL

  CHECK(Bulk(c, {"GETDEL", "a"}) == "10");
  CHECK(Int(c, {"EXISTS", "a"}) == 0);
  CHECK(Bulk(c, {"GETDEL", "a"}) == "<nil>");

  CHECK(Simple(c, {"SET", "g", "gv"}) == "OK");
  CHECK(Bulk(c, {"GETEX", "g"}) == "gv");
  CHECK(Int(c, {"TTL", "g"}) == -1);
  CHECK(Bulk(c, {"GETEX", "g", "EX", "100"}) == "gv");
  ttl = Int(c, {"TTL", "g"});
  CHECK(ttl > 0);
  CHECK(ttl <= 100);
  CHECK(Bulk(c, {"GETEX", "g", "PX", "200000"}) == "gv");
  pttl = Int(c, {"PTTL", "g"});
  CHECK(pttl > 100000);
  CHECK(pttl <= 200000);
  int64_t at = NowSeconds() + 5000;
  CHECK(Bulk(c, {"GETEX", "g", "EXAT", std::to_string(at)}) == "gv");
  CHECK(Int(c, {"EXPIRETIME", "g"}) == at);
  CHECK(Bulk(c, {"GETEX", "g", "PXAT", std::to_string(at * 1000 + 7)}) == "gv");
  CHECK(Int(c, {"PEXPIRETIME", "g"}) == at * 1000 + 7);
  CHECK(Bulk(c, {"GETEX", "g", "PERSIST"}) == "gv");
  CHECK(Int(c, {"TTL", "g"}) == -1);
  CHECK(Bulk(c, {"GETEX", "nope"}) == "<nil>");
  CHECK(Err(c, {"GETEX", "g", "EX", "0"}) == "ERR invalid expire time in 'getex' command");
  CHECK(Err(c, {"GETEX", "g", "PERSIST", "EX", "10"}) == kSyntax);
  CHECK(Err(c, {"GETEX", "g", "BOGUS"}) == kSyntax);
  // Like Redis, the key is looked up before the time is checked.
  CHECK(Bulk(c, {"GETEX", "nope", "EX", "0"}) == "<nil>");
  CHECK(Bulk(c, {"GETEX", "nope", "PX", "abc"}) == "<nil>");
  CHECK(Int(c, {"RPUSH", "getex-list", "x"}) == 1);
  CHECK(Err(c, {"GETEX", "getex-list", "EXAT", "0"}).rfind("WRONGTYPE", 0) == 0);
  CHECK(Err(c, {"GETEX", "g", "EX", "abc"}) == "ERR value is not an integer or out of range");
}

TEST_CASE("strings: INCR DECR INCRBY DECRBY INCRBYFLOAT") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"INCR", "n"}) == 1);
  CHECK(Int(c, {"INCR", "n"}) == 2);
  CHECK(Int(c, {"INCRBY", "n", "10"}) == 12);
  CHECK(Int(c, {"DECR", "n"}) == 11);
  CHECK(Int(c, {"DECRBY", "n", "5"}) == 6);
  CHECK(Int(c, {"INCRBY", "n", "-10"}) == -4);
  CHECK(Int(c, {"DECRBY", "n", "-4"}) == 0);
  CHECK(Int(c, {"DECR", "fresh"}) == -1);
  CHECK(Bulk(c, {"GET", "n"}) == "0");

  CHECK(Simple(c, {"SET", "big", "9223372036854775807"}) == "OK");
  CHECK(Err(c, {"INCR", "big"}) == kOverflow);
  CHECK(Err(c, {"INCRBY", "big", "1"}) == kOverflow);
  CHECK(Err(c, {"DECRBY", "big", "-1"}) == kOverflow);
  CHECK(Bulk(c, {"GET", "big"}) == "9223372036854775807");
  CHECK(Simple(c, {"SET", "small", "-9223372036854775808"}) == "OK");
  CHECK(Err(c, {"DECR", "small"}) == kOverflow);
  CHECK(Err(c, {"INCRBY", "small", "-1"}) == kOverflow);
  CHECK(Bulk(c, {"GET", "small"}) == "-9223372036854775808");
  CHECK(Err(c, {"DECRBY", "n", "-9223372036854775808"}) == "ERR decrement would overflow");

  CHECK(Simple(c, {"SET", "s", "abc"}) == "OK");
  CHECK(Err(c, {"INCR", "s"}) == kNotInteger);
  CHECK(Simple(c, {"SET", "s", "1.5"}) == "OK");
  CHECK(Err(c, {"INCR", "s"}) == kNotInteger);
  CHECK(Simple(c, {"SET", "s", " 1"}) == "OK");
  CHECK(Err(c, {"INCR", "s"}) == kNotInteger);
  CHECK(Simple(c, {"SET", "s", "9223372036854775808"}) == "OK");
  CHECK(Err(c, {"INCR", "s"}) == kNotInteger);
  CHECK(Err(c, {"INCRBY", "n", "abc"}) == kNotInteger);
  CHECK(Err(c, {"INCRBY", "n", "9223372036854775808"}) == kNotInteger);
  CHECK(Err(c, {"DECRBY", "n", "1x"}) == kNotInteger);
  CHECK(Bulk(c, {"GET", "n"}) == "0");

  // INCR keeps the TTL of the key.
  CHECK(Simple(c, {"SET", "t", "5", "EX", "100"}) == "OK");
  CHECK(Int(c, {"INCR", "t"}) == 6);
  CHECK(Int(c, {"TTL", "t"}) > 0);

  CHECK(Simple(c, {"SET", "f", "10.50"}) == "OK");
  CHECK(Bulk(c, {"INCRBYFLOAT", "f", "0.1"}) == "10.6");
  CHECK(Bulk(c, {"INCRBYFLOAT", "f", "-5"}) == "5.6");
  CHECK(Bulk(c, {"GET", "f"}) == "5.6");
  CHECK(Simple(c, {"SET", "f", "5.0e3"}) == "OK");
  CHECK(Bulk(c, {"INCRBYFLOAT", "f", "2.0e2"}) == "5200");
  CHECK(Bulk(c, {"INCRBYFLOAT", "nf", "3"}) == "3");
  CHECK(Bulk(c, {"INCRBYFLOAT", "n", "1.25"}) == "1.25");
  CHECK(Err(c, {"INCRBYFLOAT", "f", "abc"}) == "ERR value is not a valid float");
  CHECK(Simple(c, {"SET", "s", "abc"}) == "OK");
  CHECK(Err(c, {"INCRBYFLOAT", "s", "1"}) == "ERR value is not a valid float");
  CHECK(Bulk(c, {"GET", "f"}) == "5200");
}

TEST_CASE("strings: INCRBYFLOAT to infinity is refused like Redis") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Simple(c, {"SET", "f", "1"}) == "OK");
  // Redis parses "inf" as a valid long double and then refuses the result.
  CHECK(Err(c, {"INCRBYFLOAT", "f", "inf"}) == "ERR increment would produce NaN or Infinity");
  CHECK(Bulk(c, {"GET", "f"}) == "1");
}

TEST_CASE("strings: APPEND STRLEN GETRANGE SETRANGE") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"APPEND", "ap", "Hello"}) == 5);
  CHECK(Int(c, {"APPEND", "ap", " World"}) == 11);
  CHECK(Bulk(c, {"GET", "ap"}) == "Hello World");
  CHECK(Int(c, {"STRLEN", "ap"}) == 11);
  CHECK(Int(c, {"STRLEN", "nope"}) == 0);

  CHECK(Simple(c, {"SET", "gr", "This is a string"}) == "OK");
  CHECK(Bulk(c, {"GETRANGE", "gr", "0", "3"}) == "This");
  CHECK(Bulk(c, {"GETRANGE", "gr", "-3", "-1"}) == "ing");
  CHECK(Bulk(c, {"GETRANGE", "gr", "0", "-1"}) == "This is a string");
  CHECK(Bulk(c, {"GETRANGE", "gr", "10", "100"}) == "string");
  CHECK(Bulk(c, {"GETRANGE", "gr", "5", "3"}) == "");
  CHECK(Bulk(c, {"GETRANGE", "nope", "0", "10"}) == "");
  CHECK(Err(c, {"GETRANGE", "gr", "a", "1"}) == kNotInteger);

  CHECK(Simple(c, {"SET", "sr", "Hello World"}) == "OK");
  CHECK(Int(c, {"SETRANGE", "sr", "6", "Redis"}) == 11);
  CHECK(Bulk(c, {"GET", "sr"}) == "Hello Redis");
  CHECK(Int(c, {"SETRANGE", "sr", "11", "!!"}) == 13);
  CHECK(Bulk(c, {"GET", "sr"}) == "Hello Redis!!");
  CHECK(Int(c, {"SETRANGE", "pad", "5", "x"}) == 6);
  CHECK(Bulk(c, {"GET", "pad"}) == std::string("\0\0\0\0\0x", 6));
  CHECK(Err(c, {"SETRANGE", "sr", "-1", "x"}) == "ERR offset is out of range");
  CHECK(Int(c, {"SETRANGE", "empty", "0", ""}) == 0);
  CHECK(Int(c, {"EXISTS", "empty"}) == 0);
}

TEST_CASE("strings: SETBIT GETBIT BITCOUNT BITPOS") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"SETBIT", "bits", "7", "1"}) == 0);
  CHECK(Int(c, {"GETBIT", "bits", "7"}) == 1);
  CHECK(Int(c, {"GETBIT", "bits", "0"}) == 0);
  CHECK(Int(c, {"GETBIT", "bits", "100"}) == 0);
  CHECK(Bulk(c, {"GET", "bits"}) == "\x01");
  CHECK(Int(c, {"SETBIT", "bits", "7", "0"}) == 1);
  CHECK(Int(c, {"SETBIT", "bits", "17", "1"}) == 0);
  CHECK(Bulk(c, {"GET", "bits"}) == std::string("\x00\x00\x40", 3));
  CHECK(Err(c, {"SETBIT", "bits", "7", "2"}) == "ERR bit is not an integer or out of range");
  CHECK(Err(c, {"SETBIT", "bits", "-1", "1"}) == "ERR bit offset is not an integer or out of range");
  CHECK(Err(c, {"SETBIT", "bits", "4294967296", "1"}) == "ERR bit offset is not an integer or out of range");
  CHECK(Err(c, {"GETBIT", "bits", "x"}) == "ERR bit offset is not an integer or out of range");
  CHECK(Int(c, {"GETBIT", "nope", "5"}) == 0);

  CHECK(Simple(c, {"SET", "bc", "foobar"}) == "OK");
  CHECK(Int(c, {"BITCOUNT", "bc"}) == 26);
  CHECK(Int(c, {"BITCOUNT", "bc", "0", "0"}) == 4);
  CHECK(Int(c, {"BITCOUNT", "bc", "1", "1"}) == 6);
  CHECK(Int(c, {"BITCOUNT", "bc", "1", "1", "BYTE"}) == 6);
  CHECK(Int(c, {"BITCOUNT", "bc", "5", "30", "BIT"}) == 17);
  CHECK(Int(c, {"BITCOUNT", "bc", "-2", "-1"}) == 7);  // "ar"
  CHECK(Int(c, {"BITCOUNT", "nope"}) == 0);
  CHECK(Err(c, {"BITCOUNT", "bc", "0"}) == kSyntax);
  CHECK(Err(c, {"BITCOUNT", "bc", "0", "1", "BOGUS"}) == kSyntax);

  CHECK(Simple(c, {"SET", "bp", std::string("\xff\xf0\x00", 3)}) == "OK");
  CHECK(Int(c, {"BITPOS", "bp", "0"}) == 12);
  CHECK(Simple(c, {"SET", "bp", std::string("\x00\xff\xf0", 3)}) == "OK");
  CHECK(Int(c, {"BITPOS", "bp", "1", "0"}) == 8);
  CHECK(Int(c, {"BITPOS", "bp", "1", "2"}) == 16);
  CHECK(Int(c, {"BITPOS", "bp", "1", "2", "-1", "BYTE"}) == 16);
  CHECK(Int(c, {"BITPOS", "bp", "1", "7", "15", "BIT"}) == 8);
  CHECK(Simple(c, {"SET", "bp", std::string("\x00\x00\x00", 3)}) == "OK");
  CHECK(Int(c, {"BITPOS", "bp", "1"}) == -1);
  CHECK(Simple(c, {"SET", "ones", "\xff\xff\xff"}) == "OK");
  CHECK(Int(c, {"BITPOS", "ones", "0"}) == 24);         // no end: the string is padded with zeros
  CHECK(Int(c, {"BITPOS", "ones", "0", "0", "-1"}) == -1);  // explicit end: no padding
  CHECK(Int(c, {"BITPOS", "nope", "0"}) == 0);
  CHECK(Int(c, {"BITPOS", "nope", "1"}) == -1);
  CHECK(Err(c, {"BITPOS", "bp", "2"}) == "ERR The bit argument must be 1 or 0.");
}

TEST_CASE("keys: DEL UNLINK EXISTS TYPE TOUCH") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Simple(c, {"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}) == "OK");
  CHECK(Int(c, {"EXISTS", "a", "a", "nope"}) == 2);  // duplicates count twice, as in Redis
  CHECK(Simple(c, {"TYPE", "a"}) == "string");
  CHECK(Simple(c, {"TYPE", "nope"}) == "none");
  CHECK(Int(c, {"TOUCH", "a", "b", "nope"}) == 2);
  CHECK(Int(c, {"DEL", "a", "b", "nope"}) == 2);
  CHECK(Int(c, {"EXISTS", "a", "b"}) == 0);
  CHECK(Int(c, {"UNLINK", "c", "nope"}) == 1);
  CHECK(Int(c, {"DEL", "c"}) == 0);
  CHECK(Int(c, {"DBSIZE"}) == 1);
  CHECK(Err(c, {"DEL"}) == "ERR wrong number of arguments for 'del' command");
  CHECK(Err(c, {"EXISTS"}) == "ERR wrong number of arguments for 'exists' command");
}

TEST_CASE("keys: EXPIRE family with NX XX GT LT, TTL PTTL EXPIRETIME PERSIST") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Int(c, {"TTL", "nope"}) == -2);
  CHECK(Int(c, {"PTTL", "nope"}) == -2);
  CHECK(Int(c, {"EXPIRETIME", "nope"}) == -2);
  CHECK(Int(c, {"PEXPIRETIME", "nope"}) == -2);
  CHECK(Int(c, {"EXPIRE", "nope", "10"}) == 0);
  CHECK(Simple(c, {"SET", "k", "v"}) == "OK");
  CHECK(Int(c, {"TTL", "k"}) == -1);
  CHECK(Int(c, {"PTTL", "k"}) == -1);
  CHECK(Int(c, {"EXPIRETIME", "k"}) == -1);

  // Without a TTL: XX and GT do nothing, LT and NX set one (no TTL counts as infinite).
  CHECK(Int(c, {"EXPIRE", "k", "100", "XX"}) == 0);
  CHECK(Int(c, {"EXPIRE", "k", "100", "GT"}) == 0);
  CHECK(Int(c, {"TTL", "k"}) == -1);
  CHECK(Int(c, {"EXPIRE", "k", "500", "LT"}) == 1);
  CHECK(Int(c, {"PERSIST", "k"}) == 1);
  CHECK(Int(c, {"PERSIST", "k"}) == 0);
  CHECK(Int(c, {"EXPIRE", "k", "100", "NX"}) == 1);
  CHECK(Int(c, {"EXPIRE", "k", "200", "NX"}) == 0);
  int64_t ttl = Int(c, {"TTL", "k"});
  CHECK(ttl > 0);
  CHECK(ttl <= 100);
  CHECK(Int(c, {"EXPIRE", "k", "300", "XX"}) == 1);
  CHECK(Int(c, {"TTL", "k"}) > 200);
  CHECK(Int(c, {"EXPIRE", "k", "50", "GT"}) == 0);
  CHECK(Int(c, {"EXPIRE", "k", "1000", "GT"}) == 1);
  CHECK(Int(c, {"TTL", "k"}) > 900);
  CHECK(Int(c, {"EXPIRE", "k", "2000", "LT"}) == 0);
  CHECK(Int(c, {"EXPIRE", "k", "400", "LT"}) == 1);
  ttl = Int(c, {"TTL", "k"});
  CHECK(ttl > 300);
  CHECK(ttl <= 400);
  CHECK(Int(c, {"EXPIRE", "k", "100", "XX", "GT"}) == 0);
  CHECK(Int(c, {"EXPIRE", "k", "350", "XX", "LT"}) == 1);

  CHECK(Err(c, {"EXPIRE", "k", "10", "NX", "XX"}) ==
        "ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(Err(c, {"EXPIRE", "k", "10", "GT", "LT"}) == "ERR GT and LT options at the same time are not compatible");
  CHECK(Err(c, {"EXPIRE", "k", "10", "BOGUS"}) == "ERR Unsupported option BOGUS");
  CHECK(Err(c, {"EXPIRE", "k", "abc"}) == kNotInteger);

  CHECK(Int(c, {"PEXPIRE", "k", "100000"}) == 1);
  int64_t pttl = Int(c, {"PTTL", "k"});
  CHECK(pttl > 0);
  CHECK(pttl <= 100000);
  int64_t at = NowSeconds() + 1000;
  CHECK(Int(c, {"EXPIREAT", "k", std::to_string(at)}) == 1);
  CHECK(Int(c, {"EXPIRETIME", "k"}) == at);
  CHECK(Int(c, {"PEXPIRETIME", "k"}) == at * 1000);
  CHECK(Int(c, {"PEXPIREAT", "k", std::to_string(at * 1000 + 555)}) == 1);
  CHECK(Int(c, {"PEXPIRETIME", "k"}) == at * 1000 + 555);
  CHECK(Int(c, {"EXPIREAT", "k", std::to_string(at + 10), "LT"}) == 0);
  CHECK(Int(c, {"EXPIREAT", "k", std::to_string(at + 10), "GT"}) == 1);
  CHECK(Int(c, {"EXPIRETIME", "k"}) == at + 10);
  CHECK(Int(c, {"PEXPIREAT", "k", std::to_string(at * 1000), "NX"}) == 0);
  CHECK(Int(c, {"PERSIST", "k"}) == 1);
  CHECK(Int(c, {"TTL", "k"}) == -1);

  // A time in the past deletes the key at once.
  CHECK(Int(c, {"EXPIRE", "k", "-1"}) == 1);
  CHECK(Int(c, {"EXISTS", "k"}) == 0);
  CHECK(Simple(c, {"SET", "k2", "v"}) == "OK");
  CHECK(Int(c, {"EXPIREAT", "k2", "1"}) == 1);
  CHECK(Bulk(c, {"GET", "k2"}) == "<nil>");
  CHECK(Simple(c, {"SET", "k3", "v"}) == "OK");
  CHECK(Int(c, {"PEXPIRE", "k3", "0"}) == 1);
  CHECK(Int(c, {"TTL", "k3"}) == -2);
  CHECK(Err(c, {"EXPIRE", "k3", "9223372036854775807"}) == "ERR invalid expire time in 'expire' command");
}

TEST_CASE("keys: RENAME RENAMENX COPY MOVE") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Err(c, {"RENAME", "nope", "x"}) == "ERR no such key");
  CHECK(Err(c, {"RENAMENX", "nope", "x"}) == "ERR no such key");
  CHECK(Simple(c, {"SET", "r", "v", "EX", "100"}) == "OK");
  CHECK(Simple(c, {"RENAME", "r", "r2"}) == "OK");
  CHECK(Int(c, {"EXISTS", "r"}) == 0);
  CHECK(Bulk(c, {"GET", "r2"}) == "v");
  CHECK(Int(c, {"TTL", "r2"}) > 0);  // the TTL travels with the value
  CHECK(Simple(c, {"SET", "dst", "old", "EX", "100"}) == "OK");
  CHECK(Simple(c, {"SET", "src", "new"}) == "OK");
  CHECK(Simple(c, {"RENAME", "src", "dst"}) == "OK");
  CHECK(Bulk(c, {"GET", "dst"}) == "new");
  CHECK(Int(c, {"TTL", "dst"}) == -1);  // the destination's old TTL is gone
  CHECK(Simple(c, {"RENAME", "dst", "dst"}) == "OK");
  CHECK(Bulk(c, {"GET", "dst"}) == "new");
  CHECK(Simple(c, {"SET", "s2", "x"}) == "OK");
  CHECK(Int(c, {"RENAMENX", "s2", "dst"}) == 0);
  CHECK(Bulk(c, {"GET", "s2"}) == "x");
  CHECK(Int(c, {"RENAMENX", "s2", "s3"}) == 1);
  CHECK(Bulk(c, {"GET", "s3"}) == "x");
  CHECK(Int(c, {"EXISTS", "s2"}) == 0);

  // COPY
  CHECK(Simple(c, {"SET", "csrc", "cv", "EX", "100"}) == "OK");
  CHECK(Int(c, {"COPY", "csrc", "cdst"}) == 1);
  CHECK(Bulk(c, {"GET", "cdst"}) == "cv");
  CHECK(Int(c, {"TTL", "cdst"}) > 0);
  CHECK(Bulk(c, {"GET", "csrc"}) == "cv");
  CHECK(Simple(c, {"SET", "csrc", "cv2"}) == "OK");
  CHECK(Int(c, {"COPY", "csrc", "cdst"}) == 0);
  CHECK(Bulk(c, {"GET", "cdst"}) == "cv");
  CHECK(Int(c, {"COPY", "csrc", "cdst", "REPLACE"}) == 1);
  CHECK(Bulk(c, {"GET", "cdst"}) == "cv2");
  CHECK(Int(c, {"TTL", "cdst"}) == -1);
  CHECK(Int(c, {"COPY", "csrc", "cdst", "DB", "5"}) == 1);
  CHECK(Int(c, {"COPY", "csrc", "cdst", "DB", "5"}) == 0);
  CHECK(Int(c, {"COPY", "csrc", "cdst", "DB", "5", "REPLACE"}) == 1);
  CHECK(Int(c, {"COPY", "nope", "x"}) == 0);
  CHECK(Err(c, {"COPY", "csrc", "csrc"}) == kSameObject);
  CHECK(Int(c, {"COPY", "csrc", "csrc", "DB", "1"}) == 1);
  CHECK(Err(c, {"COPY", "csrc", "x", "DB", "16"}) == kDbRange);
  CHECK(Err(c, {"COPY", "csrc", "x", "DB", "abc"}) == kNotInteger);
  CHECK(Err(c, {"COPY", "csrc", "x", "BOGUS"}) == kSyntax);
  CHECK(Simple(c, {"SELECT", "5"}) == "OK");
  CHECK(Bulk(c, {"GET", "cdst"}) == "cv2");
  CHECK(Int(c, {"DBSIZE"}) == 1);
  CHECK(Simple(c, {"SELECT", "0"}) == "OK");

  // MOVE
  CHECK(Simple(c, {"SET", "mv", "mval"}) == "OK");
  CHECK(Int(c, {"MOVE", "mv", "2"}) == 1);
  CHECK(Int(c, {"EXISTS", "mv"}) == 0);
  CHECK(Int(c, {"MOVE", "nope", "2"}) == 0);
  CHECK(Simple(c, {"SET", "mv", "other"}) == "OK");
  CHECK(Int(c, {"MOVE", "mv", "2"}) == 0);  // the target db has it already
  CHECK(Bulk(c, {"GET", "mv"}) == "other");
  CHECK(Err(c, {"MOVE", "mv", "0"}) == kSameObject);
  CHECK(Err(c, {"MOVE", "mv", "16"}) == kDbRange);
  CHECK(Err(c, {"MOVE", "mv", "abc"}) == kNotInteger);
  CHECK(Simple(c, {"SELECT", "2"}) == "OK");
  CHECK(Bulk(c, {"GET", "mv"}) == "mval");
}

TEST_CASE("keys: SELECT DBSIZE FLUSHDB FLUSHALL across 16 databases") {
  ServerWithClient s;
  RespClient& c = *s.client;

  for (int db = 0; db < 16; ++db) {
    CHECK(Simple(c, {"SELECT", std::to_string(db)}) == "OK");
    for (int i = 0; i <= db; ++i) CHECK(Simple(c, {"SET", "k" + std::to_string(i), "db" + std::to_string(db)}) == "OK");
  }
  for (int db = 0; db < 16; ++db) {
    CHECK(Simple(c, {"SELECT", std::to_string(db)}) == "OK");
    CHECK(Int(c, {"DBSIZE"}) == db + 1);
    CHECK(Bulk(c, {"GET", "k0"}) == "db" + std::to_string(db));
  }
  CHECK(Err(c, {"SELECT", "16"}) == kDbRange);
  CHECK(Err(c, {"SELECT", "-1"}) == kDbRange);
  CHECK(Err(c, {"SELECT", "abc"}) == kNotInteger);
  // A failed SELECT leaves the connection where it was.
  CHECK(Int(c, {"DBSIZE"}) == 16);

  CHECK(Simple(c, {"SELECT", "3"}) == "OK");
  CHECK(Simple(c, {"FLUSHDB"}) == "OK");
  CHECK(Int(c, {"DBSIZE"}) == 0);
  CHECK(Simple(c, {"SELECT", "4"}) == "OK");
  CHECK(Int(c, {"DBSIZE"}) == 5);
  CHECK(Simple(c, {"FLUSHDB", "ASYNC"}) == "OK");
  CHECK(Int(c, {"DBSIZE"}) == 0);
  CHECK(Err(c, {"FLUSHDB", "BOGUS"}) == kSyntax);
  CHECK(Simple(c, {"SELECT", "0"}) == "OK");
  CHECK(Int(c, {"DBSIZE"}) == 1);
  CHECK(Simple(c, {"FLUSHALL"}) == "OK");
  for (int db = 0; db < 16; ++db) {
    CHECK(Simple(c, {"SELECT", std::to_string(db)}) == "OK");
    CHECK(Int(c, {"DBSIZE"}) == 0);
  }

  // Each connection has its own current database.
  auto other = s.server.Connect();
  CHECK(Simple(c, {"SELECT", "7"}) == "OK");
  CHECK(Simple(c, {"SET", "where", "seven"}) == "OK");
  CHECK(Bulk(*other, {"GET", "where"}) == "<nil>");
  CHECK(Simple(*other, {"SELECT", "7"}) == "OK");
  CHECK(Bulk(*other, {"GET", "where"}) == "seven");
}

TEST_CASE("keys: KEYS patterns, RANDOMKEY") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Bulk(c, {"RANDOMKEY"}) == "<nil>");
  CHECK(Strings(c, {"KEYS", "*"}).empty());
  CHECK(Simple(c, {"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5"}) == "OK");
  CHECK(Sorted(Strings(c, {"KEYS", "h?llo"})) == std::vector<std::string>{"hallo", "hello", "hxllo"});
  CHECK(Sorted(Strings(c, {"KEYS", "h*llo"})) ==
        std::vector<std::string>{"hallo", "heeeello", "hello", "hllo", "hxllo"});
  CHECK(Sorted(Strings(c, {"KEYS", "h[ae]llo"})) == std::vector<std::string>{"hallo", "hello"});
  CHECK(Sorted(Strings(c, {"KEYS", "h[^e]llo"})) == std::vector<std::string>{"hallo", "hxllo"});
  CHECK(Sorted(Strings(c, {"KEYS", "h[a-b]llo"})) == std::vector<std::string>{"hallo"});
  CHECK(Strings(c, {"KEYS", "*"}).size() == 5);
  CHECK(Strings(c, {"KEYS", "nomatch*"}).empty());

  // An empty pattern matches only an empty name, in KEYS and in every SCAN.
  CHECK(Strings(c, {"KEYS", ""}).empty());
  CHECK(Simple(c, {"SET", "", "empty"}) == "OK");
  CHECK(Int(c, {"HSET", "h", "", "1", "f", "2"}) == 2);
  CHECK(Int(c, {"SADD", "s", "", "m"}) == 2);
  CHECK(Int(c, {"ZADD", "z", "1", "", "2", "m"}) == 2);
  CHECK(Strings(c, {"KEYS", ""}) == std::vector<std::string>{""});
  auto scan_page = [&](const Args& args) {
    RespValue reply = Call(c, args);
    std::vector<std::string> items;
    for (const auto& item : reply.elements.at(1).elements) items.push_back(item.str);
    return items;
  };
  CHECK(scan_page({"SCAN", "0", "MATCH", "", "COUNT", "100"}) == std::vector<std::string>{""});
  CHECK(scan_page({"HSCAN", "h", "0", "MATCH", ""}) == std::vector<std::string>{"", "1"});
  CHECK(scan_page({"SSCAN", "s", "0", "MATCH", ""}) == std::vector<std::string>{""});
  CHECK(scan_page({"ZSCAN", "z", "0", "MATCH", ""}) == std::vector<std::string>{"", "1"});
  CHECK(Int(c, {"DEL", "", "h", "s", "z"}) == 4);

  std::set<std::string> all = {"hello", "hallo", "hxllo", "hllo", "heeeello"};
  for (int i = 0; i < 20; ++i) CHECK(all.count(Bulk(c, {"RANDOMKEY"})) == 1);
  CHECK(Simple(c, {"FLUSHDB"}) == "OK");
  CHECK(Simple(c, {"SET", "only", "x"}) == "OK");
  CHECK(Bulk(c, {"RANDOMKEY"}) == "only");
}

TEST_CASE("keys: SCAN visits every key exactly once") {
  ServerWithClient s;
  RespClient& c = *s.client;

  constexpr int kKeys = 1000;
  for (int batch = 0; batch < kKeys; batch += 100) {
    Args mset = {"MSET"};
    for (int i = batch; i < batch + 100; ++i) {
      mset.push_back("key:" + std::to_string(i));
      mset.push_back(std::to_string(i));
    }
    REQUIRE(Simple(c, mset) == "OK");
  }
  REQUIRE(Int(c, {"DBSIZE"}) == kKeys);

  // Iterates a full SCAN and counts how often each key came back.
  auto scan_all = [&](const Args& options) {
    std::map<std::string, int> seen;
    std::string cursor = "0";
    int rounds = 0;
    do {
      Args command = {"SCAN", cursor};
      command.insert(command.end(), options.begin(), options.end());
      RespValue reply = Call(c, command);
      REQUIRE(reply.type == RespValue::Type::kArray);
      REQUIRE(reply.elements.size() == 2);
      cursor = reply.elements[0].str;
      for (const auto& key : reply.elements[1].elements) ++seen[key.str];
      REQUIRE(++rounds < 100000);  // a cursor that never returns to 0 is a failure
    } while (cursor != "0");
    return seen;
  };

  auto seen = scan_all({"COUNT", "37"});
  CHECK(seen.size() == kKeys);
  bool each_once = std::all_of(seen.begin(), seen.end(), [](const auto& entry) { return entry.second == 1; });
  CHECK(each_once);
  for (int i = 0; i < kKeys; ++i) CHECK(seen.count("key:" + std::to_string(i)) == 1);

  auto defaults = scan_all({});
  CHECK(defaults.size() == kKeys);

  auto matched = scan_all({"MATCH", "key:1*", "COUNT", "50"});
  CHECK(matched.size() == 111);  // key:1, key:10-19, key:100-199
  for (const auto& [key, count] : matched) {
    CHECK(key.rfind("key:1", 0) == 0);
    CHECK(count == 1);
  }
  CHECK(scan_all({"TYPE", "string", "COUNT", "200"}).size() == kKeys);
  CHECK(scan_all({"TYPE", "hash"}).empty());

  // Keys that exist for the whole iteration come back even while others are
  // added and deleted between the pages.
  std::map<std::string, int> during;
  std::string cursor = "0";
  int page = 0;
  do {
    RespValue reply = Call(c, {"SCAN", cursor, "COUNT", "50"});
    REQUIRE(reply.elements.size() == 2);
    cursor = reply.elements[0].str;
    for (const auto& key : reply.elements[1].elements) ++during[key.str];
    // Delete two odd keys and add two new ones per page.
    CHECK(Int(c, {"DEL", "key:" + std::to_string(2 * page + 1), "key:" + std::to_string(999 - 2 * page)}) >= 0);
    CHECK(Simple(c, {"MSET", "new:" + std::to_string(page), "x", "zz:" + std::to_string(page), "y"}) == "OK");
    REQUIRE(++page < 10000);
  } while (cursor != "0");
  // (Redis promises "at least once" here; duplicates are allowed.)
  for (int i = 0; i < kKeys; i += 2) CHECK(during.count("key:" + std::to_string(i)) == 1);

  CHECK(Err(c, {"SCAN", "abc"}) == "ERR invalid cursor");
  CHECK(Err(c, {"SCAN", "0", "COUNT", "0"}) == kSyntax);
  CHECK(Err(c, {"SCAN", "0", "COUNT"}) == kSyntax);
  CHECK(Err(c, {"SCAN", "0", "BOGUS", "1"}) == kSyntax);
}

TEST_CASE("commands: wrong arity and unknown commands get Redis's texts") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Err(c, {"GET"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(Err(c, {"get", "a", "b"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(Err(c, {"GeT"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(Err(c, {"INCRBY", "x"}) == "ERR wrong number of arguments for 'incrby' command");
  CHECK(Err(c, {"foo", "bar"}) == "ERR unknown command 'foo', with args beginning with: 'bar' ");
  CHECK(Err(c, {"foo"}) == "ERR unknown command 'foo', with args beginning with: ");
  CHECK(Err(c, {"FOO", "a", "b"}) == "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
  CHECK(Simple(c, {"PING"}) == "PONG");
}

TEST_CASE("keys: FLUSHDB and FLUSHALL among writers on other io threads, and inside MULTI") {
  ServerWithClient s({"--io-threads", "3"});
  RespClient& c = *s.client;
  // Writers on the other io threads keep their commit groups busy while this
  // client flushes: every flush waits for their groups, nobody deadlocks.
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    auto client = std::shared_ptr<RespClient>(s.server.Connect());
    writers.emplace_back([client, w, &stop] {
      for (int i = 0; !stop; ++i) {
        std::string key = "w" + std::to_string(w) + ":" + std::to_string(i % 50);
        if (!client->Command({"INCR", key}).ok() || !client->Command({"HSET", "h" + key, "f", "v"}).ok()) return;
      }
    });
  }
  for (int round = 0; round < 20; ++round) {
    CHECK(Simple(c, {round % 2 == 0 ? "FLUSHDB" : "FLUSHALL"}) == "OK");
  }
  stop = true;
  for (auto& writer : writers) writer.join();
  // Every hash still has its field and a consistent count.
  for (const std::string& key : Strings(c, {"KEYS", "hw*"})) {
    CHECK(Int(c, {"HLEN", key}) == 1);
    CHECK(Bulk(c, {"HGET", key, "f"}) == "v");
  }

  CHECK(Simple(c, {"SET", "before", "1"}) == "OK");
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", "a", "1"}) == "QUEUED");
  CHECK(Simple(c, {"FLUSHDB"}) == "QUEUED");
  CHECK(Simple(c, {"SET", "b", "2"}) == "QUEUED");
  RespValue exec = Call(c, {"EXEC"});
  REQUIRE(exec.type == RespValue::Type::kArray);
  CHECK(exec.elements.size() == 3);
  CHECK(Bulk(c, {"GET", "before"}) == "<nil>");
  CHECK(Bulk(c, {"GET", "a"}) == "<nil>");
  CHECK(Bulk(c, {"GET", "b"}) == "2");
}

TEST_CASE("pipelines: runs of GETs among writes, SELECT and MULTI answer as if sent one by one") {
  // The same random commands go to one server in pipelines (where runs of
  // GETs are read ahead in one MultiGet) and to another one command per round
  // trip; every reply must match.
  PipelinedAgainstOneByOne servers;
  std::mt19937 random(20261126);
  auto key = [&] { return "k" + std::to_string(random() % 12); };
  for (int round = 0; round < 300; ++round) {
    std::vector<Args> commands;
    size_t length = 1 + random() % 80;
    while (commands.size() < length) {
      uint32_t pick = random() % 100;
      if (pick < 60) {
        commands.push_back({"GET", key()});
      } else if (pick < 70) {
        commands.push_back({"SET", key(), std::to_string(random() % 1000)});
      } else if (pick < 75) {
        commands.push_back({"DEL", key()});
      } else if (pick < 80) {
        commands.push_back({"INCR", key()});
      } else if (pick < 84) {
        commands.push_back({"APPEND", key(), "x"});
      } else if (pick < 88) {
        commands.push_back({"SELECT", std::to_string(random() % 2)});
      } else if (pick < 92) {
        commands.push_back({"HSET", key(), "f", "v"});  // a later GET answers WRONGTYPE
      } else if (pick < 96) {
        commands.push_back({"MGET", key(), key(), key()});
      } else {
        commands.push_back({"MULTI"});
        commands.push_back({"GET", key()});
        commands.push_back({"SET", key(), "in-multi"});
        commands.push_back({"GET", key()});
        commands.push_back({"EXEC"});
      }
    }
    CAPTURE(round);
    servers.Check(commands);
  }
}

}  // namespace kvdtest
