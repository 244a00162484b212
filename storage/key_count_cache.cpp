#include "storage/key_count_cache.h"

namespace kvd::storage {

Result<KeyCounts> KeyCountCache::Counts(uint8_t db) {
  std::lock_guard lock(mutex_);
  if (db >= databases_.size()) databases_.resize(db + 1);
  Database& state = databases_[db];
  // Without a complete count yet, count to the end now; otherwise one window.
  do {
    Status counted = keyspace_.CountWindow(db, window_, &state.pass);
    if (!counted.ok()) {
      state.pass = PartialCount();
      return counted;
    }
    if (state.pass.next.empty()) {
      state.complete = state.pass.Totals();
      state.pass = PartialCount();
    }
  } while (!state.complete);
  return *state.complete;
}

void KeyCountCache::Forget(uint8_t db) {
  std::lock_guard lock(mutex_);
  if (db < databases_.size()) databases_[db] = Database();
}

void KeyCountCache::ForgetAll() {
  std::lock_guard lock(mutex_);
  databases_.clear();
}

}  // namespace kvd::storage
