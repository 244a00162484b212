// What a sentinel learns from polling `INFO replication` (or the whole `INFO`)
// of a kvd server or a plain redis-server 7. Both answer with the same field
// names, so one parser serves both.
//
// The text is "key:value" lines ending in CRLF or LF, with "# Section" headers
// and blank lines between sections. Fields this parser does not know
// (kvd's replication_mode and semi_sync_*, Redis's repl_backlog_*, every other
// INFO section) are ignored, so a newer server never breaks the sentinel. A
// field it does know but cannot read is an error naming the field: acting on a
// half-understood reply (say, offset 0 for a replica that is fully caught up)
// could promote the wrong replica.
//
// ROLE is not parsed: INFO replication carries everything ROLE does and more
// (priority, link status), so the sentinel polls INFO only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kvd::sentinel {

enum class InstanceRole { kMaster, kReplica };

// One "slaveN:ip=..,port=..,state=..,offset=..,lag=.." line of a master.
struct ConnectedReplica {
  std::string ip;
  uint16_t port = 0;
  std::string state;  // "online", "wait_bgsave", "send_bulk", ... (kvd: always "online")
  uint64_t offset = 0;
  uint64_t lag_seconds = 0;
};

struct InstanceInfo {
  InstanceRole role = InstanceRole::kMaster;
  std::string run_id;  // from the Server section; empty when only INFO replication was polled

  // Replica side: meaningful only when role == kReplica.
  std::string master_host;
  uint16_t master_port = 0;
  bool master_link_up = false;
  // nullopt for "-1": the replica never heard from its master.
  std::optional<uint64_t> master_last_io_seconds_ago;
  // Only redis-server reports it (while the link is down; nullopt for "-1").
  // kvd does not, so a sentinel must also track link-down time itself.
  std::optional<uint64_t> master_link_down_since_seconds;
  bool master_sync_in_progress = false;
  uint64_t slave_repl_offset = 0;
  int slave_priority = 100;  // Redis's default when the field is missing; 0 = never promote
  bool slave_read_only = true;

  // Both roles.
  uint64_t master_repl_offset = 0;
  std::string master_replid;
  uint64_t connected_slaves = 0;
  std::vector<ConnectedReplica> replicas;  // in the order of the slaveN lines
};

// Errors (Status::InvalidArgument): no `role` field (e.g. the instance is a
// sentinel), an unknown role, or a known field with a malformed value.
Result<InstanceInfo> ParseInfoReplication(std::string_view info_text);

// Parses the value of one "slaveN" line. Exposed for tests.
Result<ConnectedReplica> ParseConnectedReplica(std::string_view value);

}  // namespace kvd::sentinel
