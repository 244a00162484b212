#include "cluster/topology/json_codec.h"

#include <limits>

namespace kvd::cluster::topology {

Json ReplicasToJson(const std::vector<Replica>& replicas) {
  Json json = Json::array();
  for (const Replica& replica : replicas) json.push_back({{"address", replica.address}, {"priority", replica.priority}});
  return json;
}

Status ReplicasFromJson(const Json& json, std::vector<Replica>* replicas) {
  if (!json.is_array()) return Status::InvalidArgument("replicas must be an array");
  replicas->clear();
  for (const Json& item : json) {
    if (!item.is_object()) return Status::InvalidArgument("a replica must be a JSON object");
    JsonFields fields(item, "replica");
    Replica replica;
    uint64_t priority = replica.priority;
    KVD_RETURN_IF_ERROR(fields.String("address", &replica.address));
    KVD_RETURN_IF_ERROR(fields.OptionalU64("priority", &priority));
    KVD_RETURN_IF_ERROR(fields.Finish());
    if (priority > std::numeric_limits<uint32_t>::max()) return Status::InvalidArgument("replica priority too large");
    replica.priority = static_cast<uint32_t>(priority);
    replicas->push_back(std::move(replica));
  }
  return Status::Ok();
}

Json RangesToJson(const std::vector<SlotRange>& ranges) {
  Json json = Json::array();
  for (const SlotRange& range : ranges) json.push_back({range.first, range.last});
  return json;
}

Status RangesFromJson(const Json& json, std::vector<SlotRange>* ranges) {
  if (!json.is_array() || json.empty()) return Status::InvalidArgument("ranges must be a non-empty array");
  ranges->clear();
  for (const Json& item : json) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_number_unsigned() || !item[1].is_number_unsigned()) {
      return Status::InvalidArgument("a slot range must be [first, last]");
    }
    uint64_t first = item[0].get<uint64_t>();
    uint64_t last = item[1].get<uint64_t>();
    if (last >= kSlotCount) return Status::InvalidArgument("slot " + std::to_string(last) + " out of range");
    SlotRange range{static_cast<uint16_t>(first), static_cast<uint16_t>(last)};
    KVD_RETURN_IF_ERROR(ValidateRange(range));
    ranges->push_back(range);
  }
  return Status::Ok();
}

Json GroupToJson(const Group& group) {
  Json json = {{"name", group.name},
               {"master", group.master},
               {"replicas", ReplicasToJson(group.replicas)},
               {"config_epoch", group.config_epoch}};
  if (group.auth_pass) json["auth_pass"] = *group.auth_pass;
  return json;
}

Status GroupFromJson(const Json& json, Group* group) {
  if (!json.is_object()) return Status::InvalidArgument("a group must be a JSON object");
  JsonFields fields(json, "group");
  const Json* replicas = nullptr;
  KVD_RETURN_IF_ERROR(fields.String("name", &group->name));
  KVD_RETURN_IF_ERROR(fields.String("master", &group->master));
  KVD_RETURN_IF_ERROR(fields.Array("replicas", &replicas));
  KVD_RETURN_IF_ERROR(fields.U64("config_epoch", &group->config_epoch));
  KVD_RETURN_IF_ERROR(fields.OptionalString("auth_pass", &group->auth_pass));
  KVD_RETURN_IF_ERROR(fields.Finish());
  KVD_RETURN_IF_ERROR(ReplicasFromJson(*replicas, &group->replicas));
  KVD_RETURN_IF_ERROR(ValidateGroupName(group->name));
  KVD_RETURN_IF_ERROR(ValidateAddress(group->master));
  return ValidateReplicas(group->replicas, group->master);
}

Json ProxyToJson(const Proxy& proxy) {
  return {{"id", proxy.id}, {"address", proxy.address}, {"last_seen_ms", proxy.last_seen_ms}};
}

Status ProxyFromJson(const Json& json, Proxy* proxy) {
  if (!json.is_object()) return Status::InvalidArgument("a proxy must be a JSON object");
  JsonFields fields(json, "proxy");
  KVD_RETURN_IF_ERROR(fields.String("id", &proxy->id));
  KVD_RETURN_IF_ERROR(fields.String("address", &proxy->address));
  KVD_RETURN_IF_ERROR(fields.U64("last_seen_ms", &proxy->last_seen_ms));
  KVD_RETURN_IF_ERROR(fields.Finish());
  KVD_RETURN_IF_ERROR(ValidateProxyId(proxy->id));
  return ValidateAddress(proxy->address);
}

}  // namespace kvd::cluster::topology
