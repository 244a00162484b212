// INFO keyspace's counts at a bounded cost per call. Counting a database
// means reading every key's metadata (about 0.4 µs a key), and Redis Sentinel
// and monitoring exporters ask for INFO every few seconds: on a database of
// millions of keys each such INFO would hold an io thread for seconds.
//
// So a database is counted in windows of at most `window` keys, one window
// per call, each call going on where the previous one stopped; a call reports
// the last complete count. A database that fits in one window is counted
// afresh, exactly, on every call. A larger one is counted in full once, on
// the first call that finds no complete count; after that each call costs one
// window and reports figures as old as the last full pass. (Redis's own
// counts are not exact either: they include expired keys not yet reclaimed.)
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "common/status.h"
#include "storage/keyspace.h"

namespace kvd::storage {

class KeyCountCache {
 public:
  static constexpr size_t kDefaultWindow = 50'000;  // about 20 ms of scanning here

  explicit KeyCountCache(Keyspace& keyspace, size_t window = kDefaultWindow) : keyspace_(keyspace), window_(window) {}

  Result<KeyCounts> Counts(uint8_t db);
  // Forgets what is known of `db` (FLUSHDB), or of every database (FLUSHALL,
  // a replica's new dataset): the next call counts afresh.
  void Forget(uint8_t db);
  void ForgetAll();

 private:
  struct Database {
    PartialCount pass;                 // the pass in progress
    std::optional<KeyCounts> complete; // the last complete pass
  };

  Keyspace& keyspace_;
  size_t window_;
  std::mutex mutex_;  // INFO may run on several io threads at once
  std::vector<Database> databases_;
};

}  // namespace kvd::storage
