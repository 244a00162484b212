// INFO commandstats/errorstats counters and the slow log, without a server.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "common/tick_clock.h"
#include "roles/server/command_stats.h"
#include "roles/server/slowlog.h"

namespace kvd::server {
namespace {

TEST_CASE("command stats: calls, time, failures and rejections add up over threads; RESETSTAT starts over") {
  CommandStats stats(3);
  stats.Ran(1, 10, false);
  stats.Ran(1, 5, true);
  stats.Rejected(2);
  std::thread other([&] {
    stats.Ran(1, 7, false);
    stats.ErrorReplied("WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  });
  other.join();
  stats.ErrorReplied("ERR syntax error\r\n");
  stats.ErrorReplied("ERR wrong number of arguments for 'get' command");
  auto totals = stats.Commands();
  CHECK(totals[0].calls == 0);
  CHECK(totals[1].calls == 3);
  CHECK(totals[1].micros == 22);
  CHECK(totals[1].failed == 1);
  CHECK(totals[2].rejected == 1);
  CHECK(stats.Errors() == std::map<std::string, uint64_t>{{"ERR", 2}, {"WRONGTYPE", 1}});
  CHECK(stats.TotalErrorReplies() == 3);

  stats.Reset();
  CHECK(stats.Commands()[1].calls == 0);
  CHECK(stats.Errors().empty());
  CHECK(stats.TotalErrorReplies() == 0);
  stats.Ran(1, 4, false);
  CHECK(stats.Commands()[1].calls == 1);
  CHECK(stats.Commands()[1].micros == 4);
}

TEST_CASE("command stats: a second instance at the same address counts apart from the first") {
  for (int round = 0; round < 2; ++round) {
    CommandStats stats(1);
    stats.Ran(0, 1, false);
    CHECK(stats.Commands()[0].calls == 1);
  }
}

TEST_CASE("tick clock: never goes back and runs at the steady clock's rate") {
  // Both clocks measure the same interval; being preempted between their
  // reads shifts them by microseconds against the 20 ms measured.
  uint64_t tick_start = kvd::TickMicros();
  auto steady_start = std::chrono::steady_clock::now();
  uint64_t previous = tick_start;
  bool went_back = false;
  for (int i = 0; i < 100000; ++i) {
    uint64_t now = kvd::TickMicros();
    went_back = went_back || now < previous;
    previous = now;
  }
  CHECK(!went_back);
  // Let at least 20 ms pass on the steady clock (polled, not slept).
  while (std::chrono::steady_clock::now() - steady_start < std::chrono::milliseconds(20)) {
  }
  uint64_t tick_elapsed = kvd::TickMicros() - tick_start;
  auto steady_elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - steady_start).count();
  double ratio = static_cast<double>(tick_elapsed) / static_cast<double>(steady_elapsed);
  CHECK(ratio > 0.9);
  CHECK(ratio < 1.1);
}

TEST_CASE("slow log: arguments are redacted and shortened as Redis does") {
  CHECK(LoggedArgs({"AUTH", "secret"}) == std::vector<std::string>{"AUTH", "(redacted)"});
  CHECK(LoggedArgs({"auth", "user", "secret"}) == std::vector<std::string>{"auth", "(redacted)", "(redacted)"});
  CHECK(LoggedArgs({"HELLO", "3", "AUTH", "user", "pw", "SETNAME", "n"}) ==
        std::vector<std::string>{"HELLO", "3", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"});
  CHECK(LoggedArgs({"SET", "auth", "x"}) == std::vector<std::string>{"SET", "auth", "x"});
  std::vector<std::string> long_arg = LoggedArgs({"SET", "k", std::string(200, 'v')});
  CHECK(long_arg[2] == std::string(128, 'v') + "... (72 more bytes)");
  std::vector<std::string> many = {"RPUSH", "list"};
  for (int i = 0; i < 40; ++i) many.push_back(std::to_string(i));
  std::vector<std::string> kept = LoggedArgs(many);
  REQUIRE(kept.size() == 32);
  CHECK(kept[30] == "28");
  CHECK(kept[31] == "... (11 more arguments)");
  std::vector<std::string> exactly32(32, "a");
  CHECK(LoggedArgs(exactly32) == exactly32);
}

TEST_CASE("slow log: the threshold, newest first, the length limit and RESET") {
  SlowLog log;
  log.Configure(100, 2);
  CHECK(!log.IsSlow(99));
  CHECK(log.IsSlow(100));
  log.Add(150, {"GET", "a"}, "127.0.0.1:1", "", 1000);
  log.Add(200, {"GET", "b"}, "127.0.0.1:2", "worker", 1001);
  log.Add(300, {"GET", "c"}, "127.0.0.1:3", "", 1002);
  CHECK(log.Length() == 2);
  auto entries = log.Latest(SIZE_MAX);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].id == 2);
  CHECK(entries[0].args[1] == "c");
  CHECK(entries[0].micros == 300);
  CHECK(entries[1].client_name == "worker");
  CHECK(log.Latest(1).size() == 1);
  log.Configure(100, 1);  // a shorter limit drops the oldest at once
  CHECK(log.Length() == 1);
  log.Reset();
  CHECK(log.Length() == 0);
  log.Configure(-1, 10);
  CHECK(!log.IsSlow(UINT64_MAX));
  log.Configure(0, 10);
  CHECK(log.IsSlow(0));
}

}  // namespace
}  // namespace kvd::server
