// Snapshot and restore of the topology store as one JSON document:
//
//   {"format":1,"version":12,"applied_index":40,
//    "groups":[{"name":"g1","master":"h:p","replicas":[...],"config_epoch":3}],
//    "slots":[{"first":0,"last":511,"group":"g1"},
//             {"first":512,"last":520,"group":"g1","migrating_to":"g2"}],
//    "proxies":[{"id":"p1","address":"h:p","last_seen_ms":1700000000000}]}
//
// Slots are stored as runs of consecutive slots in the same state;
// unassigned slots are left out.
#include "cluster/topology/json_codec.h"
#include "cluster/topology/store.h"

namespace kvd::cluster::topology {
namespace {

constexpr uint64_t kSnapshotFormat = 1;

Json SlotRunToJson(size_t first, size_t last, const SlotState& state) {
  Json json = {{"first", first}, {"last", last}, {"group", state.group}};
  if (!state.migrating_to.empty()) json["migrating_to"] = state.migrating_to;
  return json;
}

Json SlotsToJson(const std::array<SlotState, kSlotCount>& slots) {
  Json runs = Json::array();
  size_t first = 0;
  for (size_t slot = 1; slot <= slots.size(); ++slot) {
    if (slot < slots.size() && slots[slot] == slots[first]) continue;
    if (!slots[first].group.empty()) runs.push_back(SlotRunToJson(first, slot - 1, slots[first]));
    first = slot;
  }
  return runs;
}

Status SlotRunFromJson(const Json& json, const Topology& topology, std::array<bool, kSlotCount>& seen,
                       std::array<SlotState, kSlotCount>& slots) {
  if (!json.is_object()) return Status::InvalidArgument("a slot run must be a JSON object");
  JsonFields fields(json, "slot run");
  uint64_t first = 0;
  uint64_t last = 0;
  SlotState state;
  std::optional<std::string> migrating_to;
  KVD_RETURN_IF_ERROR(fields.U64("first", &first));
  KVD_RETURN_IF_ERROR(fields.U64("last", &last));
  KVD_RETURN_IF_ERROR(fields.String("group", &state.group));
  KVD_RETURN_IF_ERROR(fields.OptionalString("migrating_to", &migrating_to));
  KVD_RETURN_IF_ERROR(fields.Finish());
  state.migrating_to = migrating_to.value_or("");
  if (first > last || last >= kSlotCount) return Status::InvalidArgument("slot run out of range");
  if (!topology.groups.count(state.group)) return Status::InvalidArgument("slot run of unknown group '" + state.group + "'");
  if (migrating_to && (!topology.groups.count(*migrating_to) || *migrating_to == state.group)) {
    return Status::InvalidArgument("slot run migrating to an invalid group");
  }
  for (size_t slot = first; slot <= last; ++slot) {
    if (seen[slot]) return Status::InvalidArgument("slot " + std::to_string(slot) + " appears twice");
    seen[slot] = true;
    slots[slot] = state;
  }
  return Status::Ok();
}

Status GroupsFromJson(const Json& json, Topology* topology) {
  for (const Json& item : json) {
    Group group;
    KVD_RETURN_IF_ERROR(GroupFromJson(item, &group));
    std::string name = group.name;
    if (!topology->groups.emplace(name, std::move(group)).second) {
      return Status::InvalidArgument("group '" + name + "' appears twice");
    }
  }
  return Status::Ok();
}

Status ProxiesFromJson(const Json& json, Topology* topology) {
  for (const Json& item : json) {
    Proxy proxy;
    KVD_RETURN_IF_ERROR(ProxyFromJson(item, &proxy));
    std::string id = proxy.id;
    if (!topology->proxies.emplace(id, std::move(proxy)).second) {
      return Status::InvalidArgument("proxy '" + id + "' appears twice");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string TopologyStore::Snapshot() const {
  Json groups = Json::array();
  for (const auto& [name, group] : topology_.groups) groups.push_back(GroupToJson(group));
  Json proxies = Json::array();
  for (const auto& [id, proxy] : topology_.proxies) proxies.push_back(ProxyToJson(proxy));
  Json json = {{"format", kSnapshotFormat},       {"version", version_}, {"applied_index", applied_index_},
               {"groups", std::move(groups)},     {"slots", SlotsToJson(topology_.slots)},
               {"proxies", std::move(proxies)}};
  return DumpJson(json);
}

Status TopologyStore::Restore(std::string_view snapshot_json) {
  Result<Json> parsed = ParseJson(snapshot_json);
  if (!parsed.ok()) return parsed.status();
  const Json& json = *parsed;
  if (!json.is_object()) return Status::InvalidArgument("topology snapshot must be a JSON object");
  JsonFields fields(json, "topology snapshot");
  uint64_t format = 0;
  uint64_t version = 0;
  uint64_t applied_index = 0;
  const Json* groups = nullptr;
  const Json* slots = nullptr;
  const Json* proxies = nullptr;
  KVD_RETURN_IF_ERROR(fields.U64("format", &format));
  KVD_RETURN_IF_ERROR(fields.U64("version", &version));
  KVD_RETURN_IF_ERROR(fields.U64("applied_index", &applied_index));
  KVD_RETURN_IF_ERROR(fields.Array("groups", &groups));
  KVD_RETURN_IF_ERROR(fields.Array("slots", &slots));
  KVD_RETURN_IF_ERROR(fields.Array("proxies", &proxies));
  KVD_RETURN_IF_ERROR(fields.Finish());
  if (format != kSnapshotFormat) return Status::InvalidArgument("unsupported topology snapshot format " + std::to_string(format));

  Topology topology;
  KVD_RETURN_IF_ERROR(GroupsFromJson(*groups, &topology));
  std::array<bool, kSlotCount> seen{};
  for (const Json& run : *slots) KVD_RETURN_IF_ERROR(SlotRunFromJson(run, topology, seen, topology.slots));
  KVD_RETURN_IF_ERROR(ProxiesFromJson(*proxies, &topology));

  topology_ = std::move(topology);
  version_ = version;
  applied_index_ = applied_index;
  history_.clear();
  return Status::Ok();
}

}  // namespace kvd::cluster::topology
