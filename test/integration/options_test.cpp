// Start-up options and limits: --help, --config files, proto-max-bulk-len,
// client-query-buffer-limit, a client that never reads, io threads under
// concurrent clients.
#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "harness.h"

namespace kvdtest {
namespace {

using kvd::protocol::EncodeCommand;

}  // namespace

TEST_CASE("options: kvd server --help lists every option") {
  int status = -1;
  std::string help = RunShell(ShellQuote(KvdBinary()) + " server --help", &status);
  CHECK(status == 0);
  for (const char* option : {"--bind", "--port", "--dir", "--databases", "--requirepass", "--fsync", "--io-threads",
                             "--maxclients", "--timeout", "--block-cache-mb", "--write-buffer-mb", "--loglevel",
                             "--logfile", "--config", "--proto-max-bulk-len", "--client-query-buffer-limit"}) {
    CHECK_MESSAGE(help.find(option) != std::string::npos, option);
  }
}

TEST_CASE("options: a config file, overridden by flags") {
  TempDir temp;
  std::string path = temp.path() + "/kvd.conf";
  WriteFile(path,
            "# a comment line\n"
            "\n"
            "maxclients 7\n"
            "timeout = 0\n"
            "requirepass \"from file\"\n"
            "loglevel warning\n"
            "databases 4\n");
  ServerWithClient s({"--config", path, "--maxclients", "9"});
  RespClient& c = *s.client;
  CHECK(Err(c, {"GET", "k"}) == "NOAUTH Authentication required.");
  CHECK(Simple(c, {"AUTH", "from file"}) == "OK");
  CHECK(Strings(c, {"CONFIG", "GET", "maxclients"}) == std::vector<std::string>{"maxclients", "9"});
  CHECK(Strings(c, {"CONFIG", "GET", "loglevel"}) == std::vector<std::string>{"loglevel", "warning"});
  CHECK(Strings(c, {"CONFIG", "GET", "databases"}) == std::vector<std::string>{"databases", "4"});
  // Redis settings that tools read: kvd never evicts, has no RDB or AOF.
  CHECK(Strings(c, {"CONFIG", "GET", "maxmemory-policy"}) == std::vector<std::string>{"maxmemory-policy", "noeviction"});
  CHECK(Strings(c, {"CONFIG", "GET", "maxmemory"}) == std::vector<std::string>{"maxmemory", "0"});
  CHECK(Simple(c, {"SELECT", "3"}) == "OK");
  CHECK(Err(c, {"SELECT", "4"}) == "ERR DB index is out of range");
}

TEST_CASE("options: CONFIG REWRITE writes the current values and role into the config file") {
  TempDir temp;
  std::string path = temp.path() + "/kvd.conf";
  WriteFile(path,
            "# kept as written\n"
            "maxclients 7\n"
            "slowlog-max-len 10\n");
  KvdServer master;
  REQUIRE(master.Start());
  ServerWithClient s({"--config", path});
  RespClient& c = *s.client;
  REQUIRE(Simple(c, {"CONFIG", "SET", "maxclients", "50", "slowlog-log-slower-than", "5"}) == "OK");
  REQUIRE(Simple(c, {"REPLICAOF", "127.0.0.1", std::to_string(master.port())}) == "OK");
  REQUIRE(Simple(c, {"CONFIG", "REWRITE"}) == "OK");
  std::string text = ReadFile(path);
  CHECK(text.rfind("# kept as written\nmaxclients 50\nslowlog-max-len 10\n", 0) == 0);
  CHECK(text.find("slowlog-log-slower-than 5\n") != std::string::npos);
  CHECK(text.find("replicaof \"127.0.0.1 " + std::to_string(master.port()) + "\"\n") != std::string::npos);
  // A restart on the file comes back with those values, following the same master.
  REQUIRE(s.server.Restart());
  auto again = s.server.Connect();
  CHECK(Strings(*again, {"CONFIG", "GET", "maxclients"}) == std::vector<std::string>{"maxclients", "50"});
  CHECK(Call(*again, {"ROLE"}).elements[0].str == "slave");
  // Promoted and rewritten: the replicaof line goes.
  REQUIRE(Simple(*again, {"REPLICAOF", "NO", "ONE"}) == "OK");
  REQUIRE(Simple(*again, {"CONFIG", "REWRITE"}) == "OK");
  CHECK(ReadFile(path).find("replicaof") == std::string::npos);
  CHECK(InfoField(Bulk(*again, {"INFO", "server"}), "config_file") == path);

  ServerWithClient without_file;
  CHECK(Err(*without_file.client, {"CONFIG", "REWRITE"}) == "ERR The server is running without a config file");
}

TEST_CASE("options: a bad config file stops start-up naming the key and the line") {
  TempDir temp;
  std::string path = temp.path() + "/kvd.conf";
  std::string start = ShellQuote(KvdBinary()) + " server --config " + ShellQuote(path) + " --bind 127.0.0.1 --port " +
                      std::to_string(FreePort()) + " --dir " + ShellQuote(temp.path() + "/data");
  int status = -1;

  WriteFile(path, "maxclients 7\nbogus-option 1\n");
  std::string output = RunShell(start, &status);
  CHECK(status != 0);
  CHECK(status != 124);  // not killed by the timeout: it refused to start
  CHECK_MESSAGE(output.find("bogus-option") != std::string::npos, output);
  CHECK_MESSAGE(output.find("line 2") != std::string::npos, output);

  WriteFile(path, "# first\nfsync sometimes\n");
  output = RunShell(start, &status);
  CHECK(status != 0);
  CHECK(status != 124);
  CHECK_MESSAGE(output.find("fsync") != std::string::npos, output);
  CHECK_MESSAGE(output.find("line 2") != std::string::npos, output);

  WriteFile(path, "maxclients lots\n");
  output = RunShell(start, &status);
  CHECK(status != 0);
  CHECK(status != 124);
  CHECK_MESSAGE(output.find("maxclients") != std::string::npos, output);
  CHECK_MESSAGE(output.find("line 1") != std::string::npos, output);

  output = RunShell(start + " --no-such-flag 1", &status);
  CHECK(status != 0);
  CHECK(status != 124);
}

TEST_CASE("limits: proto-max-bulk-len") {
  ServerWithClient s({"--proto-max-bulk-len", "1mb"});
  RespClient& c = *s.client;
  CHECK(Simple(c, {"SET", "keep", "me"}) == "OK");

  // Exactly the limit is fine.
  std::string at_limit(1024 * 1024, 'a');
  CHECK(Simple(c, {"SET", "big", at_limit}) == "OK");
  CHECK(Int(c, {"STRLEN", "big"}) == 1024 * 1024);

  // One byte more is a protocol error as soon as the header arrives.
  RawConn over;
  REQUIRE(over.Connect(s.server.port()));
  REQUIRE(over.Send("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1048577\r\n"));
  bool closed = false;
  std::string reply = over.ReadUntilClosed(10s, &closed);
  CHECK(reply == "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(closed);

  // The limit is runtime-changeable.
  CHECK(Simple(c, {"CONFIG", "SET", "proto-max-bulk-len", "2mb"}) == "OK");
  auto fresh = s.server.Connect();
  CHECK(Simple(*fresh, {"SET", "bigger", std::string(1024 * 1024 + 1, 'b')}) == "OK");
  CHECK(Bulk(c, {"GET", "keep"}) == "me");
}

// As in redis-server 7.0.15, the limit is the configured proto-max-bulk-len.
TEST_CASE("limits: APPEND SETRANGE SETBIT respect proto-max-bulk-len") {
  ServerWithClient s({"--proto-max-bulk-len", "1mb"});
  RespClient& c = *s.client;
  CHECK(Simple(c, {"SET", "big", std::string(1024 * 1024, 'a')}) == "OK");
  const std::string kTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  CHECK(Err(c, {"APPEND", "big", "x"}) == kTooLong);
  CHECK(Err(c, {"SETRANGE", "big", "1048576", "x"}) == kTooLong);
  CHECK(Err(c, {"SETBIT", "bits", std::to_string(8 * 1048576), "1"}) ==
        "ERR bit offset is not an integer or out of range");
  CHECK(Int(c, {"SETBIT", "bits", std::to_string(8 * 1048576 - 1), "1"}) == 0);
  CHECK(Int(c, {"STRLEN", "big"}) == 1024 * 1024);
}

TEST_CASE("limits: client-query-buffer-limit drops a client with too much unparsed input") {
  ServerWithClient s({"--proto-max-bulk-len", "8mb", "--client-query-buffer-limit", "1mb"});
  RespClient& c = *s.client;
  CHECK(Simple(c, {"SET", "keep", "me"}) == "OK");
  // A 5 MB argument is allowed by proto-max-bulk-len but cannot be buffered.
  RawConn flood;
  REQUIRE(flood.Connect(s.server.port()));
  flood.Send("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$5000000\r\n" + std::string(3000000, 'y'), 30s);
  bool closed = false;
  flood.ReadUntilClosed(20s, &closed);
  CHECK(closed);
  CHECK(Int(c, {"EXISTS", "big"}) == 0);
  CHECK(Bulk(c, {"GET", "keep"}) == "me");
  auto fresh = s.server.Connect();
  CHECK(Simple(*fresh, {"PING"}) == "PONG");
}

TEST_CASE("limits: a client that never reads does not stall the others") {
  ServerWithClient s({"--client-output-buffer-limit", "4mb"});
  RespClient& c = *s.client;
  CHECK(Simple(c, {"SET", "blob", std::string(1024 * 1024, 'b')}) == "OK");

  // 300 GETs of 1 MB each, never read: far more than socket buffers hold.
  std::string requests;
  for (int i = 0; i < 300; ++i) requests += EncodeCommand({"GET", "blob"});
  RawConn lazy;
  REQUIRE(lazy.Connect(s.server.port()));
  REQUIRE(lazy.Send(requests, 10s, /*read_while_sending=*/false));
  for (int i = 0; i < 50; ++i) {
    CHECK(Simple(c, {"SET", "k" + std::to_string(i), "v"}) == "OK");
    CHECK(Bulk(c, {"GET", "k" + std::to_string(i)}) == "v");
  }
  auto other = s.server.Connect();
  CHECK(Simple(*other, {"PING"}) == "PONG");
  // 300 MB of replies were asked for; the server must not have buffered them.
  int64_t used = InfoInt(c, "memory", "used_memory");
  CHECK(used < 250LL * 1024 * 1024);
  lazy.Close();
  CHECK(WaitFor([&] { return InfoInt(c, "clients", "connected_clients") == 2; }, 20s));
}

TEST_CASE("concurrency: many clients on several io threads") {
  ServerWithClient s({"--io-threads", "4"});
  constexpr int kClients = 8;
  constexpr int kOps = 300;
  std::vector<std::unique_ptr<RespClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(s.server.Connect());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      RespClient& client = *clients[t];
      std::string mine = "own:" + std::to_string(t);
      for (int i = 0; i < kOps; ++i) {
        auto incr = client.Command({"INCR", "shared"});
        auto append = client.Command({"APPEND", "log", "x"});
        auto set = client.Command({"SET", mine, std::to_string(i)});
        auto get = client.Command({"GET", mine});
        bool ok = incr.ok() && incr->type == RespValue::Type::kInteger && append.ok() &&
                  append->type == RespValue::Type::kInteger && set.ok() && set->str == "OK" && get.ok() &&
                  get->str == std::to_string(i);
        if (!ok) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures.load() == 0);
  RespClient& c = *s.client;
  CHECK(Bulk(c, {"GET", "shared"}) == std::to_string(kClients * kOps));
  CHECK(Int(c, {"STRLEN", "log"}) == kClients * kOps);
  for (int t = 0; t < kClients; ++t) CHECK(Bulk(c, {"GET", "own:" + std::to_string(t)}) == std::to_string(kOps - 1));
}

}  // namespace kvdtest
