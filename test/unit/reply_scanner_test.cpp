// protocol/reply_scanner: where each reply ends, fed at every split point.
#include <doctest/doctest.h>

#include <string>

#include "protocol/reply_scanner.h"

namespace kvd::test {

TEST_SUITE("reply scanner") {
  TEST_CASE("reply scanner: each reply's length, whatever the reads' boundaries") {
    const std::string replies[] = {
        "+OK\r\n",
        "-ERR no\r\n",
        ":42\r\n",
        "$-1\r\n",
        "*-1\r\n",
        "*0\r\n",
        "$0\r\n\r\n",
        "$5\r\na\r\nbc\r\n",  // CRLF inside a bulk is data
        "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+x\r\n",
        "%2\r\n+k\r\n:1\r\n+k2\r\n*1\r\n,1.5\r\n",  // RESP3 map, double
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n",
        "|1\r\n+key\r\n+val\r\n:7\r\n",  // an attribute, then the reply
        "_\r\n",
    };
    std::string stream;
    for (const auto& reply : replies) stream += reply;
    for (size_t split = 0; split <= stream.size(); ++split) {
      protocol::ReplyScanner scanner;
      std::string buffer = stream.substr(0, split);
      size_t fed = split, next = 0;
      for (const auto& reply : replies) {
        while (true) {
          auto length = scanner.Scan(buffer);
          REQUIRE(length.ok());
          if (*length > 0) {
            CHECK(buffer.substr(0, *length) == reply);
            buffer.erase(0, *length);
            break;
          }
          REQUIRE(fed < stream.size());
          buffer += stream[fed++];  // then one byte at a time
        }
        ++next;
      }
      CHECK(next == std::size(replies));
    }
  }

  TEST_CASE("reply scanner: what is not RESP is an error") {
    for (std::string bad : {"?x\r\n", "$-2\r\n", "*abc\r\n", "$1x\r\n", "$999999999999\r\n"}) {
      protocol::ReplyScanner scanner;
      CHECK_FALSE(scanner.Scan(bad).ok());
    }
    protocol::ReplyScanner scanner;
    CHECK_FALSE(scanner.Scan("+" + std::string(70000, 'a')).ok());  // no line end in sight
  }
}

}  // namespace kvd::test
