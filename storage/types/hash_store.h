// Hash values: one sub-key per field in the data CF (field -> value), the
// field count in the meta record's size, so HLEN is O(1) and HGET is a meta
// read plus one point lookup. Writes hold the key's lock and commit one batch.
//
// The free functions below work on the sub-keys of any collection whose
// elements are data-CF sub-keys; SetStore uses them too. (They would sit
// better in storage/types/collection.h, which this change does not own.)
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/encoding.h"
#include "storage/engine.h"

namespace kvd::storage {

struct FieldValue {
  std::string field;
  std::string value;  // empty for set members
};

// One page of an HSCAN/SSCAN walk.
struct SubKeyScanPage {
  std::vector<FieldValue> items;
  std::string next;  // field to resume at; empty when the walk is complete
};

// The values of `fields` (nullopt when absent) for one version of a key, by point lookups.
Result<std::vector<std::optional<std::string>>> GetSubKeys(Engine& engine, uint8_t db, std::string_view key,
                                                           uint64_t version,
                                                           const std::vector<std::string_view>& fields);
// HDEL/SREM: deletes the distinct `fields` of the live collection `meta`
// describes (the caller holds the key's lock) and fixes its size; returns how
// many existed.
Result<int64_t> RemoveSubKeys(Engine& engine, uint8_t db, std::string_view key, Metadata meta,
                              const std::vector<std::string_view>& distinct_fields);
// Every sub-key of one version of a key, in field order. With
// `note_deleted`, a walk that steps over many more deleted (or overwritten)
// entries than it returns asks the engine to flush them toward compaction
// (NoteDeletedSubKeys), so later walks do not meet them again, and sets
// `*met_deleted_runs` if given.
Result<std::vector<FieldValue>> ReadAllSubKeys(Engine& engine, uint8_t db, std::string_view key, uint64_t version,
                                               bool note_deleted = false, bool* met_deleted_runs = nullptr);
// Visits `count` sub-keys from field `from` on and keeps those matching the
// glob `pattern` (nullopt: all; "" matches only an empty field, as in Redis).
Result<SubKeyScanPage> ScanSubKeys(Engine& engine, uint8_t db, std::string_view key, uint64_t version,
                                   std::string_view from, std::optional<std::string_view> pattern, size_t count);
// Every k-th field of large collections, so that a random element is a random
// pivot plus a walk of fewer than k steps: uniform at O(log n + k) per draw
// after one O(n) walk to build it. Kept per collection version, rebuilt when
// the size drifted by more than an eighth (until then elements added since
// are drawn less and removed ones shift weight to their neighbours), and
// bounded in the number of collections it remembers.
class SamplingIndex {
 public:
  struct Pivots {
    uint64_t spacing = 1;
    uint64_t built_size = 0;  // elements counted when the pivots were taken
    std::vector<std::string> fields;
  };
  // The pivots for the collection `meta` describes, built or rebuilt as needed.
  Result<std::shared_ptr<const Pivots>> Find(Engine& engine, uint8_t db, std::string_view key, const Metadata& meta);
  // Pivots kept for it and still usable, or null; nothing is built.
  std::shared_ptr<const Pivots> Cached(uint8_t db, std::string_view key, const Metadata& meta);
  // Keeps every element of a small collection read whole as its pivots.
  void RememberAll(uint8_t db, std::string_view key, const Metadata& meta, const std::vector<FieldValue>& all);
  // SPOP took these: pivots that are every element (RememberAll's) drop them,
  // so pops never make them drift into a rebuild.
  void Forget(uint8_t db, std::string_view key, uint64_t version, const std::vector<std::string>& removed);

 private:
  void Keep(std::string id, std::shared_ptr<const Pivots> pivots);

  static constexpr size_t kCapacity = 64;
  std::mutex mutex_;
  std::list<std::pair<std::string, std::shared_ptr<const Pivots>>> entries_;  // most recent first
};

// `count` random sub-keys of a collection described by `meta`. A small
// collection read whole gives each element the same chance; picks through
// pivots (large collections, and small ones among many deleted entries) are
// close to that while the collection stays within an eighth of the size the
// pivots were taken at. Distinct picks return at most meta.size elements;
// otherwise elements may repeat.
Result<std::vector<FieldValue>> SampleSubKeys(Engine& engine, SamplingIndex& index, uint8_t db, std::string_view key,
                                              const Metadata& meta, uint64_t count, bool distinct);

// The largest repeating (negative) HRANDFIELD/SRANDMEMBER count kvd answers;
// Redis has no bound and builds the reply until it runs out of memory.
constexpr uint64_t kMaxRandomRepeats = 1ULL << 20;

class HashStore {
 public:
  explicit HashStore(Engine& engine) : engine_(engine) {}

  // Sets every pair (a later duplicate field wins); returns how many fields are new.
  Result<int64_t> Set(uint8_t db, std::string_view key,
                      const std::vector<std::pair<std::string_view, std::string_view>>& pairs);
  // False (and no write) when the field exists.
  Result<bool> SetIfAbsent(uint8_t db, std::string_view key, std::string_view field, std::string_view value);
  Result<std::optional<std::string>> Get(uint8_t db, std::string_view key, std::string_view field);
  Result<std::vector<std::optional<std::string>>> MultiGet(uint8_t db, std::string_view key,
                                                           const std::vector<std::string_view>& fields);
  // Returns how many of `fields` existed; deletes the key when it becomes empty.
  Result<int64_t> Delete(uint8_t db, std::string_view key, const std::vector<std::string_view>& fields);
  Result<uint64_t> Length(uint8_t db, std::string_view key);
  // Every field and value, in field order (HGETALL, HKEYS, HVALS).
  Result<std::vector<FieldValue>> GetAll(uint8_t db, std::string_view key);
  Result<int64_t> IncrBy(uint8_t db, std::string_view key, std::string_view field, int64_t delta);
  // Returns the new value as it is stored.
  Result<std::string> IncrByFloat(uint8_t db, std::string_view key, std::string_view field, long double delta);
  // HRANDFIELD: `count` random fields, distinct or possibly repeated.
  Result<std::vector<FieldValue>> RandomFields(uint8_t db, std::string_view key, uint64_t count, bool distinct);
  // HSCAN: one page starting at field `from` (empty: the beginning).
  Result<SubKeyScanPage> Scan(uint8_t db, std::string_view key, std::string_view from,
                              std::optional<std::string_view> pattern, size_t count);

 private:
  // Loads the hash for reading: false when absent (or expired).
  Result<bool> LoadForRead(uint8_t db, std::string_view key, Metadata* meta);
  // Writes one field's new value (and the meta record when the field is new); the caller holds the lock.
  Status PutField(uint8_t db, std::string_view key, Metadata* meta, bool exists, bool field_is_new,
                  std::string_view field, std::string_view value);

  Engine& engine_;
  SamplingIndex sampling_;
};

}  // namespace kvd::storage
