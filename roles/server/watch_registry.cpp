#include "roles/server/watch_registry.h"

#include <algorithm>

namespace kvd::server {

void WatchRegistry::Add(Watcher* watcher, uint8_t db, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& watchers = by_key_[Slot(db, key)];
  if (std::find(watchers.begin(), watchers.end(), watcher) != watchers.end()) return;
  watchers.push_back(watcher);
  watched_.fetch_add(1, std::memory_order_relaxed);
}

void WatchRegistry::RemoveAll(Watcher* watcher) {
  std::lock_guard lock(mutex_);
  for (const WatchedKey& watched : watcher->keys) {
    auto it = by_key_.find(Slot(watched.db, watched.key));
    if (it == by_key_.end()) continue;
    auto& watchers = it->second;
    auto position = std::find(watchers.begin(), watchers.end(), watcher);
    if (position == watchers.end()) continue;
    watchers.erase(position);
    watched_.fetch_sub(1, std::memory_order_relaxed);
    if (watchers.empty()) by_key_.erase(it);
  }
  watcher->keys.clear();
  watcher->dirty = false;
}

void WatchRegistry::Touch(const storage::WrittenKeys& written) {
  if (Empty()) return;
  std::lock_guard lock(mutex_);
  if (written.flushed_all || !written.flushed_dbs.empty()) {
    for (auto& [slot, watchers] : by_key_) {
      uint8_t db = static_cast<uint8_t>(slot[0]);
      bool flushed = written.flushed_all || std::find(written.flushed_dbs.begin(), written.flushed_dbs.end(), db) !=
                                                written.flushed_dbs.end();
      if (!flushed) continue;
      for (Watcher* watcher : watchers) watcher->dirty = true;
    }
  }
  for (const auto& [db, key] : written.keys) {
    auto it = by_key_.find(Slot(db, key));
    if (it == by_key_.end()) continue;
    for (Watcher* watcher : it->second) watcher->dirty = true;
  }
}

}  // namespace kvd::server
