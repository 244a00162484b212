// The commands that change the topology. A sentinel builds one, encodes it
// with EncodeCommand and proposes the bytes through Raft; every node decodes
// and applies the committed bytes (TopologyStore::Apply). The encoding is a
// JSON object with an "op" field:
//
//   {"op":"add_group","group":"g1","master":"10.0.0.1:6380",
//    "replicas":[{"address":"10.0.0.2:6380","priority":100}],"auth_pass":"pw"}
//   {"op":"remove_group","group":"g1"}
//   {"op":"set_master","group":"g1","master":"10.0.0.2:6380",
//    "expected_epoch":3,"new_epoch":4,"replicas":[...]}      (replicas optional)
//   {"op":"set_replicas","group":"g1","replicas":[...]}
//   {"op":"set_auth_pass","group":"g1","auth_pass":"pw"}      (auth_pass absent: none)
//   {"op":"assign_slots","group":"g1","ranges":[[0,511],[600,600]],"force":false}
//   {"op":"begin_migration","ranges":[[5,9]],"to":"g2"}
//   {"op":"finish_migration","ranges":[[5,9]]}
//   {"op":"abort_migration","ranges":[[5,9]]}
//   {"op":"register_proxy","id":"p1","address":"10.0.0.9:19000","now_ms":1700000000000}
//   {"op":"unregister_proxy","id":"p1"}
//
// Decoding is strict (unknown fields and wrong types are errors) so that a
// mistyped command is refused rather than half understood.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cluster/topology/model.h"
#include "common/status.h"

namespace kvd::cluster::topology {

struct AddGroup {
  std::string group;
  std::string master;
  std::vector<Replica> replicas;
  std::optional<std::string> auth_pass;
};

struct RemoveGroup {
  std::string group;
};

// Compare-and-set on the group's config epoch: applies only if the group is
// still at expected_epoch, and moves it to new_epoch (> expected_epoch).
// The new master leaves the replica list; `replicas`, if given, replaces it.
struct SetMaster {
  std::string group;
  std::string master;
  uint64_t expected_epoch = 0;
  uint64_t new_epoch = 0;
  std::optional<std::vector<Replica>> replicas;
};

struct SetReplicas {
  std::string group;
  std::vector<Replica> replicas;
};
// SENTINEL SET <group> auth-pass: the password the group's servers require.
struct SetAuthPass {
  std::string group;
  std::optional<std::string> auth_pass;
};

// Gives unassigned slots to a group. Slots owned by another group are only
// taken with `force` (their data would not follow: normally use a
// migration); migrating slots never.
struct AssignSlots {
  std::string group;
  std::vector<SlotRange> ranges;
  bool force = false;
};

struct BeginMigration {
  std::vector<SlotRange> ranges;
  std::string to;
};

struct FinishMigration {
  std::vector<SlotRange> ranges;
};

struct AbortMigration {
  std::vector<SlotRange> ranges;
};

// Registers a proxy or refreshes its address and last-seen time.
struct RegisterProxy {
  std::string id;
  std::string address;
  uint64_t now_ms = 0;
};

struct UnregisterProxy {
  std::string id;
};

using Command = std::variant<AddGroup, RemoveGroup, SetMaster, SetReplicas, SetAuthPass, AssignSlots, BeginMigration,
                             FinishMigration, AbortMigration, RegisterProxy, UnregisterProxy>;

// The "op" name of a command.
const char* CommandName(const Command& command);

std::string EncodeCommand(const Command& command);
// InvalidArgument on malformed JSON, an unknown op, missing or mistyped
// fields, or values that can never be valid (bad names, addresses, ranges).
Result<Command> DecodeCommand(std::string_view json);

}  // namespace kvd::cluster::topology
