// The rules of each topology command: CheckCommand decides against the
// current state (and changes nothing), Mutate then applies a checked
// command. Splitting them keeps every command all-or-nothing.
#include <algorithm>

#include "cluster/topology/store.h"

namespace kvd::cluster::topology {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

Status NoGroup(const std::string& name) { return Status::NotFound("no group '" + name + "'"); }

std::string SlotName(size_t slot) { return "slot " + std::to_string(slot); }

// Calls `check` for every slot of `ranges` until one fails.
template <typename Check>
Status ForEachSlot(const std::vector<SlotRange>& ranges, Check check) {
  for (const SlotRange& range : ranges) {
    for (size_t slot = range.first; slot <= range.last; ++slot) KVD_RETURN_IF_ERROR(check(slot));
  }
  return Status::Ok();
}

template <typename Change>
void ChangeSlots(Topology& topology, const std::vector<SlotRange>& ranges, Change change) {
  for (const SlotRange& range : ranges) {
    for (size_t slot = range.first; slot <= range.last; ++slot) change(topology.slots[slot]);
  }
}

Status CheckAddGroup(const Topology& t, const AddGroup& c) {
  if (t.groups.count(c.group)) return Status::Aborted("group '" + c.group + "' already exists");
  return Status::Ok();
}

Status CheckRemoveGroup(const Topology& t, const RemoveGroup& c) {
  if (!t.groups.count(c.group)) return NoGroup(c.group);
  for (size_t slot = 0; slot < t.slots.size(); ++slot) {
    if (t.slots[slot].group == c.group || t.slots[slot].migrating_to == c.group) {
      return Status::Aborted("group '" + c.group + "' still has " + SlotName(slot));
    }
  }
  return Status::Ok();
}

Status CheckSetMaster(const Topology& t, const SetMaster& c) {
  auto group = t.groups.find(c.group);
  if (group == t.groups.end()) return NoGroup(c.group);
  if (group->second.config_epoch != c.expected_epoch) {
    return Status::Aborted("stale config epoch " + std::to_string(c.expected_epoch) + ": group '" + c.group +
                           "' is at epoch " + std::to_string(group->second.config_epoch));
  }
  return Status::Ok();
}

Status CheckSetReplicas(const Topology& t, const SetReplicas& c) {
  auto group = t.groups.find(c.group);
  if (group == t.groups.end()) return NoGroup(c.group);
  return ValidateReplicas(c.replicas, group->second.master);
}

Status CheckAssignSlots(const Topology& t, const AssignSlots& c) {
  if (!t.groups.count(c.group)) return NoGroup(c.group);
  return ForEachSlot(c.ranges, [&](size_t slot) {
    const SlotState& state = t.slots[slot];
    if (!state.migrating_to.empty()) return Status::Aborted(SlotName(slot) + " is migrating");
    if (!state.group.empty() && state.group != c.group && !c.force) {
      return Status::Aborted(SlotName(slot) + " belongs to group '" + state.group + "' (migrate it, or force)");
    }
    return Status::Ok();
  });
}

Status CheckBeginMigration(const Topology& t, const BeginMigration& c) {
  if (!t.groups.count(c.to)) return NoGroup(c.to);
  return ForEachSlot(c.ranges, [&](size_t slot) {
    const SlotState& state = t.slots[slot];
    if (state.group.empty()) return Status::Aborted(SlotName(slot) + " is not assigned");
    if (!state.migrating_to.empty()) return Status::Aborted(SlotName(slot) + " is already migrating");
    if (state.group == c.to) return Status::Aborted(SlotName(slot) + " already belongs to '" + c.to + "'");
    return Status::Ok();
  });
}

Status CheckMigrating(const Topology& t, const std::vector<SlotRange>& ranges) {
  return ForEachSlot(ranges, [&](size_t slot) {
    if (t.slots[slot].migrating_to.empty()) return Status::Aborted(SlotName(slot) + " is not migrating");
    return Status::Ok();
  });
}

Status CheckUnregisterProxy(const Topology& t, const UnregisterProxy& c) {
  if (!t.proxies.count(c.id)) return Status::NotFound("no proxy '" + c.id + "'");
  return Status::Ok();
}

// Ranges may overlap, so a slot can come up twice: only the first finishes.
void FinishSlotMigration(SlotState& slot) {
  if (slot.migrating_to.empty()) return;
  slot.group = std::move(slot.migrating_to);
  slot.migrating_to.clear();
}

void SetMasterOf(Group& group, const SetMaster& c) {
  group.master = c.master;
  group.config_epoch = c.new_epoch;
  if (c.replicas) {
    group.replicas = *c.replicas;
  } else {
    std::erase_if(group.replicas, [&](const Replica& r) { return r.address == c.master; });
  }
}

}  // namespace

Status TopologyStore::CheckCommand(const Command& command) const {
  const Topology& t = topology_;
  return std::visit(Overloaded{
                        [&](const AddGroup& c) { return CheckAddGroup(t, c); },
                        [&](const RemoveGroup& c) { return CheckRemoveGroup(t, c); },
                        [&](const SetMaster& c) { return CheckSetMaster(t, c); },
                        [&](const SetReplicas& c) { return CheckSetReplicas(t, c); },
                        [&](const SetAuthPass& c) { return t.groups.count(c.group) ? Status::Ok() : NoGroup(c.group); },
                        [&](const AssignSlots& c) { return CheckAssignSlots(t, c); },
                        [&](const BeginMigration& c) { return CheckBeginMigration(t, c); },
                        [&](const FinishMigration& c) { return CheckMigrating(t, c.ranges); },
                        [&](const AbortMigration& c) { return CheckMigrating(t, c.ranges); },
                        [&](const RegisterProxy&) { return Status::Ok(); },
                        [&](const UnregisterProxy& c) { return CheckUnregisterProxy(t, c); },
                    },
                    command);
}

void TopologyStore::Mutate(const Command& command) {
  Topology& t = topology_;
  std::visit(Overloaded{
                 [&](const AddGroup& c) { t.groups[c.group] = Group{c.group, c.master, c.replicas, 0, c.auth_pass}; },
                 [&](const RemoveGroup& c) { t.groups.erase(c.group); },
                 [&](const SetMaster& c) { SetMasterOf(t.groups.find(c.group)->second, c); },
                 [&](const SetReplicas& c) { t.groups.find(c.group)->second.replicas = c.replicas; },
                 [&](const SetAuthPass& c) { t.groups.find(c.group)->second.auth_pass = c.auth_pass; },
                 [&](const AssignSlots& c) { ChangeSlots(t, c.ranges, [&](SlotState& s) { s.group = c.group; }); },
                 [&](const BeginMigration& c) {
                   ChangeSlots(t, c.ranges, [&](SlotState& s) { s.migrating_to = c.to; });
                 },
                 [&](const FinishMigration& c) { ChangeSlots(t, c.ranges, FinishSlotMigration); },
                 [&](const AbortMigration& c) { ChangeSlots(t, c.ranges, [](SlotState& s) { s.migrating_to.clear(); }); },
                 [&](const RegisterProxy& c) { t.proxies[c.id] = Proxy{c.id, c.address, c.now_ms}; },
                 [&](const UnregisterProxy& c) { t.proxies.erase(c.id); },
             },
             command);
}

}  // namespace kvd::cluster::topology
