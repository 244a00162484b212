// Set values: one sub-key per member in the data CF (member -> ""), the member
// count in the meta record's size, so SCARD is O(1) and SISMEMBER is a meta
// read plus one point lookup. Writes hold the locks of every key they touch
// and commit one batch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/engine.h"
#include "storage/types/hash_store.h"

namespace kvd::storage {

enum class SetOperation { kInter, kUnion, kDiff };

class SetStore {
 public:
  explicit SetStore(Engine& engine) : engine_(engine) {}

  // Returns how many members were new (a member repeated in `members` counts once).
  Result<int64_t> Add(uint8_t db, std::string_view key, const std::vector<std::string_view>& members);
  // Returns how many members were removed; deletes the key when it becomes empty.
  Result<int64_t> Remove(uint8_t db, std::string_view key, const std::vector<std::string_view>& members);
  // Every member in byte order.
  Result<std::vector<std::string>> Members(uint8_t db, std::string_view key);
  Result<std::vector<bool>> AreMembers(uint8_t db, std::string_view key, const std::vector<std::string_view>& members);
  Result<uint64_t> Card(uint8_t db, std::string_view key);
  // Removes and returns `count` random members (all of them when count >= size).
  Result<std::vector<std::string>> Pop(uint8_t db, std::string_view key, uint64_t count);
  // SRANDMEMBER: `count` random members, distinct or possibly repeated.
  Result<std::vector<std::string>> RandomMembers(uint8_t db, std::string_view key, uint64_t count, bool distinct);
  // SMOVE: false when `member` is not in `source`. WrongType when either key
  // exists with another type (a missing source answers false first, as Redis).
  Result<bool> Move(uint8_t db, std::string_view source, std::string_view destination, std::string_view member);

  // SINTER/SUNION/SDIFF. Missing keys are empty sets; any key of another type is WrongType.
  Result<std::vector<std::string>> Combine(uint8_t db, SetOperation operation,
                                           const std::vector<std::string_view>& keys);
  // SINTERCARD: the intersection's size, counting stops at `limit` (0: no limit).
  Result<uint64_t> InterCard(uint8_t db, const std::vector<std::string_view>& keys, uint64_t limit);
  // The STORE forms: `destination` is replaced whatever it held (deleted when
  // the result is empty); returns the result's size.
  Result<uint64_t> CombineAndStore(uint8_t db, SetOperation operation, std::string_view destination,
                                   const std::vector<std::string_view>& keys);

  // SSCAN: one page starting at member `from` (empty: the beginning).
  Result<SubKeyScanPage> Scan(uint8_t db, std::string_view key, std::string_view from,
                              std::optional<std::string_view> pattern, size_t count);

 private:
  struct Source {
    bool exists = false;
    Metadata meta;
  };
  Result<bool> LoadForRead(uint8_t db, std::string_view key, Metadata* meta);
  // Loads every key of a multi-key read; WrongType when any holds another type.
  Result<std::vector<Source>> LoadSources(uint8_t db, const std::vector<std::string_view>& keys);
  // Which of `members` belong to the set of `source`.
  Result<std::vector<bool>> Contains(uint8_t db, std::string_view key, const Source& source,
                                     const std::vector<std::string_view>& members);
  Result<std::vector<std::string>> Intersect(uint8_t db, const std::vector<std::string_view>& keys,
                                             const std::vector<Source>& sources, uint64_t limit);
  Result<std::vector<std::string>> Unite(uint8_t db, const std::vector<std::string_view>& keys,
                                         const std::vector<Source>& sources);
  Result<std::vector<std::string>> Subtract(uint8_t db, const std::vector<std::string_view>& keys,
                                            const std::vector<Source>& sources);
  Result<std::vector<std::string>> CombineLoaded(uint8_t db, SetOperation operation,
                                                 const std::vector<std::string_view>& keys,
                                                 const std::vector<Source>& sources);

  Engine& engine_;
  SamplingIndex sampling_;
};

}  // namespace kvd::storage
