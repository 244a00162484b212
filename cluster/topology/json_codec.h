// JSON forms of the topology's parts, shared by commands and snapshots.
// The *FromJson functions check types and value ranges and never throw.
#pragma once

#include <vector>

#include "cluster/topology/json_fields.h"
#include "cluster/topology/model.h"
#include "common/status.h"

namespace kvd::cluster::topology {

// [{"address":"h:p","priority":100}, ...]; priority defaults to 100.
Json ReplicasToJson(const std::vector<Replica>& replicas);
Status ReplicasFromJson(const Json& json, std::vector<Replica>* replicas);

// [[first,last], ...]: at least one range, each within 0..1023.
Json RangesToJson(const std::vector<SlotRange>& ranges);
Status RangesFromJson(const Json& json, std::vector<SlotRange>* ranges);

Json GroupToJson(const Group& group);
Status GroupFromJson(const Json& json, Group* group);

Json ProxyToJson(const Proxy& proxy);
Status ProxyFromJson(const Json& json, Proxy* proxy);

}  // namespace kvd::cluster::topology
