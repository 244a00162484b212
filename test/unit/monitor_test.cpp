// MONITOR's line format without a server: Redis's quoting and redaction.
#include <doctest/doctest.h>

#include "roles/server/monitor.h"

namespace kvd::server {
namespace {

TEST_CASE("monitor: a line has the time, the database, the client and the quoted arguments") {
  CHECK(FormatMonitorLine(1700000000123456, 3, "127.0.0.1:5000", {"SET", "k", "v"}) ==
        "+1700000000.123456 [3 127.0.0.1:5000] \"SET\" \"k\" \"v\"\r\n");
  CHECK(FormatMonitorLine(5, 0, "a", {"GET", ""}) == "+0.000005 [0 a] \"GET\" \"\"\r\n");
  CHECK(FormatMonitorLine(0, 0, "a", {"SET", std::string("q\"\\\n\r\t\a\b\x01\xff", 10), "a b"}) ==
        "+0.000000 [0 a] \"SET\" \"q\\\"\\\\\\n\\r\\t\\a\\b\\x01\\xff\" \"a b\"\r\n");
}

TEST_CASE("monitor: AUTH and HELLO arguments never reach a monitor") {
  CHECK(FormatMonitorLine(0, 0, "a", {"auth", "user", "secret"}) ==
        "+0.000000 [0 a] \"auth\" \"(redacted)\" \"(redacted)\"\r\n");
  CHECK(FormatMonitorLine(0, 0, "a", {"HELLO", "3", "AUTH", "u", "p"}) ==
        "+0.000000 [0 a] \"HELLO\" \"(redacted)\" \"(redacted)\" \"(redacted)\" \"(redacted)\"\r\n");
}

}  // namespace
}  // namespace kvd::server
