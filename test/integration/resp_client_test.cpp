// RespClient::ReadBulkInto against a live server: a large bulk handed over in
// pieces, nil bulks, other replies refused with their text, and the replies
// after them still read in order.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "harness.h"

namespace kvdtest {
namespace {

std::string BinaryValue(size_t size) {
  std::string value;
  value.reserve(size);
  for (size_t i = 0; value.size() < size; ++i) {
    if (i % 7 == 0) {
      value.append("\r\n\0", 3);
    } else {
      value += static_cast<char>('a' + i % 26);
    }
  }
  value.resize(size);
  return value;
}

}  // namespace

TEST_CASE("resp client: ReadBulkInto streams a large bulk and keeps the replies after it in order") {
  ServerWithClient s;
  RespClient& c = *s.client;
  std::string big = BinaryValue(3 << 20);
  REQUIRE(Simple(c, {"SET", "big", big}) == "OK");
  REQUIRE(Simple(c, {"SET", "small", "v"}) == "OK");

  // One write, so the replies arrive back to back in the client's buffer.
  std::string pipeline;
  for (const Args& command : std::vector<Args>{{"GET", "big"}, {"GET", "missing"}, {"INCR", "counter"},
                                               {"GET", "small"}, {"PING"}}) {
    pipeline += kvd::protocol::EncodeCommand(command);
  }
  REQUIRE(c.SendRaw(pipeline).ok());

  std::string received;
  size_t pieces = 0;
  auto collect = [&](std::string_view piece) {
    received.append(piece);
    ++pieces;
    return kvd::Status::Ok();
  };
  auto length = c.ReadBulkInto(collect);
  REQUIRE(length.ok());
  CHECK(*length == big.size());
  CHECK(received == big);
  CHECK(pieces > 1);  // handed over as it arrived, not as one 3 MB string

  received.clear();
  auto nil = c.ReadBulkInto(collect);
  REQUIRE(nil.ok());
  CHECK(*nil == 0);
  CHECK(received.empty());

  auto integer = c.ReadBulkInto(collect);
  REQUIRE(!integer.ok());
  CHECK(integer.status().message().find("expected a bulk reply") != std::string::npos);
  CHECK(integer.status().message().find("1") != std::string::npos);

  auto small = c.ReadBulkInto(collect);
  REQUIRE(small.ok());
  CHECK(*small == 1);
  CHECK(received == "v");

  auto pong = c.ReadReply();
  REQUIRE(pong.ok());
  CHECK(pong->str == "PONG");
}

TEST_CASE("resp client: ReadBulkInto stops at a failing sink and reports its error") {
  ServerWithClient s;
  RespClient& c = *s.client;
  REQUIRE(Simple(c, {"SET", "big", BinaryValue(1 << 20)}) == "OK");
  REQUIRE(c.SendRaw(kvd::protocol::EncodeCommand({"GET", "big"})).ok());
  auto failed = c.ReadBulkInto([](std::string_view) { return kvd::Status::IOError("disk full"); });
  REQUIRE(!failed.ok());
  CHECK(failed.status().message() == "disk full");
}

}  // namespace kvdtest
