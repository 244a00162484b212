// roles/proxy's pure parts: the key table learned from COMMAND, the routing
// table built from a topology snapshot, the plan for each command and the
// merge of split replies.
#include <doctest/doctest.h>

#include "cluster/slot.h"
#include "roles/proxy/command_plan.h"
#include "roles/proxy/key_table.h"
#include "roles/proxy/options.h"
#include "roles/proxy/pinning.h"
#include "roles/proxy/routes.h"
#include "test/unit/test_support.h"

namespace kvd::test {

namespace {

using protocol::RespValue;
using Args = std::vector<std::string>;

RespValue Bulk(const std::string& text) {
  RespValue value;
  value.type = RespValue::Type::kBulk;
  value.str = text;
  return value;
}

RespValue Integer(int64_t number) {
  RespValue value;
  value.type = RespValue::Type::kInteger;
  value.integer = number;
  return value;
}

RespValue Array(std::vector<RespValue> elements) {
  RespValue value;
  value.type = RespValue::Type::kArray;
  value.elements = std::move(elements);
  return value;
}

RespValue Error(const std::string& text) {
  RespValue value;
  value.type = RespValue::Type::kError;
  value.str = text;
  return value;
}

RespValue Entry(const std::string& name, int arity, std::vector<std::string> flags, int first, int last, int step) {
  std::vector<RespValue> flag_values;
  for (auto& flag : flags) flag_values.push_back(Bulk(flag));
  return Array({Bulk(name), Integer(arity), Array(flag_values), Integer(first), Integer(last), Integer(step)});
}

// What a backend's COMMAND reply says of the commands these tests use.
proxy::KeyTable TestKeyTable() {
  return Must(proxy::KeyTable::FromCommandReply(Array({
      Entry("get", 2, {"readonly"}, 1, 1, 1),
      Entry("set", -3, {"write"}, 1, 1, 1),
      Entry("mget", -2, {"readonly"}, 1, -1, 1),
      Entry("mset", -3, {"write"}, 1, -1, 2),
      Entry("msetnx", -3, {"write"}, 1, -1, 2),
      Entry("del", -2, {"write"}, 1, -1, 1),
      Entry("exists", -2, {"readonly"}, 1, -1, 1),
      Entry("rename", 3, {"write"}, 1, 2, 1),
      Entry("blpop", -3, {"write", "blocking"}, 1, -2, 1),
      Entry("subscribe", -2, {"pubsub"}, 0, 0, 0),
      Entry("publish", 3, {"pubsub"}, 0, 0, 0),
      Entry("dbsize", 1, {"readonly"}, 0, 0, 0),
      Entry("keys", 2, {"readonly"}, 0, 0, 0),
      Entry("scan", -2, {"readonly"}, 0, 0, 0),
      Entry("randomkey", 1, {"readonly"}, 0, 0, 0),
      Entry("time", 1, {}, 0, 0, 0),
      Entry("zunionstore", -4, {"write"}, 1, 1, 1),
      Entry("lmpop", -4, {"write"}, 0, 0, 0),
      Entry("sort", -2, {"write"}, 1, 1, 1),
  })));
}

// g1 owns slots 0..511, g2 512..1022; 1023 is unassigned.
proxy::RouteTable TestRoutes() {
  return Must(proxy::RouteTable::FromSnapshot(R"({"format":1,"version":7,"applied_index":0,
      "groups":[{"name":"g1","master":"127.0.0.1:7001","replicas":[],"config_epoch":1},
                {"name":"g2","master":"127.0.0.1:7002","replicas":[],"config_epoch":1,"auth_pass":"pw"}],
      "slots":[{"first":0,"last":511,"group":"g1"},{"first":512,"last":1022,"group":"g2"}],
      "proxies":[]})"));
}

// The `skip`-th key of the form kN that `backend` serves.
std::string KeyOf(int32_t backend, const proxy::RouteTable& routes, int skip = 0) {
  for (int i = 0;; ++i) {
    std::string key = "k" + std::to_string(i);
    if (routes.BackendOfSlot(cluster::SlotOf(key)) == backend && skip-- == 0) return key;
  }
}

std::string UnassignedKey() {
  for (int i = 0;; ++i) {
    std::string key = "u" + std::to_string(i);
    if (cluster::SlotOf(key) == 1023) return key;
  }
}

}  // namespace

TEST_SUITE("proxy") {
  TEST_CASE("the routing table sends each slot to its group's master") {
    proxy::RouteTable routes = TestRoutes();
    CHECK(routes.version() == 7);
    REQUIRE(routes.backends().size() == 2);
    CHECK(routes.backends()[1].address == "127.0.0.1:7002");
    CHECK(routes.backends()[1].port == 7002);
    CHECK(routes.backends()[1].auth_pass == "pw");
    CHECK(routes.BackendOfSlot(0) == 0);
    CHECK(routes.BackendOfSlot(511) == 0);
    CHECK(routes.BackendOfSlot(512) == 1);
    CHECK(routes.BackendOfSlot(1023) == proxy::RouteTable::kUnassigned);
    CHECK_FALSE(proxy::RouteTable::FromSnapshot("{}").ok());
    CHECK_FALSE(proxy::RouteTable::FromSnapshot("not json").ok());
  }

  TEST_CASE("key positions come from COMMAND, moving keys from the proxy's own rules") {
    proxy::KeyTable keys = TestKeyTable();
    auto indexes = [&](const Args& args) { return keys.KeyIndexes(*keys.Find(args[0]), args); };
    CHECK(indexes({"get", "a"}) == std::vector<size_t>{1});
    CHECK(indexes({"mset", "a", "1", "b", "2"}) == std::vector<size_t>{1, 3});
    CHECK(indexes({"del", "a", "b", "c"}) == std::vector<size_t>{1, 2, 3});
    CHECK(indexes({"blpop", "a", "b", "0"}) == std::vector<size_t>{1, 2});
    CHECK(indexes({"get"}).empty());  // too few arguments: no key
    CHECK(indexes({"zunionstore", "dst", "2", "a", "b", "weights", "1", "2"}) == std::vector<size_t>{1, 3, 4});
    CHECK(indexes({"lmpop", "2", "a", "b", "left"}) == std::vector<size_t>{2, 3});
    CHECK(indexes({"sort", "a", "limit", "0", "1", "store", "dst"}) == std::vector<size_t>{1, 6});
    CHECK(keys.Find("blpop")->blocking);
    CHECK(keys.Find("subscribe")->pubsub);
    CHECK(keys.Find("nosuch") == nullptr);
    CHECK_FALSE(proxy::KeyTable::FromCommandReply(Error("ERR no")).ok());
    CHECK_FALSE(proxy::KeyTable::FromCommandReply(Array({Bulk("get")})).ok());
  }

  TEST_CASE("single-key and same-group commands are forwarded whole") {
    proxy::KeyTable keys = TestKeyTable();
    proxy::RouteTable routes = TestRoutes();
    std::string g1 = KeyOf(0, routes), g2 = KeyOf(1, routes), g2b = KeyOf(1, routes, 1);
    auto plan = proxy::PlanCommand({"get", g2}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    CHECK(plan.backend == 1);
    plan = proxy::PlanCommand({"rename", g2, g2b}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    plan = proxy::PlanCommand({"mget", g2, g2b}, keys, routes);  // one group: no split
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    CHECK(plan.backend == 1);
    // Hash tags keep keys together.
    plan = proxy::PlanCommand({"rename", "{" + g1 + "}a", "{" + g1 + "}b"}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    CHECK(plan.backend == 0);
    // Unknown commands and too few arguments: a backend gives its own error.
    plan = proxy::PlanCommand({"nosuch", "x"}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    plan = proxy::PlanCommand({"get"}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    // Every channel lives on the default backend.
    plan = proxy::PlanCommand({"publish", "ch", "m"}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    CHECK(plan.backend == 0);
    plan = proxy::PlanCommand({"time"}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    CHECK(plan.any_backend);
    // Blocking commands go whole to their group too; the session gives them a connection of their own.
    plan = proxy::PlanCommand({"blpop", g2, g2b, "0"}, keys, routes);
    CHECK(plan.kind == proxy::Plan::Kind::kForward);
    CHECK(plan.blocking);
    CHECK(plan.backend == 1);
    CHECK(proxy::PlanCommand({"blpop", g1, g2, "0"}, keys, routes).kind == proxy::Plan::Kind::kReply);
    // Splittable commands with a wrong argument count are not split (nothing to wait for).
    for (const Args& args : {Args{"mget"}, Args{"mset", "a"}, Args{"mset", "a", "1", "b"}, Args{"del"}}) {
      plan = proxy::PlanCommand(args, keys, routes);
      CHECK(plan.kind == proxy::Plan::Kind::kForward);
      CHECK(plan.backend == 0);
    }
  }

  TEST_CASE("what cannot be routed gets a clear error") {
    proxy::KeyTable keys = TestKeyTable();
    proxy::RouteTable routes = TestRoutes();
    std::string g1 = KeyOf(0, routes), g2 = KeyOf(1, routes);
    auto error_of = [&](const Args& args) {
      auto plan = proxy::PlanCommand(args, keys, routes);
      CHECK(plan.kind == proxy::Plan::Kind::kReply);
      return plan.reply;
    };
    CHECK(error_of({"rename", g1, g2}) == "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    CHECK(error_of({"msetnx", g1, "1", g2, "2"}) == "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    CHECK(error_of({"get", UnassignedKey()}) == "-CLUSTERDOWN Hash slot not served\r\n");
    CHECK(error_of({"mget", g1, UnassignedKey()}) == "-CLUSTERDOWN Hash slot not served\r\n");
    CHECK(error_of({"randomkey"}).find("'randomkey' is not supported through kvd proxy") != std::string::npos);
    CHECK(error_of({"scan", "x"}) == "-ERR invalid cursor\r\n");

  }

  TEST_CASE("multi-key commands split by group and merge back in the client's order") {
    proxy::KeyTable keys = TestKeyTable();
    proxy::RouteTable routes = TestRoutes();
    std::string a = KeyOf(0, routes), b = KeyOf(1, routes), c = KeyOf(0, routes, 1);
    auto plan = proxy::PlanCommand({"mget", a, b, c}, keys, routes);
    REQUIRE(plan.kind == proxy::Plan::Kind::kSplit);
    REQUIRE(plan.parts.size() == 2);
    CHECK(plan.parts[0].args == Args{"mget", a, c});
    CHECK(plan.parts[0].positions == std::vector<size_t>{0, 2});
    CHECK(plan.parts[1].args == Args{"mget", b});
    CHECK(plan.parts[1].positions == std::vector<size_t>{1});
    RespValue nil;  // a missing key
    CHECK(proxy::MergeReplies(plan, {Array({Bulk("va"), nil}), Array({Bulk("vb")})}) ==
          "*3\r\n$2\r\nva\r\n$2\r\nvb\r\n$-1\r\n");
    CHECK(proxy::MergeReplies(plan, {Array({Bulk("va"), nil}), Error("ERR backend down")}) == "-ERR backend down\r\n");

    plan = proxy::PlanCommand({"mset", a, "1", b, "2", c, "3"}, keys, routes);
    REQUIRE(plan.kind == proxy::Plan::Kind::kSplit);
    CHECK(plan.parts[0].args == Args{"mset", a, "1", c, "3"});
    CHECK(plan.parts[1].args == Args{"mset", b, "2"});
    RespValue ok;
    ok.type = RespValue::Type::kSimple;
    ok.str = "OK";
    CHECK(proxy::MergeReplies(plan, {ok, ok}) == "+OK\r\n");

    plan = proxy::PlanCommand({"del", a, b, c}, keys, routes);
    REQUIRE(plan.kind == proxy::Plan::Kind::kSplit);
    CHECK(proxy::MergeReplies(plan, {Integer(2), Integer(1)}) == ":3\r\n");

    plan = proxy::PlanCommand({"keys", "*"}, keys, routes);
    REQUIRE(plan.kind == proxy::Plan::Kind::kSplit);
    CHECK(proxy::MergeReplies(plan, {Array({Bulk("a"), Bulk("c")}), Array({Bulk("b")})}) ==
          "*3\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nb\r\n");

    // SCAN: group 0 from its start, then group 1; the cursor carries the group in its low 10 bits.
    plan = proxy::PlanCommand({"scan", "0", "match", "k*"}, keys, routes);
    REQUIRE(plan.kind == proxy::Plan::Kind::kSplit);
    REQUIRE(plan.parts.size() == 1);
    CHECK(plan.parts[0].backend == 0);
    CHECK(plan.parts[0].args == Args{"scan", "0", "match", "k*"});
    CHECK(proxy::MergeReplies(plan, {Array({Bulk("17"), Array({Bulk("k1")})})}) ==
          "*2\r\n$5\r\n17408\r\n*1\r\n$2\r\nk1\r\n");  // 17 << 10 | 0
    CHECK(proxy::MergeReplies(plan, {Array({Bulk("0"), Array({})})}) == "*2\r\n$1\r\n1\r\n*0\r\n");
    plan = proxy::PlanCommand({"scan", "17408"}, keys, routes);
    CHECK(plan.parts[0].args == Args{"scan", "17"});
    plan = proxy::PlanCommand({"scan", "1"}, keys, routes);
    CHECK(plan.parts[0].backend == 1);
    CHECK(plan.parts[0].args == Args{"scan", "0"});
    CHECK(proxy::MergeReplies(plan, {Array({Bulk("0"), Array({Bulk("b")})})}) == "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n");
    plan = proxy::PlanCommand({"scan", "5"}, keys, routes);  // no such group: the end
    CHECK(plan.reply == "*2\r\n$1\r\n0\r\n*0\r\n");

    plan = proxy::PlanCommand({"dbsize"}, keys, routes);
    REQUIRE(plan.kind == proxy::Plan::Kind::kSplit);
    CHECK(plan.parts.size() == 2);
    CHECK(proxy::MergeReplies(plan, {Integer(5), Integer(6)}) == ":11\r\n");
  }

  TEST_CASE("pinning: a transaction runs on the client's own connection to one group") {
    using Target = proxy::Step::Target;
    proxy::Plan on_g1;
    on_g1.kind = proxy::Plan::Kind::kForward;
    on_g1.backend = 0;
    proxy::Plan on_g2 = on_g1;
    on_g2.backend = 1;
    proxy::Plan anywhere = on_g2;
    anywhere.any_backend = true;

    proxy::Pinning pinning;
    CHECK(pinning.Exec().reply == "-ERR EXEC without MULTI\r\n");
    CHECK(pinning.Discard().reply == "-ERR DISCARD without MULTI\r\n");
    // MULTI is held back until a key picks the group; MULTI then goes first.
    auto step = pinning.Multi();
    CHECK(step.target == Target::kLocal);
    CHECK(step.reply == "+OK\r\n");
    CHECK(pinning.Multi().reply == "-ERR MULTI calls can not be nested\r\n");
    step = pinning.Command(on_g1, {"set", "a", "1"});
    CHECK(step.target == Target::kDedicated);
    CHECK(step.backend == 0);
    CHECK(step.preamble == std::vector<std::vector<std::string>>{{"MULTI"}});
    step = pinning.Command(anywhere, {"ping"});  // no key: queued where the transaction is
    CHECK(step.target == Target::kDedicated);
    CHECK(step.backend == 0);
    CHECK(step.preamble.empty());
    step = pinning.Exec();
    CHECK(step.target == Target::kDedicated);
    CHECK_FALSE(pinning.pinned());

    // A key of another group: CROSSSLOT now, EXECABORT at EXEC, and the open MULTI is discarded.
    pinning.Multi();
    pinning.Command(on_g1, {"set", "a", "1"});
    CHECK(pinning.Command(on_g2, {"set", "b", "1"}).reply == "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    step = pinning.Exec();
    CHECK(step.target == Target::kLocal);
    CHECK(step.reply == "-EXECABORT Transaction discarded because of previous errors.\r\n");
    CHECK(step.preamble == std::vector<std::vector<std::string>>{{"DISCARD"}});
    // An empty transaction never reaches a backend.
    pinning.Multi();
    CHECK(pinning.Exec().reply == "*0\r\n");
    // Keyless commands before the first key wait here, then go ahead of it after MULTI.
    pinning.Multi();
    CHECK(pinning.Command(anywhere, {"ping"}).reply == "+QUEUED\r\n");
    step = pinning.Command(on_g2, {"set", "b", "1"});
    CHECK(step.backend == 1);
    CHECK(step.preamble == std::vector<std::vector<std::string>>{{"MULTI"}, {"ping"}});
    pinning.Exec();
    // Only keyless commands: EXEC takes them to any backend.
    pinning.Multi();
    pinning.Command(anywhere, {"echo", "x"});
    step = pinning.Exec();
    CHECK(step.target == Target::kDedicated);
    CHECK(step.preamble == std::vector<std::vector<std::string>>{{"MULTI"}, {"echo", "x"}});

    // WATCH pins at once; MULTI follows it there; other groups are refused.
    step = pinning.Watch(on_g2);
    CHECK(step.target == Target::kDedicated);
    CHECK(step.backend == 1);
    CHECK(pinning.Watch(on_g1).reply == "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    CHECK(pinning.Command(on_g1, {"set", "a", "1"}).target == Target::kShared);  // outside MULTI: an ordinary command
    step = pinning.Multi();
    CHECK(step.target == Target::kDedicated);
    CHECK(pinning.Watch(on_g2).reply == "-ERR WATCH inside MULTI is not allowed\r\n");
    CHECK(pinning.Discard().target == Target::kDedicated);
    CHECK(pinning.Unwatch().reply == "+OK\r\n");  // DISCARD already forgot the watched keys
  }

  TEST_CASE("pinning: a blocking command takes the client's own connection and holds the client") {
    proxy::Plan blocking;
    blocking.kind = proxy::Plan::Kind::kForward;
    blocking.backend = 1;
    blocking.blocking = true;
    proxy::Pinning pinning;
    auto step = pinning.Command(blocking, {"blpop", "q", "0"});
    CHECK(step.target == proxy::Step::Target::kDedicated);
    CHECK(step.blocks);
    // Inside MULTI it is queued like any command (Redis runs it without blocking).
    pinning.Multi();
    step = pinning.Command(blocking, {"blpop", "q", "0"});
    CHECK(step.target == proxy::Step::Target::kDedicated);
    CHECK_FALSE(step.blocks);
  }

  TEST_CASE("options: one source of the slot map, and bad values named") {
    auto load = [](std::vector<std::string> text) {
      std::vector<char*> argv;
      for (auto& arg : text) argv.push_back(arg.data());
      bool help = false;
      std::string help_text;
      return proxy::LoadProxyConfig(static_cast<int>(argv.size()), argv.data(), &help, &help_text);
    };
    auto config = Must(load({"proxy", "--slots", "s.json", "--port", "7000", "--io-threads", "2"}));
    CHECK(config.port == 7000);
    CHECK(config.io_threads == 2);
    config = Must(load({"proxy", "--sentinels", "127.0.0.1:26380,127.0.0.1:26381"}));
    CHECK(config.sentinels.size() == 2);
    CHECK(config.announce == "127.0.0.1:6390");  // registered as bind:port unless told otherwise
    CHECK(config.proxy_id == "127.0.0.1:6390");
    config = Must(load({"proxy", "--sentinels", "h:1", "--announce", "10.0.0.9:7000", "--proxy-id", "p1"}));
    CHECK(config.announce == "10.0.0.9:7000");
    CHECK(config.proxy_id == "p1");
    CHECK(load({"proxy", "--sentinels", "h:1", "--announce", "nope"}).status().message().find("--announce") !=
          std::string::npos);
    CHECK(load({"proxy"}).status().message().find("exactly one of --slots") != std::string::npos);
    CHECK(load({"proxy", "--slots", "a", "--sentinels", "h:1"}).status().message().find("exactly one") !=
          std::string::npos);
    CHECK(load({"proxy", "--sentinels", "nohost"}).status().message().find("--sentinels") != std::string::npos);
    CHECK(load({"proxy", "--slots", "a", "--port", "0"}).status().message().find("--port") != std::string::npos);
  }
}

}  // namespace kvd::test
