// Which user keys a committed batch touched: WATCH invalidation and waking
// clients blocked on a key are driven from this, for every command alike.
#pragma once

#include <rocksdb/write_batch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/engine.h"

namespace kvd::storage {

struct WrittenKeys {
  std::vector<std::pair<uint8_t, std::string>> keys;  // each key once
  std::vector<uint8_t> flushed_dbs;                   // range deletes of whole databases
  bool flushed_all = false;
};

WrittenKeys CollectWrittenKeys(Engine& engine, const rocksdb::WriteBatch& batch);

}  // namespace kvd::storage
