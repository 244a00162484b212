#include "roles/proxy/routes.h"

#include <map>

#include "cluster/address.h"
#include "cluster/topology/store.h"

namespace kvd::proxy {

Result<RouteTable> RouteTable::FromTopology(const cluster::topology::Topology& topology, uint64_t version) {
  RouteTable table;
  table.version_ = version;
  std::map<std::string, int32_t, std::less<>> index_of_group;
  for (const auto& [name, group] : topology.groups) {
    if (group.master.empty()) continue;
    Backend backend{name, group.master, "", 0, group.auth_pass.value_or("")};
    if (!cluster::SplitAddress(group.master, &backend.host, &backend.port)) {
      return Status::InvalidArgument("group '" + name + "' has a bad master address '" + group.master + "'");
    }
    if (backend.host.size() > 2 && backend.host.front() == '[' && backend.host.back() == ']') {
      backend.host = backend.host.substr(1, backend.host.size() - 2);
    }
    index_of_group[name] = static_cast<int32_t>(table.backends_.size());
    table.backends_.push_back(std::move(backend));
  }
  for (uint16_t slot = 0; slot < cluster::kSlotCount; ++slot) {
    auto found = index_of_group.find(topology.slots[slot].group);
    table.slot_backend_[slot] = found == index_of_group.end() ? kUnassigned : found->second;
  }
  return table;
}

Result<RouteTable> RouteTable::FromSnapshot(const std::string& snapshot_json) {
  cluster::topology::TopologyStore store;
  KVD_RETURN_IF_ERROR(store.Restore(snapshot_json));
  return FromTopology(store.topology(), store.version());
}

}  // namespace kvd::proxy
