// kvd proxy end to end: `kvd proxy` processes in front of kvd servers (and
// Debian's redis-server) on free loopback ports, with the slot map from a
// snapshot file or from a kvd sentinel; routing, fan-out and merging,
// pipelining, the errors it answers itself, failing and stopped backends,
// passwords on both sides, and a failover seen through the sentinel.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

constexpr int kSlots = 1024;

// The proxy's slot of a key: CRC-32 (IEEE, as zlib's crc32) of the key or of
// its {hash tag}, modulo 1024. Written out here because this binary links
// only the protocol library.
uint32_t Crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

int SlotOf(std::string_view key) {
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<int>(Crc32(key) % kSlots);
}

std::string Loopback(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

struct GroupSpec {
  std::string name;
  uint16_t port = 0;
  std::string auth_pass;  // empty: none
};

struct SlotRange {
  int first = 0;
  int last = 0;
  std::string group;
};

// A topology snapshot, the JSON a sentinel's TOPOLOGY answers and --slots reads.
std::string SnapshotJson(const std::vector<GroupSpec>& groups, const std::vector<SlotRange>& ranges) {
  std::string json = R"({"format":1,"version":1,"applied_index":0,"groups":[)";
  for (size_t i = 0; i < groups.size(); ++i) {
    json += (i ? "," : "") + std::string(R"({"name":")") + groups[i].name + R"(","master":")" +
            Loopback(groups[i].port) + R"(","replicas":[],"config_epoch":1)";
    if (!groups[i].auth_pass.empty()) json += R"(,"auth_pass":")" + groups[i].auth_pass + "\"";
    json += "}";
  }
  json += R"(],"slots":[)";
  for (size_t i = 0; i < ranges.size(); ++i) {
    json += (i ? "," : "") + std::string(R"({"first":)") + std::to_string(ranges[i].first) +
            R"(,"last":)" + std::to_string(ranges[i].last) + R"(,"group":")" + ranges[i].group + "\"}";
  }
  return json + R"(],"proxies":[]})";
}

// A connected client, authenticated when `password` is given; null when the connection fails.
std::unique_ptr<RespClient> ConnectTo(uint16_t port, const std::string& password = {}) {
  auto client = std::make_unique<RespClient>();
  // Long enough for anything the proxy does; a hang fails the test instead of blocking it.
  client->SetTimeout(30s);
  if (!client->Connect("127.0.0.1", port).ok()) return nullptr;
  if (!password.empty()) {
    auto auth = client->Command({"AUTH", password});
    if (!auth.ok() || auth->IsError()) return nullptr;
  }
  return client;
}

// True once the proxy has its command table and a slot map of at least `version`.
bool ProxyReady(uint16_t port, uint64_t version, const std::string& password = {}) {
  auto client = ConnectTo(port, password);
  if (client == nullptr) return false;
  auto info = client->Command({"INFO"});
  if (!info.ok() || info->IsError()) return false;
  std::string loaded = InfoField(info->str, "command_table_loaded");
  std::string have = InfoField(info->str, "topology_version");
  return loaded == "1" && !have.empty() && std::stoull(have) >= version;
}

// A `kvd proxy --slots FILE` over the given groups and ranges, started and
// ready (command table read, slot map loaded).
struct FileProxy {
  FileProxy(const std::vector<GroupSpec>& groups, const std::vector<SlotRange>& ranges, Args extra = {},
            const std::string& password = {}) {
    slots_file = dir.path() + "/slots.json";
    WriteFile(slots_file, SnapshotJson(groups, ranges));
    Args args = {"--slots", slots_file};
    args.insert(args.end(), extra.begin(), extra.end());
    proxy = KvdServer::Proxy(args);
    REQUIRE(proxy->Start());
    REQUIRE_MESSAGE(WaitFor([&] { return ProxyReady(proxy->port(), 1, password); }, 20s),
                    "the proxy never read its command table; its log:\n"
                        << proxy->Log());
    client = ConnectTo(proxy->port(), password);
    REQUIRE(client != nullptr);
  }
  uint16_t port() const { return proxy->port(); }

  TempDir dir;
  std::string slots_file;
  std::unique_ptr<KvdServer> proxy;
  std::unique_ptr<RespClient> client;
};

// Group g1 serves slots 0-511 and g2 512-1023.
constexpr int kSplitSlot = 512;
std::vector<SlotRange> HalfAndHalf() { return {{0, kSplitSlot - 1, "g1"}, {kSplitSlot, kSlots - 1, "g2"}}; }
int GroupOf(const std::string& key) { return SlotOf(key) < kSplitSlot ? 0 : 1; }

// A key named prefix:N whose slot is in [first, last].
std::string KeyInSlots(const std::string& prefix, int first, int last) {
  for (int n = 0;; ++n) {
    std::string key = prefix + ":" + std::to_string(n);
    int slot = SlotOf(key);
    if (slot >= first && slot <= last) return key;
  }
}
std::string KeyOnGroup(const std::string& prefix, int group) {
  return group == 0 ? KeyInSlots(prefix, 0, kSplitSlot - 1) : KeyInSlots(prefix, kSplitSlot, kSlots - 1);
}

// Two kvd servers as g1 and g2 and a proxy over them, one client each.
struct TwoKvdGroups {
  explicit TwoKvdGroups(Args proxy_args = {}) {
    REQUIRE(backend[0].Start());
    REQUIRE(backend[1].Start());
    direct[0] = backend[0].Connect();
    direct[1] = backend[1].Connect();
    proxy = std::make_unique<FileProxy>(
        std::vector<GroupSpec>{{"g1", backend[0].port(), ""}, {"g2", backend[1].port(), ""}}, HalfAndHalf(),
        proxy_args);
  }
  RespClient& client() { return *proxy->client; }

  KvdServer backend[2];
  std::unique_ptr<RespClient> direct[2];
  std::unique_ptr<FileProxy> proxy;
};

// Sends SIGCONT on the way out, so a test that fails while a server is stopped leaves nothing frozen.
struct ContinueOnExit {
  pid_t pid;
  ~ContinueOnExit() { ::kill(pid, SIGCONT); }
};

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The state letter of /proc/PID/stat ('T' once stopped by a signal).
char ProcessState(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

}  // namespace

TEST_SUITE("proxy") {

TEST_CASE("proxy: keys land on the backend that owns their slot, and only there") {
  TwoKvdGroups cluster;
  RespClient& c = cluster.client();

  const int count = 300;
  int per_group[2] = {0, 0};
  for (int i = 0; i < count; ++i) {
    std::string key = "key:" + std::to_string(i);
    REQUIRE_MESSAGE(Simple(c, {"SET", key, "value:" + std::to_string(i)}) == "OK", "SET " << key);
    ++per_group[GroupOf(key)];
  }
  REQUIRE_MESSAGE(per_group[0] > 0, "the test keys must cover both groups");
  REQUIRE_MESSAGE(per_group[1] > 0, "the test keys must cover both groups");
  for (int i = 0; i < count; ++i) {
    std::string key = "key:" + std::to_string(i);
    std::string value = "value:" + std::to_string(i);
    int owner = GroupOf(key);
    CHECK_MESSAGE(Bulk(c, {"GET", key}) == value, "GET " << key << " through the proxy");
    CHECK_MESSAGE(Bulk(*cluster.direct[owner], {"GET", key}) == value,
                  key << " (slot " << SlotOf(key) << ") must be on g" << owner + 1);
    CHECK_MESSAGE(Int(*cluster.direct[1 - owner], {"EXISTS", key}) == 0,
                  key << " (slot " << SlotOf(key) << ") must not be on g" << 2 - owner);
  }
  CHECK_MESSAGE(Int(*cluster.direct[0], {"DBSIZE"}) == per_group[0], "g1 holds exactly its keys");
  CHECK_MESSAGE(Int(*cluster.direct[1], {"DBSIZE"}) == per_group[1], "g2 holds exactly its keys");

  // Counters, lists and hashes on either group.
  for (int group = 0; group < 2; ++group) {
    CAPTURE(group);
    std::string counter = KeyOnGroup("counter", group), list = KeyOnGroup("list", group),
                hash = KeyOnGroup("hash", group);
    CHECK(Int(c, {"INCR", counter}) == 1);
    CHECK(Int(c, {"INCRBY", counter, "41"}) == 42);
    CHECK_MESSAGE(Bulk(*cluster.direct[group], {"GET", counter}) == "42", "the counter lives on its own group");
    CHECK(Int(c, {"LPUSH", list, "a", "b", "c"}) == 3);
    CHECK(Strings(c, {"LRANGE", list, "0", "-1"}) == std::vector<std::string>{"c", "b", "a"});
    CHECK(Int(*cluster.direct[group], {"LLEN", list}) == 3);
    CHECK(Int(c, {"HSET", hash, "f1", "v1", "f2", "v2"}) == 2);
    std::vector<std::string> fields = Strings(c, {"HGETALL", hash});
    REQUIRE(fields.size() == 4);
    std::map<std::string, std::string> pairs = {{fields[0], fields[1]}, {fields[2], fields[3]}};
    CHECK(pairs == std::map<std::string, std::string>{{"f1", "v1"}, {"f2", "v2"}});
    CHECK(Int(*cluster.direct[1 - group], {"EXISTS", counter, list, hash}) == 0);
  }

  // Keys with one hash tag share a slot, whatever else their names say.
  REQUIRE(SlotOf("{user1}a") == SlotOf("user1"));
  int tag_group = GroupOf("user1");
  CHECK(Simple(c, {"SET", "{user1}a", "1"}) == "OK");
  CHECK(Simple(c, {"SET", "{user1}b", "2"}) == "OK");
  CHECK(Simple(c, {"MSET", "{user1}c", "3", "{user1}d", "4"}) == "OK");
  CHECK_MESSAGE(Int(*cluster.direct[tag_group], {"EXISTS", "{user1}a", "{user1}b", "{user1}c", "{user1}d"}) == 4,
                "every {user1} key is on the group of slot " << SlotOf("user1"));
  CHECK(Int(*cluster.direct[1 - tag_group], {"EXISTS", "{user1}a", "{user1}b", "{user1}c", "{user1}d"}) == 0);
  CHECK(Simple(c, {"RENAME", "{user1}a", "{user1}e"}) == "OK");
  CHECK(Bulk(*cluster.direct[tag_group], {"GET", "{user1}e"}) == "1");

  // Two keys on different groups cannot meet in one command; two on one group can.
  std::string on_g1 = KeyOnGroup("move", 0), on_g2 = KeyOnGroup("move", 1);
  std::string also_on_g1 = KeyInSlots("target", 0, kSplitSlot - 1);
  CHECK(Simple(c, {"SET", on_g1, "x"}) == "OK");
  CHECK(Err(c, {"RENAME", on_g1, on_g2}) == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(Err(c, {"SMOVE", on_g1, on_g2, "m"}) == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK_MESSAGE(Bulk(c, {"GET", on_g1}) == "x", "a refused RENAME changes nothing");
  CHECK(Simple(c, {"RENAME", on_g1, also_on_g1}) == "OK");
  CHECK(Bulk(c, {"GET", also_on_g1}) == "x");
  CHECK(Bulk(*cluster.direct[0], {"GET", also_on_g1}) == "x");
  CHECK(Int(c, {"EXISTS", on_g1}) == 0);

  // Values larger than any read buffer, both ways.
  std::string big(3 * 1024 * 1024 + 17, 'b');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  std::string big_key = KeyOnGroup("big", 1);
  CHECK(Simple(c, {"SET", big_key, big}) == "OK");
  CHECK_MESSAGE(Bulk(c, {"GET", big_key}) == big, "a 3 MB value comes back whole");
  CHECK(Int(*cluster.direct[1], {"STRLEN", big_key}) == static_cast<int64_t>(big.size()));

  // QUIT is answered, then the connection closes; SIGTERM stops the proxy cleanly.
  RawConn quitter;
  REQUIRE(quitter.Connect(cluster.proxy->port()));
  REQUIRE(quitter.Send(kvd::protocol::EncodeCommand({"GET", "key:1"}) + kvd::protocol::EncodeCommand({"QUIT"}) +
                       kvd::protocol::EncodeCommand({"GET", "key:2"})));
  auto before_quit = quitter.ReadReply();
  REQUIRE(before_quit.has_value());
  CHECK(Exact(*before_quit) == "\"value:1\"");
  auto quit = quitter.ReadReply();
  REQUIRE(quit.has_value());
  CHECK(Exact(*quit) == "+OK");
  bool closed = false;
  CHECK(quitter.ReadUntilClosed(20s, &closed).empty());
  CHECK_MESSAGE(closed, "QUIT closes the connection, and what followed it is not answered");

  // A client that half-closes after its requests still gets every reply (as from a server), then EOF.
  std::string half_keys[2] = {KeyOnGroup("half", 0), KeyOnGroup("half", 1)};
  RawConn half;
  REQUIRE(half.Connect(cluster.proxy->port()));
  REQUIRE(half.Send(kvd::protocol::EncodeCommand({"SET", half_keys[0], "h0"}) +
                    kvd::protocol::EncodeCommand({"SET", half_keys[1], "h1"}) +
                    kvd::protocol::EncodeCommand({"MGET", half_keys[1], half_keys[0]}) +
                    kvd::protocol::EncodeCommand({"PING"})));
  half.ShutdownWrite();
  for (const char* expected : {"+OK", "+OK", R"(["h1", "h0"])", "+PONG"}) {
    auto reply = half.ReadReply();
    REQUIRE_MESSAGE(reply.has_value(), "no reply after the client's half-close; expected " << expected);
    CHECK(Exact(*reply) == expected);
  }
  closed = false;
  CHECK(half.ReadUntilClosed(20s, &closed).empty());
  CHECK_MESSAGE(closed, "the proxy closes the connection once it has answered a half-closed client");
  CHECK(Bulk(*cluster.direct[1], {"GET", half_keys[1]}) == "h1");

  CHECK_MESSAGE(cluster.proxy->proxy->Stop() == 0, "the proxy exits cleanly on SIGTERM; its log:\n"
                                                       << cluster.proxy->proxy->Log());
}

TEST_CASE("proxy: answers LOADING until a backend gave it the command table, then serves") {
  KvdServer g1, g2;
  uint16_t ports[2] = {g1.AssignPort(), g2.AssignPort()};  // not started yet
  TempDir dir;
  std::string slots_file = dir.path() + "/slots.json";
  WriteFile(slots_file, SnapshotJson({{"g1", ports[0], ""}, {"g2", ports[1], ""}}, HalfAndHalf()));
  auto proxy = KvdServer::Proxy({"--slots", slots_file});
  REQUIRE(proxy->Start());
  auto c = ConnectTo(proxy->port());
  REQUIRE(c != nullptr);
  CHECK(Simple(*c, {"PING"}) == "PONG");
  CHECK(Err(*c, {"GET", "a"}).rfind("LOADING", 0) == 0);
  CHECK(Err(*c, {"MGET", "a", "k1"}).rfind("LOADING", 0) == 0);
  std::string info = Bulk(*c, {"INFO"});
  CHECK(InfoField(info, "command_table_loaded") == "0");
  CHECK(InfoField(info, "topology_version") == "1");
  CHECK(InfoField(info, "backend0") == "group=g1,address=" + Loopback(ports[0]) + ",slots=512");
  CHECK(InfoField(info, "backend1") == "group=g2,address=" + Loopback(ports[1]) + ",slots=512");

  REQUIRE(g2.Start());  // the one that is not first in the list
  CHECK_MESSAGE(WaitFor([&] { return ProxyReady(proxy->port(), 1); }, 20s), "its log:\n" << proxy->Log());
  std::string on_g2 = KeyOnGroup("late", 1), on_g1 = KeyOnGroup("late", 0);
  CHECK(Simple(*c, {"SET", on_g2, "v"}) == "OK");
  CHECK(Bulk(*c, {"GET", on_g2}) == "v");
  CHECK(Contains(Err(*c, {"GET", on_g1}), Loopback(ports[0])));
  REQUIRE(g1.Start());
  CHECK(WaitFor([&] { return Simple(*c, {"SET", on_g1, "w"}) == "OK"; }, 20s));
  CHECK(Exact(Call(*c, {"MGET", on_g1, on_g2})) == R"(["w", "v"])");
}

TEST_CASE("proxy: MGET, MSET, DEL, EXISTS, UNLINK, TOUCH, DBSIZE, KEYS and FLUSHALL span both groups") {
  TwoKvdGroups cluster({"--io-threads", "2"});
  RespClient& c = cluster.client();

  // Keys of both groups interleaved: g1, g2, g2, g1, g1, g2 ...
  std::vector<std::string> keys;
  for (int i = 0; i < 12; ++i) keys.push_back(KeyOnGroup("fan" + std::to_string(i), (i % 4 == 1 || i % 4 == 2) ? 1 : 0));
  Args mset = {"MSET"};
  for (size_t i = 0; i < keys.size(); ++i) mset.insert(mset.end(), {keys[i], "v" + std::to_string(i)});
  CHECK(Simple(c, mset) == "OK");
  for (size_t i = 0; i < keys.size(); ++i) {
    int owner = GroupOf(keys[i]);
    CHECK_MESSAGE(Bulk(*cluster.direct[owner], {"GET", keys[i]}) == "v" + std::to_string(i),
                  "MSET put " << keys[i] << " on g" << owner + 1);
    CHECK_MESSAGE(Int(*cluster.direct[1 - owner], {"EXISTS", keys[i]}) == 0, keys[i] << " only on its own group");
  }

  // MGET keeps the client's order, missing keys (on either group) are nil.
  std::string missing_g1 = KeyOnGroup("missing", 0), missing_g2 = KeyOnGroup("missing", 1);
  RespValue values = Call(c, {"MGET", keys[3], missing_g2, keys[1], keys[0], missing_g1, keys[2], keys[3]});
  CHECK(Exact(values) == R"(["v3", nil, "v1", "v0", nil, "v2", "v3"])");
  CHECK(Exact(Call(c, {"MGET", missing_g1, missing_g2})) == "[nil, nil]");
  CHECK(Exact(Call(c, {"MGET", keys[1]})) == R"(["v1"])");

  // Counts add up over the groups (duplicates count twice, as in Redis).
  CHECK(Int(c, {"EXISTS", keys[0], keys[1], missing_g1, keys[2], missing_g2, keys[0]}) == 4);
  CHECK(Int(c, {"TOUCH", keys[0], keys[1], missing_g1, keys[2]}) == 3);
  CHECK(Int(c, {"DBSIZE"}) == static_cast<int64_t>(keys.size()));
  CHECK(Int(c, {"DBSIZE"}) == Int(*cluster.direct[0], {"DBSIZE"}) + Int(*cluster.direct[1], {"DBSIZE"}));
  // KEYS gathers both groups' matches.
  std::vector<std::string> listed = Strings(c, {"KEYS", "fan*"});
  std::sort(listed.begin(), listed.end());
  std::vector<std::string> quoted;
  for (const auto& key : keys) quoted.push_back(key);
  std::sort(quoted.begin(), quoted.end());
  CHECK(listed == quoted);
  // SCAN walks both groups with one cursor, COUNT and MATCH passed on.
  std::vector<std::string> scanned;
  std::string cursor = "0";
  for (int round = 0; round < 1000; ++round) {
    RespValue page = Call(c, {"SCAN", cursor, "MATCH", "fan*", "COUNT", "3"});
    REQUIRE(page.elements.size() == 2);
    cursor = page.elements[0].str;
    for (const auto& key : page.elements[1].elements) scanned.push_back(key.str);
    if (cursor == "0") break;
  }
  CHECK(cursor == "0");
  std::sort(scanned.begin(), scanned.end());
  scanned.erase(std::unique(scanned.begin(), scanned.end()), scanned.end());
  CHECK(scanned == quoted);
  CHECK(Int(c, {"DEL", keys[0], missing_g2, keys[1], keys[2], missing_g1}) == 3);
  CHECK(Int(c, {"UNLINK", keys[3], keys[4], keys[5], missing_g1}) == 3);
  CHECK(Int(c, {"EXISTS", keys[0], keys[1], keys[2], keys[3], keys[4], keys[5]}) == 0);
  CHECK(Int(c, {"DBSIZE"}) == static_cast<int64_t>(keys.size()) - 6);
  CHECK(Int(*cluster.direct[0], {"DBSIZE"}) + Int(*cluster.direct[1], {"DBSIZE"}) ==
        static_cast<int64_t>(keys.size()) - 6);

  CHECK(Int(c, {"LPUSH", missing_g2, "x"}) == 1);
  CHECK(Simple(c, {"FLUSHALL"}) == "OK");
  CHECK(Int(c, {"DBSIZE"}) == 0);
  CHECK(Int(*cluster.direct[0], {"DBSIZE"}) == 0);
  CHECK(Int(*cluster.direct[1], {"DBSIZE"}) == 0);
}

TEST_CASE("proxy: a thousand pipelined commands over both groups are answered in order") {
  Args proxy_args;
  SUBCASE("default limits") {}
  SUBCASE("with at most 3 requests of a client pending at once") { proxy_args = {"--max-pending-per-client", "3"}; }
  SUBCASE("with two io threads") { proxy_args = {"--io-threads", "2"}; }
  CAPTURE(Joined(proxy_args));
  TwoKvdGroups cluster(proxy_args);
  std::string counter[2] = {KeyOnGroup("ctr", 0), KeyOnGroup("ctr", 1)};
  std::string cross[2] = {KeyOnGroup("cross", 0), KeyOnGroup("cross", 1)};
  int64_t counted[2] = {0, 0};
  // The proxy's own refusal of RANDOMKEY, as it words it.
  std::string refusal = Err(cluster.client(), {"RANDOMKEY"});
  REQUIRE_MESSAGE(Contains(refusal, "kvd proxy"), refusal);
  int hits[2] = {0, 0};

  std::string pipeline;
  std::vector<std::string> expected;
  std::vector<std::string> described;
  auto add = [&](const Args& command, std::string reply) {
    pipeline += kvd::protocol::EncodeCommand(command);
    expected.push_back(std::move(reply));
    described.push_back(Joined(command));
  };
  auto key = [](int i) { return "p:" + std::to_string(i); };
  for (int i = 0; i < 1000; ++i) {
    switch (i % 10) {
      case 0:
        add({"SET", key(i), "v" + std::to_string(i)}, "+OK");
        ++hits[GroupOf(key(i))];
        break;
      case 1: add({"GET", key(i - 1)}, "\"v" + std::to_string(i - 1) + "\""); break;
      case 2: add({"PING"}, "+PONG"); break;
      case 3: {
        int group = (i / 10) % 2;
        add({"INCR", counter[group]}, ":" + std::to_string(++counted[group]));
        break;
      }
      case 4:
        add({"MGET", key(i - 4), key(i - 3), key(i - 14 < 0 ? i - 4 : i - 14)},
            "[\"v" + std::to_string(i - 4) + "\", nil, \"v" + std::to_string(i - 14 < 0 ? i - 4 : i - 14) + "\"]");
        break;
      case 5: add({"RENAME", cross[0], cross[1]}, "-CROSSSLOT Keys in request don't hash to the same slot"); break;
      case 6: add({"GET"}, "-ERR wrong number of arguments for 'get' command"); break;
      case 7: add({"ECHO", "e" + std::to_string(i)}, "\"e" + std::to_string(i) + "\""); break;
      case 8: add({"EXISTS", key(i - 8), key(i - 7), key(i - 8)}, ":2"); break;
      case 9: add({"RANDOMKEY"}, "-" + refusal); break;
    }
  }
  REQUIRE_MESSAGE(hits[0] > 0, "the pipeline must write to both groups");
  REQUIRE_MESSAGE(hits[1] > 0, "the pipeline must write to both groups");

  RawConn conn;
  REQUIRE(conn.Connect(cluster.proxy->port()));
  REQUIRE_MESSAGE(conn.Send(pipeline), "sending the pipeline in one write");
  int mismatches = 0;
  for (size_t i = 0; i < expected.size() && mismatches < 5; ++i) {
    auto reply = conn.ReadReply();
    REQUIRE_MESSAGE(reply.has_value(), "no reply to command " << i << " (" << described[i] << ")");
    if (Exact(*reply) != expected[i]) {
      ++mismatches;
      FAIL_CHECK("command " << i << " (" << described[i] << "): expected " << expected[i] << ", got "
                            << Exact(*reply));
    }
  }
  CHECK(mismatches == 0);
  CHECK_MESSAGE(conn.pending().empty(), "no reply beyond the thousand");
  CHECK(Bulk(*cluster.direct[0], {"GET", counter[0]}) == std::to_string(counted[0]));
  CHECK(Bulk(*cluster.direct[1], {"GET", counter[1]}) == std::to_string(counted[1]));
}

TEST_CASE("proxy: errors for what it cannot route, unknown commands, wrong arity and bad input") {
  TwoKvdGroups cluster;
  RespClient& c = cluster.client();

  // Unknown commands and wrong arities are answered by a backend, word for word as Redis does.
  CHECK(Err(c, {"NoSuchCommand", "x", "y"}) ==
        "ERR unknown command 'NoSuchCommand', with args beginning with: 'x' 'y' ");
  CHECK(Err(c, {"NoSuchCommand", "x", "y"}) == Err(*cluster.direct[0], {"NoSuchCommand", "x", "y"}));
  CHECK(Err(c, {"GET"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(Err(c, {"GET", "a", "b"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(Err(c, {"SET", "a"}) == "ERR wrong number of arguments for 'set' command");
  CHECK(Err(c, {"MGET"}) == "ERR wrong number of arguments for 'mget' command");
  CHECK(Err(c, {"DEL"}) == "ERR wrong number of arguments for 'del' command");
  CHECK(Err(c, {"EXISTS"}) == "ERR wrong number of arguments for 'exists' command");
  CHECK(Err(c, {"MSET", "a"}) == "ERR wrong number of arguments for 'mset' command");
  CHECK(Err(c, {"MSET", "a", "1", "b"}) == "ERR wrong number of arguments for 'mset' command");
  CHECK(Err(c, {"PING", "a", "b"}) == "ERR wrong number of arguments for 'ping' command");

  // What cannot be routed says so, naming the proxy.
  for (const Args& command : std::vector<Args>{{"RANDOMKEY"},
                                               {"CONFIG", "GET", "maxmemory"}}) {
    std::string error = Err(c, command);
    CHECK_MESSAGE(Contains(error, "kvd proxy"), Joined(command) << " -> " << error);
    CHECK_MESSAGE(error.rfind("ERR ", 0) == 0, Joined(command) << " -> " << error);
  }
  CHECK(Err(c, {"HELLO", "3"}) == "NOPROTO unsupported protocol version");  // RESP2 only: clients fall back
  CHECK(Err(c, {"HELLO", "x"}) == "ERR Protocol version is not an integer or out of range");
  CHECK(Simple(c, {"SELECT", "0"}) == "OK");
  std::string select = Err(c, {"SELECT", "1"});
  CHECK_MESSAGE(select.rfind("ERR ", 0) == 0, select);
  CHECK(Simple(c, {"SET", "a", "still-db-0"}) == "OK");
  CHECK(Bulk(*cluster.direct[GroupOf("a")], {"GET", "a"}) == "still-db-0");
  CHECK(Bulk(c, {"PING", "hello"}) == "hello");
  CHECK(Bulk(c, {"ECHO", "hello"}) == "hello");
  CHECK(Simple(c, {"CLIENT", "SETNAME", "tester"}) == "OK");
  CHECK(Bulk(c, {"CLIENT", "GETNAME"}) == "tester");

  // A malformed request is answered with a protocol error, and that connection alone is closed.
  auto bystander = ConnectTo(cluster.proxy->port());
  REQUIRE(bystander != nullptr);
  CHECK(Simple(*bystander, {"SET", "bystander", "1"}) == "OK");
  for (const std::string& bad : {std::string("*1\r\n$-5\r\n"), std::string("*2\r\n$3\r\nGET\r\n$1099511627776\r\n"),
                                 std::string("*3000000000\r\n")}) {
    CAPTURE(bad);
    RawConn conn;
    REQUIRE(conn.Connect(cluster.proxy->port()));
    // A request ahead of it (forwarded to a backend) is still answered first.
    REQUIRE(conn.Send(kvd::protocol::EncodeCommand({"SET", "before-bad", "1"}) + bad));
    auto first = conn.ReadReply();
    REQUIRE(first.has_value());
    CHECK(Exact(*first) == "+OK");
    auto error = conn.ReadReply();
    REQUIRE(error.has_value());
    CHECK_MESSAGE(error->IsError(), Exact(*error));
    CHECK_MESSAGE(error->str.rfind("ERR Protocol error", 0) == 0, error->str);
    bool closed = false;
    std::string rest = conn.ReadUntilClosed(20s, &closed);
    CHECK_MESSAGE(closed, "the proxy must close a connection after a protocol error");
    CHECK(rest.empty());
    CHECK_MESSAGE(Bulk(*bystander, {"GET", "bystander"}) == "1", "other clients keep working");
  }
  CHECK(Simple(c, {"SET", "after-bad", "1"}) == "OK");

  // A slot no group serves.
  KvdServer& g1 = cluster.backend[0];
  KvdServer& g2 = cluster.backend[1];
  FileProxy partial({{"g1", g1.port(), ""}, {"g2", g2.port(), ""}}, {{0, 511, "g1"}, {512, 899, "g2"}});
  std::string unserved = KeyInSlots("unserved", 900, kSlots - 1), served = KeyInSlots("served", 0, 511);
  RespClient& p = *partial.client;
  CHECK(Err(p, {"GET", unserved}) == "CLUSTERDOWN Hash slot not served");
  CHECK(Err(p, {"SET", unserved, "x"}) == "CLUSTERDOWN Hash slot not served");
  CHECK(Err(p, {"MGET", served, unserved}) == "CLUSTERDOWN Hash slot not served");
  CHECK(Err(p, {"MSET", served, "1", unserved, "2"}) == "CLUSTERDOWN Hash slot not served");
  CHECK_MESSAGE(Int(p, {"EXISTS", served}) == 0, "a refused MSET writes nothing");
  CHECK(Err(p, {"MSET", unserved}) == "ERR wrong number of arguments for 'mset' command");
  CHECK(Simple(p, {"SET", served, "ok"}) == "OK");
  CHECK(Bulk(p, {"GET", served}) == "ok");
}

TEST_CASE("proxy: transactions and blocking commands run on the client's own backend connection") {
  TwoKvdGroups cluster;
  RespClient& c = cluster.client();
  std::string a = KeyOnGroup("t", 0), a2 = KeyOnGroup("t2", 0), b = KeyOnGroup("t", 1);

  // A transaction in one group: MULTI is answered here, the first key picks the group.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", a, "10"}) == "QUEUED");
  CHECK(Simple(c, {"INCRBY", a2, "5"}) == "QUEUED");
  CHECK(Simple(c, {"PING"}) == "QUEUED");  // queued, as Redis does inside MULTI
  CHECK(ExactCall(c, {"EXEC"}) == "[+OK, :5, +PONG]");
  CHECK(Bulk(*cluster.direct[0], {"GET", a}) == "10");

  // A key of the other group cannot join it: CROSSSLOT, then EXECABORT, nothing written.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", a, "11"}) == "QUEUED");
  CHECK(Err(c, {"SET", b, "x"}) == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(Err(c, {"EXEC"}) == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(Bulk(c, {"GET", a}) == "10");
  CHECK(Bulk(c, {"GET", b}) == "<nil>");

  // Redis's answers for the edges.
  CHECK(Err(c, {"EXEC"}) == "ERR EXEC without MULTI");
  CHECK(Err(c, {"DISCARD"}) == "ERR DISCARD without MULTI");
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Err(c, {"MULTI"}) == "ERR MULTI calls can not be nested");
  CHECK(ExactCall(c, {"EXEC"}) == "[]");
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", a, "12"}) == "QUEUED");
  CHECK(Simple(c, {"DISCARD"}) == "OK");
  CHECK(Bulk(c, {"GET", a}) == "10");

  // WATCH: a change by another client aborts the transaction (nil), no change lets it run.
  auto other = ConnectTo(cluster.proxy->port());
  REQUIRE(other != nullptr);
  CHECK(Simple(c, {"WATCH", a}) == "OK");
  CHECK(Simple(*other, {"SET", a, "changed"}) == "OK");
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", a, "mine"}) == "QUEUED");
  CHECK(ExactCall(c, {"EXEC"}) == "nil");
  CHECK(Bulk(c, {"GET", a}) == "changed");
  CHECK(Simple(c, {"WATCH", a}) == "OK");
  CHECK(Err(c, {"WATCH", b}) == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", a, "mine"}) == "QUEUED");
  CHECK(ExactCall(c, {"EXEC"}) == "[+OK]");
  CHECK(Bulk(c, {"GET", a}) == "mine");

  // A blocking pop is served when another client pushes; the blocked client's
  // next command (pipelined behind it) is answered after it, in order.
  std::string queue = KeyOnGroup("q", 1);
  RawConn blocked;
  REQUIRE(blocked.Connect(cluster.proxy->port()));
  REQUIRE(blocked.Send("*3\r\n$5\r\nBLPOP\r\n$" + std::to_string(queue.size()) + "\r\n" + queue +
                       "\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n"));
  CHECK(WaitFor([&] { return InfoInt(*cluster.direct[1], "clients", "blocked_clients") == 1; }, 10s));
  CHECK(Int(c, {"RPUSH", queue, "job"}) == 1);
  auto popped = blocked.ReadReply();
  REQUIRE(popped.has_value());
  CHECK(Exact(*popped) == "[\"" + queue + "\", \"job\"]");
  auto pong = blocked.ReadReply();
  REQUIRE(pong.has_value());
  CHECK(Exact(*pong) == "+PONG");

  // A timeout with sub-second precision answers nil.
  CHECK(ExactCall(c, {"BLPOP", queue, "0.05"}) == "nil");

  // A client that leaves while blocked leaves the backend too: a later push stays in the list.
  RawConn leaver;
  REQUIRE(leaver.Connect(cluster.proxy->port()));
  REQUIRE(leaver.Send("*3\r\n$5\r\nBRPOP\r\n$" + std::to_string(queue.size()) + "\r\n" + queue +
                      "\r\n$1\r\n0\r\n"));
  CHECK(WaitFor([&] { return InfoInt(*cluster.direct[1], "clients", "blocked_clients") == 1; }, 10s));
  leaver.Close();
  CHECK(WaitFor([&] { return InfoInt(*cluster.direct[1], "clients", "blocked_clients") == 0; }, 10s));
  CHECK(Int(c, {"RPUSH", queue, "kept"}) == 1);
  CHECK(Int(c, {"LLEN", queue}) == 1);
}

TEST_CASE("proxy: publish and subscribe meet on the default backend") {
  TwoKvdGroups cluster;
  RespClient& publisher = cluster.client();
  auto command = [](const Args& args) { return kvd::protocol::EncodeCommand(args); };
  auto next = [](RawConn& conn) {
    auto frame = conn.ReadReply();
    return frame.has_value() ? Exact(*frame) : std::string("<nothing>");
  };

  RawConn subscriber;
  REQUIRE(subscriber.Connect(cluster.proxy->port()));
  REQUIRE(subscriber.Send(command({"SUBSCRIBE", "ch1", "ch2"})));
  CHECK(next(subscriber) == R"(["subscribe", "ch1", :1])");
  CHECK(next(subscriber) == R"(["subscribe", "ch2", :2])");
  CHECK(Int(publisher, {"PUBLISH", "ch1", "hello"}) == 1);
  CHECK(next(subscriber) == R"(["message", "ch1", "hello"])");
  REQUIRE(subscriber.Send(command({"PSUBSCRIBE", "news.*"})));
  CHECK(next(subscriber) == R"(["psubscribe", "news.*", :3])");
  CHECK(Int(publisher, {"PUBLISH", "news.today", "m"}) == 1);
  CHECK(next(subscriber) == R"(["pmessage", "news.*", "news.today", "m"])");
  CHECK(Exact(Call(publisher, {"PUBSUB", "NUMSUB", "ch1", "other"})) == R"(["ch1", :1, "other", :0])");

  // What subscribed mode refuses, the backend refuses in its own words; PING answers in kind.
  REQUIRE(subscriber.Send(command({"GET", "x"}) + command({"PING"})));
  std::string refused = next(subscriber);
  CHECK_MESSAGE(Contains(refused, "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed"), refused);
  CHECK(next(subscriber) == R"(["pong", ""])");

  // Leaving subscribed mode, with a command for the other group pipelined behind:
  // it waits until the unsubscribes are through, then goes to its own group.
  std::string on_g2 = KeyOnGroup("after-sub", 1);
  REQUIRE(Simple(publisher, {"SET", on_g2, "routed"}) == "OK");
  REQUIRE(subscriber.Send(command({"UNSUBSCRIBE"}) + command({"PUNSUBSCRIBE"}) + command({"GET", on_g2})));
  std::vector<std::string> frames;
  for (int i = 0; i < 3; ++i) frames.push_back(next(subscriber));
  std::sort(frames.begin(), frames.begin() + 2);
  CHECK(frames[0] == R"(["unsubscribe", "ch1", :2])");
  CHECK(frames[1] == R"(["unsubscribe", "ch2", :1])");
  CHECK(frames[2] == R"(["punsubscribe", "news.*", :0])");
  CHECK(next(subscriber) == R"("routed")");
  CHECK(Int(publisher, {"PUBLISH", "ch1", "gone"}) == 0);

  // Sharded channels too.
  REQUIRE(subscriber.Send(command({"SSUBSCRIBE", "orders"})));
  CHECK(next(subscriber) == R"(["ssubscribe", "orders", :1])");
  CHECK(Int(publisher, {"SPUBLISH", "orders", "o1"}) == 1);
  CHECK(next(subscriber) == R"(["smessage", "orders", "o1"])");

  // A subscriber that leaves is unsubscribed on the backend too.
  subscriber.Close();
  CHECK(WaitFor([&] { return Exact(Call(publisher, {"PUBSUB", "SHARDNUMSUB", "orders"})) == R"(["orders", :0])"; },
                10s));
}

TEST_CASE("proxy: a dead backend fails only its own slots, and serves them again once restarted") {
  TwoKvdGroups cluster;
  RespClient& c = cluster.client();
  std::string k1 = KeyOnGroup("down", 0), k2 = KeyOnGroup("down", 1);
  REQUIRE(Simple(c, {"SET", k1, "one"}) == "OK");
  REQUIRE(Simple(c, {"SET", k2, "two"}) == "OK");

  KvdServer& g1 = cluster.backend[0];
  std::string g1_address = Loopback(g1.port());
  g1.Kill9();
  std::string error = Err(c, {"GET", k1});
  CHECK_MESSAGE(Contains(error, g1_address), "the error names the backend: " << error);
  CHECK_MESSAGE(error.rfind("ERR ", 0) == 0, error);
  CHECK_MESSAGE(Contains(Err(c, {"SET", k1, "x"}), g1_address), "writes fail the same way");
  CHECK_MESSAGE(Contains(Err(c, {"MGET", k2, k1}), g1_address), "a split command fails when one part does");
  CHECK_MESSAGE(Bulk(c, {"GET", k2}) == "two", "the other group keeps working");
  CHECK(Simple(c, {"SET", k2, "two-again"}) == "OK");
  CHECK(Bulk(c, {"PING", "alive"}) == "alive");

  REQUIRE(g1.Start());  // the same port
  CHECK_MESSAGE(WaitFor([&] { return Simple(c, {"SET", k1, "back"}) == "OK"; }, 20s),
                "writes to the restarted backend succeed again");
  CHECK(Bulk(c, {"GET", k1}) == "back");
  CHECK(Exact(Call(c, {"MGET", k1, k2})) == R"(["back", "two-again"])");
  auto direct = g1.Connect();
  CHECK(Bulk(*direct, {"GET", k1}) == "back");
}

TEST_CASE("proxy: a backend that stops answering fails its requests after --backend-timeout-ms") {
  TwoKvdGroups cluster({"--backend-timeout-ms", "500"});
  RespClient& c = cluster.client();
  std::string k1 = KeyOnGroup("frozen", 0), k2 = KeyOnGroup("frozen", 1);
  REQUIRE(Simple(c, {"SET", k1, "one"}) == "OK");
  REQUIRE(Simple(c, {"SET", k2, "two"}) == "OK");

  KvdServer& g1 = cluster.backend[0];
  {
    REQUIRE(::kill(g1.pid(), SIGSTOP) == 0);
    ContinueOnExit resume{g1.pid()};
    // kill() returns before the process has stopped; its state says when it has.
    REQUIRE(WaitFor([&] { return ProcessState(g1.pid()) == 'T'; }, 10s));
    // The client's own timeout is far longer: the answer must come from the proxy.
    auto reply = c.Command({"GET", k1});
    REQUIRE_MESSAGE(reply.ok(), "the proxy left the request hanging: " << reply.status().message());
    CHECK_MESSAGE(reply->IsError(), Describe(*reply));
    CHECK_MESSAGE(Contains(reply->str, Loopback(g1.port())), reply->str);
    CHECK_MESSAGE(Contains(reply->str, "no reply"), reply->str);
    CHECK_MESSAGE(Bulk(c, {"GET", k2}) == "two", "the other group keeps working meanwhile");
  }
  CHECK_MESSAGE(WaitFor([&] { return Bulk(c, {"GET", k1}) == "one"; }, 20s), "the backend serves again once resumed");
}

TEST_CASE("proxy: clients authenticate to the proxy, and the proxy to a group with a password") {
  KvdServer secured({"--requirepass", "secret"}), open;
  REQUIRE(secured.Start());
  REQUIRE(open.Start());
  FileProxy proxy({{"g1", secured.port(), "secret"}, {"g2", open.port(), ""}}, HalfAndHalf(),
                  {"--requirepass", "proxy-pw"}, "proxy-pw");

  auto c = ConnectTo(proxy.port());
  REQUIRE(c != nullptr);
  CHECK(Err(*c, {"GET", "a"}) == "NOAUTH Authentication required.");
  CHECK(Err(*c, {"SET", "a", "1"}) == "NOAUTH Authentication required.");
  CHECK(Err(*c, {"AUTH", "wrong"}).rfind("WRONGPASS", 0) == 0);
  CHECK(Err(*c, {"GET", "a"}) == "NOAUTH Authentication required.");
  CHECK(Simple(*c, {"AUTH", "proxy-pw"}) == "OK");

  std::string k1 = KeyOnGroup("auth", 0), k2 = KeyOnGroup("auth", 1);
  CHECK_MESSAGE(Simple(*c, {"SET", k1, "behind-a-password"}) == "OK", "the proxy authenticates to g1");
  CHECK(Simple(*c, {"SET", k2, "open"}) == "OK");
  CHECK(Exact(Call(*c, {"MGET", k2, k1})) == R"(["open", "behind-a-password"])");
  auto direct = secured.Connect();
  CHECK(Simple(*direct, {"AUTH", "secret"}) == "OK");
  CHECK(Bulk(*direct, {"GET", k1}) == "behind-a-password");

  // HELLO with AUTH authenticates too.
  auto h = ConnectTo(proxy.port());
  REQUIRE(h != nullptr);
  CHECK(Call(*h, {"HELLO", "2", "AUTH", "default", "wrong"}).IsError());
  CHECK(Call(*h, {"HELLO", "2", "AUTH", "default", "proxy-pw"}).type != RespValue::Type::kError);
  CHECK(Bulk(*h, {"GET", k1}) == "behind-a-password");

  // A group whose password the proxy was not given: its server's refusal comes back.
  KvdServer locked({"--requirepass", "other"});
  REQUIRE(locked.Start());
  FileProxy unaware({{"g1", open.port(), ""}, {"g2", locked.port(), ""}}, HalfAndHalf());
  CHECK(Err(*unaware.client, {"GET", k2}).rfind("NOAUTH", 0) == 0);
  CHECK(Bulk(*unaware.client, {"GET", KeyOnGroup("auth-open", 0)}) == "<nil>");
}

TEST_CASE("proxy: --maxclients turns away connections beyond it") {
  KvdServer backend;
  REQUIRE(backend.Start());
  FileProxy proxy({{"g1", backend.port(), ""}}, {{0, kSlots - 1, "g1"}}, {"--maxclients", "2"});
  RespClient& c = *proxy.client;
  auto connected = [&] { return InfoField(Bulk(c, {"INFO"}), "connected_clients"); };
  // The start-up probes are gone once their sessions end.
  REQUIRE(WaitFor([&] { return connected() == "1"; }, 20s));
  auto second = ConnectTo(proxy.port());
  REQUIRE(second != nullptr);
  CHECK(Simple(*second, {"PING"}) == "PONG");

  RawConn third;
  REQUIRE(third.Connect(proxy.port()));
  auto refused = third.ReadReply();
  REQUIRE(refused.has_value());
  CHECK(Exact(*refused) == "-ERR max number of clients reached");
  bool closed = false;
  third.ReadUntilClosed(20s, &closed);
  CHECK(closed);
  CHECK(InfoField(Bulk(c, {"INFO"}), "rejected_connections") == "1");

  second.reset();
  REQUIRE(WaitFor([&] { return connected() == "1"; }, 20s));
  auto again = ConnectTo(proxy.port());
  REQUIRE(again != nullptr);
  CHECK(Simple(*again, {"SET", "k", "v"}) == "OK");
  CHECK(Bulk(c, {"GET", "k"}) == "v");
}

TEST_CASE("proxy: routes over plain redis-server backends too") {
  ReferenceRedis first, second;
  if (!first.Start() || !second.Start()) {
    MESSAGE("redis-server is not installed; skipped");
    return;
  }
  FileProxy proxy({{"g1", first.port(), ""}, {"g2", second.port(), ""}}, HalfAndHalf());
  RespClient& c = *proxy.client;
  auto direct0 = first.Connect();
  auto direct1 = second.Connect();
  REQUIRE(direct0 != nullptr);
  REQUIRE(direct1 != nullptr);
  RespClient* direct[2] = {direct0.get(), direct1.get()};

  int per_group[2] = {0, 0};
  for (int i = 0; i < 100; ++i) {
    std::string key = "r:" + std::to_string(i);
    REQUIRE(Simple(c, {"SET", key, std::to_string(i)}) == "OK");
    ++per_group[GroupOf(key)];
  }
  REQUIRE(per_group[0] > 0);
  REQUIRE(per_group[1] > 0);
  for (int i = 0; i < 100; ++i) {
    std::string key = "r:" + std::to_string(i);
    int owner = GroupOf(key);
    CHECK_MESSAGE(Bulk(*direct[owner], {"GET", key}) == std::to_string(i), key << " on g" << owner + 1);
    CHECK_MESSAGE(Int(*direct[1 - owner], {"EXISTS", key}) == 0, key << " only on g" << owner + 1);
  }
  CHECK(Int(c, {"DBSIZE"}) == 100);
  CHECK(Exact(Call(c, {"MGET", "r:1", "nothing", "r:2", "r:3"})) == R"(["1", nil, "2", "3"])");
  CHECK(Int(c, {"DEL", "r:1", "r:2", "r:3", "nothing"}) == 3);
  CHECK(Int(c, {"HSET", "{r}h", "f", "v"}) == 1);
  CHECK(Bulk(c, {"HGET", "{r}h", "f"}) == "v");
  CHECK(Err(c, {"NoSuchCommand", "x"}) == Err(*direct[0], {"NoSuchCommand", "x"}));
  CHECK(Err(c, {"GET"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(Int(c, {"RPUSH", "{r}q", "a", "b"}) == 2);
  CHECK(Strings(c, {"BLPOP", "{r}q", "0"}) == std::vector<std::string>{"{r}q", "a"});
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"INCR", "{r}n"}) == "QUEUED");
  CHECK(Simple(c, {"INCR", "{r}n"}) == "QUEUED");
  CHECK(ExactCall(c, {"EXEC"}) == "[:1, :2]");
  CHECK(Int(c, {"PUBLISH", "ch", "nobody"}) == 0);
  std::string g1_key = KeyOnGroup("r", 0), g2_key = KeyOnGroup("r", 1);
  CHECK(Err(c, {"RENAME", g1_key, g2_key}) == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(Simple(c, {"FLUSHALL"}) == "OK");
  CHECK(Int(*direct[0], {"DBSIZE"}) == 0);
  CHECK(Int(*direct[1], {"DBSIZE"}) == 0);
}

TEST_CASE("proxy: follows the sentinel's topology through a failover") {
  KvdServer master;
  REQUIRE(master.Start());
  KvdServer replica({"--replicaof", "127.0.0.1 " + std::to_string(master.port())});
  REQUIRE(replica.Start());
  auto m = master.Connect();
  REQUIRE(WaitFor([&] { return InfoInt(*m, "replication", "connected_slaves") == 1; }, 20s));

  // One sentinel is a Raft group of one: it leads, and fails over alone.
  auto sentinel = KvdServer::Sentinel({"--masters", "g1=" + Loopback(master.port()), "--down-after-ms", "1000",
                                       "--monitor-interval-ms", "200", "--failover-timeout-ms", "3000"});
  REQUIRE(sentinel->Start());
  auto s = sentinel->Connect();
  REQUIRE_MESSAGE(WaitFor([&] { return Call(*s, {"SENTINEL", "replicas", "g1"}).elements.size() == 1; }, 20s),
                  "the sentinel learns the replica");
  auto topology_version = [&] { return std::stoull(InfoField(Bulk(*s, {"INFO"}), "topology_version")); };

  // The proxy starts before any slot is assigned, and is told about a sentinel that is not there first.
  uint16_t absent_sentinel = FreePort();
  auto proxy = KvdServer::Proxy({"--sentinels", Loopback(absent_sentinel) + "," + Loopback(sentinel->port())});
  REQUIRE(proxy->Start());
  uint64_t version = topology_version();
  REQUIRE_MESSAGE(WaitFor([&] { return ProxyReady(proxy->port(), version); }, 20s), "its log:\n" << proxy->Log());
  auto early = ConnectTo(proxy->port());
  REQUIRE(early != nullptr);
  CHECK(Err(*early, {"SET", "early", "x"}) == "CLUSTERDOWN Hash slot not served");

  // Assigning the slots reaches the proxy through TOPOLOGY WATCH.
  std::string assign = R"({"op":"assign_slots","group":"g1","ranges":[[0,1023]],"force":false})";
  REQUIRE_MESSAGE(WaitFor([&] { return Call(*s, {"TOPOLOGY", "PROPOSE", assign}).type == RespValue::Type::kSimple; },
                          20s),
                  "the slots are assigned to g1");
  version = topology_version();
  REQUIRE_MESSAGE(WaitFor([&] { return ProxyReady(proxy->port(), version); }, 20s), "its log:\n" << proxy->Log());
  CHECK(Simple(*early, {"SET", "early", "x"}) == "OK");
  auto c = ConnectTo(proxy->port());
  REQUIRE(c != nullptr);
  for (int i = 0; i < 50; ++i) {
    REQUIRE(Simple(*c, {"SET", "before:" + std::to_string(i), std::to_string(i)}) == "OK");
  }
  CHECK(Bulk(*m, {"GET", "before:7"}) == "7");

  // A transaction keeps its group while the slot map changes under it: a new
  // group "a0" sorts first, so every backend's place in the new table moves.
  auto t = ConnectTo(proxy->port());
  REQUIRE(t != nullptr);
  CHECK(Simple(*t, {"MULTI"}) == "OK");
  CHECK(Simple(*t, {"SET", "tx:1", "a"}) == "QUEUED");
  KvdServer other;
  REQUIRE(other.Start());
  std::string add = R"({"op":"add_group","group":"a0","master":")" + Loopback(other.port()) + R"(","replicas":[]})";
  REQUIRE(WaitFor([&] { return Call(*s, {"TOPOLOGY", "PROPOSE", add}).type == RespValue::Type::kSimple; }, 20s));
  version = topology_version();
  REQUIRE_MESSAGE(WaitFor([&] { return ProxyReady(proxy->port(), version); }, 20s), "its log:\n" << proxy->Log());
  CHECK(Simple(*t, {"SET", "tx:2", "b"}) == "QUEUED");
  CHECK(ExactCall(*t, {"EXEC"}) == "[+OK, +OK]");
  CHECK(Bulk(*m, {"GET", "tx:2"}) == "b");

  REQUIRE_MESSAGE(Int(*m, {"WAIT", "1", "5000"}) == 1, "the replica has every write before the master dies");

  master.Kill9();
  CHECK_MESSAGE(WaitFor(
                    [&] {
                      auto reply = c->Command({"SET", "after", "yes"});
                      return reply.ok() && reply->type == RespValue::Type::kSimple;
                    },
                    60s),
                "writes through the proxy succeed again after the failover; sentinel log:\n"
                    << sentinel->Log() << "\nproxy log:\n"
                    << proxy->Log());
  auto r = replica.Connect();
  CHECK(Call(*r, {"ROLE"}).elements[0].str == "master");
  CHECK(Bulk(*r, {"GET", "after"}) == "yes");
  for (int i = 0; i < 50; ++i) {
    CHECK_MESSAGE(Bulk(*c, {"GET", "before:" + std::to_string(i)}) == std::to_string(i),
                  "written before the failover: before:" << i);
  }
  std::string info = Bulk(*c, {"INFO"});
  CHECK(InfoField(info, "backend0") == "group=a0,address=" + Loopback(other.port()) + ",slots=0");
  CHECK(InfoField(info, "backend1") == "group=g1,address=" + Loopback(replica.port()) + ",slots=1024");

  // The proxy is registered in the topology, and withdraws on a clean stop.
  std::string entry = R"("id":")" + Loopback(proxy->port()) + R"(")";
  CHECK_MESSAGE(WaitFor([&] { return Contains(Bulk(*s, {"TOPOLOGY"}), entry); }, 20s), Bulk(*s, {"TOPOLOGY"}));
  CHECK(proxy->Stop() == 0);
  CHECK_MESSAGE(WaitFor([&] { return !Contains(Bulk(*s, {"TOPOLOGY"}), entry); }, 20s), Bulk(*s, {"TOPOLOGY"}));
}

}  // TEST_SUITE("proxy")

}  // namespace kvdtest
