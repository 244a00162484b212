// Parsing what a sentinel polls: INFO replication of redis-server 7 and of
// kvd, masters and replicas, full INFO, CRLF and LF, and malformed fields.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "roles/sentinel/monitor/instance_info.h"

namespace kvd::sentinel {
namespace {

// redis-server 7.0 master with one online and one syncing replica.
constexpr std::string_view kRedisMaster =
    "# Replication\r\n"
    "role:master\r\n"
    "connected_slaves:2\r\n"
    "slave0:ip=10.0.0.2,port=6379,state=online,offset=123456,lag=0\r\n"
    "slave1:ip=10.0.0.3,port=6379,state=wait_bgsave,offset=0,lag=1\r\n"
    "master_failover_state:no-failover\r\n"
    "master_replid:8d6c3d0b1f1f4e6b8a8a2e2f3d1c0b9a8f7e6d5c\r\n"
    "master_replid2:0000000000000000000000000000000000000000\r\n"
    "master_repl_offset:123456\r\n"
    "second_repl_offset:-1\r\n"
    "repl_backlog_active:1\r\n"
    "repl_backlog_size:1048576\r\n"
    "repl_backlog_first_byte_offset:1\r\n"
    "repl_backlog_histlen:123456\r\n";

// redis-server 7.0 replica whose link to the master is down.
constexpr std::string_view kRedisReplicaLinkDown =
    "# Replication\r\n"
    "role:slave\r\n"
    "master_host:10.0.0.1\r\n"
    "master_port:6379\r\n"
    "master_link_status:down\r\n"
    "master_last_io_seconds_ago:-1\r\n"
    "master_sync_in_progress:0\r\n"
    "slave_read_repl_offset:5000\r\n"
    "slave_repl_offset:5000\r\n"
    "master_link_down_since_seconds:12\r\n"
    "slave_priority:50\r\n"
    "slave_read_only:1\r\n"
    "replica_announced:1\r\n"
    "connected_slaves:0\r\n"
    "master_failover_state:no-failover\r\n"
    "master_replid:8d6c3d0b1f1f4e6b8a8a2e2f3d1c0b9a8f7e6d5c\r\n"
    "master_replid2:0000000000000000000000000000000000000000\r\n"
    "master_repl_offset:5000\r\n"
    "second_repl_offset:-1\r\n"
    "repl_backlog_active:1\r\n"
    "repl_backlog_size:1048576\r\n"
    "repl_backlog_first_byte_offset:1\r\n"
    "repl_backlog_histlen:5000\r\n";

// kvd master in sync mode (the field order of roles/server/commands/replication.cpp).
constexpr std::string_view kKvdMaster =
    "# Replication\r\n"
    "role:master\r\n"
    "connected_slaves:1\r\n"
    "slave0:ip=127.0.0.1,port=6381,state=online,offset=98765,lag=0\r\n"
    "master_replid:5f0e6c1b2a3d4e5f60718293a4b5c6d7e8f90a1b\r\n"
    "master_replid2:0000000000000000000000000000000000000000\r\n"
    "master_repl_offset:98770\r\n"
    "second_repl_offset:-1\r\n"
    "replication_mode:sync\r\n"
    "min_replica_acks:1\r\n"
    "semi_sync_fallback_active:0\r\n"
    "semi_sync_timeouts:3\r\n"
    "sync_unknown_outcomes:0\r\n";

// kvd replica, chained: it feeds a replica of its own.
constexpr std::string_view kKvdReplica =
    "# Replication\r\n"
    "role:slave\r\n"
    "master_host:127.0.0.1\r\n"
    "master_port:6380\r\n"
    "master_link_status:up\r\n"
    "master_last_io_seconds_ago:0\r\n"
    "master_sync_in_progress:0\r\n"
    "slave_read_repl_offset:98765\r\n"
    "slave_repl_offset:98765\r\n"
    "slave_priority:100\r\n"
    "slave_read_only:1\r\n"
    "replica_announced:1\r\n"
    "connected_slaves:1\r\n"
    "slave0:ip=127.0.0.1,port=6382,state=online,offset=98000,lag=1\r\n"
    "master_replid:5f0e6c1b2a3d4e5f60718293a4b5c6d7e8f90a1b\r\n"
    "master_replid2:0000000000000000000000000000000000000000\r\n"
    "master_repl_offset:98765\r\n"
    "second_repl_offset:-1\r\n"
    "replication_mode:async\r\n"
    "min_replica_acks:1\r\n"
    "semi_sync_fallback_active:0\r\n"
    "semi_sync_timeouts:0\r\n"
    "sync_unknown_outcomes:0\r\n";

InstanceInfo MustParse(std::string_view text) {
  auto parsed = ParseInfoReplication(text);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  return std::move(parsed).value();
}

// The error of a text that must not parse; its message must name `field`.
void CheckRejected(std::string_view text, std::string_view field) {
  auto parsed = ParseInfoReplication(text);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().Is(Status::Code::kInvalidArgument));
  CHECK_MESSAGE(parsed.status().message().find(field) != std::string::npos, parsed.status().message());
}

std::string ToLf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '\r') out += c;
  }
  return out;
}

TEST_SUITE("sentinel instance info") {
  TEST_CASE("sentinel info: redis-server 7 master") {
    auto info = MustParse(kRedisMaster);
    CHECK(info.role == InstanceRole::kMaster);
    CHECK(info.run_id.empty());
    CHECK(info.connected_slaves == 2);
    CHECK(info.master_repl_offset == 123456);
    CHECK(info.master_replid == "8d6c3d0b1f1f4e6b8a8a2e2f3d1c0b9a8f7e6d5c");
    REQUIRE(info.replicas.size() == 2);
    CHECK(info.replicas[0].ip == "10.0.0.2");
    CHECK(info.replicas[0].port == 6379);
    CHECK(info.replicas[0].state == "online");
    CHECK(info.replicas[0].offset == 123456);
    CHECK(info.replicas[0].lag_seconds == 0);
    CHECK(info.replicas[1].ip == "10.0.0.3");
    CHECK(info.replicas[1].state == "wait_bgsave");
    CHECK(info.replicas[1].lag_seconds == 1);
  }

  TEST_CASE("sentinel info: redis-server 7 replica with its link down") {
    auto info = MustParse(kRedisReplicaLinkDown);
    CHECK(info.role == InstanceRole::kReplica);
    CHECK(info.master_host == "10.0.0.1");
    CHECK(info.master_port == 6379);
    CHECK_FALSE(info.master_link_up);
    CHECK_FALSE(info.master_last_io_seconds_ago.has_value());
    CHECK(info.master_link_down_since_seconds == std::optional<uint64_t>(12));
    CHECK_FALSE(info.master_sync_in_progress);
    CHECK(info.slave_repl_offset == 5000);  // not slave_read_repl_offset's value by accident
    CHECK(info.slave_priority == 50);
    CHECK(info.slave_read_only);
    CHECK(info.connected_slaves == 0);
    CHECK(info.replicas.empty());
  }

  TEST_CASE("sentinel info: kvd master, kvd-only fields ignored") {
    auto info = MustParse(kKvdMaster);
    CHECK(info.role == InstanceRole::kMaster);
    CHECK(info.master_repl_offset == 98770);
    CHECK(info.master_replid == "5f0e6c1b2a3d4e5f60718293a4b5c6d7e8f90a1b");
    REQUIRE(info.replicas.size() == 1);
    CHECK(info.replicas[0].port == 6381);
    CHECK(info.replicas[0].offset == 98765);
  }

  TEST_CASE("sentinel info: kvd chained replica") {
    auto info = MustParse(kKvdReplica);
    CHECK(info.role == InstanceRole::kReplica);
    CHECK(info.master_host == "127.0.0.1");
    CHECK(info.master_port == 6380);
    CHECK(info.master_link_up);
    CHECK(info.master_last_io_seconds_ago == std::optional<uint64_t>(0));
    CHECK_FALSE(info.master_link_down_since_seconds.has_value());
    CHECK(info.slave_repl_offset == 98765);
    CHECK(info.slave_priority == 100);
    REQUIRE(info.replicas.size() == 1);
    CHECK(info.replicas[0].port == 6382);
    CHECK(info.replicas[0].lag_seconds == 1);
  }

  TEST_CASE("sentinel info: LF line endings parse the same as CRLF") {
    auto crlf = MustParse(kKvdReplica);
    auto lf = MustParse(ToLf(kKvdReplica));
    CHECK(lf.master_host == crlf.master_host);
    CHECK(lf.master_replid == crlf.master_replid);
    CHECK(lf.slave_repl_offset == crlf.slave_repl_offset);
    REQUIRE(lf.replicas.size() == 1);
    CHECK(lf.replicas[0].lag_seconds == 1);
  }

  TEST_CASE("sentinel info: full INFO text gives the run id and ignores other sections") {
    std::string full =
        "# Server\r\n"
        "redis_version:7.0.15\r\n"
        "redis_mode:standalone\r\n"
        "process_id:4242\r\n"
        "run_id:0123456789abcdef0123456789abcdef01234567\r\n"
        "tcp_port:6380\r\n"
        "\r\n"
        "# Clients\r\n"
        "connected_clients:3\r\n"
        "\r\n";
    full += kKvdReplica;
    full += "\r\n# Keyspace\r\ndb0:keys=10,expires=0,avg_ttl=0\r\n";
    auto info = MustParse(full);
    CHECK(info.run_id == "0123456789abcdef0123456789abcdef01234567");
    CHECK(info.role == InstanceRole::kReplica);
    CHECK(info.replicas.size() == 1);
  }

  TEST_CASE("sentinel info: defaults when fields are missing") {
    auto info = MustParse("role:slave\nmaster_host:h\nmaster_port:1\n");
    CHECK(info.slave_priority == 100);
    CHECK(info.slave_read_only);
    CHECK(info.slave_repl_offset == 0);
    CHECK_FALSE(info.master_link_up);
    CHECK(info.replicas.empty());
  }

  TEST_CASE("sentinel info: priority 0 and a writable replica") {
    auto info = MustParse("role:slave\r\nslave_priority:0\r\nslave_read_only:0\r\n");
    CHECK(info.slave_priority == 0);
    CHECK_FALSE(info.slave_read_only);
  }

  TEST_CASE("sentinel info: unknown fields and lines without a colon are ignored") {
    auto info = MustParse("role:master\r\nfuture_field:whatever\r\nnot a field\r\nslave_something_new:x\r\n");
    CHECK(info.role == InstanceRole::kMaster);
    CHECK(info.replicas.empty());
  }

  TEST_CASE("sentinel info: replica lines tolerate extra attributes and IPv6 addresses") {
    auto info = MustParse("role:master\nslave0:ip=::1,port=7000,state=online,offset=5,lag=0,future=1\n");
    REQUIRE(info.replicas.size() == 1);
    CHECK(info.replicas[0].ip == "::1");
    CHECK(info.replicas[0].port == 7000);
    CHECK(info.replicas[0].offset == 5);
  }

  TEST_CASE("sentinel info: no role is an error") {
    CheckRejected("", "role");
    CheckRejected("# Replication\r\nconnected_slaves:0\r\n", "role");
    CheckRejected("role:sentinel\r\n", "role");
    CheckRejected("role:\r\n", "role");
  }

  TEST_CASE("sentinel info: malformed numbers name the field") {
    CheckRejected("role:slave\r\nmaster_port:abc\r\n", "master_port");
    CheckRejected("role:slave\r\nmaster_port:0\r\n", "master_port");
    CheckRejected("role:slave\r\nmaster_port:65536\r\n", "master_port");
    CheckRejected("role:slave\r\nslave_repl_offset:-5\r\n", "slave_repl_offset");
    CheckRejected("role:slave\r\nslave_repl_offset:12x\r\n", "slave_repl_offset");
    CheckRejected("role:slave\r\nslave_repl_offset:\r\n", "slave_repl_offset");
    CheckRejected("role:slave\r\nslave_repl_offset:99999999999999999999999\r\n", "slave_repl_offset");
    CheckRejected("role:master\r\nmaster_repl_offset: 1\r\n", "master_repl_offset");
    CheckRejected("role:master\r\nconnected_slaves:two\r\n", "connected_slaves");
    CheckRejected("role:slave\r\nslave_priority:-1\r\n", "slave_priority");
    CheckRejected("role:slave\r\nslave_priority:3000000000\r\n", "slave_priority");
    CheckRejected("role:slave\r\nmaster_last_io_seconds_ago:-2\r\n", "master_last_io_seconds_ago");
    CheckRejected("role:slave\r\nmaster_link_down_since_seconds:x\r\n", "master_link_down_since_seconds");
  }

  TEST_CASE("sentinel info: malformed flags and link status name the field") {
    CheckRejected("role:slave\r\nmaster_link_status:maybe\r\n", "master_link_status");
    CheckRejected("role:slave\r\nmaster_sync_in_progress:yes\r\n", "master_sync_in_progress");
    CheckRejected("role:slave\r\nslave_read_only:2\r\n", "slave_read_only");
  }

  TEST_CASE("sentinel info: malformed replica lines name the line and the attribute") {
    CheckRejected("role:master\r\nslave0:ip=10.0.0.2,state=online\r\n", "slave0");
    CheckRejected("role:master\r\nslave0:port=6379\r\n", "slave0");
    CheckRejected("role:master\r\nslave0:ip=,port=6379\r\n", "slave0");
    CheckRejected("role:master\r\nslave3:ip=a,port=x\r\n", "'slave3': port");
    CheckRejected("role:master\r\nslave0:ip=a,port=1,offset=-1\r\n", "offset");
    CheckRejected("role:master\r\nslave0:ip=a,port=1,lag=z\r\n", "lag");
    CheckRejected("role:master\r\nslave0:10.0.0.2,6379,online\r\n", "key=value");  // pre-2.8 format
  }

  TEST_CASE("sentinel info: a huge bad value is quoted only in part") {
    std::string text = "role:slave\r\nmaster_port:" + std::string(10000, '9') + "\r\n";
    auto parsed = ParseInfoReplication(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().size() < 200);
  }

  TEST_CASE("sentinel info: every truncation of real replies parses or fails cleanly") {
    for (std::string_view text : {kRedisMaster, kRedisReplicaLinkDown, kKvdMaster, kKvdReplica}) {
      for (size_t length = 0; length <= text.size(); ++length) {
        auto parsed = ParseInfoReplication(text.substr(0, length));
        if (!parsed.ok()) CHECK_FALSE(parsed.status().message().empty());
      }
    }
  }

  TEST_CASE("sentinel info: ParseConnectedReplica alone") {
    auto replica = ParseConnectedReplica("ip=10.1.2.3,port=6390,state=online,offset=42,lag=7");
    REQUIRE(replica.ok());
    CHECK(replica->ip == "10.1.2.3");
    CHECK(replica->port == 6390);
    CHECK(replica->offset == 42);
    CHECK(replica->lag_seconds == 7);
    CHECK_FALSE(ParseConnectedReplica("").ok());
  }
}

}  // namespace
}  // namespace kvd::sentinel
