// kvd sentinel end to end: a Raft group of three sentinels watching kvd and
// redis-server masters, failing over when a master dies, and keeping its
// agreement through the loss or isolation of one sentinel.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

std::string Loopback(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// Three sentinels that know each other, watching `masters` ("name=host:port").
struct SentinelGroup {
  explicit SentinelGroup(const std::string& masters, const Args& extra = {}) {
    for (int i = 0; i < 3; ++i) members.push_back(KvdServer::Sentinel());
    std::string peers;
    for (int i = 0; i < 3; ++i) {
      peers += (i ? "," : "") + std::to_string(i + 1) + "=" + Loopback(members[i]->AssignPort());
    }
    for (int i = 0; i < 3; ++i) {
      members[i]->AddArgs({"--id", std::to_string(i + 1), "--peers", peers, "--masters", masters, "--down-after-ms",
                           "1000", "--monitor-interval-ms", "200", "--failover-timeout-ms", "3000"});
      members[i]->AddArgs(extra);
    }
  }
  bool Start() {
    for (auto& member : members) {
      if (!member->Start()) return false;
    }
    return true;
  }
  KvdServer& operator[](size_t i) { return *members[i]; }
  std::vector<std::unique_ptr<KvdServer>> members;
};

std::string Info(KvdServer& node, const std::string& field) {
  RespClient client;
  if (!client.Connect("127.0.0.1", node.port()).ok()) return "";
  auto reply = client.Command({"INFO"});
  return reply.ok() ? InfoField(reply->str, field) : "";
}

// The master address a sentinel gives out, "host:port", or "" when none / unreachable.
std::string MasterAddr(KvdServer& sentinel, const std::string& name) {
  RespClient client;
  if (!client.Connect("127.0.0.1", sentinel.port()).ok()) return "";
  auto reply = client.Command({"SENTINEL", "get-master-addr-by-name", name});
  if (!reply.ok() || reply->elements.size() != 2) return "";
  return reply->elements[0].str + ":" + reply->elements[1].str;
}

bool AllSay(SentinelGroup& group, const std::string& name, const std::string& address,
            std::chrono::milliseconds timeout) {
  return WaitFor(
      [&] {
        for (auto& member : group.members) {
          if (member->running() && MasterAddr(*member, name) != address) return false;
        }
        return true;
      },
      timeout);
}

// "slave:<master port>:<link state>" or "master" from ROLE.
std::string RoleOf(uint16_t port) {
  RespClient client;
  if (!client.Connect("127.0.0.1", port).ok()) return "";
  auto role = client.Command({"ROLE"});
  if (!role.ok() || role->elements.empty()) return "";
  if (role->elements[0].str == "master") return "master";
  if (role->elements.size() < 4) return "?";
  return "slave:" + std::to_string(role->elements[2].integer) + ":" + role->elements[3].str;
}

// True once `sentinel` lists `count` replicas of `name` (they are then also in the replicated topology).
bool KnowsReplicas(KvdServer& sentinel, const std::string& name, size_t count) {
  auto client = sentinel.Connect();
  return WaitFor([&] { return Call(*client, {"SENTINEL", "replicas", name}).elements.size() == count; }, 20s);
}

// A kvd master with one replica, watched as "mymaster" by three sentinels that have seen the replica.
struct WatchedPair {
  KvdServer master;
  std::unique_ptr<KvdServer> replica;
  std::unique_ptr<SentinelGroup> sentinels;

  void Start() {
    REQUIRE(master.Start());
    replica = std::make_unique<KvdServer>(Args{"--replicaof", "127.0.0.1 " + std::to_string(master.port())});
    REQUIRE(replica->Start());
    sentinels = std::make_unique<SentinelGroup>("mymaster=" + Loopback(master.port()));
    REQUIRE(sentinels->Start());
    REQUIRE(AllSay(*sentinels, "mymaster", Loopback(master.port()), 20s));
    REQUIRE(KnowsReplicas((*sentinels)[0], "mymaster", 1));
  }
};

int LeaderIndex(SentinelGroup& group) {
  for (size_t i = 0; i < group.members.size(); ++i) {
    if (group[i].running() && Info(group[i], "raft_role") == "leader") return static_cast<int>(i);
  }
  return -1;
}

// Writes SET w:<i> to whatever master `sentinel` names, reconnecting (and
// asking again) after any error, as a Sentinel-aware client does; counts the
// writes acknowledged by the server at `watched`.
class FollowingWriter {
 public:
  FollowingWriter(KvdServer& sentinel, std::string name, std::string watched, std::string password = {})
      : thread_([this, &sentinel, name, watched, password] { Run(sentinel, name, watched, password); }) {}
  ~FollowingWriter() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t acked_by_watched() const { return acked_.load(); }

 private:
  void Run(KvdServer& sentinel, const std::string& name, const std::string& watched, const std::string& password) {
    std::unique_ptr<RespClient> client;
    std::string address;
    for (int64_t i = 0; !stop_; ++i) {
      if (client == nullptr && !Connect(sentinel, name, password, &client, &address)) continue;
      auto reply = client->Command({"SET", "w:" + std::to_string(i), "x"});
      if (!reply.ok() || reply->IsError()) {
        client.reset();
        continue;
      }
      if (address == watched) ++acked_;
    }
  }
  static bool Connect(KvdServer& sentinel, const std::string& name, const std::string& password,
                      std::unique_ptr<RespClient>* client, std::string* address) {
    *address = MasterAddr(sentinel, name);
    if (address->empty()) return false;
    auto fresh = std::make_unique<RespClient>();
    fresh->SetTimeout(1s);
    if (!fresh->Connect("127.0.0.1", static_cast<uint16_t>(std::stoi(address->substr(address->rfind(':') + 1)))).ok()) {
      return false;
    }
    if (!password.empty()) {
      auto auth = fresh->Command({"AUTH", password});
      if (!auth.ok() || auth->IsError()) return false;
    }
    *client = std::move(fresh);
    return true;
  }

  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acked_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("sentinel: a dead kvd master is replaced by the best replica and comes back as a replica") {
  KvdServer master;
  REQUIRE(master.Start());
  Args follow = {"--replicaof", "127.0.0.1 " + std::to_string(master.port())};
  Args never = follow;
  never.insert(never.end(), {"--replica-priority", "0"});
  // Two of them run on config files, which the sentinels rewrite with each server's new role.
  TempDir configs;
  std::string plain_conf = configs.path() + "/plain.conf", preferred_conf = configs.path() + "/preferred.conf";
  WriteFile(plain_conf, "replicaof \"127.0.0.1 " + std::to_string(master.port()) + "\"\n");
  WriteFile(preferred_conf, "replicaof \"127.0.0.1 " + std::to_string(master.port()) + "\"\nreplica-priority 50\n");
  KvdServer plain({"--config", plain_conf}), preferred({"--config", preferred_conf}), excluded(never);
  REQUIRE(plain.Start());
  REQUIRE(preferred.Start());
  REQUIRE(excluded.Start());
  auto m = master.Connect();
  REQUIRE(WaitFor([&] { return InfoInt(*m, "replication", "connected_slaves") == 3; }, 20s));
  REQUIRE(Simple(*m, {"SET", "k", "before-failover"}) == "OK");
  REQUIRE(Int(*m, {"WAIT", "3", "5000"}) == 3);

  SentinelGroup sentinels("mymaster=" + Loopback(master.port()));
  REQUIRE(sentinels.Start());
  REQUIRE(AllSay(sentinels, "mymaster", Loopback(master.port()), 20s));
  auto subscriber = sentinels[0].Connect();
  REQUIRE(Call(*subscriber, {"SUBSCRIBE", "+switch-master"}).elements.size() == 3);
  // The replicas are known (and in the replicated topology) before the master dies.
  REQUIRE(KnowsReplicas(sentinels[0], "mymaster", 3));

  // A client that finds the master through the sentinel keeps writing across the failover.
  FollowingWriter writer(sentinels[0], "mymaster", Loopback(preferred.port()));
  master.Kill9();
  REQUIRE(AllSay(sentinels, "mymaster", Loopback(preferred.port()), 30s));
  CHECK(WaitFor([&] { return writer.acked_by_watched() > 100; }, 20s));
  writer.Stop();
  auto pushed = subscriber->ReadReply();
  REQUIRE(pushed.ok());
  RespValue message = *pushed;
  REQUIRE(message.elements.size() == 3);
  CHECK(message.elements[2].str == "mymaster 127.0.0.1 " + std::to_string(master.port()) + " 127.0.0.1 " +
                                      std::to_string(preferred.port()));
  CHECK(RoleOf(preferred.port()) == "master");
  std::string follows = "slave:" + std::to_string(preferred.port()) + ":connected";
  CHECK(WaitFor([&] { return RoleOf(plain.port()) == follows && RoleOf(excluded.port()) == follows; }, 20s));
  CHECK(WaitFor([&] { return ReadFile(preferred_conf).find("replicaof") == std::string::npos; }, 20s));
  CHECK(WaitFor([&] { return ReadFile(plain_conf).find("replicaof \"127.0.0.1 " + std::to_string(preferred.port())) !=
                             std::string::npos; }, 20s));
  auto p = preferred.Connect();
  CHECK(Bulk(*p, {"GET", "k"}) == "before-failover");
  CHECK(Simple(*p, {"SET", "k", "after-failover"}) == "OK");

  REQUIRE(master.Start());  // the old master returns and is turned into a replica
  CHECK(WaitFor([&] { return RoleOf(master.port()) == follows; }, 20s));
  auto old = master.Connect();
  CHECK(WaitFor([&] { return Bulk(*old, {"GET", "k"}) == "after-failover"; }, 10s));
}

TEST_CASE("sentinel: plain redis-server masters with a password fail over under load, and the old one returns") {
  ReferenceRedis master({"--requirepass", "pw", "--masterauth", "pw"});
  if (!master.Start()) {
    MESSAGE("redis-server is not installed; skipped");
    return;
  }
  Args follow = {"--replicaof", "127.0.0.1", std::to_string(master.port()), "--masterauth", "pw", "--requirepass", "pw"};
  Args preferred_args = follow;
  preferred_args.insert(preferred_args.end(), {"--replica-priority", "10"});
  ReferenceRedis preferred(preferred_args), other(follow);
  REQUIRE(preferred.Start());
  REQUIRE(other.Start());
  auto m = master.Connect();
  REQUIRE(Simple(*m, {"AUTH", "pw"}) == "OK");
  REQUIRE(WaitFor([&] { return InfoInt(*m, "replication", "connected_slaves") == 2; }, 20s));
  SentinelGroup sentinels("cache=" + Loopback(master.port()), {"--auth-pass", "cache=pw"});
  REQUIRE(sentinels.Start());
  REQUIRE(KnowsReplicas(sentinels[0], "cache", 2));
  auto subscriber = sentinels[1].Connect();
  REQUIRE(Call(*subscriber, {"SUBSCRIBE", "+switch-master"}).elements.size() == 3);

  // A writer that finds the master through a sentinel, under way during the kill.
  FollowingWriter writer(sentinels[0], "cache", Loopback(preferred.port()), "pw");
  master.Kill9();
  REQUIRE(AllSay(sentinels, "cache", Loopback(preferred.port()), 30s));
  CHECK(WaitFor([&] { return writer.acked_by_watched() > 100; }, 20s));
  writer.Stop();
  auto pushed = subscriber->ReadReply();
  REQUIRE(pushed.ok());
  REQUIRE(pushed->elements.size() == 3);
  CHECK(pushed->elements[2].str == "cache 127.0.0.1 " + std::to_string(master.port()) + " 127.0.0.1 " +
                                      std::to_string(preferred.port()));
  auto p = preferred.Connect();
  REQUIRE(Simple(*p, {"AUTH", "pw"}) == "OK");
  CHECK(Call(*p, {"ROLE"}).elements[0].str == "master");
  auto follows = [&](ReferenceRedis& server) {
    auto client = server.Connect();
    if (!client || Simple(*client, {"AUTH", "pw"}) != "OK") return false;
    RespValue role = Call(*client, {"ROLE"});
    return role.elements.size() >= 4 && role.elements[0].str == "slave" &&
           role.elements[2].integer == preferred.port() && role.elements[3].str == "connected";
  };
  CHECK(WaitFor([&] { return follows(other); }, 30s));
  // The old master comes back (as a master of its own, as redis-server does) and is turned into a replica.
  REQUIRE(master.Restart({"--requirepass", "pw", "--masterauth", "pw"}));
  CHECK(WaitFor([&] { return follows(master); }, 30s));
}

TEST_CASE("sentinel: the Raft group survives losing its leader, and an isolated member does not disrupt it") {
  KvdServer master;
  REQUIRE(master.Start());
  SentinelGroup sentinels("mymaster=" + Loopback(master.port()));
  REQUIRE(sentinels.Start());
  REQUIRE(AllSay(sentinels, "mymaster", Loopback(master.port()), 20s));
  int leader = -1;
  REQUIRE(WaitFor([&] { return (leader = LeaderIndex(sentinels)) >= 0; }, 20s));

  // Reads: linearizable through any member; a watch answers when the topology changes.
  int follower_index = (leader + 1) % 3;
  auto follower_client = sentinels[follower_index].Connect();
  CHECK(Bulk(*follower_client, {"TOPOLOGY", "READ"}).find("\"mymaster\"") != std::string::npos);
  RespValue history = Call(*follower_client, {"TOPOLOGY", "WATCH", "0"});
  REQUIRE(!history.elements.empty());
  CHECK(history.elements[0].elements[1].str.find("add_group") != std::string::npos);
  std::string version = Info(sentinels[follower_index], "topology_version");
  REQUIRE(follower_client->SendRaw(kvd::protocol::EncodeCommand({"TOPOLOGY", "WATCH", version})).ok());
  auto leader_client = sentinels[leader].Connect();
  CHECK(Simple(*leader_client, {"SENTINEL", "MONITOR", "extra", "127.0.0.1", std::to_string(master.port()), "2"}) ==
        "OK");
  auto change = follower_client->ReadReply();
  REQUIRE(change.ok());
  REQUIRE(change->elements.size() == 1);
  CHECK(change->elements[0].elements[1].str.find("\"extra\"") != std::string::npos);
  CHECK(Simple(*leader_client, {"SENTINEL", "REMOVE", "extra"}) == "OK");

  // Kill the leader: another is elected and the committed topology is kept.
  sentinels[leader].Kill9();
  int next = -1;
  REQUIRE(WaitFor([&] { return (next = LeaderIndex(sentinels)) >= 0 && next != leader; }, 20s));
  CHECK(MasterAddr(sentinels[next], "mymaster") == Loopback(master.port()));
  // The old leader restarts from its Raft state and catches up.
  REQUIRE(sentinels[leader].Start());
  version = Info(sentinels[next], "topology_version");
  CHECK(WaitFor([&] { return Info(sentinels[leader], "topology_version") == version; }, 20s));
  CHECK(WaitFor([&] { return Info(sentinels[leader], "raft_leader") == std::to_string(next + 1); }, 20s));

  // Isolate a follower for longer than an election timeout, then let it back.
  int follower = (next + 1) % 3 == leader ? (next + 2) % 3 : (next + 1) % 3;
  std::string term = Info(sentinels[next], "raft_term");
  ::kill(sentinels[follower].pid(), SIGSTOP);
  CHECK(!WaitFor([&] { return Info(sentinels[next], "raft_role") != "leader"; }, 3s));
  ::kill(sentinels[follower].pid(), SIGCONT);
  CHECK(WaitFor([&] { return Info(sentinels[follower], "raft_leader") == std::to_string(next + 1); }, 20s));
  CHECK(Info(sentinels[next], "raft_role") == "leader");
  CHECK(Info(sentinels[next], "raft_term") == term);
  CHECK(Info(sentinels[follower], "raft_term") == term);
}

TEST_CASE("sentinel: killing the Raft leader in the middle of a failover neither stops nor doubles it") {
  KvdServer master;
  REQUIRE(master.Start());
  Args follow = {"--replicaof", "127.0.0.1 " + std::to_string(master.port())};
  KvdServer first(follow), second(follow);
  REQUIRE(first.Start());
  REQUIRE(second.Start());
  SentinelGroup sentinels("mymaster=" + Loopback(master.port()));
  REQUIRE(sentinels.Start());
  REQUIRE(KnowsReplicas(sentinels[0], "mymaster", 2));
  int leader = -1;
  REQUIRE(WaitFor([&] { return (leader = LeaderIndex(sentinels)) >= 0; }, 20s));
  master.Kill9();
  REQUIRE(WaitFor([&] { return sentinels[leader].Log().find("+odown") != std::string::npos; }, 20s));
  sentinels[leader].Kill9();
  int survivor = (leader + 1) % 3;
  std::string promoted;
  REQUIRE(WaitFor(
      [&] {
        promoted = MasterAddr(sentinels[survivor], "mymaster");
        return !promoted.empty() && promoted != Loopback(master.port());
      },
      30s));
  REQUIRE(AllSay(sentinels, "mymaster", promoted, 20s));
  // One new master, one epoch step, and the other replica follows it.
  RespValue info = Call(*sentinels[survivor].Connect(), {"SENTINEL", "master", "mymaster"});
  std::string epoch;
  for (size_t i = 0; i + 1 < info.elements.size(); i += 2) {
    if (info.elements[i].str == "config-epoch") epoch = info.elements[i + 1].str;
  }
  CHECK(epoch == "1");
  KvdServer& winner = promoted == Loopback(first.port()) ? first : second;
  KvdServer& other = promoted == Loopback(first.port()) ? second : first;
  CHECK(RoleOf(winner.port()) == "master");
  std::string follows = "slave:" + std::to_string(winner.port()) + ":connected";
  CHECK(WaitFor([&] { return RoleOf(other.port()) == follows; }, 20s));
}

TEST_CASE("sentinel: without a Raft majority nobody fails over") {
  WatchedPair pair;
  pair.Start();
  SentinelGroup& sentinels = *pair.sentinels;
  auto s0 = sentinels[0].Connect();
  sentinels[1].Kill9();
  sentinels[2].Kill9();
  pair.master.Kill9();
  // Down-after is 1 s: a lone sentinel would have acted well within this window.
  CHECK(!WaitFor([&] { return RoleOf(pair.replica->port()) == "master"; }, 4s));
  CHECK(MasterAddr(sentinels[0], "mymaster") == Loopback(pair.master.port()));
  CHECK(WaitFor([&] { return Err(*s0, {"SENTINEL", "ckquorum", "mymaster"}).rfind("NOQUORUM", 0) == 0; }, 10s));
}

TEST_CASE("sentinel: redis-py's Sentinel client finds the master through kvd sentinels") {
  int status = 0;
  RunShell("/usr/bin/python3 -c 'import redis.sentinel'", &status);
  if (status != 0) {
    MESSAGE("Debian's python3-redis is not installed; skipped");
    return;
  }
  WatchedPair pair;
  pair.Start();
  SentinelGroup& sentinels = *pair.sentinels;
  KvdServer& master = pair.master;
  KvdServer& replica = *pair.replica;
  std::string script =
      "from redis.sentinel import Sentinel\n"
      "s = Sentinel([('127.0.0.1', " + std::to_string(sentinels[0].port()) + "), ('127.0.0.1', " +
      std::to_string(sentinels[1].port()) + ")], socket_timeout=2)\n"
      "print('master', s.discover_master('mymaster'))\n"
      "print('replicas', s.discover_slaves('mymaster'))\n"
      "m = s.master_for('mymaster', socket_timeout=2)\n"
      "m.set('from-python', 'yes')\n"
      "print('get', m.get('from-python').decode())\n";
  std::string path = sentinels[0].data_dir() + "-client.py";
  WriteFile(path, script);
  std::string out = RunShell("/usr/bin/python3 " + ShellQuote(path) + " 2>&1", &status);
  CAPTURE(out);
  CHECK(status == 0);
  CHECK(out.find("master ('127.0.0.1', " + std::to_string(master.port()) + ")") != std::string::npos);
  CHECK(out.find("replicas [('127.0.0.1', " + std::to_string(replica.port()) + ")]") != std::string::npos);
  CHECK(out.find("get yes") != std::string::npos);
}

TEST_CASE("sentinel: bad options stop it with a message") {
  auto sentinel = KvdServer::Sentinel({"--peers", "1=127.0.0.1:notaport"});
  CHECK_FALSE(sentinel->Start());
  CHECK(sentinel->Log().find("is not host:port") != std::string::npos);
}

}  // namespace kvdtest
