// Container commands (CLIENT, CONFIG, COMMAND, OBJECT, MEMORY, PUBSUB, SLOWLOG): an
// unknown subcommand or a wrong argument count is refused before the command
// runs, inside MULTI too, where it aborts the transaction as in Redis.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

// Every subcommand kvd implements, with arguments that change nothing on
// either server ("x" is no client id, option, key, timeout or mode).
std::vector<Args> SubcommandCorners() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> containers = {
      {"CLIENT", {"ID", "GETNAME", "SETNAME", "INFO", "LIST", "KILL", "UNBLOCK", "PAUSE", "UNPAUSE", "REPLY",
                  "NO-EVICT", "HELP", "nosuch"}},
      {"CONFIG", {"GET", "SET", "RESETSTAT", "REWRITE", "HELP", "nosuch"}},
      {"COMMAND", {"COUNT", "INFO", "DOCS", "LIST", "GETKEYS", "HELP", "nosuch"}},
      {"OBJECT", {"ENCODING", "REFCOUNT", "IDLETIME", "FREQ", "HELP", "nosuch"}},
      {"MEMORY", {"USAGE", "HELP", "nosuch"}},
      {"PUBSUB", {"CHANNELS", "NUMSUB", "NUMPAT", "HELP", "nosuch"}},
      {"SLOWLOG", {"GET", "LEN", "RESET", "HELP", "nosuch"}},
  };
  std::vector<Args> corners;
  for (const auto& [container, subs] : containers) {
    corners.push_back({container});
    for (const std::string& sub : subs) {
      Args command = {container, sub};
      for (int extra = 0; extra <= 3; ++extra) {
        // RESETSTAT and SLOWLOG RESET empty statistics, harmless; CONFIG SET x x and x x x x name no option.
        corners.push_back(command);
        command.push_back("x");
      }
    }
  }
  return corners;
}

// What must agree: an error's exact text; of anything else its kind (ids,
// lists and help texts differ between the servers).
std::string Comparable(const RespValue& reply) {
  if (reply.IsError()) return "-" + reply.str;
  if (reply.type == RespValue::Type::kSimple) return "+" + reply.str;
  return "type " + std::to_string(static_cast<int>(reply.type));
}

}  // namespace

TEST_CASE("subcommands: unknown ones and wrong argument counts are refused, inside MULTI too") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Err(c, {"CONFIG", "GET"}) == "ERR wrong number of arguments for 'config|get' command");
  CHECK(Err(c, {"config", "Nope", "a"}) == "ERR unknown subcommand 'Nope'. Try CONFIG HELP.");
  CHECK(Err(c, {"CONFIG"}) == "ERR wrong number of arguments for 'config' command");
  CHECK(Err(c, {"CONFIG", "SET", "maxclients", "10", "timeout"}) == "ERR syntax error");
  CHECK(Err(c, {"COMMAND", "GETKEYS", "get"}) == "ERR wrong number of arguments for 'command|getkeys' command");
  CHECK(Err(c, {"CLIENT", "HELP", "x"}) == "ERR wrong number of arguments for 'client|help' command");
  CHECK(Err(c, {"PUBSUB", std::string(200, 'z')}) ==
        "ERR unknown subcommand '" + std::string(128, 'z') + "'. Try PUBSUB HELP.");

  // Refused at once inside MULTI, so EXEC aborts and nothing queued runs.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", "k", "v"}) == "QUEUED");
  CHECK(Err(c, {"CONFIG", "GET"}) == "ERR wrong number of arguments for 'config|get' command");
  CHECK(Err(c, {"CLIENT", "FOO"}) == "ERR unknown subcommand 'FOO'. Try CLIENT HELP.");
  CHECK(Err(c, {"EXEC"}) == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(Call(c, {"GET", "k"}).IsNull());

  // A good subcommand is queued and runs at EXEC.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"CLIENT", "SETNAME", "queued"}) == "QUEUED");
  RespValue results = Call(c, {"EXEC"});
  REQUIRE(results.elements.size() == 1);
  CHECK(results.elements[0].str == "OK");
  CHECK(Call(c, {"CLIENT", "GETNAME"}).str == "queued");
}

TEST_CASE("subcommands: every container answers HELP, and COMMAND INFO lists the subcommands") {
  ServerWithClient s;
  RespClient& c = *s.client;
  for (const char* container : {"CLIENT", "CONFIG", "COMMAND", "OBJECT", "MEMORY", "PUBSUB", "SLOWLOG"}) {
    RespValue help = Call(c, {container, "HELP"});
    REQUIRE(help.type == RespValue::Type::kArray);
    REQUIRE(help.elements.size() > 2);
    CHECK(help.elements[0].str.starts_with(std::string(container) + " <subcommand>"));
  }
  RespValue info = Call(c, {"COMMAND", "INFO", "config"});
  REQUIRE(info.elements.size() == 1);
  REQUIRE(info.elements[0].elements.size() == 10);
  const RespValue& subcommands = info.elements[0].elements[9];
  std::vector<std::string> names;
  for (const RespValue& sub : subcommands.elements) names.push_back(sub.elements[0].str);
  CHECK(names == std::vector<std::string>{"config|get", "config|set", "config|resetstat", "config|rewrite",
                                          "config|help"});
  CHECK(subcommands.elements[0].elements[1].integer == -3);  // CONFIG GET <pattern> [...]
  // OBJECT ENCODING's key is its third argument, for clients that route by key.
  RespValue object = Call(c, {"COMMAND", "INFO", "object"});
  const RespValue& encoding = object.elements[0].elements[9].elements[0];
  CHECK(encoding.elements[0].str == "object|encoding");
  CHECK(encoding.elements[3].integer == 2);
  // COMMAND LIST names subcommands too, as Redis 7 does.
  RespValue listed = Call(c, {"COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG*"});
  std::vector<std::string> config_names;
  for (const RespValue& name : listed.elements) config_names.push_back(name.str);
  std::sort(config_names.begin(), config_names.end());
  CHECK(config_names == std::vector<std::string>{"config", "config|get", "config|help", "config|resetstat",
                                                 "config|rewrite", "config|set"});
  CHECK(Err(c, {"COMMAND", "LIST", "FILTERBY", "nosuch", "x"}) == "ERR syntax error");
}

TEST_CASE("subcommands: refusals match redis-server's, alone and inside MULTI") {
  SideBySide pair;
  if (!pair.ready()) return;
  int differences = 0;
  for (const Args& command : SubcommandCorners()) {
    std::string alone[2], queued[2], exec[2];
    RespClient* clients[2] = {&pair.reference(), &pair.kvd()};
    for (int i = 0; i < 2; ++i) {
      RespClient& client = *clients[i];
      alone[i] = Comparable(Call(client, command));
      REQUIRE(Simple(client, {"MULTI"}) == "OK");
      queued[i] = Comparable(Call(client, command));
      exec[i] = Comparable(Call(client, {"EXEC"}));
    }
    bool same = alone[0] == alone[1] && queued[0] == queued[1] && exec[0] == exec[1];
    if (!same && ++differences <= 5) {
      FAIL_CHECK(Joined(command) << "\n  redis: " << alone[0] << " | " << queued[0] << " | " << exec[0]
                                 << "\n  kvd:   " << alone[1] << " | " << queued[1] << " | " << exec[1]);
    }
  }
  CHECK(differences == 0);
}

}  // namespace kvdtest

namespace kvdtest {

TEST_CASE("cluster commands answer as a redis-server without cluster support") {
  SideBySide pair;
  if (!pair.ready()) return;
  const std::vector<Args> commands = {{"CLUSTER", "INFO"}, {"CLUSTER", "SLOTS"}, {"CLUSTER"}, {"CLUSTER", "HELP"},
                                      {"READONLY"},        {"READWRITE"},        {"ASKING"},  {"READONLY", "x"}};
  for (const auto& command : commands) {
    CHECK_MESSAGE(ExactCall(pair.kvd(), command) == ExactCall(pair.reference(), command), Joined(command));
  }
}

}  // namespace kvdtest
