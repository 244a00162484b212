// What a Raft node hands to its driver after Tick/Step/Propose: work that
// must be done outside the pure core (disk, network, state machine).
#pragma once

#include <optional>
#include <vector>

#include "cluster/raft/message.h"
#include "cluster/raft/read_index.h"
#include "cluster/raft/types.h"

namespace kvd::cluster::raft {

// Volatile facts the driver may want to report (not persisted).
struct SoftState {
  NodeId leader = kNoNode;
  Role role = Role::kFollower;

  bool operator==(const SoftState&) const = default;
};

// Process a Ready in this order, then call Raft::Advance(ready):
//
//  1. Persist, durably (fsync) and in this order: `snapshot` (if any), then
//     `entries`, then `hard_state` (if any). See PersistentState::Persist for
//     the exact semantics a store must implement.
//  2. Only then send `messages`. A vote or an acknowledgement promises that
//     the state it reports survives a crash; sending first would break
//     election safety and could lose committed entries.
//  3. Install `snapshot` into the state machine (if any), then apply
//     `committed_entries` in order.
//  4. Serve `read_states`: each is safe once step 3 is done (the node has
//     applied at least up to its index).
struct Ready {
  std::optional<SoftState> soft_state;  // set when leader or role changed
  std::optional<HardState> hard_state;  // set when it changed
  std::optional<Snapshot> snapshot;     // received from the leader, replaces the state machine
  std::vector<Entry> entries;           // to append; may overwrite from entries.front().index on
  std::vector<Message> messages;
  std::vector<Entry> committed_entries;
  std::vector<ReadState> read_states;
};

}  // namespace kvd::cluster::raft
