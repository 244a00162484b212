// The proxy's routing table: which backend serves each of the 1024 slots.
// Built from the replicated topology (a group's slots go to its master);
// immutable, so io threads share one copy and a new topology swaps it whole.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/slot.h"
#include "cluster/topology/model.h"
#include "common/status.h"

namespace kvd::proxy {

struct Backend {
  std::string group;
  std::string address;  // host:port of the group's master
  std::string host;
  uint16_t port = 0;
  std::string auth_pass;  // empty: none
};

class RouteTable {
 public:
  static constexpr int32_t kUnassigned = -1;

  // Every group with a master becomes a backend; a slot of a group without
  // one stays unassigned. While a slot migrates it is still served by its
  // owner (the source), which holds every key not yet moved.
  static Result<RouteTable> FromTopology(const cluster::topology::Topology& topology, uint64_t version);
  // From a topology snapshot (the JSON of a sentinel's TOPOLOGY).
  static Result<RouteTable> FromSnapshot(const std::string& snapshot_json);

  int32_t BackendOfSlot(uint16_t slot) const { return slot_backend_[slot]; }
  const std::vector<Backend>& backends() const { return backends_; }
  uint64_t version() const { return version_; }
  // Commands that need no particular backend (COMMAND, TIME) go here; -1 when there is none.
  int32_t default_backend() const { return backends_.empty() ? kUnassigned : 0; }

 private:
  std::vector<Backend> backends_;
  std::array<int32_t, cluster::kSlotCount> slot_backend_{};
  uint64_t version_ = 0;
};

}  // namespace kvd::proxy
