#include "cluster/raft/config_history.h"

#include "cluster/raft/codec.h"

namespace kvd::cluster::raft {

void ConfigHistory::Reset(Index base_index, Membership base) {
  base_index_ = base_index;
  base_ = std::move(base);
  changes_.clear();
}

bool ConfigHistory::Record(const Entry& entry) {
  if (entry.type != EntryType::kMembership) return false;
  Result<Membership> decoded = DecodeMembership(entry.data);
  if (!decoded.ok()) return false;
  TruncateFrom(entry.index);
  changes_.push_back({entry.index, std::move(decoded).value()});
  return true;
}

void ConfigHistory::TruncateFrom(Index index) {
  while (!changes_.empty() && changes_.back().index >= index) changes_.pop_back();
}

void ConfigHistory::CompactTo(Index index) {
  if (index <= base_index_) return;
  size_t folded = 0;
  while (folded < changes_.size() && changes_[folded].index <= index) {
    base_ = std::move(changes_[folded].membership);
    ++folded;
  }
  changes_.erase(changes_.begin(), changes_.begin() + static_cast<std::ptrdiff_t>(folded));
  base_index_ = index;
}

const Membership& ConfigHistory::Current() const { return changes_.empty() ? base_ : changes_.back().membership; }

Index ConfigHistory::CurrentIndex() const { return changes_.empty() ? base_index_ : changes_.back().index; }

const Membership& ConfigHistory::At(Index index) const {
  const Membership* found = &base_;
  for (const Change& change : changes_) {
    if (change.index > index) break;
    found = &change.membership;
  }
  return *found;
}

}  // namespace kvd::cluster::raft
