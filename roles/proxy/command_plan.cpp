#include "roles/proxy/command_plan.h"

#include <map>
#include <string_view>

#include "cluster/slot.h"
#include "common/numbers.h"
#include "protocol/resp_writer.h"
#include "roles/proxy/replies.h"

namespace kvd::proxy {

namespace {

using protocol::RespValue;

Plan ErrorPlan(const std::string& message) {
  Plan plan;
  plan.reply = ErrorReply(message);
  return plan;
}

Plan ForwardPlan(int32_t backend) {
  Plan plan;
  plan.kind = Plan::Kind::kForward;
  plan.backend = backend;
  return plan;
}

// Commands that need no particular backend, or whose error any backend gives.
Plan ForwardToAny(const RouteTable& routes) {
  if (routes.default_backend() == RouteTable::kUnassigned) return ErrorPlan("CLUSTERDOWN Hash slot not served");
  Plan plan = ForwardPlan(routes.default_backend());
  plan.any_backend = true;
  return plan;
}

Plan NotSupported(const std::string& name, std::string_view why) {
  return ErrorPlan("ERR '" + name + "' is not supported through kvd proxy (" + std::string(why) + ")");
}

// Keys split into parts by backend, in order of first appearance; `stride`
// arguments per key (2 for MSET's key value pairs).
Plan SplitByBackend(const std::vector<std::string>& args, const RouteTable& routes, size_t stride, Merge merge) {
  Plan plan;
  plan.kind = Plan::Kind::kSplit;
  plan.merge = merge;
  std::map<int32_t, size_t> part_of_backend;
  for (size_t i = 1, position = 0; i + stride - 1 < args.size(); i += stride, ++position) {
    int32_t backend = routes.BackendOfSlot(cluster::SlotOf(args[i]));
    if (backend == RouteTable::kUnassigned) return ErrorPlan("CLUSTERDOWN Hash slot not served");
    auto [entry, added] = part_of_backend.emplace(backend, plan.parts.size());
    if (added) plan.parts.push_back(Part{backend, {args[0]}, {}});
    Part& part = plan.parts[entry->second];
    for (size_t k = 0; k < stride; ++k) part.args.push_back(args[i + k]);
    part.positions.push_back(position);
    plan.values = position + 1;
  }
  if (plan.parts.size() == 1) return ForwardPlan(plan.parts.front().backend);
  return plan;
}

Plan EveryBackend(const std::vector<std::string>& args, const RouteTable& routes, Merge merge) {
  if (routes.backends().empty()) return ErrorPlan("CLUSTERDOWN Hash slot not served");
  Plan plan;
  plan.kind = Plan::Kind::kSplit;
  plan.merge = merge;
  for (size_t i = 0; i < routes.backends().size(); ++i) plan.parts.push_back(Part{static_cast<int32_t>(i), args, {}});
  return plan;
}

constexpr int kScanGroupBits = 10;
constexpr uint64_t kScanGroupMask = (uint64_t{1} << kScanGroupBits) - 1;

Plan PlanScan(const std::vector<std::string>& args, const RouteTable& routes) {
  uint64_t cursor = 0;
  if (!ParseUint64(args[1], &cursor)) return ErrorPlan("ERR invalid cursor");
  if (routes.backends().empty()) return ErrorPlan("CLUSTERDOWN Hash slot not served");
  size_t group = cursor & kScanGroupMask;
  if (group >= routes.backends().size()) {
    Plan done;
    done.reply = "*2\r\n$1\r\n0\r\n*0\r\n";
    return done;
  }
  Plan plan;
  plan.kind = Plan::Kind::kSplit;
  plan.merge = Merge::kScanCursor;
  plan.scan_group = group;
  plan.scan_groups = routes.backends().size();
  plan.parts.push_back(Part{static_cast<int32_t>(group), args, {}});
  plan.parts.front().args[1] = std::to_string(cursor >> kScanGroupBits);
  return plan;
}

// The proxy's cursor for a group's SCAN reply: the same group further on,
// the next group from its start, or 0 after the last one.
std::string MergeScan(const Plan& plan, const RespValue& reply) {
  std::string out;
  protocol::RespWriter writer(&out);
  uint64_t inner = 0;
  if (reply.elements.size() != 2 || !ParseUint64(reply.elements[0].str, &inner)) {
    writer.Error("ERR kvd proxy: unexpected SCAN reply from a backend");
    return out;
  }
  if (inner > (UINT64_MAX >> kScanGroupBits)) {
    writer.Error("ERR kvd proxy: a backend's SCAN cursor is too large to carry");
    return out;
  }
  uint64_t next = inner != 0 ? (inner << kScanGroupBits) | plan.scan_group
                             : (plan.scan_group + 1 < plan.scan_groups ? plan.scan_group + 1 : 0);
  writer.ArrayHeader(2);
  writer.Bulk(std::to_string(next));
  writer.ArrayHeader(reply.elements[1].elements.size());
  for (const auto& key : reply.elements[1].elements) writer.Bulk(key.str);
  return out;
}

Plan PlanKeyless(const std::string& name, const std::vector<std::string>& args, const RouteTable& routes) {
  if (name == "dbsize") return EveryBackend(args, routes, Merge::kSumIntegers);
  if (name == "flushall" || name == "flushdb") return EveryBackend(args, routes, Merge::kAllOk);
  // (PING and ECHO get here only inside a transaction, where they are queued.)
  if (Named(name, {"command", "time", "ping", "echo"})) return ForwardToAny(routes);
  if (name == "keys" && args.size() == 2) return EveryBackend(args, routes, Merge::kConcatenate);
  if (name == "scan" && args.size() >= 2) return PlanScan(args, routes);
  if (name == "randomkey") return NotSupported(name, "its keys span every group");
  return NotSupported(name, "it names no key to route by");
}

}  // namespace

Plan PlanCommand(const std::vector<std::string>& args, const KeyTable& keys, const RouteTable& routes) {
  const std::string& name = args[0];
  const KeySpec* spec = keys.Find(name);
  if (spec == nullptr) {
    return ForwardToAny(routes);  // the backends do not know it: one answers with its own error
  }
  // Every channel lives on the default backend, where the session subscribes (client_session.h).
  if (spec->pubsub) return ForwardToAny(routes);
  bool splittable = Named(name, {"mget", "mset", "del", "unlink", "exists", "touch"});
  bool well_formed = name == "mset" ? args.size() >= 3 && args.size() % 2 == 1 : args.size() >= 2;
  if (splittable && !well_formed) return ForwardToAny(routes);  // the backend names the arity error
  if (name == "mget") return SplitByBackend(args, routes, 1, Merge::kValuesByPosition);
  if (name == "mset") return SplitByBackend(args, routes, 2, Merge::kAllOk);
  if (splittable) return SplitByBackend(args, routes, 1, Merge::kSumIntegers);

  std::vector<size_t> key_indexes = keys.KeyIndexes(*spec, args);
  if (key_indexes.empty()) {
    // Too few arguments for its keys (or a key count of 0): the backend says so.
    if (KeyTable::TakesKeys(*spec, name)) return ForwardToAny(routes);
    return PlanKeyless(name, args, routes);
  }
  int32_t backend = routes.BackendOfSlot(cluster::SlotOf(args[key_indexes.front()]));
  for (size_t index : key_indexes) {
    int32_t other = routes.BackendOfSlot(cluster::SlotOf(args[index]));
    if (other == RouteTable::kUnassigned) return ErrorPlan("CLUSTERDOWN Hash slot not served");
    if (other != backend) return ErrorPlan("CROSSSLOT Keys in request don't hash to the same slot");
  }
  Plan plan = ForwardPlan(backend);
  plan.blocking = spec->blocking;
  return plan;
}

std::string MergeReplies(const Plan& plan, const std::vector<RespValue>& replies) {
  std::string out;
  protocol::RespWriter writer(&out);
  for (const auto& reply : replies) {
    if (reply.IsError()) {
      writer.Error(reply.str);
      return out;
    }
  }
  switch (plan.merge) {
    case Merge::kSumIntegers: {
      int64_t sum = 0;
      for (const auto& reply : replies) sum += reply.integer;
      writer.Integer(sum);
      break;
    }
    case Merge::kAllOk:
      writer.SimpleString("OK");
      break;
    case Merge::kScanCursor:
      return MergeScan(plan, replies.front());
    case Merge::kConcatenate: {
      size_t count = 0;
      for (const auto& reply : replies) count += reply.elements.size();
      writer.ArrayHeader(count);
      for (const auto& reply : replies) {
        for (const auto& element : reply.elements) writer.Bulk(element.str);
      }
      break;
    }
    case Merge::kValuesByPosition: {
      std::vector<const RespValue*> values(plan.values, nullptr);
      for (size_t p = 0; p < plan.parts.size() && p < replies.size(); ++p) {
        const auto& positions = plan.parts[p].positions;
        for (size_t i = 0; i < positions.size() && i < replies[p].elements.size(); ++i) {
          values[positions[i]] = &replies[p].elements[i];
        }
      }
      writer.ArrayHeader(values.size());
      for (const RespValue* value : values) {
        if (value == nullptr || value->IsNull()) {
          writer.NullBulk();
        } else {
          writer.Bulk(value->str);
        }
      }
      break;
    }
  }
  return out;
}

}  // namespace kvd::proxy
