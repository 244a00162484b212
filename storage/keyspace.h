// Operations on keys of every type: existence, type, expiry, rename, copy,
// iteration, flush. Knows nothing of RESP; returns values and Status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/encoding.h"
#include "storage/engine.h"
#include "storage/live_meta.h"

namespace kvd::storage {

enum class ExpireCondition { kAlways, kNx, kXx, kGt, kLt };

struct ScanPage {
  std::vector<std::string> keys;
  std::string next;  // meta key to resume at; empty when the iteration is complete
};

struct KeyCounts {
  uint64_t keys = 0;
  uint64_t expires = 0;
  uint64_t avg_ttl_ms = 0;  // the mean remaining time to live of the keys that have one
};

// A count made window by window: what the windows so far found, and where the next one starts.
struct PartialCount {
  uint64_t keys = 0;
  uint64_t expires = 0;
  long double ttl_sum_ms = 0;  // wide enough for millions of keys with TTLs of years
  std::string next;           // meta key to resume at; empty once the database was counted to its end
  KeyCounts Totals() const;
};

class Keyspace {
 public:
  explicit Keyspace(Engine& engine) : engine_(engine) {}

  Result<int64_t> Delete(uint8_t db, const std::vector<std::string_view>& keys);
  Result<int64_t> Exists(uint8_t db, const std::vector<std::string_view>& keys);
  Result<std::optional<KeyType>> Type(uint8_t db, std::string_view key);
  // Sets an absolute expiry in ms; a time in the past deletes the key. Returns
  // whether it was applied (false: no key, or the condition did not hold).
  Result<bool> ExpireAt(uint8_t db, std::string_view key, int64_t at_ms, ExpireCondition condition);
  // Redis's TTL encoding: -2 no key, -1 no expiry, else ms left.
  Result<int64_t> PttlMs(uint8_t db, std::string_view key);
  // -2 no key, -1 no expiry, else the absolute unix time in ms.
  Result<int64_t> ExpireTimeMs(uint8_t db, std::string_view key);
  // Whether the key is still stored although its time has passed (reads
  // already treat it as missing; a delete will reclaim it).
  Result<bool> StoredButExpired(uint8_t db, std::string_view key);
  // Whether a record of the key is stored, live or expired.
  Result<bool> Stored(uint8_t db, std::string_view key);
  Result<bool> Persist(uint8_t db, std::string_view key);
  // NotFound when `from` does not exist. With only_if_absent, false when `to` exists.
  Result<bool> Rename(uint8_t db, std::string_view from, std::string_view to, bool only_if_absent);
  Result<bool> Copy(uint8_t src_db, std::string_view src, uint8_t dst_db, std::string_view dst, bool replace);
  Result<bool> Move(uint8_t db, std::string_view key, uint8_t dst_db);
  Result<std::vector<std::string>> Keys(uint8_t db, std::string_view pattern);
  // Visits about `count` keys starting at meta key `from` (empty = the start
  // of db), keeping those that match the glob `pattern` (nullopt: all; ""
  // matches only the empty key, as in Redis) and are of `type`.
  Result<ScanPage> Scan(uint8_t db, std::string_view from, std::optional<std::string_view> pattern, size_t count,
                        std::optional<KeyType> type);
  Result<std::optional<std::string>> RandomKey(uint8_t db);
  Result<KeyCounts> Count(uint8_t db);
  // Counts at most `budget` more keys of `db` into `count`, from count->next
  // (empty: the first key of the database).
  Status CountWindow(uint8_t db, size_t budget, PartialCount* count);
  Status FlushDb(uint8_t db);
  Status FlushAll();
  // Deletes expired keys found in a window of the meta CF starting at `from`;
  // returns where to continue (empty: wrapped around) and how many were deleted.
  Result<std::pair<std::string, uint64_t>> SweepExpired(std::string_view from, size_t budget);

 private:
  // The key's stored metadata record, live or expired, into `raw`; false when there is none.
  Result<bool> ReadStored(uint8_t db, std::string_view key, std::string* raw);
  // Writes `meta` (and copies of the sub-keys of `source`) under a new key.
  Status CopyInto(WriteSet* batch, uint8_t src_db, std::string_view src, const Metadata& source,
                  uint8_t dst_db, std::string_view dst);
  // Deletes [begin, end) of every column family once no other thread holds a key.
  Status FlushRange(const std::string& begin, const std::string& end);

  Engine& engine_;
};

}  // namespace kvd::storage
