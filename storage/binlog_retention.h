// Binlog retention: the WAL files that memtable flushes made obsolete wait in
// DIR/db/archive for replicas and `kvd binlog`, and whole files are deleted,
// oldest first, beyond a size and an age.
//
// kvd enforces the limits itself, once a second, rather than through RocksDB's
// WAL_size_limit_MB: RocksDB checks that limit only every ten minutes, long
// enough for a busy server to write gigabytes past it and fill the disk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace kvd::storage {

struct BinlogLimits {
  uint64_t max_bytes = 0;  // of archived files together
  uint64_t max_age_s = 0;  // 0: no age limit
};

struct ArchivedWal {
  uint64_t number = 0;
  uint64_t bytes = 0;
  int64_t modified_s = 0;  // last write, seconds since the epoch
};

// How many of `oldest_first` to delete, from the front: every file older
// than max_age_s, then the oldest ones until the rest fit in max_bytes.
size_t ArchivedWalsToDelete(const std::vector<ArchivedWal>& oldest_first, const BinlogLimits& limits,
                            int64_t now_s);

// Applies the limits to the archive of the kvd data directory `data_dir`;
// returns how many files it deleted. A file that vanished meanwhile (a full
// sync replaced the database) is not an error.
Result<size_t> PurgeArchivedWals(const std::string& data_dir, const BinlogLimits& limits, int64_t now_s);

}  // namespace kvd::storage
