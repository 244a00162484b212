// The real redis-cli (Debian redis-tools) against kvd.
#include <doctest/doctest.h>

#include <fstream>

#include "harness.h"

namespace kvdtest {

TEST_CASE("redis-cli: commands, --pipe mass insert, DBSIZE") {
  if (!HaveRedisCli()) {
    MESSAGE("redis-cli is not installed (apt-get install redis-tools); skipping the redis-cli test");
    return;
  }
  ServerWithClient s;
  uint16_t port = s.server.port();
  int status = -1;

  CHECK(RunRedisCli(port, {"PING"}, &status) == "PONG\n");
  CHECK(status == 0);
  CHECK(RunRedisCli(port, {"SET", "k", "v"}, &status) == "OK\n");
  CHECK(status == 0);
  CHECK(RunRedisCli(port, {"GET", "k"}, &status) == "v\n");
  CHECK(RunRedisCli(port, {"SET", "spaced key", "a value with spaces"}, &status) == "OK\n");
  CHECK(RunRedisCli(port, {"GET", "spaced key"}, &status) == "a value with spaces\n");
  CHECK(RunRedisCli(port, {"INCRBY", "n", "5"}, &status) == "5\n");
  CHECK(RunRedisCli(port, {"MGET", "k", "n"}, &status) == "v\n5\n");
  CHECK(RunRedisCli(port, {"GET", "missing"}, &status) == "\n");
  // redis-cli prints a blank line after an error reply.
  CHECK(RunRedisCli(port, {"INCR", "k"}, &status) == "ERR value is not an integer or out of range\n\n");
  std::string info = RunRedisCli(port, {"INFO", "server"}, &status);
  CHECK(InfoField(info, "redis_version").rfind("7.0.", 0) == 0);
  CHECK(RunRedisCli(port, {"-n", "3", "SET", "in3", "x"}, &status) == "OK\n");
  CHECK(RunRedisCli(port, {"-n", "3", "DBSIZE"}, &status) == "1\n");

  // --pipe: 10000 SETs in the protocol, as the Redis mass-insertion guide does it.
  TempDir temp;
  std::string path = temp.path() + "/mass.txt";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 10000; ++i) {
      out << kvd::protocol::EncodeCommand({"SET", "mass:" + std::to_string(i), "value-" + std::to_string(i)});
    }
  }
  std::string piped = RunRedisCli(port, {"--pipe"}, &status, path);
  CHECK(status == 0);
  CHECK_MESSAGE(piped.find("errors: 0, replies: 10000") != std::string::npos, piped);

  CHECK(RunRedisCli(port, {"DBSIZE"}, &status) == "10003\n");
  CHECK(RunRedisCli(port, {"GET", "mass:9999"}, &status) == "value-9999\n");
  CHECK(Bulk(*s.client, {"GET", "mass:0"}) == "value-0");
  CHECK(Int(*s.client, {"DBSIZE"}) == 10003);
}

TEST_CASE("redis-cli: requirepass with -a") {
  if (!HaveRedisCli()) {
    MESSAGE("redis-cli is not installed; skipping");
    return;
  }
  ServerWithClient s({"--requirepass", "pw"});
  int status = -1;
  CHECK(RunRedisCli(s.server.port(), {"GET", "x"}, &status) == "NOAUTH Authentication required.\n\n");
  CHECK(RunRedisCli(s.server.port(), {"--no-auth-warning", "-a", "pw", "SET", "x", "1"}, &status) == "OK\n");
  CHECK(RunRedisCli(s.server.port(), {"--no-auth-warning", "-a", "pw", "GET", "x"}, &status) == "1\n");
}

}  // namespace kvdtest
