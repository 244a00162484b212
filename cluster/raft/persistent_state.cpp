#include "cluster/raft/persistent_state.h"

#include <algorithm>
#include <string>

namespace kvd::cluster::raft {

PersistentState PersistentState::Bootstrap(const Membership& voters) {
  PersistentState state;
  state.snapshot.meta.membership = voters;
  return state;
}

Status PersistentState::Persist(const Ready& ready) {
  if (ready.snapshot) SetSnapshot(*ready.snapshot);
  KVD_RETURN_IF_ERROR(Append(ready.entries));
  if (ready.hard_state) hard_state = *ready.hard_state;
  return Status::Ok();
}

Index PersistentState::LastIndex() const {
  return entries.empty() ? snapshot.meta.index : entries.back().index;
}

Status PersistentState::Append(const std::vector<Entry>& new_entries) {
  if (new_entries.empty()) return Status::Ok();
  Index first = new_entries.front().index;
  if (first <= snapshot.meta.index || first > LastIndex() + 1) {
    return Status::InvalidArgument("raft entries at " + std::to_string(first) + " do not follow the log ending at " +
                                   std::to_string(LastIndex()));
  }
  entries.resize(first - snapshot.meta.index - 1);
  entries.insert(entries.end(), new_entries.begin(), new_entries.end());
  return Status::Ok();
}

void PersistentState::SetSnapshot(const Snapshot& new_snapshot) {
  const SnapshotMeta& meta = new_snapshot.meta;
  auto at_index = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.index == meta.index; });
  if (at_index != entries.end() && at_index->term == meta.term) {
    entries.erase(entries.begin(), at_index + 1);
  } else {
    entries.clear();
  }
  snapshot = new_snapshot;
  hard_state.commit = std::max(hard_state.commit, meta.index);
}

}  // namespace kvd::cluster::raft
