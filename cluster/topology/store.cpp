#include "cluster/topology/store.h"

namespace kvd::cluster::topology {

TopologyStore::TopologyStore(size_t history_limit) : history_limit_(history_limit) {}

Result<uint64_t> TopologyStore::ApplyEntry(const raft::Entry& entry) {
  if (entry.index != 0 && entry.index <= applied_index_) return version_;
  applied_index_ = entry.index;
  if (entry.type != raft::EntryType::kNormal) return version_;
  return Apply(std::string_view(entry.data));
}

Result<uint64_t> TopologyStore::Apply(std::string_view command_json) {
  Result<Command> command = DecodeCommand(command_json);
  if (!command.ok()) return command.status();
  return ApplyDecoded(*command);
}

// Encoding first means a command built in code goes through exactly the
// checks a replicated one does.
Result<uint64_t> TopologyStore::Apply(const Command& command) { return Apply(std::string_view(EncodeCommand(command))); }

Status TopologyStore::Check(const Command& command) const {
  Result<Command> decoded = DecodeCommand(EncodeCommand(command));
  if (!decoded.ok()) return decoded.status();
  return CheckCommand(*decoded);
}

Result<uint64_t> TopologyStore::ApplyDecoded(const Command& command) {
  KVD_RETURN_IF_ERROR(CheckCommand(command));
  Mutate(command);
  ++version_;
  history_.push_back({version_, EncodeCommand(command)});
  while (history_.size() > history_limit_) history_.pop_front();
  return version_;
}

const Group* TopologyStore::FindGroup(std::string_view name) const {
  auto it = topology_.groups.find(name);
  return it == topology_.groups.end() ? nullptr : &it->second;
}

const Proxy* TopologyStore::FindProxy(std::string_view id) const {
  auto it = topology_.proxies.find(id);
  return it == topology_.proxies.end() ? nullptr : &it->second;
}

const SlotState& TopologyStore::slot(uint16_t slot) const {
  static const SlotState kUnassigned;
  return slot < kSlotCount ? topology_.slots[slot] : kUnassigned;
}

Result<std::vector<Change>> TopologyStore::ChangesSince(uint64_t version) const {
  std::vector<Change> changes;
  if (version >= version_) return changes;
  uint64_t oldest_kept = history_.empty() ? version_ + 1 : history_.front().version;
  if (version + 1 < oldest_kept) {
    return Status::OutOfRange("changes after version " + std::to_string(version) +
                              " are no longer kept; re-read the whole topology");
  }
  for (const Change& change : history_) {
    if (change.version > version) changes.push_back(change);
  }
  return changes;
}

}  // namespace kvd::cluster::topology
