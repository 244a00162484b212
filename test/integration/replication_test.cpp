// Replication end to end: kvd masters and replicas as processes on loopback.
// Data sets are compared key by key through SCAN and the type's read command.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "harness.h"

namespace kvdtest {
namespace {

Args ReplicaOf(const KvdServer& master) { return {"--replicaof", "127.0.0.1 " + std::to_string(master.port())}; }

// Every key of database 0 with its type, contents and whether it has a TTL.
std::map<std::string, std::string> Dataset(RespClient& client) {
  std::map<std::string, std::string> keys;
  std::string cursor = "0";
  do {
    RespValue page = Call(client, {"SCAN", cursor, "COUNT", "1000"});
    REQUIRE(page.elements.size() == 2);
    cursor = page.elements[0].str;
    for (const auto& key : page.elements[1].elements) keys[key.str] = "";
  } while (cursor != "0");
  for (auto it = keys.begin(); it != keys.end();) {
    const std::string& key = it->first;
    std::string type = Simple(client, {"TYPE", key});
    if (type == "none") {  // expired since SCAN listed it
      it = keys.erase(it);
      continue;
    }
    std::vector<std::string> items;
    if (type == "string") {
      items = {Bulk(client, {"GET", key})};
    } else if (type == "hash") {
      items = Strings(client, {"HGETALL", key});
      std::vector<std::string> pairs;
      for (size_t i = 0; i + 1 < items.size(); i += 2) pairs.push_back(items[i] + "=" + items[i + 1]);
      items = pairs;
      std::sort(items.begin(), items.end());
    } else if (type == "list") {
      items = Strings(client, {"LRANGE", key, "0", "-1"});
    } else if (type == "set") {
      items = Strings(client, {"SMEMBERS", key});
      std::sort(items.begin(), items.end());
    } else if (type == "zset") {
      items = Strings(client, {"ZRANGE", key, "0", "-1", "WITHSCORES"});
    }
    std::string& contents = it->second;
    contents = type + (Int(client, {"PTTL", key}) >= 0 ? " ttl:" : ":");
    for (const auto& item : items) contents += item + ",";
    ++it;
  }
  return keys;
}

uint64_t Offset(RespClient& client) {
  std::string info = Bulk(client, {"INFO", "replication"});
  std::string field = InfoField(info, "slave_repl_offset");
  if (field.empty()) field = InfoField(info, "master_repl_offset");
  return field.empty() ? 0 : std::stoull(field);
}

std::string LinkStatus(RespClient& client) {
  return InfoField(Bulk(client, {"INFO", "replication"}), "master_link_status");
}

// What a server saved of its own writes before a full sync replaced them (its diverged-*.resp file).
std::string SavedDivergedWrites(const KvdServer& server) {
  std::string saved;
  for (const auto& entry : std::filesystem::directory_iterator(server.data_dir())) {
    if (entry.path().filename().string().rfind("diverged-", 0) == 0) saved = ReadFile(entry.path().string());
  }
  return saved;
}

// Waits until `replica` has applied everything `master` has written.
bool CaughtUp(RespClient& master, RespClient& replica, std::chrono::milliseconds timeout = 30s) {
  return WaitFor([&] { return Offset(replica) == Offset(master) && LinkStatus(replica) == "up"; }, timeout);
}

// A master and one replica of it, a connection to each, and the replica
// caught up with one key set on the master.
struct MasterWithReplica {
  KvdServer master;
  std::unique_ptr<KvdServer> replica;
  std::unique_ptr<RespClient> m, r;
  explicit MasterWithReplica(const std::string& key) {
    REQUIRE(master.Start());
    m = master.Connect();
    replica = std::make_unique<KvdServer>(ReplicaOf(master));
    REQUIRE(replica->Start());
    r = replica->Connect();
    REQUIRE(Simple(*m, {"SET", key, "1"}) == "OK");
    REQUIRE(CaughtUp(*m, *r));
  }
};

// Reports the keys on which two data sets differ (empty when equal).
std::string Differences(const std::map<std::string, std::string>& expected,
                        const std::map<std::string, std::string>& actual) {
  std::string report;
  int shown = 0;
  for (const auto& [key, contents] : expected) {
    auto it = actual.find(key);
    std::string other = it == actual.end() ? "<missing>" : it->second;
    if (other != contents && shown++ < 5) report += key + ": expected " + contents + " got " + other + "\n";
  }
  for (const auto& [key, contents] : actual) {
    if (expected.count(key) == 0 && shown++ < 10) report += key + ": unexpected " + contents + "\n";
  }
  return report;
}

// SIGSTOP, and wait until the kernel reports the process stopped (the signal is asynchronous).
void Freeze(pid_t pid) {
  ::kill(pid, SIGSTOP);
  bool stopped = WaitFor(
      [&] {
        std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
        size_t close = stat.rfind(')');
        return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T';
      },
      10s);
  REQUIRE(stopped);
}

int Count(const std::string& text, const std::string& what) {
  int count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// Writes random commands of every type to a small key space until stopped.
class WriteLoad {
 public:
  WriteLoad(uint16_t port, int threads, uint32_t seed) {
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, port, t, seed] { Run(port, seed + static_cast<uint32_t>(t)); });
    }
  }
  ~WriteLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }
  int64_t acknowledged() const { return acknowledged_.load(); }

 private:
  void Run(uint16_t port, uint32_t seed) {
    RespClient client;
    if (!client.Connect("127.0.0.1", port).ok()) return;
    std::mt19937 random(seed);
    auto pick = [&](int n) { return std::to_string(random() % static_cast<uint32_t>(n)); };
    while (!stop_) {
      std::string n = pick(1000);
      std::vector<Args> commands;
      switch (random() % 14) {
        case 0: commands = {{"SET", "s" + pick(300), n}}; break;
        case 1: commands = {{"INCRBY", "c" + pick(50), n}}; break;
        case 2: commands = {{"APPEND", "s" + pick(300), n}}; break;
        case 3: commands = {{"DEL", "s" + pick(300), "h" + pick(100)}}; break;
        case 4: commands = {{"HSET", "h" + pick(100), "f" + pick(30), n}}; break;
        case 5: commands = {{"HDEL", "h" + pick(100), "f" + pick(30)}}; break;
        case 6: commands = {{"LPUSH", "l" + pick(100), n, n + "x"}}; break;
        case 7: commands = {{"RPOP", "l" + pick(100)}}; break;
        case 8: commands = {{"SADD", "t" + pick(100), n}, {"SPOP", "t" + pick(100)}}; break;
        case 9: commands = {{"ZADD", "z" + pick(100), n, "m" + pick(50)}, {"ZINCRBY", "z" + pick(100), "1.5", "m1"}}; break;
        case 10: commands = {{"EXPIRE", "s" + pick(300), "1000"}, {"PERSIST", "s" + pick(300)}}; break;
        case 11: commands = {{"SET", "short" + pick(50), n, "PX", "30"}}; break;
        case 12: commands = {{"MULTI"}, {"INCR", "c" + pick(50)}, {"LPUSH", "l" + pick(100), n}, {"EXEC"}}; break;
        default: commands = {{"ZREM", "z" + pick(100), "m" + pick(50)}, {"SREM", "t" + pick(100), n}}; break;
      }
      for (const auto& command : commands) {
        auto reply = client.Command(command);
        if (!reply.ok()) return;
        ++acknowledged_;
      }
    }
  }
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acknowledged_{0};
  std::vector<std::thread> workers_;
};

// Fills database 0 with `count` strings of `size` bytes, pipelined.
// SETs `count` keys of `size` bytes in pipelined batches: all 'v', or random
// bytes that no compression shrinks (so the SST files are as large as the data).
void Fill(RespClient& client, int count, size_t size, const std::string& prefix = "big:", bool incompressible = false) {
  std::string value(size, 'v');
  std::mt19937_64 random(count);
  constexpr int kBatch = 200;
  for (int start = 0; start < count; start += kBatch) {
    std::string pipeline;
    int end = std::min(count, start + kBatch);
    for (int i = start; i < end; ++i) {
      if (incompressible) {
        for (size_t at = 0; at + 8 <= size; at += 8) {
          uint64_t bits = random();
          std::memcpy(value.data() + at, &bits, 8);
        }
      }
      pipeline += kvd::protocol::EncodeCommand({"SET", prefix + std::to_string(i), value});
    }
    REQUIRE(client.SendRaw(pipeline).ok());
    for (int i = start; i < end; ++i) REQUIRE(client.ReadReply().ok());
  }
}

// A TCP relay between a replica and its master that the test can cut.
class CuttableLink {
 public:
  explicit CuttableLink(uint16_t target) : target_(target) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t length = sizeof(address);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Relay(); });
  }
  ~CuttableLink() {
    SetSilent(false, true);
    thread_.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  // Drops the connections through the link and refuses new ones until Heal().
  void Cut() { cut_ = true; }
  // A partition without resets: nothing passes either way, connections stay
  // open, new ones wait in the listen backlog — until Heal().
  void Silence() { SetSilent(true, false); }
  void Heal() {
    cut_ = false;
    SetSilent(false, false);
  }

 private:
  void Relay() {
    std::vector<std::pair<int, int>> pairs;  // (client side, server side)
    while (!stop_) {
      if (cut_) {
        for (auto [a, b] : pairs) {
          ::close(a);
          ::close(b);
        }
        pairs.clear();
      }
      {
        std::unique_lock lock(silence_mutex_);
        silence_changed_.wait(lock, [&] { return !silent_ || stop_; });
      }
      std::vector<pollfd> fds = {{listener_, POLLIN, 0}};
      for (auto [a, b] : pairs) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      ::poll(fds.data(), fds.size(), 20);
      if (fds[0].revents & POLLIN) {
        int accepted = ::accept(listener_, nullptr, nullptr);
        if (accepted >= 0 && cut_) {
          ::close(accepted);
        } else if (accepted >= 0) {
          int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in address{};
          address.sin_family = AF_INET;
          address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          address.sin_port = htons(target_);
          if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
            pairs.emplace_back(accepted, upstream);
          } else {
            ::close(accepted);
            ::close(upstream);
          }
        }
      }
      std::vector<std::pair<int, int>> alive;
      size_t polled = (fds.size() - 1) / 2;  // pairs accepted just now were not polled yet
      for (size_t i = polled; i < pairs.size(); ++i) alive.push_back(pairs[i]);
      for (size_t i = 0; i < polled; ++i) {
        bool open = Pump(fds[1 + 2 * i], pairs[i].second) && Pump(fds[2 + 2 * i], pairs[i].first);
        if (open) {
          alive.push_back(pairs[i]);
        } else {
          ::close(pairs[i].first);
          ::close(pairs[i].second);
        }
      }
      pairs.swap(alive);
    }
    for (auto [a, b] : pairs) {
      ::close(a);
      ::close(b);
    }
  }
  static bool Pump(const pollfd& from, int to) {
    if (!(from.revents & (POLLIN | POLLHUP | POLLERR))) return true;
    char buffer[65536];
    ssize_t n = ::recv(from.fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    for (ssize_t sent = 0; sent < n;) {
      ssize_t wrote = ::send(to, buffer + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
      if (wrote <= 0) return false;
      sent += wrote;
    }
    return true;
  }
  uint16_t target_;
  uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  void SetSilent(bool silent, bool stop) {
    {
      std::lock_guard lock(silence_mutex_);
      silent_ = silent;
      stop_ = stop_ || stop;
    }
    silence_changed_.notify_all();
  }
  std::mutex silence_mutex_;
  std::condition_variable silence_changed_;
  bool silent_ = false;  // guarded by silence_mutex_
  std::thread thread_;
};

}  // namespace

TEST_CASE("replication: a replica and a replica of it converge with the master under a load of every type") {
  KvdServer master;
  REQUIRE(master.Start());
  auto m = master.Connect();
  KvdServer replica(ReplicaOf(master));
  REQUIRE(replica.Start());
  auto r = replica.Connect();
  {
    WriteLoad load(master.port(), 4, 1234);
    REQUIRE(WaitFor([&] { return load.acknowledged() > 3000; }, 30s));
    // The second replica joins mid-load, through the first: a full sync from
    // a replica, then streaming along a chain.
    KvdServer chained(ReplicaOf(replica));
    REQUIRE(chained.Start());
    auto c = chained.Connect();
    int64_t seen = load.acknowledged();
    REQUIRE(WaitFor([&] { return load.acknowledged() > seen + 3000; }, 30s));
    load.Stop();
    // Keys written with PX 30 must be gone before the comparison, or they may
    // expire between reading the master and reading a replica.
    REQUIRE(WaitFor(
        [&] {
          for (const auto& [key, contents] : Dataset(*m)) {
            if (key.rfind("short", 0) == 0) return false;
          }
          return true;
        },
        10s));
    REQUIRE(CaughtUp(*m, *r));
    REQUIRE(CaughtUp(*m, *c));
    auto expected = Dataset(*m);
    CHECK(expected.size() > 100);
    CHECK(Differences(expected, Dataset(*r)) == "");
    CHECK(Differences(expected, Dataset(*c)) == "");
    CHECK(Count(chained.Log(), "full sync done") == 1);
  }
  // The master's own expiries reach the replica as deletes.
  REQUIRE(Simple(*m, {"SET", "soon", "x", "PX", "50"}) == "OK");
  REQUIRE(WaitFor([&] { return Int(*r, {"EXISTS", "soon"}) == 0; }, 10s));
  CHECK(Err(*r, {"SET", "k", "v"}) == "READONLY You can't write against a read only replica.");
}

TEST_CASE("replication: RESTORE reaches the replica whole, with the master's expiry time") {
  MasterWithReplica pair("a");
  auto& m = *pair.m;
  auto& r = *pair.r;
  REQUIRE(Int(m, {"ZADD", "z", "1", "x", "2", "y"}) == 2);
  REQUIRE(Int(m, {"SADD", "target", "stale"}) == 1);
  std::string payload = Bulk(m, {"DUMP", "z"});
  REQUIRE(Simple(m, {"RESTORE", "target", "600000", payload, "REPLACE"}) == "OK");
  REQUIRE(Simple(m, {"RESTORE", "copy", "0", payload}) == "OK");
  REQUIRE(CaughtUp(m, r));
  CHECK(Dataset(r) == Dataset(m));
  CHECK(Int(r, {"PEXPIRETIME", "target"}) == Int(m, {"PEXPIRETIME", "target"}));
  CHECK(Strings(r, {"ZRANGE", "target", "0", "-1", "WITHSCORES"}) == std::vector<std::string>{"x", "1", "y", "2"});
  CHECK(Err(r, {"RESTORE", "other", "0", payload}) == "READONLY You can't write against a read only replica.");
}

TEST_CASE("replication: ROLE, INFO replication and REPLICAOF follow Redis") {
  MasterWithReplica pair("a");
  auto& [master, replica_ptr, m, r] = pair;
  KvdServer& replica = *replica_ptr;

  RespValue role = Call(*m, {"ROLE"});
  REQUIRE(role.elements.size() == 3);
  CHECK(role.elements[0].str == "master");
  CHECK(static_cast<uint64_t>(role.elements[1].integer) == Offset(*m));
  REQUIRE(role.elements[2].elements.size() == 1);
  CHECK(role.elements[2].elements[0].elements[1].str == std::to_string(replica.port()));

  RespValue replica_role = Call(*r, {"ROLE"});
  REQUIRE(replica_role.elements.size() == 5);
  CHECK(replica_role.elements[0].str == "slave");
  CHECK(replica_role.elements[2].integer == master.port());
  CHECK(replica_role.elements[3].str == "connected");

  std::string info = Bulk(*r, {"INFO", "replication"});
  CHECK(InfoField(info, "role") == "slave");
  CHECK(InfoField(info, "master_port") == std::to_string(master.port()));
  CHECK(InfoField(info, "slave_priority") == "100");
  CHECK(InfoField(info, "slave_read_only") == "1");
  CHECK(InfoField(info, "master_sync_in_progress") == "0");
  CHECK(InfoField(info, "master_replid") == InfoField(Bulk(*m, {"INFO", "replication"}), "master_replid"));
  std::string master_info = Bulk(*m, {"INFO", "replication"});
  CHECK(InfoField(master_info, "connected_slaves") == "1");
  CHECK(InfoField(master_info, "slave0").find("ip=127.0.0.1,port=" + std::to_string(replica.port()) + ",state=online") ==
        0);

  CHECK(Int(*m, {"WAIT", "1", "5000"}) == 1);
  CHECK(Int(*m, {"WAIT", "2", "100"}) == 1);  // only one replica: the timeout answers with what acknowledged
  CHECK(Err(*r, {"WAIT", "1", "10"}).find("ERR WAIT cannot be used with replica instances") == 0);
  CHECK(Err(*m, {"WAIT", "1", "-1"}) == "ERR timeout is negative");
  CHECK(Err(*m, {"REPLICAOF", "127.0.0.1", "99999"}) == "ERR Invalid master port");
  CHECK(Simple(*r, {"REPLICAOF", "127.0.0.1", std::to_string(master.port())}) ==
        "OK Already connected to specified master");
  CHECK(Err(*m, {"SYNC"}).find("ERR SYNC is not supported") == 0);

  // Promotion keeps the sequence: offsets go on where they were.
  uint64_t before = Offset(*r);
  CHECK(Simple(*r, {"REPLICAOF", "NO", "ONE"}) == "OK");
  CHECK(InfoField(Bulk(*r, {"INFO", "replication"}), "role") == "master");
  CHECK(Simple(*r, {"SET", "b", "2"}) == "OK");
  CHECK(Offset(*r) == before + 1);
  CHECK(InfoField(Bulk(*r, {"INFO", "replication"}), "second_repl_offset") == std::to_string(before + 1));
}

TEST_CASE("replication: a restarted replica of a 1 GB dataset resumes with a partial sync, never a second full sync") {
  KvdServer master;
  REQUIRE(master.Start());
  auto m = master.Connect();
  Fill(*m, 16384, 64 * 1024, "big:", true);  // 1 GiB of random bytes
  KvdServer replica(ReplicaOf(master));
  REQUIRE(replica.Start());
  {
    auto r = replica.Connect();
    REQUIRE(CaughtUp(*m, *r, 120s));
  }
  CHECK(Count(replica.Log(), "full sync done") == 1);
  replica.Stop();
  Fill(*m, 500, 100, "after:");
  REQUIRE(replica.Start());
  auto r = replica.Connect();
  REQUIRE(CaughtUp(*m, *r));
  CHECK(Count(replica.Log(), "full sync done") == 1);
  CHECK(Count(replica.Log(), "partial sync from") == 2);
  CHECK(Bulk(*r, {"GET", "after:499"}) == std::string(100, 'v'));
  CHECK(Int(*r, {"DBSIZE"}) == 16384 + 500);
  CHECK(Bulk(*r, {"GET", "big:16383"}) == Bulk(*m, {"GET", "big:16383"}));
}

TEST_CASE("replication: a replica killed with SIGKILL during its full sync recovers on restart") {
  KvdServer master;
  REQUIRE(master.Start());
  auto m = master.Connect();
  Fill(*m, 60000, 1000);  // 60 MB, so the full sync takes a moment
  KvdServer replica(ReplicaOf(master));
  REQUIRE(replica.Start());
  {
    auto r = replica.Connect();
    // Kill it while it fetches (or, on a fast machine, right after).
    bool caught = WaitFor(
        [&] { return InfoField(Bulk(*r, {"INFO", "replication"}), "master_sync_in_progress") == "1"; }, 10s);
    if (!caught) MESSAGE("the full sync ended before the kill");
  }
  replica.Kill9();
  Fill(*m, 100, 10, "later:");
  REQUIRE(replica.Start());
  auto r = replica.Connect();
  REQUIRE(CaughtUp(*m, *r, 60s));
  CHECK(Int(*r, {"DBSIZE"}) == 60100);
  CHECK(Bulk(*r, {"GET", "big:59999"}) == std::string(1000, 'v'));
  CHECK(!std::filesystem::exists(replica.data_dir() + "/fullsync"));
}

// A master and a replica that reaches it through a CuttableLink, in sync over 1000 keys.
struct LinkedPair {
  explicit LinkedPair(const Args& timeout_args = {}) : master(timeout_args) {
    REQUIRE(master.Start());
    m = master.Connect();
    link = std::make_unique<CuttableLink>(master.port());
    Args replica_args = timeout_args;
    replica_args.insert(replica_args.end(), {"--replicaof", "127.0.0.1 " + std::to_string(link->port())});
    replica = std::make_unique<KvdServer>(replica_args);
    REQUIRE(replica->Start());
    r = replica->Connect();
    Fill(*m, 1000, 100);
    REQUIRE(CaughtUp(*m, *r));
  }
  // After the link healed: the replica caught up and holds what the master holds.
  void CheckConverged() {
    REQUIRE(CaughtUp(*m, *r));
    CHECK(Count(replica->Log(), "full sync done") == 1);
    CHECK(Differences(Dataset(*m), Dataset(*r)) == "");
  }
  KvdServer master;
  std::unique_ptr<RespClient> m;
  std::unique_ptr<CuttableLink> link;
  std::unique_ptr<KvdServer> replica;
  std::unique_ptr<RespClient> r;
};

TEST_CASE("replication: a cut link heals with a partial sync") {
  LinkedPair pair;
  pair.link->Cut();
  REQUIRE(WaitFor([&] { return LinkStatus(*pair.r) == "down"; }, 10s));
  Fill(*pair.m, 1000, 100, "during:");
  pair.link->Heal();
  pair.CheckConverged();
  CHECK(Count(pair.replica->Log(), "partial sync from") == 2);
}

TEST_CASE("replication: a silent partition longer than repl-timeout heals with a partial sync") {
  LinkedPair pair({"--repl-timeout", "1"});
  pair.link->Silence();
  Fill(*pair.m, 1000, 100, "during:");
  // No reset arrives: the replica notices the silence itself.
  REQUIRE(WaitFor([&] { return LinkStatus(*pair.r) == "down"; }, 20s));
  pair.link->Heal();
  pair.CheckConverged();
  CHECK(Count(pair.replica->Log(), "partial sync from") >= 2);
}

TEST_CASE("replication: a silent partition shorter than repl-timeout resumes the same stream") {
  LinkedPair pair;
  pair.link->Silence();
  Fill(*pair.m, 1000, 100, "during:");
  // The replica hears nothing for a while (its offset stays behind the master's).
  REQUIRE(WaitFor(
      [&] { return std::stoi(InfoField(Bulk(*pair.r, {"INFO", "replication"}), "master_last_io_seconds_ago")) >= 2; },
      20s));
  CHECK(Offset(*pair.r) < Offset(*pair.m));
  pair.link->Heal();
  pair.CheckConverged();
  CHECK(Count(pair.replica->Log(), "partial sync from") == 1);  // no reconnection was needed
}

uint64_t BinlogFirstSequence(RespClient& client) {
  return std::stoull(InfoField(Bulk(client, {"INFO", "persistence"}), "binlog_first_seq"));
}

TEST_CASE("replication: a replica that fell behind what the binlog holds gets a full sync") {
  // A 1 MB binlog and 1 MB memtables: a few MB of writes push old records out.
  KvdServer master({"--binlog-max-size", "1", "--write-buffer-mb", "1"});
  REQUIRE(master.Start());
  auto m = master.Connect();
  KvdServer replica(ReplicaOf(master));
  REQUIRE(replica.Start());
  uint64_t stopped_at = 0;
  {
    auto r = replica.Connect();
    Fill(*m, 100, 100, "before:");
    REQUIRE(CaughtUp(*m, *r));
    stopped_at = Offset(*r);
  }
  replica.Stop();
  int written = 0;
  auto write_until_purged = [&](uint64_t sequence) {
    return WaitFor(
        [&] {
          Fill(*m, 2000, 1000, "while-away-" + std::to_string(written++) + ":");
          return BinlogFirstSequence(*m) > sequence;
        },
        60s);
  };
  REQUIRE(write_until_purged(stopped_at + 1));
  // Retention keeps working (RocksDB's own would wait ten minutes after its first purge).
  REQUIRE(write_until_purged(BinlogFirstSequence(*m)));
  REQUIRE(replica.Start());
  auto r = replica.Connect();
  REQUIRE(CaughtUp(*m, *r, 60s));
  CHECK(Count(replica.Log(), "full sync done") == 2);
  CHECK(Int(*r, {"DBSIZE"}) == 100 + 2000 * written);
  CHECK(Bulk(*r, {"GET", "before:99"}) == std::string(100, 'v'));
}

// A master started with `master_args` and a replica attached to it directly.
struct AttachedPair {
  explicit AttachedPair(const Args& master_args) : master(master_args) {
    REQUIRE(master.Start());
    m = master.Connect();
    replica = std::make_unique<KvdServer>(ReplicaOf(master));
    REQUIRE(replica->Start());
    r = replica->Connect();
  }
  KvdServer master;
  std::unique_ptr<RespClient> m;
  std::unique_ptr<KvdServer> replica;
  std::unique_ptr<RespClient> r;
};

TEST_CASE("replication: a frozen replica never holds an async master back, nor fills its memory") {
  AttachedPair pair({"--write-buffer-mb", "1", "--block-cache-mb", "8"});
  RespClient& m = *pair.m;
  Fill(m, 100, 100, "before:");
  REQUIRE(CaughtUp(m, *pair.r));
  int64_t rss_before = InfoInt(m, "memory", "used_memory_rss");

  Freeze(pair.replica->pid());
  Fill(m, 80000, 1000);  // 80 MB the replica does not take; every write is acknowledged
  int64_t growth = InfoInt(m, "memory", "used_memory_rss") - rss_before;
  MESSAGE("master RSS grew by " << growth / 1024 << " KB while 80 MB waited for the frozen replica");
#ifndef __SANITIZE_ADDRESS__  // ASan keeps freed memory in quarantine (256 MB): RSS says nothing then
  CHECK(growth < 40 * 1024 * 1024);  // the backlog stays on disk, in the binlog
#endif

  ::kill(pair.replica->pid(), SIGCONT);
  REQUIRE(CaughtUp(m, *pair.r, 60s));
  CHECK(Int(*pair.r, {"DBSIZE"}) == 80100);
}

TEST_CASE("replication: semi-sync waits for the stopped replica up to the timeout, then goes on asynchronously") {
  AttachedPair pair({"--replication-mode", "semi-sync", "--replica-ack-timeout-ms", "300"});
  auto& m = pair.m;
  auto& r = pair.r;
  KvdServer& replica = *pair.replica;
  REQUIRE(WaitFor([&] { return InfoInt(*m, "replication", "connected_slaves") == 1; }, 10s));
  REQUIRE(Simple(*m, {"SET", "a", "1"}) == "OK");
  REQUIRE(CaughtUp(*m, *r));
  CHECK(InfoInt(*m, "replication", "semi_sync_timeouts") == 0);

  Freeze(replica.pid());
  CHECK(Simple(*m, {"SET", "b", "2"}) == "OK");  // waits for the timeout, then succeeds
  CHECK(InfoInt(*m, "replication", "semi_sync_timeouts") == 1);
  CHECK(InfoInt(*m, "replication", "semi_sync_fallback_active") == 1);
  for (int i = 0; i < 20; ++i) CHECK(Simple(*m, {"SET", "c" + std::to_string(i), "3"}) == "OK");
  CHECK(InfoInt(*m, "replication", "semi_sync_timeouts") == 1);  // async meanwhile: no more waits

  ::kill(replica.pid(), SIGCONT);
  REQUIRE(CaughtUp(*m, *r));
  REQUIRE(WaitFor([&] { return InfoInt(*m, "replication", "semi_sync_fallback_active") == 0; }, 10s));
  CHECK(Bulk(*r, {"GET", "c19"}) == "3");
}

TEST_CASE("replication: sync mode refuses writes without healthy replicas and never hangs") {
  KvdServer master({"--replication-mode", "sync", "--replica-ack-timeout-ms", "300", "--min-replicas-max-lag", "1"});
  REQUIRE(master.Start());
  auto m = master.Connect();
  CHECK(Err(*m, {"SET", "a", "1"}) == "NOREPLICAS Not enough good replicas to write.");
  CHECK(Bulk(*m, {"GET", "a"}) == "<nil>");  // reads still work

  KvdServer replica(ReplicaOf(master));
  REQUIRE(replica.Start());
  auto r = replica.Connect();
  REQUIRE(WaitFor([&] { return InfoInt(*m, "replication", "connected_slaves") == 1; }, 10s));
  CHECK(Simple(*m, {"SET", "a", "1"}) == "OK");
  CHECK(Bulk(*r, {"GET", "a"}) == "1");  // acknowledged means applied on the replica

  Freeze(replica.pid());
  // Until the replica counts as unhealthy, a write waits and then reports an unknown outcome.
  RespValue reply = Call(*m, {"SET", "b", "2"});
  CHECK((reply.IsError() && (reply.str.rfind("UNKNOWN", 0) == 0 || reply.str.rfind("NOREPLICAS", 0) == 0)));
  REQUIRE(WaitFor([&] { return Err(*m, {"SET", "c", "3"}).rfind("NOREPLICAS", 0) == 0; }, 10s));
  ::kill(replica.pid(), SIGCONT);
  REQUIRE(WaitFor([&] { return Call(*m, {"SET", "d", "4"}).str == "OK"; }, 10s));
}

TEST_CASE("replication: in sync mode every acknowledged write survives a master kill -9 on the replica") {
  KvdServer master({"--replication-mode", "sync"});
  REQUIRE(master.Start());
  KvdServer replica(ReplicaOf(master));
  REQUIRE(replica.Start());
  auto m = master.Connect();
  REQUIRE(WaitFor([&] { return InfoInt(*m, "replication", "connected_slaves") == 1; }, 10s));
  std::atomic<int64_t> acked[4] = {};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      RespClient client;
      if (!client.Connect("127.0.0.1", master.port()).ok()) return;
      for (int64_t i = 0;; ++i) {
        auto reply = client.Command({"SET", "w" + std::to_string(w) + ":" + std::to_string(i), "v"});
        if (!reply.ok() || reply->str != "OK") return;
        acked[w] = i + 1;
      }
    });
  }
  REQUIRE(WaitFor([&] { return acked[0] + acked[1] + acked[2] + acked[3] > 2000; }, 30s));
  master.Kill9();
  for (auto& writer : writers) writer.join();
  auto r = replica.Connect();
  for (int w = 0; w < 4; ++w) {
    CAPTURE(w);
    CHECK(acked[w] > 0);
    for (int64_t i = 0; i < acked[w]; ++i) {
      if (Int(*r, {"EXISTS", "w" + std::to_string(w) + ":" + std::to_string(i)}) != 1) {
        FAIL("acknowledged write w" << w << ":" << i << " is missing on the replica");
      }
    }
  }
}

TEST_CASE("replication: an old master with diverged writes saves them and resyncs fully from the new master") {
  KvdServer old_master;
  REQUIRE(old_master.Start());
  auto a = old_master.Connect();
  KvdServer promoted(ReplicaOf(old_master));
  REQUIRE(promoted.Start());
  auto b = promoted.Connect();
  REQUIRE(Simple(*a, {"SET", "shared", "1"}) == "OK");
  REQUIRE(CaughtUp(*a, *b));

  REQUIRE(Simple(*b, {"REPLICAOF", "NO", "ONE"}) == "OK");
  REQUIRE(Simple(*b, {"SET", "after-failover", "new"}) == "OK");
  REQUIRE(Simple(*a, {"SET", "lost", "old"}) == "OK");  // the old master never learned of the failover
  REQUIRE(Int(*a, {"INCR", "lost-counter"}) == 1);

  REQUIRE(Simple(*a, {"REPLICAOF", "127.0.0.1", std::to_string(promoted.port())}) == "OK");
  REQUIRE(CaughtUp(*b, *a));
  CHECK(Differences(Dataset(*b), Dataset(*a)) == "");
  CHECK(Bulk(*a, {"GET", "lost"}) == "<nil>");
  CHECK(old_master.Log().find("diverged history") != std::string::npos);
  std::string saved = SavedDivergedWrites(old_master);
  CHECK(saved.find("lost") != std::string::npos);
  CHECK(saved.find("lost-counter") != std::string::npos);
  CHECK(saved.find("after-failover") == std::string::npos);
  CHECK(saved.find("shared") == std::string::npos);
}

TEST_CASE("replication: a writable replica's own writes are saved, and it resyncs at the master's next write") {
  MasterWithReplica pair("shared");
  auto& [master, replica_ptr, m, r] = pair;
  KvdServer& replica = *replica_ptr;

  REQUIRE(Simple(*r, {"CONFIG", "SET", "replica-read-only", "no"}) == "OK");
  REQUIRE(Simple(*r, {"SET", "local-scratch", "x"}) == "OK");
  REQUIRE(Int(*r, {"SADD", "local-set", "a", "b"}) == 2);
  CHECK(Bulk(*r, {"GET", "local-scratch"}) == "x");  // readable there until the master writes again
  // Its sequence now runs ahead of the master's with writes the master never
  // had: the master's next batch cannot apply on top (this once looped,
  // reconnecting forever).
  REQUIRE(Simple(*m, {"SET", "next", "2"}) == "OK");
  REQUIRE(Simple(*m, {"SET", "and-more", "3"}) == "OK");
  // Not by offsets: the replica's two local writes took the sequences of the master's two.
  REQUIRE(WaitFor([&] { return Differences(Dataset(*m), Dataset(*r)).empty() && LinkStatus(*r) == "up"; }, 30s));
  CHECK(Count(replica.Log(), "full sync done") == 2);
  std::string saved = SavedDivergedWrites(replica);
  CHECK(saved.find("local-scratch") != std::string::npos);
  CHECK(saved.find("local-set") != std::string::npos);
  CHECK(saved.find("shared") == std::string::npos);
  CHECK(saved.find("next") == std::string::npos);
  // And it streams on from the master as before.
  REQUIRE(Simple(*m, {"SET", "later", "4"}) == "OK");
  REQUIRE(CaughtUp(*m, *r));
  CHECK(Bulk(*r, {"GET", "later"}) == "4");
}

// A master, a replica of it and a replica of that one, all caught up.
struct ChainOfThree : MasterWithReplica {
  KvdServer chained;
  std::unique_ptr<RespClient> c;
  ChainOfThree() : MasterWithReplica("shared"), chained(ReplicaOf(*replica)) {
    REQUIRE(chained.Start());
    c = chained.Connect();
    REQUIRE(CaughtUp(*r, *c));
  }
};

TEST_CASE("replication: a replica of a writable replica follows its writes, then its full sync from the master") {
  ChainOfThree chain;
  auto& m = chain.m;
  auto& r = chain.r;
  auto& c = chain.c;

  // The middle replica's own writes part its history; its replica goes on with them.
  REQUIRE(Simple(*r, {"CONFIG", "SET", "replica-read-only", "no"}) == "OK");
  REQUIRE(Simple(*r, {"SET", "local", "x"}) == "OK");
  REQUIRE(CaughtUp(*r, *c));
  CHECK(Bulk(*c, {"GET", "local"}) == "x");

  // The master's next write makes the middle one resync from it, and the
  // chained one must drop the local write with it.
  REQUIRE(Simple(*m, {"SET", "next", "2"}) == "OK");
  // Offsets alone cannot tell: the middle one's local write sits at the sequence of the master's "next".
  REQUIRE(WaitFor([&] { return Differences(Dataset(*m), Dataset(*r)).empty(); }, 30s));
  REQUIRE(WaitFor([&] { return Differences(Dataset(*m), Dataset(*c)).empty() && LinkStatus(*c) == "up"; }, 30s));
  CHECK(Int(*c, {"EXISTS", "local"}) == 0);
  // And the chain streams on.
  REQUIRE(Simple(*m, {"SET", "later", "4"}) == "OK");
  REQUIRE(CaughtUp(*m, *r));
  REQUIRE(CaughtUp(*r, *c));
  CHECK(Bulk(*c, {"GET", "later"}) == "4");
}

TEST_CASE("replication: a promoted replica's own replicas continue under its new id, without a full sync") {
  ChainOfThree chain;
  auto& r = chain.r;
  auto& c = chain.c;
  KvdServer& chained = chain.chained;

  REQUIRE(Simple(*r, {"REPLICAOF", "NO", "ONE"}) == "OK");
  REQUIRE(Simple(*r, {"SET", "after-promotion", "1"}) == "OK");
  REQUIRE(CaughtUp(*r, *c));
  CHECK(Bulk(*c, {"GET", "after-promotion"}) == "1");
  std::string promoted_id = InfoField(Bulk(*r, {"INFO", "replication"}), "master_replid");
  CHECK(InfoField(Bulk(*c, {"INFO", "replication"}), "master_replid") == promoted_id);
  CHECK(Count(chained.Log(), "full sync done") == 1);  // the first one only
}

}  // namespace kvdtest

namespace kvdtest {

TEST_CASE("replication: FAILOVER hands the master's role to a replica without losing a write") {
  MasterWithReplica pair("before");
  auto& [master, replica_ptr, m, r] = pair;
  KvdServer& replica = *replica_ptr;
  for (int i = 0; i < 200; ++i) REQUIRE(Simple(*m, {"SET", "k" + std::to_string(i), "v"}) == "OK");

  // A client whose write arrives during the failover waits, then meets a replica.
  REQUIRE(Simple(*m, {"FAILOVER", "TO", "127.0.0.1", std::to_string(replica.port())}) == "OK");
  REQUIRE(WaitFor([&] { return Call(*r, {"ROLE"}).elements[0].str == "master"; }, 20s));
  REQUIRE(WaitFor([&] { return LinkStatus(*m) == "up"; }, 20s));
  CHECK(InfoField(Bulk(*m, {"INFO", "replication"}), "master_port") == std::to_string(replica.port()));
  CHECK(InfoField(Bulk(*m, {"INFO", "replication"}), "master_failover_state") == "no-failover");
  CHECK(Err(*m, {"SET", "late", "x"}) == "READONLY You can't write against a read only replica.");
  CHECK(Int(*r, {"DBSIZE"}) == 201);
  // The new master's writes reach the old one by partial sync: one full sync in all, the first.
  REQUIRE(Simple(*r, {"SET", "after", "1"}) == "OK");
  REQUIRE(CaughtUp(*r, *m));
  CHECK(Bulk(*m, {"GET", "after"}) == "1");
  CHECK(Count(master.Log(), "full sync done") == 0);

  // And back, to any replica.
  REQUIRE(Simple(*r, {"FAILOVER"}) == "OK");
  REQUIRE(WaitFor([&] { return Call(*m, {"ROLE"}).elements[0].str == "master"; }, 20s));
  REQUIRE(Simple(*m, {"SET", "back", "1"}) == "OK");
}

TEST_CASE("replication: FAILOVER gives up at its timeout, resuming writes, and refuses bad requests") {
  MasterWithReplica pair("a");
  auto& [master, replica_ptr, m, r] = pair;
  KvdServer& replica = *replica_ptr;
  std::string port = std::to_string(replica.port());
  CHECK(Err(*m, {"FAILOVER", "FORCE"}) ==
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
  CHECK(Err(*m, {"FAILOVER", "TO", "127.0.0.1", "1"}) == "ERR FAILOVER target HOST and PORT is not a replica.");
  CHECK(Err(*m, {"FAILOVER", "TIMEOUT", "0"}) == "ERR FAILOVER timeout must be greater than 0");
  CHECK(Err(*m, {"FAILOVER", "ABORT", "TIMEOUT", "5"}) == "ERR syntax error");
  CHECK(Err(*m, {"FAILOVER", "ABORT"}) == "ERR No failover in progress.");
  CHECK(Err(*r, {"FAILOVER"}) == "ERR FAILOVER is not valid when server is a replica.");

  // A replica that cannot acknowledge never catches up: the failover ends at its timeout.
  ::kill(replica.pid(), SIGSTOP);
  REQUIRE(Simple(*m, {"SET", "unacknowledged", "1"}) == "OK");
  REQUIRE(Simple(*m, {"FAILOVER", "TO", "127.0.0.1", port, "TIMEOUT", "300"}) == "OK");
  CHECK(Err(*m, {"FAILOVER"}) == "ERR FAILOVER already in progress.");
  CHECK(InfoField(Bulk(*m, {"INFO", "replication"}), "master_failover_state") == "waiting-for-sync");
  CHECK(Simple(*m, {"SET", "waited", "1"}) == "OK");  // held until the failover gave up
  CHECK(InfoField(Bulk(*m, {"INFO", "replication"}), "master_failover_state") == "no-failover");
  CHECK(Call(*m, {"ROLE"}).elements[0].str == "master");
  // ABORT ends one at once.
  REQUIRE(Simple(*m, {"FAILOVER"}) == "OK");
  CHECK(Simple(*m, {"FAILOVER", "ABORT"}) == "OK");
  CHECK(Simple(*m, {"SET", "after-abort", "1"}) == "OK");
  ::kill(replica.pid(), SIGCONT);
  REQUIRE(CaughtUp(*m, *r));
  CHECK(Bulk(*r, {"GET", "after-abort"}) == "1");
}

}  // namespace kvdtest
