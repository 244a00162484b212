// Data survives restarts (SIGTERM) and crashes (kill -9 with fsync always);
// expired keys vanish and the active sweeper removes them.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "harness.h"

namespace kvdtest {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("persistence: SIGTERM and restart keep every key and TTL") {
  KvdServer server;
  REQUIRE(server.Start());
  int64_t expire_at_ms = (NowSeconds() + 100000) * 1000 + 321;
  const std::string binary_key("bin\0key\r\n", 9);
  const std::string binary_value("\0\1\2\r\n\xff", 6);
  {
    auto c = server.Connect();
    for (int batch = 0; batch < 500; batch += 100) {
      Args mset = {"MSET"};
      for (int i = batch; i < batch + 100; ++i) {
        mset.push_back("p:" + std::to_string(i));
        mset.push_back("value-" + std::to_string(i));
      }
      REQUIRE(Simple(*c, mset) == "OK");
    }
    CHECK(Simple(*c, {"SET", "ttl", "t", "EX", "10000"}) == "OK");
    CHECK(Int(*c, {"PEXPIREAT", "p:0", std::to_string(expire_at_ms)}) == 1);
    CHECK(Int(*c, {"INCRBY", "counter", "41"}) == 41);
    CHECK(Simple(*c, {"SET", binary_key, binary_value}) == "OK");
    CHECK(Simple(*c, {"SELECT", "9"}) == "OK");
    CHECK(Simple(*c, {"SET", "in9", "nine"}) == "OK");
    CHECK(Simple(*c, {"SET", "gone", "x"}) == "OK");
    CHECK(Int(*c, {"DEL", "gone"}) == 1);
  }
  CHECK(server.Stop() == 0);
  CHECK(!server.running());

  REQUIRE(server.Start());
  auto c = server.Connect();
  CHECK(Int(*c, {"DBSIZE"}) == 503);
  for (int batch = 0; batch < 500; batch += 100) {
    Args mget = {"MGET"};
    for (int i = batch; i < batch + 100; ++i) mget.push_back("p:" + std::to_string(i));
    std::vector<std::string> values = Strings(*c, mget);
    REQUIRE(values.size() == 100);
    for (int i = batch; i < batch + 100; ++i) CHECK(values[i - batch] == "value-" + std::to_string(i));
  }
  int64_t ttl = Int(*c, {"TTL", "ttl"});
  CHECK(ttl > 0);
  CHECK(ttl <= 10000);
  CHECK(Int(*c, {"PEXPIRETIME", "p:0"}) == expire_at_ms);
  CHECK(Int(*c, {"TTL", "p:1"}) == -1);
  CHECK(Int(*c, {"INCR", "counter"}) == 42);
  CHECK(Bulk(*c, {"GET", binary_key}) == binary_value);
  CHECK(InfoField(Bulk(*c, {"INFO", "keyspace"}), "db0").rfind("keys=503,expires=2", 0) == 0);
  CHECK(Simple(*c, {"SELECT", "9"}) == "OK");
  CHECK(Bulk(*c, {"GET", "in9"}) == "nine");
  CHECK(Int(*c, {"EXISTS", "gone"}) == 0);
}

TEST_CASE("persistence: kill -9 with fsync always loses no acknowledged write") {
  // One io thread fsyncs itself; with several, the engine's syncing thread
  // fsyncs for all of them: both ways must hold.
  std::string io_threads;
  SUBCASE("one io thread") { io_threads = "1"; }
  SUBCASE("two io threads") { io_threads = "2"; }
  KvdServer server({"--fsync", "always", "--io-threads", io_threads});
  REQUIRE(server.Start());

  constexpr int kWriters = 2;
  constexpr int64_t kWantAcked = 300;  // acknowledged SETs (all writers) before the kill
  std::atomic<int64_t> acked_sets[kWriters];
  std::atomic<int64_t> acked_counter[kWriters];
  std::atomic<int64_t> total_acked{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    acked_sets[w] = -1;
    acked_counter[w] = 0;
    auto client = server.Connect();
    writers.emplace_back([&, w, client = std::shared_ptr<RespClient>(std::move(client))] {
      // Writes until the connection breaks; records every acknowledged write.
      for (int64_t i = 0;; ++i) {
        auto set = client->Command({"SET", "w" + std::to_string(w) + ":" + std::to_string(i), "v" + std::to_string(i)});
        if (!set.ok() || set->type != RespValue::Type::kSimple || set->str != "OK") return;
        acked_sets[w] = i;
        auto incr = client->Command({"INCR", "counter" + std::to_string(w)});
        if (!incr.ok() || incr->type != RespValue::Type::kInteger) return;
        acked_counter[w] = incr->integer;
        ++total_acked;
      }
    });
  }
  bool enough = WaitFor([&] { return total_acked.load() >= kWantAcked; }, 120s);
  server.Kill9();  // mid-stream: the writers are still sending
  for (auto& writer : writers) writer.join();
  REQUIRE_MESSAGE(enough, "writers got only " << total_acked.load() << " acknowledgements");

  REQUIRE(server.Start());
  auto c = server.Connect();
  for (int w = 0; w < kWriters; ++w) {
    int64_t last = acked_sets[w].load();
    INFO("writer " << w << ": " << last + 1 << " SETs and counter " << acked_counter[w].load()
                   << " acknowledged before kill -9");
    int missing = 0;
    for (int64_t start = 0; start <= last; start += 200) {
      Args mget = {"MGET"};
      for (int64_t i = start; i <= std::min(last, start + 199); ++i) {
        mget.push_back("w" + std::to_string(w) + ":" + std::to_string(i));
      }
      std::vector<std::string> values = Strings(*c, mget);
      REQUIRE(values.size() == mget.size() - 1);
      for (size_t j = 0; j < values.size(); ++j) {
        if (values[j] != "v" + std::to_string(start + static_cast<int64_t>(j))) ++missing;
      }
    }
    CHECK_MESSAGE(missing == 0, "writer " << w << " lost " << missing << " acknowledged SETs");
    std::string counter = Bulk(*c, {"GET", "counter" + std::to_string(w)});
    REQUIRE(counter != "<nil>");
    CHECK(std::stoll(counter) >= acked_counter[w].load());
  }
}

TEST_CASE("expiry: expired keys vanish and the active sweeper deletes them") {
  ServerWithClient s;
  RespClient& c = *s.client;

  int64_t expired_before = InfoInt(c, "stats", "expired_keys");
  constexpr int kVolatile = 50;
  for (int i = 0; i < kVolatile; ++i) {
    CHECK(Simple(c, {"SET", "vol:" + std::to_string(i), "x", "PX", "100"}) == "OK");
  }
  CHECK(Simple(c, {"SET", "stay", "here"}) == "OK");
  CHECK(Simple(c, {"SET", "stay-ttl", "here", "EX", "10000"}) == "OK");

  // The volatile keys are never read: only the active sweep can count them.
  bool swept = WaitFor([&] { return InfoInt(c, "stats", "expired_keys") >= expired_before + kVolatile; }, 30s);
  CHECK_MESSAGE(swept, "expired_keys stayed at " << InfoInt(c, "stats", "expired_keys"));
  CHECK(WaitFor([&] { return Int(c, {"DBSIZE"}) == 2; }, 30s));
  std::string db0 = InfoField(Bulk(c, {"INFO", "keyspace"}), "db0");
  CHECK(db0.rfind("keys=2,expires=1,avg_ttl=", 0) == 0);
  // avg_ttl is the remaining TTL in ms of the one key that has one (EX 10000).
  int64_t avg_ttl = std::stoll(db0.substr(db0.find("avg_ttl=") + 8));
  CHECK(avg_ttl > 9'000'000);
  CHECK(avg_ttl <= 10'000'000);
  CHECK(Bulk(c, {"GET", "vol:0"}) == "<nil>");
  CHECK(Int(c, {"EXISTS", "vol:1", "vol:2"}) == 0);
  CHECK(Strings(c, {"KEYS", "vol:*"}).empty());
  CHECK(Bulk(c, {"GET", "stay"}) == "here");
  CHECK(Bulk(c, {"GET", "stay-ttl"}) == "here");

  // Lazily: a read never sees an expired key.
  CHECK(Simple(c, {"SET", "lazy", "x", "PX", "100"}) == "OK");
  CHECK(WaitFor([&] { return Bulk(c, {"GET", "lazy"}) == "<nil>"; }, 30s));
  CHECK(Int(c, {"TTL", "lazy"}) == -2);
  CHECK(Int(c, {"EXISTS", "lazy"}) == 0);
  CHECK(Int(c, {"SETNX", "lazy", "again"}) == 1);
  CHECK(Bulk(c, {"GET", "lazy"}) == "again");
  CHECK(Int(c, {"TTL", "lazy"}) == -1);

  // Expired keys also stay gone across a restart.
  CHECK(Simple(c, {"SET", "vol-restart", "x", "PX", "100"}) == "OK");
  CHECK(WaitFor([&] { return Int(c, {"EXISTS", "vol-restart"}) == 0; }, 30s));
  CHECK(s.server.Stop() == 0);
  REQUIRE(s.server.Start());
  auto after = s.server.Connect();
  CHECK(Int(*after, {"EXISTS", "vol-restart"}) == 0);
  CHECK(Int(*after, {"DBSIZE"}) == 3);
}

}  // namespace kvdtest

namespace kvdtest {
namespace {

TEST_CASE("persistence: a data directory in use by another kvd refuses to start, and the first keeps serving") {
  ServerWithClient s;
  CHECK(Simple(*s.client, {"SET", "k", "v"}) == "OK");
  int status = 0;
  std::string output = RunShell(ShellQuote(KvdBinary()) + " server --port " + std::to_string(FreePort()) +
                                    " --dir " + ShellQuote(s.server.data_dir()) + " 2>&1",
                                &status);
  CHECK(status != 0);
  CHECK_MESSAGE(output.find("in use by another kvd") != std::string::npos, output);
  CHECK(Bulk(*s.client, {"GET", "k"}) == "v");
}

}  // namespace
}  // namespace kvdtest
