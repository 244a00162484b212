#include "roles/server/watch_registry.h"

#include <algorithm>
#include <optional>

namespace kvd::server {

namespace {

template <typename Watches>
auto FindWatcher(Watches& watches, const Watcher* watcher) {
  return std::find_if(watches.begin(), watches.end(), [&](const auto& watch) { return watch.watcher == watcher; });
}

}  // namespace

void WatchRegistry::Add(Watcher* watcher, uint8_t db, const std::string& key, bool existed, bool expired) {
  std::lock_guard lock(mutex_);
  auto& watches = by_key_[Slot(db, key)];
  if (FindWatcher(watches, watcher) != watches.end()) return;
  watches.push_back({watcher, existed, expired});
  watched_.fetch_add(1, std::memory_order_relaxed);
}

void WatchRegistry::RemoveAll(Watcher* watcher) {
  std::lock_guard lock(mutex_);
  for (const WatchedKey& watched : watcher->keys) {
    auto it = by_key_.find(Slot(watched.db, watched.key));
    if (it == by_key_.end()) continue;
    auto& watches = it->second;
    auto position = FindWatcher(watches, watcher);
    if (position == watches.end()) continue;
    watches.erase(position);
    watched_.fetch_sub(1, std::memory_order_relaxed);
    if (watches.empty()) by_key_.erase(it);
  }
  watcher->keys.clear();
  watcher->dirty = false;
}

void WatchRegistry::Touch(const storage::WrittenKeys& written, const StoredCheck& stored) {
  if (Empty()) return;
  std::lock_guard lock(mutex_);
  if (written.flushed_all || !written.flushed_dbs.empty()) {
    for (auto& [slot, watches] : by_key_) {
      uint8_t db = static_cast<uint8_t>(slot[0]);
      bool flushed = written.flushed_all || std::find(written.flushed_dbs.begin(), written.flushed_dbs.end(), db) !=
                                                written.flushed_dbs.end();
      if (!flushed) continue;
      for (const Watch& watch : watches) {
        if (watch.existed) watch.watcher->dirty = true;
      }
    }
  }
  for (const auto& [db, key] : written.keys) {
    auto it = by_key_.find(Slot(db, key));
    if (it == by_key_.end()) continue;
    std::optional<bool> still_stored;  // asked once per key, only if needed
    for (Watch& watch : it->second) {
      if (watch.expired) {
        if (!still_stored) still_stored = stored(db, key);
        watch.expired = false;
        if (!*still_stored) continue;  // the expired key was reclaimed: no logical change
      }
      watch.watcher->dirty = true;
    }
  }
}

}  // namespace kvd::server
