#include "cluster/topology/watch.h"

namespace kvd::cluster::topology {

uint64_t VersionWatchers::Watch(const TopologyStore& store, uint64_t after_version, Callback callback) {
  if (store.version() > after_version) {
    callback(store.ChangesSince(after_version));
    return 0;
  }
  uint64_t id = next_id_++;
  watchers_.emplace(id, Watcher{after_version, std::move(callback)});
  return id;
}

void VersionWatchers::Cancel(uint64_t id) { watchers_.erase(id); }

void VersionWatchers::Notify(const TopologyStore& store) {
  // Take the due watchers out first: a callback may well watch again.
  std::vector<Watcher> due;
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if (store.version() > it->second.after_version) {
      due.push_back(std::move(it->second));
      it = watchers_.erase(it);
    } else {
      ++it;
    }
  }
  for (Watcher& watcher : due) watcher.callback(store.ChangesSince(watcher.after_version));
}

}  // namespace kvd::cluster::topology
