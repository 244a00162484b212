// Everything a node keeps on disk, and the rules for updating it from a
// Ready. A durable store (e.g. an append-only file of records encoded with
// codec.h) implements the same three operations and replays its records
// through them at start-up; the result is handed to Raft::Create.
#pragma once

#include <vector>

#include "cluster/raft/ready.h"
#include "cluster/raft/types.h"
#include "common/status.h"

namespace kvd::cluster::raft {

struct PersistentState {
  HardState hard_state;
  // The newest snapshot: the application's state up to snapshot.meta.index.
  // A new cluster starts from an empty snapshot at index 0 holding the
  // initial voters (Bootstrap); a node joining an existing cluster starts
  // from a default-constructed state (no voters) and waits for the leader.
  Snapshot snapshot;
  // The log after the snapshot, contiguous from snapshot.meta.index + 1.
  std::vector<Entry> entries;

  static PersistentState Bootstrap(const Membership& voters);

  // Applies the persistence part of `ready`: snapshot, entries, hard state.
  Status Persist(const Ready& ready);

  // Appends entries; an entry whose index is already present replaces it and
  // everything after it (a new leader overwrote an uncommitted suffix).
  // Fails if the entries would leave a gap.
  Status Append(const std::vector<Entry>& entries);
  // Makes `snapshot` the newest one. Entries it covers are dropped. Later
  // entries are kept only if the log agrees with the snapshot at its index
  // (the application compacted its own log); otherwise (a snapshot installed
  // from the leader) the whole log is replaced by it.
  void SetSnapshot(const Snapshot& snapshot);

  Index LastIndex() const;
};

}  // namespace kvd::cluster::raft
