// Connection and server commands, AUTH, client limits and idle timeout.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>

#include "harness.h"

namespace kvdtest {
namespace {

using kvd::protocol::EncodeCommand;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value of `field` in a RESP3 map or a RESP2 flat key/value array; nullptr if absent.
const RespValue* MapField(const RespValue& map, const std::string& field) {
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == field) return &map.elements[i + 1];
  }
  return nullptr;
}

// The `key=value` entries of the CLIENT LIST line whose id is `id`.
std::string ClientListField(const std::string& list, int64_t id, const std::string& key) {
  std::istringstream lines(list);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string word;
    std::map<std::string, std::string> fields;
    while (words >> word) {
      size_t eq = word.find('=');
      if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    if (fields["id"] == std::to_string(id)) return fields[key];
  }
  return "<no client " + std::to_string(id) + ">";
}

int64_t RawClientId(RawConn& conn) {
  REQUIRE(conn.Send(EncodeCommand({"CLIENT", "ID"})));
  auto reply = conn.ReadReply();
  REQUIRE(reply.has_value());
  REQUIRE(reply->type == RespValue::Type::kInteger);
  return reply->integer;
}

}  // namespace

TEST_CASE("server: PING ECHO QUIT") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Simple(c, {"PING"}) == "PONG");
  CHECK(Bulk(c, {"PING", "hello world"}) == "hello world");
  CHECK(Err(c, {"PING", "a", "b"}) == "ERR wrong number of arguments for 'ping' command");
  CHECK(Bulk(c, {"ECHO", std::string("bin\0ary\r\n", 9)}) == std::string("bin\0ary\r\n", 9));
  CHECK(Err(c, {"ECHO"}) == "ERR wrong number of arguments for 'echo' command");

  RawConn raw;
  REQUIRE(raw.Connect(s.server.port()));
  REQUIRE(raw.Send(EncodeCommand({"QUIT"})));
  bool closed = false;
  CHECK(raw.ReadUntilClosed(10s, &closed) == "+OK\r\n");
  CHECK(closed);
}

TEST_CASE("server: HELLO switches to RESP3") {
  ServerWithClient s;
  RespClient& c = *s.client;

  RespValue hello2 = Call(c, {"HELLO", "2"});
  CHECK(hello2.type == RespValue::Type::kArray);  // RESP2 flattens the map
  const RespValue* proto2 = MapField(hello2, "proto");
  REQUIRE(proto2 != nullptr);
  CHECK(proto2->integer == 2);

  RespValue hello = Call(c, {"HELLO", "3", "SETNAME", "resp3-client"});
  REQUIRE(hello.type == RespValue::Type::kMap);
  const RespValue* server = MapField(hello, "server");
  REQUIRE(server != nullptr);
  CHECK(server->str == "redis");
  const RespValue* version = MapField(hello, "version");
  REQUIRE(version != nullptr);
  CHECK(version->str.rfind("7.", 0) == 0);
  const RespValue* proto = MapField(hello, "proto");
  REQUIRE(proto != nullptr);
  CHECK(proto->type == RespValue::Type::kInteger);
  CHECK(proto->integer == 3);
  const RespValue* id = MapField(hello, "id");
  REQUIRE(id != nullptr);
  CHECK(id->integer == Int(c, {"CLIENT", "ID"}));
  const RespValue* role = MapField(hello, "role");
  REQUIRE(role != nullptr);
  CHECK(role->str == "master");
  CHECK(Bulk(c, {"CLIENT", "GETNAME"}) == "resp3-client");

  // RESP3 replies: null is "_", CONFIG GET is a map.
  RespValue missing = Call(c, {"GET", "nope"});
  CHECK(missing.type == RespValue::Type::kNull);
  RespValue config = Call(c, {"CONFIG", "GET", "maxclients"});
  CHECK(config.type == RespValue::Type::kMap);
  CHECK(Simple(c, {"SET", "k", "v"}) == "OK");
  CHECK(Bulk(c, {"GET", "k"}) == "v");

  CHECK(Err(c, {"HELLO", "4"}) == "NOPROTO unsupported protocol version");
  CHECK(Err(c, {"HELLO", "x"}) == "ERR Protocol version is not an integer or out of range");
}

TEST_CASE("server: CLIENT SETNAME GETNAME ID LIST KILL") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Bulk(c, {"CLIENT", "GETNAME"}) == "<nil>");
  CHECK(Simple(c, {"CLIENT", "SETNAME", "alice"}) == "OK");
  CHECK(Bulk(c, {"CLIENT", "GETNAME"}) == "alice");
  CHECK(Err(c, {"CLIENT", "SETNAME", "a b"}) ==
        "ERR Client names cannot contain spaces, newlines or special characters.");
  CHECK(Bulk(c, {"CLIENT", "GETNAME"}) == "alice");
  int64_t my_id = Int(c, {"CLIENT", "ID"});
  CHECK(my_id > 0);

  RawConn victim;
  REQUIRE(victim.Connect(s.server.port()));
  int64_t victim_id = RawClientId(victim);
  CHECK(victim_id != my_id);

  std::string list = Bulk(c, {"CLIENT", "LIST"});
  CHECK(ClientListField(list, my_id, "name") == "alice");
  CHECK(ClientListField(list, victim_id, "name") == "");
  CHECK(ClientListField(list, my_id, "cmd").find("client") != std::string::npos);
  std::string victim_addr = ClientListField(list, victim_id, "addr");
  CHECK(victim_addr.rfind("127.0.0.1:", 0) == 0);

  CHECK(Int(c, {"CLIENT", "KILL", "ID", "999999"}) == 0);
  CHECK(Int(c, {"CLIENT", "KILL", "ID", std::to_string(victim_id)}) == 1);
  bool closed = false;
  victim.ReadUntilClosed(10s, &closed);
  CHECK(closed);
  CHECK(WaitFor([&] { return Bulk(c, {"CLIENT", "LIST"}).find("id=" + std::to_string(victim_id) + " ") ==
                             std::string::npos; },
                10s));

  // The old form: CLIENT KILL addr:port.
  RawConn second;
  REQUIRE(second.Connect(s.server.port()));
  int64_t second_id = RawClientId(second);
  std::string second_addr = ClientListField(Bulk(c, {"CLIENT", "LIST"}), second_id, "addr");
  CHECK(Simple(c, {"CLIENT", "KILL", second_addr}) == "OK");
  second.ReadUntilClosed(10s, &closed);
  CHECK(closed);
  CHECK(Err(c, {"CLIENT", "KILL", "1.2.3.4:5"}) == "ERR No such client");

  // The killer itself is still fine.
  CHECK(Simple(c, {"PING"}) == "PONG");
}

// Sends `inline_commands` in one write, then PING, and returns the replies
// before PONG as text (CLIENT REPLY drops some, so their count is unknown).
std::vector<std::string> RepliesBeforePong(RespClient& client, const std::string& inline_commands) {
  REQUIRE(client.SendRaw(inline_commands + "PING\r\n").ok());
  std::vector<std::string> replies;
  while (true) {
    auto reply = client.ReadReply();
    REQUIRE(reply.ok());
    if (reply->type == RespValue::Type::kSimple && reply->str == "PONG") return replies;
    replies.push_back(reply->IsError() ? "-" + reply->str : reply->ToString());
  }
}

TEST_CASE("server: CLIENT REPLY OFF, ON and SKIP drop replies as Redis does") {
  ServerWithClient s;
  RespClient& c = *s.client;
  c.SetTimeout(10s);
  using Replies = std::vector<std::string>;
  CHECK(RepliesBeforePong(c, "CLIENT REPLY\r\n") == Replies{"-ERR wrong number of arguments for 'client|reply' command"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY FOO\r\n") == Replies{"-ERR syntax error"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\n") == Replies{"1"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY OFF\r\nSET a 2\r\nGET a\r\nCLIENT REPLY ON\r\nGET a\r\n") ==
        Replies{"OK", "2"});
  // SKIP moves on after every command, an unknown one or another SKIP too.
  CHECK(RepliesBeforePong(c, "CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nGET a\r\nGET a\r\n") == Replies{"2"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY SKIP\r\nNOSUCHCOMMAND\r\nGET a\r\n") == Replies{"2"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY OFF\r\nRESET\r\nGET a\r\n") == Replies{"RESET", "2"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY OFF\r\nMULTI\r\nSET a 3\r\nEXEC\r\nCLIENT REPLY ON\r\nGET a\r\n") ==
        Replies{"OK", "3"});
  // Replies that come later are dropped too, and the commands behind them still run.
  CHECK(RepliesBeforePong(c, "CLIENT REPLY SKIP\r\nBLPOP nolist 0.01\r\nGET a\r\n") == Replies{"3"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY OFF\r\nBLPOP nolist 0.01\r\nCLIENT REPLY ON\r\n") == Replies{"OK"});
  CHECK(RepliesBeforePong(c, "CLIENT REPLY SKIP\r\nWAIT 0 0\r\n").empty());

  // Subscribing answers as a push, which CLIENT REPLY OFF does not drop, nor the messages.
  auto subscriber = s.server.Connect();
  subscriber->SetTimeout(10s);
  REQUIRE(subscriber->SendRaw("CLIENT REPLY OFF\r\nSUBSCRIBE news\r\n").ok());
  auto subscribed = subscriber->ReadReply();
  REQUIRE(subscribed.ok());
  REQUIRE(subscribed->elements.size() == 3);
  CHECK(subscribed->elements[0].str == "subscribe");
  CHECK(Int(c, {"PUBLISH", "news", "hello"}) == 1);
  auto message = subscriber->ReadReply();
  REQUIRE(message.ok());
  REQUIRE(message->elements.size() == 3);
  CHECK(message->elements[2].str == "hello");
}

TEST_CASE("server: CLIENT and WAIT argument errors answer in Redis 7.0's words") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Err(c, {"WAIT", "0", "abc"}) == "ERR timeout is not an integer or out of range");
  CHECK(Err(c, {"WAIT", "abc", "0"}) == "ERR value is not an integer or out of range");
  // More arguments than PAUSE and UNBLOCK take, past their arity: the subcommand is named as typed.
  CHECK(Err(c, {"CLIENT", "PAUSE", "1", "WRITE", "x"}) ==
        "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.");
  CHECK(Err(c, {"client", "Unblock", "9", "TIMEOUT", "x"}) ==
        "ERR unknown subcommand or wrong number of arguments for 'Unblock'. Try CLIENT HELP.");
  CHECK(Err(c, {"CLIENT", "PAUSE"}) == "ERR wrong number of arguments for 'client|pause' command");
  CHECK(Err(c, {"CLIENT", "NO-EVICT", "maybe"}) == "ERR syntax error");
  CHECK(Err(c, {"CLIENT", "NO-EVICT"}) == "ERR wrong number of arguments for 'client|no-evict' command");
  CHECK(Simple(c, {"CLIENT", "NO-EVICT", "on"}) == "OK");
  CHECK(Simple(c, {"CLIENT", "SETINFO", "LIB-NAME", "tests"}) == "OK");  // Redis 7.2's, sent by newer clients
}

TEST_CASE("server: INFO sections and fields") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Simple(c, {"MSET", "a", "1", "b", "2"}) == "OK");
  CHECK(Simple(c, {"SET", "t", "x", "EX", "1000"}) == "OK");
  std::string info = Bulk(c, {"INFO"});
  for (const char* section : {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication",
                              "# CPU", "# Cluster", "# Keyspace"}) {  // Redis's own titles
    CHECK_MESSAGE(info.find(section) != std::string::npos, section);
  }
  CHECK(InfoField(Bulk(c, {"INFO", "cluster"}), "cluster_enabled") == "0");
  CHECK(InfoField(info, "redis_version").rfind("7.0.", 0) == 0);
  CHECK(!InfoField(info, "kvd_version").empty());
  CHECK(InfoField(info, "rocksdb_version").find('.') != std::string::npos);
  std::string rocksdb_build = InfoField(info, "rocksdb_build");
  CHECK((rocksdb_build == "release" || rocksdb_build == "debian"));
  CHECK(InfoField(info, "uptime_in_seconds") != "");
  CHECK(std::stoll(InfoField(info, "connected_clients")) >= 1);
  CHECK(InfoField(info, "blocked_clients") == "0");
  CHECK(std::stoll(InfoField(info, "used_memory")) > 0);
  CHECK(std::stoll(InfoField(info, "total_commands_processed")) >= 2);
  CHECK(InfoField(info, "instantaneous_ops_per_sec") != "");
  CHECK(InfoField(info, "keyspace_hits") != "");
  CHECK(InfoField(info, "keyspace_misses") != "");
  CHECK(InfoField(info, "expired_keys") != "");
  CHECK(InfoField(info, "role") == "master");
  CHECK(InfoField(info, "db0").rfind("keys=3,expires=1", 0) == 0);

  // Counters move.
  int64_t hits = InfoInt(c, "stats", "keyspace_hits");
  int64_t misses = InfoInt(c, "stats", "keyspace_misses");
  int64_t commands = InfoInt(c, "stats", "total_commands_processed");
  CHECK(Bulk(c, {"GET", "a"}) == "1");
  CHECK(Bulk(c, {"GET", "nope"}) == "<nil>");
  CHECK(InfoInt(c, "stats", "keyspace_hits") == hits + 1);
  CHECK(InfoInt(c, "stats", "keyspace_misses") == misses + 1);
  CHECK(InfoInt(c, "stats", "total_commands_processed") > commands);

  auto second = s.server.Connect();
  CHECK(Simple(*second, {"PING"}) == "PONG");
  CHECK(InfoInt(c, "clients", "connected_clients") >= 2);

  // A single section.
  std::string keyspace = Bulk(c, {"INFO", "keyspace"});
  CHECK(keyspace.find("# Keyspace") != std::string::npos);
  CHECK(keyspace.find("# Server") == std::string::npos);
  CHECK(Simple(c, {"SELECT", "4"}) == "OK");
  CHECK(Simple(c, {"SET", "in4", "x"}) == "OK");
  CHECK(InfoField(Bulk(c, {"INFO", "keyspace"}), "db4").rfind("keys=1,expires=0", 0) == 0);

  CHECK(Simple(c, {"CONFIG", "RESETSTAT"}) == "OK");
  CHECK(InfoInt(c, "stats", "keyspace_hits") == 0);
}

TEST_CASE("server: CONFIG GET and SET") {
  ServerWithClient s;
  RespClient& c = *s.client;

  CHECK(Strings(c, {"CONFIG", "GET", "maxclients"}) == std::vector<std::string>{"maxclients", "10000"});
  CHECK(Simple(c, {"CONFIG", "SET", "maxclients", "50"}) == "OK");
  CHECK(Strings(c, {"CONFIG", "GET", "maxclients"}) == std::vector<std::string>{"maxclients", "50"});
  CHECK(InfoInt(c, "clients", "maxclients") == 50);
  std::vector<std::string> glob = Strings(c, {"CONFIG", "GET", "max*"});
  CHECK(std::find(glob.begin(), glob.end(), "maxclients") != glob.end());
  CHECK(Strings(c, {"CONFIG", "GET", "port"}) ==
        std::vector<std::string>{"port", std::to_string(s.server.port())});
  CHECK(Strings(c, {"CONFIG", "GET", "nosuchoption"}).empty());

  CHECK(Err(c, {"CONFIG", "SET", "databases", "32"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config");
  CHECK(Err(c, {"CONFIG", "SET", "timeout", "abc"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an "
        "integer");
  CHECK(Err(c, {"CONFIG", "SET", "nosuchoption", "1"}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchoption'");
  CHECK(Err(c, {"CONFIG", "SET", "maxclients"}) == "ERR wrong number of arguments for 'config|set' command");
  // A bad pair makes the whole CONFIG SET change nothing.
  CHECK(Err(c, {"CONFIG", "SET", "maxclients", "60", "databases", "1"}).rfind("ERR CONFIG SET failed", 0) == 0);
  CHECK(Strings(c, {"CONFIG", "GET", "maxclients"}) == std::vector<std::string>{"maxclients", "50"});
  CHECK(Err(c, {"CONFIG", "SET", "maxclients", "60", "MAXCLIENTS", "70"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - duplicate parameter");
  CHECK(Strings(c, {"CONFIG", "GET", "maxclients"}) == std::vector<std::string>{"maxclients", "50"});

  CHECK(Simple(c, {"CONFIG", "SET", "fsync", "always"}) == "OK");
  CHECK(InfoField(Bulk(c, {"INFO", "persistence"}), "fsync") == "always");

  // A runtime change takes effect: new connections now need the password.
  CHECK(Simple(c, {"CONFIG", "SET", "requirepass", "sesame"}) == "OK");
  auto other = s.server.Connect();
  CHECK(Err(*other, {"GET", "k"}) == "NOAUTH Authentication required.");
  CHECK(Simple(*other, {"AUTH", "sesame"}) == "OK");
  CHECK(Bulk(*other, {"GET", "k"}) == "<nil>");
  CHECK(Simple(c, {"PING"}) == "PONG");  // the connection that set it stays authenticated
  CHECK(Simple(c, {"CONFIG", "SET", "requirepass", ""}) == "OK");
  auto third = s.server.Connect();
  CHECK(Simple(*third, {"PING"}) == "PONG");
}

TEST_CASE("server: TIME LASTSAVE COMMAND") {
  ServerWithClient s;
  RespClient& c = *s.client;

  std::vector<std::string> time = Strings(c, {"TIME"});
  REQUIRE(time.size() == 2);
  int64_t seconds = std::stoll(time[0]);
  int64_t micros = std::stoll(time[1]);
  CHECK(std::llabs(seconds - NowSeconds()) < 3600);  // the same clock, not a timing bound
  CHECK(micros >= 0);
  CHECK(micros < 1000000);

  int64_t lastsave = Int(c, {"LASTSAVE"});
  CHECK(lastsave > 0);
  CHECK(lastsave <= NowSeconds() + 1);

  int64_t count = Int(c, {"COMMAND", "COUNT"});
  CHECK(count >= 60);
  CHECK(Err(c, {"COMMAND", "COUNT", "extra"}) == "ERR wrong number of arguments for 'command|count' command");
  RespValue all = Call(c, {"COMMAND"});
  CHECK(all.type == RespValue::Type::kArray);
  CHECK(static_cast<int64_t>(all.elements.size()) == count);
  RespValue info = Call(c, {"COMMAND", "INFO", "get", "nosuchcommand", "SET"});
  REQUIRE(info.type == RespValue::Type::kArray);
  REQUIRE(info.elements.size() == 3);
  REQUIRE(info.elements[0].elements.size() >= 6);
  CHECK(info.elements[0].elements[0].str == "get");
  CHECK(info.elements[0].elements[1].integer == 2);
  CHECK(info.elements[0].elements[3].integer == 1);  // first key
  CHECK(info.elements[1].IsNull());
  // An unknown name is a null bulk string, as in Redis, not a null array.
  RawConn raw;
  REQUIRE(raw.Connect(s.server.port()));
  REQUIRE(raw.Send("COMMAND INFO nosuchcommand\r\nQUIT\r\n"));
  bool closed = false;
  CHECK(raw.ReadUntilClosed(10s, &closed) == "*1\r\n$-1\r\n+OK\r\n");
  CHECK(info.elements[2].elements[0].str == "set");
  CHECK(info.elements[2].elements[1].integer == -3);
}

TEST_CASE("server: SHUTDOWN exits with 0 and keeps the data") {
  KvdServer server;
  REQUIRE(server.Start());
  {
    auto c = server.Connect();
    CHECK(Simple(*c, {"SET", "survivor", "yes"}) == "OK");
    CHECK(Simple(*c, {"SET", "ttl-survivor", "yes", "EX", "5000"}) == "OK");
  }
  RawConn raw;
  REQUIRE(raw.Connect(server.port()));
  REQUIRE(raw.Send(EncodeCommand({"SHUTDOWN"})));
  bool closed = false;
  raw.ReadUntilClosed(20s, &closed);
  CHECK(closed);
  std::optional<int> code = server.WaitForExit(20s);
  REQUIRE_MESSAGE(code.has_value(), "kvd did not exit after SHUTDOWN");
  CHECK(*code == 0);

  REQUIRE(server.Start());
  auto c = server.Connect();
  CHECK(Bulk(*c, {"GET", "survivor"}) == "yes");
  CHECK(Int(*c, {"TTL", "ttl-survivor"}) > 0);
  CHECK(Err(*c, {"SHUTDOWN", "BOGUS"}) == "ERR syntax error");
  CHECK(server.Stop() == 0);
}

TEST_CASE("auth: requirepass") {
  ServerWithClient s({"--requirepass", "s3cret"});
  RespClient& c = *s.client;

  const std::string kNoAuth = "NOAUTH Authentication required.";
  const std::string kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
  CHECK(Err(c, {"PING"}) == kNoAuth);
  CHECK(Err(c, {"GET", "k"}) == kNoAuth);
  CHECK(Err(c, {"SET", "k", "v"}) == kNoAuth);
  CHECK(Err(c, {"DBSIZE"}) == kNoAuth);
  CHECK(Err(c, {"SELECT", "1"}) == kNoAuth);
  CHECK(Err(c, {"INFO"}) == kNoAuth);
  CHECK(Err(c, {"CONFIG", "GET", "requirepass"}) == kNoAuth);
  CHECK(Err(c, {"AUTH", "wrong"}) == kWrongPass);
  CHECK(Err(c, {"AUTH", "default", "wrong"}) == kWrongPass);
  CHECK(Err(c, {"AUTH", "nobody", "s3cret"}) == kWrongPass);
  CHECK(Err(c, {"GET", "k"}) == kNoAuth);
  CHECK(Simple(c, {"AUTH", "s3cret"}) == "OK");
  CHECK(Simple(c, {"PING"}) == "PONG");
  CHECK(Simple(c, {"SET", "k", "v"}) == "OK");
  CHECK(Bulk(c, {"GET", "k"}) == "v");

  auto other = s.server.Connect();
  CHECK(Err(*other, {"GET", "k"}) == kNoAuth);
  CHECK(Simple(*other, {"AUTH", "default", "s3cret"}) == "OK");
  CHECK(Bulk(*other, {"GET", "k"}) == "v");

  auto third = s.server.Connect();
  CHECK(Err(*third, {"HELLO", "3"}).rfind("NOAUTH", 0) == 0);
  RespValue hello = Call(*third, {"HELLO", "3", "AUTH", "default", "s3cret"});
  CHECK(hello.type == RespValue::Type::kMap);
  CHECK(Bulk(*third, {"GET", "k"}) == "v");

  // QUIT needs no password.
  RawConn raw;
  REQUIRE(raw.Connect(s.server.port()));
  REQUIRE(raw.Send(EncodeCommand({"QUIT"})));
  bool closed = false;
  CHECK(raw.ReadUntilClosed(10s, &closed) == "+OK\r\n");
  CHECK(closed);
}

TEST_CASE("limits: maxclients refuses the connection over the limit") {
  ServerWithClient s({"--maxclients", "2"});
  // s.client is the first; the start-up probe may still be counted for a moment.
  CHECK(Simple(*s.client, {"PING"}) == "PONG");
  RawConn second;
  bool admitted = WaitFor(
      [&] {
        if (!second.Connect(s.server.port())) return false;
        if (!second.Send(EncodeCommand({"PING"}))) return false;
        auto reply = second.ReadReply(10s);
        return reply.has_value() && reply->type == RespValue::Type::kSimple && reply->str == "PONG";
      },
      20s);
  REQUIRE(admitted);

  RawConn third;
  REQUIRE(third.Connect(s.server.port()));
  bool closed = false;
  CHECK(third.ReadUntilClosed(10s, &closed) == "-ERR max number of clients reached\r\n");
  CHECK(closed);
  CHECK(InfoInt(*s.client, "stats", "rejected_connections") >= 1);

  // A freed slot can be used again.
  second.Close();
  RawConn fourth;
  bool reused = WaitFor(
      [&] {
        if (!fourth.Connect(s.server.port())) return false;
        if (!fourth.Send(EncodeCommand({"PING"}))) return false;
        auto reply = fourth.ReadReply(10s);
        return reply.has_value() && reply->type == RespValue::Type::kSimple && reply->str == "PONG";
      },
      20s);
  CHECK(reused);
}

TEST_CASE("limits: timeout closes idle clients, but not blocked or subscribed ones (as Redis)") {
  ServerWithClient s({"--timeout", "1"});
  RawConn blocked;
  REQUIRE(blocked.Connect(s.server.port()));
  REQUIRE(blocked.Send(EncodeCommand({"BLPOP", "queue", "0"})));
  RawConn subscriber;
  REQUIRE(subscriber.Connect(s.server.port()));
  REQUIRE(subscriber.Send(EncodeCommand({"SUBSCRIBE", "news"})));
  auto subscribed = subscriber.ReadReply();
  REQUIRE(subscribed.has_value());
  CHECK(subscribed->ToString() == "[subscribe, news, 1]");
  RawConn idle;
  REQUIRE(idle.Connect(s.server.port()));
  REQUIRE(idle.Send(EncodeCommand({"PING"})));
  auto reply = idle.ReadReply();
  REQUIRE(reply.has_value());
  CHECK(reply->str == "PONG");
  bool closed = false;
  idle.ReadUntilClosed(10s, &closed);
  CHECK(closed);

  // The same idle time passed for the other two: both are still served.
  auto fresh = s.server.Connect();
  std::string clients = Bulk(*fresh, {"CLIENT", "LIST"});
  CHECK(clients.find("flags=b ") != std::string::npos);
  CHECK(clients.find("flags=P ") != std::string::npos);
  CHECK(Int(*fresh, {"RPUSH", "queue", "job"}) == 1);
  auto served = blocked.ReadReply();
  REQUIRE(served.has_value());
  CHECK(served->ToString() == "[queue, job]");
  CHECK(Int(*fresh, {"PUBLISH", "news", "hello"}) == 1);
  auto message = subscriber.ReadReply();
  REQUIRE(message.has_value());
  CHECK(message->ToString() == "[message, news, hello]");
}

TEST_CASE("server: DBSIZE past one window counts in the background and keeps the pipeline's order") {
  ServerWithClient s;
  RespClient& c = *s.client;
  constexpr int kKeys = 60000;  // more than the 50,000 keys counted inline
  constexpr int kPerMset = 1000;
  std::string load;
  for (int first = 0; first < kKeys; first += kPerMset) {
    std::vector<std::string> mset{"MSET"};
    for (int i = first; i < first + kPerMset; ++i) {
      mset.push_back("key:" + std::to_string(i));
      mset.push_back("v");
    }
    load += EncodeCommand(mset);
  }
  REQUIRE(c.SendRaw(load).ok());
  for (int i = 0; i < kKeys / kPerMset; ++i) {
    auto reply = c.ReadReply();
    REQUIRE(reply.ok());
    REQUIRE(reply->str == "OK");
  }
  CHECK(Simple(c, {"SELECT", "1"}) == "OK");
  CHECK(Simple(c, {"SET", "only", "1"}) == "OK");
  CHECK(Simple(c, {"SELECT", "0"}) == "OK");

  // The replies come in request order, each count seeing the writes before it.
  RawConn conn;
  REQUIRE(conn.Connect(s.server.port()));
  REQUIRE(conn.Send(EncodeCommand({"DBSIZE"}) + EncodeCommand({"SET", "new", "v"}) + EncodeCommand({"DBSIZE"}) +
                    EncodeCommand({"GET", "new"}) + EncodeCommand({"SELECT", "1"}) + EncodeCommand({"DBSIZE"})));
  std::vector<std::string> replies;
  for (int i = 0; i < 6; ++i) {
    auto reply = conn.ReadReply();
    REQUIRE(reply.has_value());
    replies.push_back(reply->type == RespValue::Type::kInteger ? std::to_string(reply->integer) : reply->str);
  }
  CHECK(replies == std::vector<std::string>{std::to_string(kKeys), "OK", std::to_string(kKeys + 1), "v", "OK", "1"});

  // Inside EXEC the count is part of the transaction.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"DEL", "new"}) == "QUEUED");
  CHECK(Simple(c, {"DBSIZE"}) == "QUEUED");
  auto exec = c.Command({"EXEC"});
  REQUIRE(exec.ok());
  REQUIRE(exec->elements.size() == 2);
  CHECK(exec->elements[1].integer == kKeys);

  // A client that leaves while its count runs costs nothing else.
  RawConn leaver;
  REQUIRE(leaver.Connect(s.server.port()));
  REQUIRE(leaver.Send(EncodeCommand({"DBSIZE"}) + EncodeCommand({"DBSIZE"})));
  leaver.Close();
  CHECK(Simple(c, {"PING"}) == "PONG");
  CHECK(Int(c, {"DBSIZE"}) == kKeys);
  CHECK(Simple(c, {"FLUSHDB"}) == "OK");
  CHECK(Int(c, {"DBSIZE"}) == 0);
}


TEST_CASE("server: CLIENT PAUSE WRITE holds writes and what follows them until CLIENT UNPAUSE") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Err(c, {"CLIENT", "PAUSE", "x"}) == "ERR timeout is not an integer or out of range");
  CHECK(Err(c, {"CLIENT", "PAUSE", "-1"}) == "ERR timeout is negative");
  CHECK(Err(c, {"CLIENT", "PAUSE", "10", "SOME"}) == "ERR CLIENT PAUSE mode must be WRITE or ALL");
  CHECK(Err(c, {"CLIENT", "UNPAUSE", "x"}) == "ERR wrong number of arguments for 'client|unpause' command");

  CHECK(Simple(c, {"SET", "before", "1"}) == "OK");
  CHECK(Simple(c, {"CLIENT", "PAUSE", "600000", "WRITE"}) == "OK");
  CHECK(Bulk(c, {"GET", "before"}) == "1");  // reads go on

  RawConn writer;
  REQUIRE(writer.Connect(s.server.port()));
  int64_t writer_id = RawClientId(writer);
  REQUIRE(writer.Send(EncodeCommand({"SET", "k", "v"}) + EncodeCommand({"GET", "k"})));
  // The SET waits as a blocked client does, and the GET behind it with it.
  CHECK(WaitFor([&] { return ClientListField(Bulk(c, {"CLIENT", "LIST"}), writer_id, "flags") == "b"; }, 30s));
  CHECK(Bulk(c, {"GET", "k"}) == "<nil>");
  CHECK(Int(c, {"CLIENT", "UNBLOCK", std::to_string(writer_id)}) == 0);  // a pause is not a blocking command

  // A transaction that writes waits too; one that only reads does not.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"GET", "before"}) == "QUEUED");
  auto exec = c.Command({"EXEC"});
  REQUIRE(exec.ok());
  REQUIRE(exec->elements.size() == 1);
  CHECK(exec->elements[0].str == "1");

  CHECK(Simple(c, {"CLIENT", "UNPAUSE"}) == "OK");
  auto set = writer.ReadReply();
  REQUIRE(set.has_value());
  CHECK(set->str == "OK");
  auto get = writer.ReadReply();
  REQUIRE(get.has_value());
  CHECK(get->str == "v");
}

TEST_CASE("server: CLIENT PAUSE ALL holds every command until it ends; CLIENT UNPAUSE still runs") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Simple(c, {"CLIENT", "PAUSE", "200", "ALL"}) == "OK");
  RawConn other;
  REQUIRE(other.Connect(s.server.port()));
  REQUIRE(other.Send(EncodeCommand({"PING"})));
  auto pong = other.ReadReply();  // answered once the pause is over
  REQUIRE(pong.has_value());
  CHECK(pong->str == "PONG");

  CHECK(Simple(c, {"CLIENT", "PAUSE", "600000"}) == "OK");  // ALL by default
  RawConn unpauser;
  REQUIRE(unpauser.Connect(s.server.port()));
  REQUIRE(unpauser.Send(EncodeCommand({"CLIENT", "UNPAUSE"})));
  auto ok = unpauser.ReadReply();
  REQUIRE(ok.has_value());
  CHECK(ok->str == "OK");
  CHECK(Simple(c, {"PING"}) == "PONG");
}


TEST_CASE("server: MONITOR streams every command that runs, with its database and client") {
  ServerWithClient s;
  RespClient& c = *s.client;
  RawConn monitor;
  REQUIRE(monitor.Connect(s.server.port()));
  int64_t monitor_id = RawClientId(monitor);
  REQUIRE(monitor.Send(EncodeCommand({"MONITOR"})));
  auto ok = monitor.ReadReply();
  REQUIRE(ok.has_value());
  CHECK(ok->str == "OK");
  CHECK(ClientListField(Bulk(c, {"CLIENT", "LIST"}), monitor_id, "flags") == "O");

  CHECK(Simple(c, {"SET", "k", std::string("a \"b\"\n", 6)}) == "OK");
  CHECK(Simple(c, {"SELECT", "1"}) == "OK");
  CHECK(Bulk(c, {"GET", "k"}) == "<nil>");
  CHECK(Err(c, {"AUTH", "secret"}).rfind("ERR", 0) == 0);  // its argument must not show either way
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"INCR", "n"}) == "QUEUED");
  auto exec = c.Command({"EXEC"});
  REQUIRE(exec.ok());

  std::vector<std::string> lines;
  for (int i = 0; i < 6; ++i) {
    auto line = monitor.ReadReply();
    REQUIRE(line.has_value());
    std::string text = line->str;
    lines.push_back(text.substr(text.find(' ') + 1));  // without the time
  }
  std::string me = "127.0.0.1:";
  CHECK(lines[0].rfind("[0 " + me, 0) == 0);
  CHECK(lines[0].substr(lines[0].find(']')) == "] \"SET\" \"k\" \"a \\\"b\\\"\\n\"");
  CHECK(lines[1].substr(0, 3) == "[1 ");  // the database SELECT left the client in
  CHECK(lines[1].substr(lines[1].find(']')) == "] \"SELECT\" \"1\"");
  CHECK(lines[2].substr(lines[2].find(']')) == "] \"GET\" \"k\"");
  CHECK(lines[3].substr(lines[3].find(']')) == "] \"AUTH\" \"(redacted)\"");
  CHECK(lines[4].substr(lines[4].find(']')) == "] \"MULTI\"");
  CHECK(lines[5].substr(lines[5].find(']')) == "] \"INCR\" \"n\"");  // queued commands show at EXEC

  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"MONITOR"}) == "QUEUED");
  auto refused = c.Command({"EXEC"});
  REQUIRE(refused.ok());
  REQUIRE(refused->elements.size() == 1);
  CHECK(refused->elements[0].str == "ERR MONITOR isn't allowed for DENY BLOCKING client");

  monitor.Close();
  CHECK(WaitFor([&] { return ClientListField(Bulk(c, {"CLIENT", "LIST"}), monitor_id, "flags") != "O"; }, 30s));
  CHECK(Simple(c, {"PING"}) == "PONG");
}

}  // namespace kvdtest
