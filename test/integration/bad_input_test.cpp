// Hostile and unusual input: protocol errors close only the offending
// connection, huge and binary values round-trip, pipelines stay in order, and
// random bytes do not hurt the server or its data.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include "harness.h"

namespace kvdtest {
namespace {

using kvd::protocol::EncodeCommand;

constexpr int kKeepKeys = 200;

void WriteKeepKeys(RespClient& c) {
  Args mset = {"MSET"};
  for (int i = 0; i < kKeepKeys; ++i) {
    mset.push_back("keep:" + std::to_string(i));
    mset.push_back("value:" + std::to_string(i) + std::string("\0\r\n", 3));
  }
  REQUIRE(Simple(c, mset) == "OK");
}

// A new connection answers PING and every keep: key still has its value.
void CheckHealthy(KvdServer& server, int64_t expected_dbsize) {
  REQUIRE_MESSAGE(server.running(), "kvd died; log:\n" << server.Log());
  auto c = server.Connect();
  CHECK(Simple(*c, {"PING"}) == "PONG");
  Args mget = {"MGET"};
  for (int i = 0; i < kKeepKeys; ++i) mget.push_back("keep:" + std::to_string(i));
  std::vector<std::string> values = Strings(*c, mget);
  REQUIRE(values.size() == kKeepKeys);
  int wrong = 0;
  for (int i = 0; i < kKeepKeys; ++i) {
    if (values[i] != "value:" + std::to_string(i) + std::string("\0\r\n", 3)) ++wrong;
  }
  CHECK_MESSAGE(wrong == 0, wrong << " keep: keys changed");
  CHECK(Int(*c, {"DBSIZE"}) == expected_dbsize);
}

// Sends `bytes` on a new connection and returns everything the server wrote
// back until it closed the connection (or the deadline passed: closed=false).
std::string SendAndCollect(uint16_t port, std::string_view bytes, bool* closed) {
  RawConn conn;
  REQUIRE(conn.Connect(port));
  conn.Send(bytes);  // the server may close before taking everything
  return conn.ReadUntilClosed(10s, closed);
}

// The malformed requests of the tests below and Redis 7's exact answer to each.
struct MalformedCase {
  std::string input;
  std::string reply;
};

std::vector<MalformedCase> MalformedCases() {
  return {
      {"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$1099511627776\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
      {"*2\r\n$4\r\nECHO\r\n:12\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
      {"SET a \"unbalanced\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"ECHO \"a\"b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {std::string(70 * 1024, 'x'), "-ERR Protocol error: too big inline request\r\n"},
      {"*1\r\n$" + std::string(70 * 1024, '1'), "-ERR Protocol error: too big bulk count string\r\n"},
      // Replies to the commands before the bad one still arrive, in order.
      {"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n*1\r\n$4\r\nPING\r\n",
       "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
  };
}

}  // namespace

TEST_CASE("bad input: malformed RESP gets a protocol error and closes only that connection") {
  KvdServer server;
  REQUIRE(server.Start());
  auto keeper = server.Connect();
  WriteKeepKeys(*keeper);

  for (const MalformedCase& test : MalformedCases()) {
    CAPTURE(test.input.substr(0, 40));
    bool closed = false;
    std::string got = SendAndCollect(server.port(), test.input, &closed);
    CHECK(got == test.reply);
    CHECK(closed);
    CheckHealthy(server, kKeepKeys);
  }
  // The connection that did nothing wrong was not disturbed.
  CHECK(Simple(*keeper, {"PING"}) == "PONG");

  // "$2" is not RESP to Redis but an inline command named "$2": an unknown
  // command, and the connection stays open.
  RawConn conn;
  REQUIRE(conn.Connect(server.port()));
  REQUIRE(conn.Send("$2\r\n"));
  auto reply = conn.ReadReply(10s);
  REQUIRE(reply.has_value());
  CHECK(reply->str == "ERR unknown command '$2', with args beginning with: ");
  REQUIRE(conn.Send("PING\r\n"));
  reply = conn.ReadReply(10s);
  REQUIRE(reply.has_value());
  CHECK(reply->str == "PONG");
}

TEST_CASE("bad input: unknown-command text is cut off like Redis's") {
  ServerWithClient s;
  RespClient& c = *s.client;
  // Redis appends "'arg' " (each arg cut to what is left of 128 bytes) while the
  // argument text is shorter than 128 bytes, and cuts the name to 128 bytes.
  Args empties(1000, "");
  empties[0] = "";
  std::string expected = "ERR unknown command '', with args beginning with: ";
  for (int i = 0; i < 43; ++i) expected += "'' ";
  CHECK(Err(c, empties) == expected);

  std::string long_arg(200, 'a');
  CHECK(Err(c, {"nosuch", long_arg, "second"}) ==
        "ERR unknown command 'nosuch', with args beginning with: '" + std::string(128, 'a') + "' ");
  std::string long_name(200, 'n');
  CHECK(Err(c, {long_name, "x"}) ==
        "ERR unknown command '" + std::string(128, 'n') + "', with args beginning with: 'x' ");
}

TEST_CASE("bad input: clients that disconnect mid-command") {
  KvdServer server;
  REQUIRE(server.Start());
  auto keeper = server.Connect();
  WriteKeepKeys(*keeper);

  const std::string partials[] = {
      "*3\r\n$3\r\nSET\r\n$7\r\nhalfkey\r\n$10\r\nabc",
      "*3\r\n$3\r\nSET\r\n$7\r\nhalfkey\r\n",
      "*3\r\n$3\r\nSET\r\n$7\r\nhalfkey\r\n$100000000\r\n" + std::string(100000, 'z'),
      "*3\r\n$3\r\nSE",
      "*300",
      "SET halfkey value",  // an inline command without its newline
  };
  for (const std::string& partial : partials) {
    RawConn conn;
    REQUIRE(conn.Connect(server.port()));
    REQUIRE(conn.Send(partial));
    conn.Close();
  }
  // Connections that vanish while the server is writing a reply to them.
  std::string many_gets;
  for (int i = 0; i < 2000; ++i) many_gets += EncodeCommand({"MGET", "keep:1", "keep:2", "keep:3"});
  for (int round = 0; round < 5; ++round) {
    RawConn conn;
    REQUIRE(conn.Connect(server.port()));
    REQUIRE(conn.Send(many_gets));
    conn.Close();
  }
  CheckHealthy(server, kKeepKeys);
  CHECK(Int(*keeper, {"EXISTS", "halfkey"}) == 0);
  // The server counts only live connections.
  CHECK(WaitFor([&] { return InfoInt(*keeper, "clients", "connected_clients") == 1; }, 20s));
}

TEST_CASE("bad input: binary keys and values round-trip") {
  ServerWithClient s;
  RespClient& c = *s.client;

  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  const std::string keys[] = {std::string("\0", 1), std::string("a\0b", 3), "line\r\nbreak", "\r\n",
                              std::string("\xff\xfe\0\r\n*1\r\n$3\r\n", 13), all_bytes};
  int n = 0;
  for (const std::string& key : keys) {
    std::string value = all_bytes + key + std::to_string(n++) + std::string("\0\r\n", 3);
    CHECK(Simple(c, {"SET", key, value}) == "OK");
    CHECK(Bulk(c, {"GET", key}) == value);
    CHECK(Int(c, {"STRLEN", key}) == static_cast<int64_t>(value.size()));
    CHECK(Int(c, {"EXISTS", key}) == 1);
  }
  CHECK(Int(c, {"DBSIZE"}) == 6);
  std::vector<std::string> listed = Strings(c, {"KEYS", "*"});
  std::sort(listed.begin(), listed.end());
  std::vector<std::string> expected(std::begin(keys), std::end(keys));
  std::sort(expected.begin(), expected.end());
  CHECK(listed == expected);
  CHECK(Simple(c, {"RENAME", std::string("a\0b", 3), std::string("c\0d", 3)}) == "OK");
  CHECK(Bulk(c, {"GETRANGE", std::string("c\0d", 3), "0", "3"}) == std::string("\0\1\2\3", 4));
  CHECK(Int(c, {"APPEND", "\r\n", std::string("\0", 1)}) > 0);
}

TEST_CASE("bad input: a 100 MB value") {
  ServerWithClient s;
  RespClient& c = *s.client;

  constexpr size_t kSize = 100u * 1024 * 1024;
  std::string value(kSize, '\0');
  std::mt19937_64 random(42);
  for (size_t i = 0; i + 8 <= kSize; i += 8) {
    uint64_t word = random();
    std::memcpy(&value[i], &word, 8);
  }
  CHECK(Simple(c, {"SET", "huge", value}) == "OK");
  CHECK(Int(c, {"STRLEN", "huge"}) == static_cast<int64_t>(kSize));
  RespValue got = Call(c, {"GET", "huge"});
  REQUIRE(got.type == RespValue::Type::kBulk);
  CHECK(got.str.size() == kSize);
  bool intact = got.str == value;  // not CHECK(a == b): doctest would print 100 MB
  CHECK(intact);
  got = RespValue();
  CHECK(Bulk(c, {"GETRANGE", "huge", "-5", "-1"}) == value.substr(kSize - 5));
  CHECK(Int(c, {"DEL", "huge"}) == 1);
  CHECK(Simple(c, {"PING"}) == "PONG");
}

TEST_CASE("bad input: inline commands") {
  ServerWithClient s;
  RawConn conn;
  REQUIRE(conn.Connect(s.server.port()));
  auto next = [&]() {
    auto reply = conn.ReadReply(10s);
    REQUIRE(reply.has_value());
    return Describe(*reply);
  };
  REQUIRE(conn.Send("PING\r\n"));
  CHECK(next() == "+PONG");
  REQUIRE(conn.Send("SET a \"b c\"\r\n"));
  CHECK(next() == "+OK");
  REQUIRE(conn.Send("GET a\r\n"));
  CHECK(next() == "\"b c\"");
  REQUIRE(conn.Send("SET esc \"x\\x41\\n\"\r\n"));
  CHECK(next() == "+OK");
  REQUIRE(conn.Send("get esc\n"));  // telnet may send a bare newline
  CHECK(next() == "\"xA\n\"");
  REQUIRE(conn.Send("SET single 'it''s'\r\n"));
  CHECK(next() == "-ERR Protocol error: unbalanced quotes in request");
  bool closed = false;
  conn.ReadUntilClosed(10s, &closed);
  CHECK(closed);

  REQUIRE(conn.Connect(s.server.port()));
  REQUIRE(conn.Send("\r\n\r\n   \r\nSET single 'it\\'s'\r\nGET single\r\nECHO   spaced    out  \r\n"));
  CHECK(next() == "+OK");
  CHECK(next() == "\"it's\"");
  CHECK(next() == "-ERR wrong number of arguments for 'echo' command");
  REQUIRE(conn.Send("MSET k1 v1 k2 v2\r\nMGET k1 k2\r\n"));
  CHECK(next() == "+OK");
  CHECK(next() == "[v1, v2]");
}

TEST_CASE("bad input: pipelining 10000 commands in one write") {
  ServerWithClient s;
  constexpr int kCommands = 10000;
  std::string pipeline;
  for (int i = 0; i < kCommands; ++i) {
    if (i % 2 == 0) {
      pipeline += EncodeCommand({"INCR", "pipe"});
    } else {
      pipeline += EncodeCommand({"ECHO", "msg-" + std::to_string(i)});
    }
  }
  RawConn conn;
  REQUIRE(conn.Connect(s.server.port()));
  REQUIRE(conn.Send(pipeline));
  int in_order = 0;
  for (int i = 0; i < kCommands; ++i) {
    auto reply = conn.ReadReply(30s);
    REQUIRE_MESSAGE(reply.has_value(), "reply " << i << " missing");
    bool ok = i % 2 == 0 ? (reply->type == RespValue::Type::kInteger && reply->integer == i / 2 + 1)
                         : (reply->type == RespValue::Type::kBulk && reply->str == "msg-" + std::to_string(i));
    if (ok) {
      ++in_order;
    } else {
      FAIL_CHECK("reply " << i << " is " << Describe(*reply));
      break;
    }
  }
  CHECK(in_order == kCommands);
  CHECK(conn.pending().empty());  // nothing beyond the 10000 replies
  CHECK(Bulk(*s.client, {"GET", "pipe"}) == std::to_string(kCommands / 2));
}

TEST_CASE("bad input: random bytes on many connections") {
  KvdServer server;
  REQUIRE(server.Start());
  auto keeper = server.Connect();
  WriteKeepKeys(*keeper);

  constexpr int kThreads = 8;
  constexpr int kConnectionsPerThread = 6;
  constexpr size_t kBytesPerConnection = 96 * 1024;  // 8*6*96 KB = 4.5 MB in all
  std::vector<std::thread> threads;
  std::atomic<int> connected{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(1000 + t);
      for (int n = 0; n < kConnectionsPerThread; ++n) {
        std::string garbage;
        garbage.reserve(kBytesPerConnection + 64);
        // Even connections get raw random bytes. Odd ones get random bytes
        // without quotes (which end an inline command at once), so the server
        // parses many random inline commands, with now and then a fragment
        // that steers the parser into its multibulk and bulk paths.
        bool raw = n % 2 == 0;
        while (garbage.size() < kBytesPerConnection) {
          switch (raw ? 31 : random() % 32) {
            case 0: garbage += "*" + std::to_string(random() % 100) + "\r\n"; break;
            case 1: garbage += "$" + std::to_string(random() % 100) + "\r\n"; break;
            case 2: garbage += "*2\r\n$4\r\nECHO\r\n$" + std::to_string(random() % 20) + "\r\n"; break;
            case 3: garbage += "\r\n"; break;
            default:
              for (int i = 0; i < 64; ++i) {
                char c = static_cast<char>(random());
                if (!raw && (c == '"' || c == '\'')) c = ' ';
                garbage.push_back(c);
              }
          }
        }
        RawConn conn;
        if (!conn.Connect(server.port())) continue;
        ++connected;
        conn.Send(garbage, 30s);  // the server may hang up on a protocol error
        bool closed = false;
        if (n % 3 == 0) {
          conn.ShutdownWrite();
          conn.ReadUntilClosed(30s, &closed);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(connected.load() == kThreads * kConnectionsPerThread);
  CheckHealthy(server, kKeepKeys);
  CHECK(Simple(*keeper, {"PING"}) == "PONG");
}

}  // namespace kvdtest
