// String values: the value lives inside the meta record, so GET is one point
// lookup. Read-modify-write operations hold the key's lock.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/engine.h"
#include "storage/types/bitfield.h"

namespace kvd::storage {

constexpr size_t kMaxStringSize = 512ULL * 1024 * 1024;

struct SetOptions {
  enum class Condition { kAlways, kIfAbsent, kIfPresent };
  enum class Ttl { kClear, kKeep, kSetAt };
  Condition condition = Condition::kAlways;
  Ttl ttl = Ttl::kClear;
  uint64_t expire_at_ms = 0;  // with Ttl::kSetAt
  bool return_old = false;    // SET ... GET: WRONGTYPE if the old value is not a string
};

struct SetResult {
  bool written = false;
  std::optional<std::string> old_value;
};

// What GETEX does to the TTL.
struct TtlChange {
  enum class Kind { kNone, kPersist, kSetAt };
  Kind kind = Kind::kNone;
  uint64_t expire_at_ms = 0;
};

enum class BitUnit { kByte, kBit };
struct BitRange {
  int64_t start = 0;
  int64_t end = -1;
  BitUnit unit = BitUnit::kByte;
};

class StringStore {
 public:
  explicit StringStore(Engine& engine) : engine_(engine) {}

  // The largest value APPEND/SETRANGE/SETBIT may build (proto-max-bulk-len).
  void set_max_size(uint64_t bytes) { max_size_.store(bytes, std::memory_order_relaxed); }
  uint64_t max_size() const { return max_size_.load(std::memory_order_relaxed); }

  // nullopt when absent; WrongType when the key holds another type.
  Result<std::optional<std::string>> Get(uint8_t db, std::string_view key);
  // Non-strings read as absent, as Redis's MGET does.
  Result<std::vector<std::optional<std::string>>> MultiGet(uint8_t db, const std::vector<std::string_view>& keys);
  // Reads the keys of a run of GETs about to be served, all at once
  // (Engine::ReadAheadKeys); the caller clears it when the run is over.
  void ReadAheadForGets(uint8_t db, const std::vector<std::string_view>& keys);
  Result<SetResult> Set(uint8_t db, std::string_view key, std::string_view value, const SetOptions& options);
  Status MultiSet(uint8_t db, const std::vector<std::pair<std::string_view, std::string_view>>& pairs);
  // Sets all or none: false when any key exists.
  Result<bool> MultiSetIfNoneExist(uint8_t db, const std::vector<std::pair<std::string_view, std::string_view>>& pairs);
  Result<std::optional<std::string>> GetDel(uint8_t db, std::string_view key);
  Result<std::optional<std::string>> GetEx(uint8_t db, std::string_view key, const TtlChange& change);

  Result<int64_t> IncrBy(uint8_t db, std::string_view key, int64_t delta);
  // Returns the new value formatted as Redis stores it.
  Result<std::string> IncrByFloat(uint8_t db, std::string_view key, long double delta);
  Result<size_t> Append(uint8_t db, std::string_view key, std::string_view suffix);
  Result<size_t> StrLen(uint8_t db, std::string_view key);
  Result<std::string> GetRange(uint8_t db, std::string_view key, int64_t start, int64_t end);
  Result<size_t> SetRange(uint8_t db, std::string_view key, uint64_t offset, std::string_view value);
  Result<int> GetBit(uint8_t db, std::string_view key, uint64_t offset);
  Result<int> SetBit(uint8_t db, std::string_view key, uint64_t offset, bool on);
  Result<int64_t> BitCount(uint8_t db, std::string_view key, std::optional<BitRange> range);
  Result<int64_t> BitPos(uint8_t db, std::string_view key, bool bit, std::optional<BitRange> range, bool end_given);
  // BITFIELD: with a SET or INCRBY the value grows to hold every field written
  // (even one FAIL refuses) and keeps its TTL; GETs alone read a missing key as zeros.
  Result<std::vector<std::optional<int64_t>>> Bitfield(uint8_t db, std::string_view key,
                                                       const std::vector<BitfieldOp>& ops);
  // BITOP: the result's length; an empty result deletes `dest` (of any type),
  // another replaces it as a string without a TTL.
  Result<size_t> BitOp(uint8_t db, BitOperation op, std::string_view dest, const std::vector<std::string_view>& sources);

  // HyperLogLog (hyperloglog_store.cpp; the values are storage/types/hyperloglog.h's).
  // PFADD: true when a register changed or the key was created.
  Result<bool> PfAdd(uint8_t db, std::string_view key, const std::vector<std::string_view>& elements);
  // PFCOUNT: the estimate of the union of `keys` (missing ones are empty).
  Result<uint64_t> PfCount(uint8_t db, const std::vector<std::string_view>& keys);
  // PFMERGE: `dest` (also a source when it exists) becomes the union; it keeps its TTL.
  Status PfMerge(uint8_t db, std::string_view dest, const std::vector<std::string_view>& sources);

 private:
  struct Current {
    bool exists = false;
    std::string value;
    uint64_t expire_ms = 0;
    std::string meta_key;  // Load's encoding of the key, for the write that follows (empty after a read-ahead)
  };
  // Reads the live string at `key` (WrongType for other types).
  Status Load(uint8_t db, std::string_view key, Current* current);
  std::string_view MetaKeyOf(uint8_t db, std::string_view key, std::string* scratch) const;
  // `meta_key`: the key's encoding when the caller has it (a CRC and an allocation saved).
  Status Store(uint8_t db, std::string_view key, std::string_view value, uint64_t expire_ms,
               std::string_view meta_key = {});

  Engine& engine_;
  std::atomic<uint64_t> max_size_{kMaxStringSize};
};

// Pure helpers (unit-tested directly).
int64_t CountBits(std::string_view value, BitRange range);
int64_t FindBit(std::string_view value, bool bit, BitRange range, bool end_given);
// Normalises Redis's inclusive, possibly negative [start, end] over `length`;
// false when the range is empty.
bool NormalizeRange(int64_t length, int64_t* start, int64_t* end);

}  // namespace kvd::storage
