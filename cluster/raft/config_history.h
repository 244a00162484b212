// Which voter set is in force at each point of the log.
//
// A membership entry takes effect as soon as a node appends it, committed or
// not (Raft thesis §4.1). So the configuration follows the log: when a
// follower's uncommitted suffix is replaced by a new leader, the voter set
// falls back to the last membership entry that survived (or the snapshot's).
#pragma once

#include <vector>

#include "cluster/raft/types.h"

namespace kvd::cluster::raft {

class ConfigHistory {
 public:
  // The configuration at `base_index` (a snapshot or the bootstrap state).
  void Reset(Index base_index, Membership base);
  // Notes `entry` if it is a membership entry; returns true if it changed the
  // current configuration. Undecodable data is ignored: the entry was written
  // by a leader with EncodeMembership, so it cannot happen without corruption
  // that the log checks would already have caught.
  bool Record(const Entry& entry);
  // Forgets membership entries at or after `index` (they were truncated).
  void TruncateFrom(Index index);
  // Folds entries up to `index` into the base (their log prefix is compacted).
  void CompactTo(Index index);

  const Membership& Current() const;
  // Index of the entry that established Current() (the base index if none).
  Index CurrentIndex() const;
  // The configuration in force right after the entry at `index`.
  const Membership& At(Index index) const;

 private:
  struct Change {
    Index index;
    Membership membership;
  };

  Index base_index_ = 0;
  Membership base_;
  std::vector<Change> changes_;  // ascending index, all after base_index_
};

}  // namespace kvd::cluster::raft
