// Waiting for the topology to change, without threads: "tell me when there
// are changes after version N" (a long poll from a proxy or an admin
// client). The owner of the store calls Notify() after applying entries;
// callbacks run inside Watch() or Notify(), on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "cluster/topology/store.h"

namespace kvd::cluster::topology {

class VersionWatchers {
 public:
  // Receives ChangesSince(after_version): the changes, or OutOfRange if the
  // watcher fell too far behind (re-read the snapshot).
  using Callback = std::function<void(const Result<std::vector<Change>>&)>;

  // Calls back at once (returning 0) when the store is already past
  // `after_version`; otherwise registers and returns an id for Cancel.
  uint64_t Watch(const TopologyStore& store, uint64_t after_version, Callback callback);
  // Forgets a watcher (e.g. its client timed out or disconnected).
  void Cancel(uint64_t id);
  // Calls back and forgets every watcher the store has moved past.
  void Notify(const TopologyStore& store);
  size_t size() const { return watchers_.size(); }

 private:
  struct Watcher {
    uint64_t after_version;
    Callback callback;
  };

  std::map<uint64_t, Watcher> watchers_;
  uint64_t next_id_ = 1;
};

}  // namespace kvd::cluster::topology
