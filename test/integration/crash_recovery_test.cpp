// Crash recovery: many clients write every type, the server is killed with
// SIGKILL at a random moment several times in a row, and after each restart
// every acknowledged write is there and nothing half-done (half a MULTI) is.
// fsync everysec: a process crash must lose nothing acknowledged.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace kvdtest {
namespace {

using kvd::Result;

enum Op { kSet, kIncr, kHset, kZadd, kLpush, kMulti, kOps };

// What one writer had acknowledged when its connection broke. Only the one
// operation in flight at the kill may or may not have happened.
struct WriterProgress {
  std::string prefix;
  std::atomic<int64_t> acked[kOps] = {};
};

bool IsOk(const Result<RespValue>& reply) {
  return reply.ok() && reply->type == RespValue::Type::kSimple && reply->str == "OK";
}
bool IsInteger(const Result<RespValue>& reply) { return reply.ok() && reply->type == RespValue::Type::kInteger; }

// Writes until the connection breaks, counting every acknowledged operation.
void Write(RespClient& client, WriterProgress& progress, std::atomic<int64_t>& total) {
  const std::string& p = progress.prefix;
  for (int64_t i = 0;; ++i) {
    std::string n = std::to_string(i);
    if (!IsOk(client.Command({"SET", p + "s:" + n, n}))) return;
    ++progress.acked[kSet];
    if (!IsInteger(client.Command({"INCR", p + "c"}))) return;
    ++progress.acked[kIncr];
    if (!IsInteger(client.Command({"HSET", p + "h", "f" + n, n}))) return;
    ++progress.acked[kHset];
    if (!IsInteger(client.Command({"ZADD", p + "z", n, "m" + n}))) return;
    ++progress.acked[kZadd];
    if (!IsInteger(client.Command({"LPUSH", p + "l", n}))) return;
    ++progress.acked[kLpush];
    if (!IsOk(client.Command({"MULTI"}))) return;
    if (!client.Command({"SET", p + "ma:" + n, n}).ok()) return;  // QUEUED
    if (!client.Command({"SET", p + "mb:" + n, n}).ok()) return;
    auto exec = client.Command({"EXEC"});
    if (!exec.ok() || exec->type != RespValue::Type::kArray || exec->elements.size() != 2) return;
    ++progress.acked[kMulti];
    total += kOps;
  }
}

// `count` is acknowledged; `count + 1` is allowed when that op was in flight.
void CheckCount(const std::string& what, int64_t found, int64_t acked) {
  CHECK_MESSAGE((found == acked || found == acked + 1), what << ": found " << found << ", acknowledged " << acked);
}

void Verify(RespClient& c, const WriterProgress& progress) {
  const std::string& p = progress.prefix;
  int64_t sets = progress.acked[kSet].load();
  for (int64_t start = 0; start < sets; start += 500) {
    Args mget = {"MGET"};
    for (int64_t i = start; i < std::min(sets, start + 500); ++i) mget.push_back(p + "s:" + std::to_string(i));
    std::vector<std::string> values = Strings(c, mget);
    int64_t wrong = 0;
    for (size_t j = 0; j < values.size(); ++j) wrong += values[j] != std::to_string(start + static_cast<int64_t>(j));
    CHECK_MESSAGE(wrong == 0, p << ": " << wrong << " acknowledged SETs lost");
  }
  CHECK(Int(c, {"EXISTS", p + "s:" + std::to_string(sets + 1)}) == 0);  // never sent: no garbage

  std::string counter = Bulk(c, {"GET", p + "c"});
  CheckCount(p + " INCR", counter == "<nil>" ? 0 : std::stoll(counter), progress.acked[kIncr].load());

  int64_t fields = progress.acked[kHset].load();
  CheckCount(p + " HLEN", Int(c, {"HLEN", p + "h"}), fields);
  if (fields > 0) CHECK(Bulk(c, {"HGET", p + "h", "f" + std::to_string(fields - 1)}) == std::to_string(fields - 1));

  int64_t members = progress.acked[kZadd].load();
  CheckCount(p + " ZCARD", Int(c, {"ZCARD", p + "z"}), members);
  if (members > 0) CHECK(Bulk(c, {"ZSCORE", p + "z", "m" + std::to_string(members - 1)}) == std::to_string(members - 1));

  int64_t pushed = progress.acked[kLpush].load();
  int64_t length = Int(c, {"LLEN", p + "l"});
  CheckCount(p + " LLEN", length, pushed);
  if (pushed > 0) CHECK(Bulk(c, {"LINDEX", p + "l", "-1"}) == "0");  // the first push is still at the tail

  int64_t transactions = progress.acked[kMulti].load();
  for (int64_t i = 0; i <= transactions; ++i) {
    std::string n = std::to_string(i);
    int64_t a = Int(c, {"EXISTS", p + "ma:" + n});
    int64_t b = Int(c, {"EXISTS", p + "mb:" + n});
    CHECK_MESSAGE(a == b, p << ": half of transaction " << i << " survived");
    if (i < transactions) CHECK_MESSAGE(a == 1, p << ": acknowledged transaction " << i << " lost");
  }
}

TEST_CASE("crash recovery: repeated kill -9 under many writers keeps every acknowledged write, and no half MULTI") {
  KvdServer server({"--fsync", "everysec"});
  REQUIRE(server.Start());
  std::random_device device;
  unsigned seed = device();
  INFO("seed " << seed);
  std::mt19937 random(seed);

  constexpr int kRounds = 4;
  constexpr int kWriters = 8;
  std::vector<std::unique_ptr<WriterProgress>> everyone;
  for (int round = 0; round < kRounds; ++round) {
    int64_t kill_after = std::uniform_int_distribution<int64_t>(300, 3000)(random);
    std::atomic<int64_t> total{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      everyone.push_back(std::make_unique<WriterProgress>());
      WriterProgress& progress = *everyone.back();
      progress.prefix = "r" + std::to_string(round) + "w" + std::to_string(w) + ":";
      std::shared_ptr<RespClient> client = server.Connect();
      REQUIRE(client != nullptr);
      writers.emplace_back([&progress, &total, client] { Write(*client, progress, total); });
    }
    bool enough = WaitFor([&] { return total.load() >= kill_after; }, 120s);
    server.Kill9();
    for (auto& writer : writers) writer.join();
    REQUIRE_MESSAGE(enough, "round " << round << ": only " << total.load() << " acknowledged writes");

    REQUIRE(server.Start());
    auto c = server.Connect();
    for (const auto& progress : everyone) Verify(*c, *progress);
  }
}

TEST_CASE("crash recovery: a torn last binlog record is dropped with a log line, never served") {
  KvdServer server({"--fsync", "always"});
  REQUIRE(server.Start());
  {
    auto c = server.Connect();
    for (int i = 0; i < 100; ++i) REQUIRE(Simple(*c, {"SET", "k" + std::to_string(i), "v"}) == "OK");
  }
  server.Kill9();
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(server.data_dir() + "/db")) {
    if (entry.path().extension() == ".log" && entry.path() > newest) newest = entry.path();
  }
  REQUIRE(!newest.empty());
  // Cut into the last record, as a crash in the middle of its write would.
  std::filesystem::resize_file(newest, std::filesystem::file_size(newest) - 5);

  REQUIRE(server.Start());
  auto c = server.Connect();
  CHECK(Bulk(*c, {"GET", "k98"}) == "v");
  CHECK(Bulk(*c, {"GET", "k99"}) == "<nil>");  // the torn write
  CHECK(Int(*c, {"DBSIZE"}) == 99);
  CHECK_MESSAGE(server.Log().find("truncated record at offset") != std::string::npos, server.Log());
}

}  // namespace
}  // namespace kvdtest
