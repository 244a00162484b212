// List values. Element i of a list lives in the data column family at
// sub-key [prefix][big-endian uint64 absolute index]; the meta `tail` holds the
// absolute index of the first element (head) and one past the last (tail),
// both starting at 2^63 so the list can grow at either end. Elements always
// occupy [head, tail) densely, so size == tail - head and any position is one
// point lookup away: pushes, pops, LINDEX and LSET are O(1), LRANGE reads only
// what it returns. LINSERT and LREM close the gap by shifting the shorter side.
//
// Write operations hold the key locks and commit one WriteBatch. Reads take no
// lock; they read the metadata and the elements from one RocksDB snapshot so a
// concurrent writer never shows them a half-changed list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/encoding.h"
#include "storage/engine.h"

namespace kvd::storage {

enum class ListSide { kLeft, kRight };

// The elements taken from one key by a multi-key pop (LMPOP, BLPOP, BLMPOP).
struct ListPopResult {
  std::string key;
  std::vector<std::string> values;
};

// LPOS: which matches to return.
struct ListPosOptions {
  bool from_tail = false;      // negative RANK: scan from the last element
  uint64_t skip_matches = 0;   // |RANK| - 1
  uint64_t max_matches = 1;    // COUNT; 0 = every match
  uint64_t max_compared = 0;   // MAXLEN; 0 = the whole list
};

class ListStore {
 public:
  explicit ListStore(Engine& engine) : engine_(engine) {}

  // LPUSH/RPUSH (and the X forms with only_if_exists): pushes the values one
  // by one at `side`; returns the new length, 0 when only_if_exists and absent.
  Result<uint64_t> Push(uint8_t db, std::string_view key, ListSide side, const std::vector<std::string_view>& values,
                        bool only_if_exists = false);
  // LPOP/RPOP: up to `count` elements in pop order; nullopt when the key is
  // absent. count 0 returns an empty vector for an existing list.
  Result<std::optional<std::vector<std::string>>> Pop(uint8_t db, std::string_view key, ListSide side,
                                                      uint64_t count);
  // LMPOP/BLPOP: pops from the first key that holds a list, all keys locked
  // together; nullopt when every key is absent. WrongType stops at the first
  // non-list key met before a non-empty list.
  Result<std::optional<ListPopResult>> PopFirstNonEmpty(uint8_t db, const std::vector<std::string_view>& keys,
                                                        ListSide side, uint64_t count);
  // LMOVE/RPOPLPUSH: moves one element; nullopt when `source` is absent. The
  // destination's type is checked before anything moves. source == destination
  // rotates the list.
  Result<std::optional<std::string>> Move(uint8_t db, std::string_view source, std::string_view destination,
                                          ListSide from, ListSide to);

  // SORT ... STORE: `key` becomes a list of `values` whatever it held (a new
  // version orphans the old contents); no values deletes it. Returns the length.
  Result<uint64_t> Replace(uint8_t db, std::string_view key, const std::vector<std::string_view>& values);
  Result<uint64_t> Length(uint8_t db, std::string_view key);
  // LRANGE with Redis's index rules (negative from the end, clamped).
  Result<std::vector<std::string>> Range(uint8_t db, std::string_view key, int64_t start, int64_t stop);
  // nullopt when the key is absent or the index out of range.
  Result<std::optional<std::string>> Index(uint8_t db, std::string_view key, int64_t index);
  // NotFound when the key is absent, OutOfRange("ERR index out of range").
  Status Set(uint8_t db, std::string_view key, int64_t index, std::string_view value);
  // LINSERT: the new length, -1 when the pivot is missing, 0 when the key is.
  Result<int64_t> Insert(uint8_t db, std::string_view key, bool before, std::string_view pivot,
                         std::string_view value);
  // LREM: count > 0 from the head, < 0 from the tail, 0 all; returns how many went.
  Result<uint64_t> Remove(uint8_t db, std::string_view key, int64_t count, std::string_view value);
  // LTRIM: keeps [start, stop] (Redis's index rules); deletes only what it drops.
  Status Trim(uint8_t db, std::string_view key, int64_t start, int64_t stop);
  // LPOS: the 0-based positions of the matches, in scan order.
  Result<std::vector<uint64_t>> Positions(uint8_t db, std::string_view key, std::string_view value,
                                          const ListPosOptions& options);

  // The absolute index where a fresh list starts (the middle of the range).
  static constexpr uint64_t kInitialIndex = uint64_t{1} << 63;

 private:
  struct State {
    Metadata meta;
    bool exists = false;
    uint64_t head = kInitialIndex;  // absolute index of the first element
    uint64_t tail = kInitialIndex;  // one past the last element
    uint64_t size() const { return tail - head; }
  };

  Status LoadForWrite(uint8_t db, std::string_view key, State* state);
  Status LoadForRead(const rocksdb::Snapshot* snapshot, uint8_t db, std::string_view key, State* state);
  void SaveMeta(WriteSet* batch, uint8_t db, std::string_view key, State* state);

  // `count` elements from relative position `first`, in list order.
  Status ReadSpan(uint8_t db, std::string_view key, const State& state, uint64_t first, uint64_t count,
                  const rocksdb::Snapshot* snapshot, std::vector<std::string>* out);
  // Visits elements from one end with their relative positions until `visit` returns false.
  template <typename Visit>
  Status Scan(uint8_t db, std::string_view key, const State& state, bool from_tail,
              const rocksdb::Snapshot* snapshot, Visit&& visit);

  // The *Locked forms expect the caller to hold the key locks.
  // Reads the elements that the next pops from `side` will take, with one
  // iterator, when they are not read ahead already.
  void ReadAheadPops(uint8_t db, std::string_view key, const State& state, ListSide side);
  Status PopLocked(WriteSet* batch, uint8_t db, std::string_view key, State* state, ListSide side,
                   uint64_t count, std::vector<std::string>* out);
  Status PushLocked(WriteSet* batch, uint8_t db, std::string_view key, State* state, ListSide side,
                    const std::vector<std::string_view>& values);
  // Removes the elements at the sorted relative positions and closes the gap
  // by shifting whichever side rewrites fewer elements.
  Status RemovePositions(WriteSet* batch, uint8_t db, std::string_view key, State* state,
                         const std::vector<uint64_t>& positions);

  Engine& engine_;
};

}  // namespace kvd::storage
