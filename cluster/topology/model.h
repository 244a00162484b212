// The cluster topology the sentinels replicate with Raft and the proxies
// route by: master groups, the owner (and migration state) of each of the
// 1024 slots, and the registered proxies. Plain data plus the validation
// rules shared by commands and snapshots.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/slot.h"
#include "common/status.h"

namespace kvd::cluster::topology {

struct Replica {
  std::string address;  // host:port
  // Failover preference as Redis's replica-priority: lower is preferred,
  // 0 means never promote this replica.
  uint32_t priority = 100;

  bool operator==(const Replica&) const = default;
};

struct Group {
  std::string name;
  std::string master;  // host:port
  std::vector<Replica> replicas;
  // Raised by every change of master. A set_master names the epoch it was
  // decided on, so of two racing failovers only the first one applies.
  uint64_t config_epoch = 0;
  std::optional<std::string> auth_pass;  // password of the group's servers, if any

  bool operator==(const Group&) const = default;
};

struct SlotState {
  std::string group;         // owner; empty = unassigned
  std::string migrating_to;  // target group while a migration runs; empty = none

  bool operator==(const SlotState&) const = default;
};

struct Proxy {
  std::string id;
  std::string address;  // host:port clients connect to
  uint64_t last_seen_ms = 0;  // wall clock of the proposer at registration / refresh

  bool operator==(const Proxy&) const = default;
};

// Slots first..last, inclusive.
struct SlotRange {
  uint16_t first = 0;
  uint16_t last = 0;

  bool operator==(const SlotRange&) const = default;
};

struct Topology {
  std::map<std::string, Group, std::less<>> groups;
  std::array<SlotState, kSlotCount> slots;
  std::map<std::string, Proxy, std::less<>> proxies;

  bool operator==(const Topology&) const = default;
};

// Letters, digits, '_', '-', '.'; 1 to 64 characters.
Status ValidateGroupName(std::string_view name);
// "host:port" (or "[ipv6]:port") with a port in 1..65535.
Status ValidateAddress(std::string_view address);
// Printable ASCII without spaces; 1 to 128 characters.
Status ValidateProxyId(std::string_view id);
// Valid, distinct addresses, none of them the master's.
Status ValidateReplicas(const std::vector<Replica>& replicas, std::string_view master);
Status ValidateRange(const SlotRange& range);

}  // namespace kvd::cluster::topology
