// The latency monitor (roles/server/latency_monitor.h) and LATENCY HISTOGRAM's buckets.
#include <doctest/doctest.h>

#include "roles/server/command_stats.h"
#include "roles/server/latency_monitor.h"

namespace kvd::server {

TEST_CASE("latency monitor: off at 0, the worst of each second, 160 seconds kept") {
  LatencyMonitor monitor;
  monitor.Record("command", 100, 50);
  CHECK(monitor.Latest().empty());  // monitoring off
  monitor.SetThreshold(10);
  monitor.Record("command", 100, 9);  // under the threshold
  CHECK(monitor.Latest().empty());
  monitor.Record("command", 100, 12);
  monitor.Record("command", 100, 30);
  monitor.Record("command", 100, 20);  // the same second keeps its worst
  monitor.Record("fast-command", 101, 11);
  auto latest = monitor.Latest();
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].event == "command");
  CHECK(latest[0].last.time_s == 100);
  CHECK(latest[0].last.latency_ms == 30);
  CHECK(latest[0].max_ms == 30);
  for (uint64_t second = 200; second < 400; ++second) monitor.Record("command", second, second == 250 ? 99 : 15);
  auto history = monitor.History("command");
  CHECK(history.size() == LatencyMonitor::kSamplesPerEvent);
  CHECK(history.front().time_s == 240);
  CHECK(history.back().time_s == 399);
  CHECK(monitor.Latest()[0].max_ms == 99);
  CHECK(monitor.History("other").empty());
  CHECK(monitor.Reset({"fast-command", "other"}) == 1);
  CHECK(monitor.Reset({}) == 1);
  CHECK(monitor.Latest().empty());
}

TEST_CASE("latency histogram buckets: at most 1, 2, 4... microseconds") {
  CHECK(CommandStats::BucketOf(0) == 0);
  CHECK(CommandStats::BucketOf(1) == 0);
  CHECK(CommandStats::BucketOf(2) == 1);
  CHECK(CommandStats::BucketOf(3) == 2);
  CHECK(CommandStats::BucketOf(4) == 2);
  CHECK(CommandStats::BucketOf(5) == 3);
  CHECK(CommandStats::BucketOf(1024) == 10);
  CHECK(CommandStats::BucketOf(UINT64_MAX) == CommandStats::kLatencyBuckets - 1);
  CommandStats stats(2);
  stats.Ran(1, 3, false);
  stats.Ran(1, 3, false);
  stats.Ran(1, 100, false);
  auto totals = stats.Commands();
  CHECK(totals[1].calls == 3);
  CHECK(totals[1].buckets[2] == 2);
  CHECK(totals[1].buckets[7] == 1);
  stats.Reset();
  CHECK(stats.Commands()[1].buckets[2] == 0);
}

}  // namespace kvd::server
