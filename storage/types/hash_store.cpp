#include "storage/types/hash_store.h"

#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_set>

#include "common/glob.h"
#include "common/numbers.h"
#include "common/redis_errors.h"
#include "storage/key_locks.h"
#include "storage/live_meta.h"
#include "storage/types/collection.h"

namespace kvd::storage {
namespace {

constexpr const char* kHashNotInteger = "ERR hash value is not an integer";
constexpr const char* kHashNotFloat = "ERR hash value is not a float";

// Collections up to this size are sampled from a copy in memory.
constexpr uint64_t kInMemorySampleLimit = 1024;
// The sampling index keeps at most this many pivots per collection...
constexpr uint64_t kMaxPivots = 8192;
// ...and at least this many elements between two pivots.
constexpr uint64_t kMinPivotSpacing = 32;

// While it lives (and is on), counts the entries this thread's iterators step
// over without returning them: deletions and the versions they or newer
// writes hide. RocksDB's per-thread counters, off on the io threads otherwise.
class SteppedOverCounter {
 public:
  explicit SteppedOverCounter(bool on) : on_(on), level_(rocksdb::GetPerfLevel()) {
    if (on_ && level_ < rocksdb::PerfLevel::kEnableCount) rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    start_ = Total();
  }
  ~SteppedOverCounter() {
    if (on_) rocksdb::SetPerfLevel(level_);
  }
  SteppedOverCounter(const SteppedOverCounter&) = delete;
  SteppedOverCounter& operator=(const SteppedOverCounter&) = delete;
  uint64_t Count() const { return Total() - start_; }

 private:
  static uint64_t Total() {
    const rocksdb::PerfContext& counted = *rocksdb::get_perf_context();
    return counted.internal_delete_skipped_count + counted.internal_key_skipped_count;
  }
  bool on_;
  rocksdb::PerfLevel level_;
  uint64_t start_ = 0;
};

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// A uniform integer in [0, bound); bound > 0.
uint64_t RandomBelow(uint64_t bound) { return std::uniform_int_distribution<uint64_t>(0, bound - 1)(Rng()); }

std::vector<FieldValue> PickFromMemory(std::vector<FieldValue> all, uint64_t count, bool distinct) {
  if (distinct) {
    count = std::min<uint64_t>(count, all.size());
    // A partial Fisher-Yates shuffle: the first `count` slots become the sample.
    for (uint64_t i = 0; i < count; ++i) std::swap(all[i], all[i + RandomBelow(all.size() - i)]);
    all.resize(count);
    return all;
  }
  std::vector<FieldValue> picks;
  for (uint64_t i = 0; i < count; ++i) picks.push_back(all[RandomBelow(all.size())]);
  return picks;
}

// Knuth's selection sampling: one ordered pass keeps `count` of `size`
// elements, each equally likely, holding only the sample in memory.
Result<std::vector<FieldValue>> SelectInOnePass(Engine& engine, uint8_t db, std::string_view key,
                                                const Metadata& meta, uint64_t count) {
  SubKeyIterator it(engine, engine.data(), db, key, meta.version);
  std::vector<FieldValue> picks;
  uint64_t seen = 0;
  for (it.SeekToFirst(); it.Valid() && picks.size() < count; it.Next(), ++seen) {
    uint64_t remaining = seen < meta.size ? meta.size - seen : 1;
    if (RandomBelow(remaining) < count - picks.size()) {
      picks.push_back({std::string(it.field()), std::string(it.value())});
    }
  }
  KVD_RETURN_IF_ERROR(it.status());
  std::shuffle(picks.begin(), picks.end(), Rng());
  return picks;
}

// `count` draws with repeats in one ordered pass: random positions, sorted,
// collected while walking, then put back in the order they were drawn.
Result<std::vector<FieldValue>> RepeatInOnePass(Engine& engine, uint8_t db, std::string_view key,
                                                const Metadata& meta, uint64_t count) {
  std::vector<std::pair<uint64_t, size_t>> positions;  // (element position, draw number)
  for (uint64_t draw = 0; draw < count; ++draw) positions.emplace_back(RandomBelow(meta.size), draw);
  std::sort(positions.begin(), positions.end());
  std::vector<FieldValue> picks(count);
  std::vector<bool> filled(count, false);
  SubKeyIterator it(engine, engine.data(), db, key, meta.version);
  it.SeekToFirst();
  uint64_t position = 0;
  for (const auto& [wanted, draw] : positions) {
    for (; it.Valid() && position < wanted; it.Next()) ++position;
    if (!it.Valid()) break;  // the meta size overstated the elements: keep what was found
    picks[draw] = {std::string(it.field()), std::string(it.value())};
    filled[draw] = true;
  }
  KVD_RETURN_IF_ERROR(it.status());
  std::vector<FieldValue> found;
  for (uint64_t draw = 0; draw < count; ++draw) {
    if (filled[draw]) found.push_back(std::move(picks[draw]));
  }
  return found;
}

Result<std::vector<FieldValue>> DrawWithPivots(Engine& engine, const SamplingIndex::Pivots& pivots, uint8_t db,
                                               std::string_view key, const Metadata& meta, uint64_t count,
                                               bool distinct) {
  SubKeyIterator it(engine, engine.data(), db, key, meta.version);
  std::vector<FieldValue> picks;
  std::unordered_set<std::string> taken;
  // Distinct draws retry duplicates (rare: count <= size/4 here); a budget
  // bounds the retries should the index be badly out of date.
  uint64_t attempts_left = count * 8 + 64;
  while (picks.size() < count) {
    if (distinct && attempts_left-- == 0) return SelectInOnePass(engine, db, key, meta, count);
    uint64_t position = RandomBelow(pivots.built_size);
    it.Seek(pivots.fields[position / pivots.spacing]);
    for (uint64_t step = position % pivots.spacing; step > 0 && it.Valid(); --step) it.Next();
    if (!it.Valid()) it.SeekToFirst();  // walked off the end after removals: wrap around
    if (!it.Valid()) break;
    if (distinct && !taken.emplace(it.field()).second) continue;
    picks.push_back({std::string(it.field()), std::string(it.value())});
  }
  KVD_RETURN_IF_ERROR(it.status());
  return picks;
}

bool PivotsUsable(const SamplingIndex::Pivots& pivots, const Metadata& meta) {
  uint64_t drift = pivots.built_size > meta.size ? pivots.built_size - meta.size : meta.size - pivots.built_size;
  return !pivots.fields.empty() && drift * 8 <= pivots.built_size;
}

Result<std::shared_ptr<const SamplingIndex::Pivots>> BuildPivots(Engine& engine, uint8_t db, std::string_view key,
                                                                  const Metadata& meta) {
  auto pivots = std::make_shared<SamplingIndex::Pivots>();
  pivots->spacing = std::max(kMinPivotSpacing, (meta.size + kMaxPivots - 1) / kMaxPivots);
  SubKeyIterator it(engine, engine.data(), db, key, meta.version);
  uint64_t position = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++position) {
    if (position % pivots->spacing == 0) pivots->fields.emplace_back(it.field());
  }
  KVD_RETURN_IF_ERROR(it.status());
  pivots->built_size = position;
  return std::shared_ptr<const SamplingIndex::Pivots>(std::move(pivots));
}

}  // namespace

// ---- sub-key helpers --------------------------------------------------------

Result<std::vector<std::optional<std::string>>> GetSubKeys(Engine& engine, uint8_t db, std::string_view key,
                                                           uint64_t version,
                                                           const std::vector<std::string_view>& fields) {
  // One Engine::Get per field rather than a RocksDB MultiGet: only the engine's
  // reads see the writes of an open MULTI/EXEC transaction.
  std::vector<std::optional<std::string>> result(fields.size());
  std::string value;
  for (size_t i = 0; i < fields.size(); ++i) {
    Status status = engine.Get(engine.data(), EncodeSubKey(db, key, version, fields[i]), &value);
    if (status.Is(Status::Code::kNotFound)) continue;
    KVD_RETURN_IF_ERROR(status);
    result[i] = value;
  }
  return result;
}

Result<std::vector<FieldValue>> ReadAllSubKeys(Engine& engine, uint8_t db, std::string_view key, uint64_t version,
                                               bool note_deleted, bool* met_deleted_runs) {
  std::vector<FieldValue> items;
  SteppedOverCounter stepped_over(note_deleted);
  SubKeyIterator it(engine, engine.data(), db, key, version);
  for (it.SeekToFirst(); it.Valid(); it.Next()) items.push_back({std::string(it.field()), std::string(it.value())});
  KVD_RETURN_IF_ERROR(it.status());
  if (note_deleted && stepped_over.Count() > 4 * items.size() + 1024) {
    engine.NoteDeletedSubKeys();
    if (met_deleted_runs != nullptr) *met_deleted_runs = true;
  }
  return items;
}

Result<SubKeyScanPage> ScanSubKeys(Engine& engine, uint8_t db, std::string_view key, uint64_t version,
                                   std::string_view from, std::optional<std::string_view> pattern, size_t count) {
  SubKeyScanPage page;
  SubKeyIterator it(engine, engine.data(), db, key, version);
  size_t visited = 0;
  for (it.Seek(from); it.Valid() && visited < count; it.Next(), ++visited) {
    if (!pattern || GlobMatch(*pattern, it.field())) {
      page.items.push_back({std::string(it.field()), std::string(it.value())});
    }
  }
  KVD_RETURN_IF_ERROR(it.status());
  if (it.Valid()) page.next = std::string(it.field());
  return page;
}

Result<std::shared_ptr<const SamplingIndex::Pivots>> SamplingIndex::Find(Engine& engine, uint8_t db,
                                                                           std::string_view key,
                                                                           const Metadata& meta) {
  std::string id = EncodeSubKeyPrefix(db, key, meta.version);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first != id) continue;
      if (!PivotsUsable(*it->second, meta)) {
        entries_.erase(it);
        break;
      }
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().second;
    }
  }
  // Built without the lock: a walk of a large collection must not stall other keys.
  auto built = BuildPivots(engine, db, key, meta);
  if (!built.ok()) return built.status();
  Keep(std::move(id), *built);
  return built;
}

std::shared_ptr<const SamplingIndex::Pivots> SamplingIndex::Cached(uint8_t db, std::string_view key,
                                                                   const Metadata& meta) {
  std::string id = EncodeSubKeyPrefix(db, key, meta.version);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [entry_id, pivots] : entries_) {
    if (entry_id == id) return PivotsUsable(*pivots, meta) ? pivots : nullptr;
  }
  return nullptr;
}

void SamplingIndex::RememberAll(uint8_t db, std::string_view key, const Metadata& meta,
                                const std::vector<FieldValue>& all) {
  if (all.empty()) return;
  auto pivots = std::make_shared<Pivots>();
  pivots->spacing = 1;
  pivots->built_size = all.size();
  for (const FieldValue& element : all) pivots->fields.push_back(element.field);
  Keep(EncodeSubKeyPrefix(db, key, meta.version), std::move(pivots));
}

void SamplingIndex::Forget(uint8_t db, std::string_view key, uint64_t version,
                           const std::vector<std::string>& removed) {
  std::string id = EncodeSubKeyPrefix(db, key, version);
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [entry_id, pivots] : entries_) {
    if (entry_id != id) continue;
    if (pivots->spacing != 1) return;
    auto kept = std::make_shared<Pivots>(*pivots);  // readers may hold the old one
    for (const std::string& member : removed) {
      auto at = std::lower_bound(kept->fields.begin(), kept->fields.end(), member);
      if (at != kept->fields.end() && *at == member) kept->fields.erase(at);
    }
    kept->built_size = kept->fields.size();
    pivots = std::move(kept);
    return;
  }
}

void SamplingIndex::Keep(std::string id, std::shared_ptr<const Pivots> pivots) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.remove_if([&](const auto& entry) { return entry.first == id; });
  entries_.emplace_front(std::move(id), std::move(pivots));
  if (entries_.size() > kCapacity) entries_.pop_back();
}

Result<std::vector<FieldValue>> SampleSubKeys(Engine& engine, SamplingIndex& index, uint8_t db, std::string_view key,
                                              const Metadata& meta, uint64_t count, bool distinct) {
  if (meta.size == 0 || count == 0) return std::vector<FieldValue>();
  if (distinct && count >= meta.size) return ReadAllSubKeys(engine, db, key, meta.version, true);
  if (meta.size <= kInMemorySampleLimit) {
    // Read whole for an exact pick, unless the last walk met long runs of
    // deleted entries (SPOP of most of a set): until compaction drops them,
    // its elements kept as pivots make each pick one seek instead of a walk.
    if (auto pivots = index.Cached(db, key, meta)) {
      return DrawWithPivots(engine, *pivots, db, key, meta, count, distinct);
    }
    bool met_deleted_runs = false;
    auto all = ReadAllSubKeys(engine, db, key, meta.version, true, &met_deleted_runs);
    if (!all.ok()) return all.status();
    if (all->empty()) return std::vector<FieldValue>();
    if (met_deleted_runs) index.RememberAll(db, key, meta, *all);
    return PickFromMemory(std::move(all).value(), count, distinct);
  }
  // A sample that is a large part of the collection costs about one walk anyway.
  if (count > meta.size / 4) {
    return distinct ? SelectInOnePass(engine, db, key, meta, count) : RepeatInOnePass(engine, db, key, meta, count);
  }
  auto pivots = index.Find(engine, db, key, meta);
  if (!pivots.ok()) return pivots.status();
  if ((*pivots)->fields.empty()) return std::vector<FieldValue>();
  return DrawWithPivots(engine, **pivots, db, key, meta, count, distinct);
}

// ---- HashStore --------------------------------------------------------------

Result<bool> HashStore::LoadForRead(uint8_t db, std::string_view key, Metadata* meta) {
  // Not LoadCollection: a read of a missing key needs no fresh version.
  Status status = ReadLiveMeta(engine_, db, key, meta);
  if (status.Is(Status::Code::kNotFound)) return false;
  KVD_RETURN_IF_ERROR(status);
  if (meta->type != KeyType::kHash) return Status::WrongType();
  return true;
}

Status HashStore::PutField(uint8_t db, std::string_view key, Metadata* meta, bool exists, bool field_is_new,
                           std::string_view field, std::string_view value) {
  WriteSet batch;
  batch.Put(engine_.data(), EncodeSubKey(db, key, meta->version, field), value);
  if (field_is_new) ++meta->size;
  if (field_is_new || !exists) StoreCollectionMeta(engine_, &batch, db, key, *meta);
  return engine_.Commit(batch);
}

Result<int64_t> HashStore::Set(uint8_t db, std::string_view key,
                               const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  // The last value given for a field wins, as in Redis: walk backwards and
  // keep the first occurrence of each field.
  // A few fields are checked against each other directly; a hash set only pays for many.
  constexpr size_t kLinearDedupLimit = 8;
  std::vector<std::string_view> fields;
  std::vector<std::string_view> values;
  fields.reserve(pairs.size());
  values.reserve(pairs.size());
  std::unordered_set<std::string_view> seen;
  for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
    bool duplicate = pairs.size() <= kLinearDedupLimit
                         ? std::find(fields.begin(), fields.end(), it->first) != fields.end()
                         : !seen.insert(it->first).second;
    if (duplicate) continue;
    fields.push_back(it->first);
    values.push_back(it->second);
  }
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  bool exists = false;
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, key, KeyType::kHash, &meta, &exists));
  std::vector<std::optional<std::string>> old(fields.size());
  if (exists) {
    auto found = GetSubKeys(engine_, db, key, meta.version, fields);
    if (!found.ok()) return found.status();
    old = std::move(found).value();
  }
  WriteSet batch;
  int64_t added = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    batch.Put(engine_.data(), EncodeSubKey(db, key, meta.version, fields[i]), values[i]);
    if (!old[i]) ++added;
  }
  meta.size += static_cast<uint64_t>(added);
  if (added > 0 || !exists) StoreCollectionMeta(engine_, &batch, db, key, meta);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return added;
}

Result<bool> HashStore::SetIfAbsent(uint8_t db, std::string_view key, std::string_view field,
                                    std::string_view value) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  bool exists = false;
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, key, KeyType::kHash, &meta, &exists));
  if (exists) {
    auto found = GetSubKeys(engine_, db, key, meta.version, {field});
    if (!found.ok()) return found.status();
    if ((*found)[0]) return false;
  }
  KVD_RETURN_IF_ERROR(PutField(db, key, &meta, exists, true, field, value));
  return true;
}

Result<std::optional<std::string>> HashStore::Get(uint8_t db, std::string_view key, std::string_view field) {
  auto values = MultiGet(db, key, {field});
  if (!values.ok()) return values.status();
  return std::move((*values)[0]);
}

Result<std::vector<std::optional<std::string>>> HashStore::MultiGet(uint8_t db, std::string_view key,
                                                                    const std::vector<std::string_view>& fields) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<std::optional<std::string>>(fields.size());
  return GetSubKeys(engine_, db, key, meta.version, fields);
}

Result<int64_t> RemoveSubKeys(Engine& engine, uint8_t db, std::string_view key, Metadata meta,
                              const std::vector<std::string_view>& distinct_fields) {
  auto found = GetSubKeys(engine, db, key, meta.version, distinct_fields);
  if (!found.ok()) return found.status();
  WriteSet batch;
  int64_t removed = 0;
  for (size_t i = 0; i < distinct_fields.size(); ++i) {
    if (!(*found)[i]) continue;
    batch.Delete(engine.data(), EncodeSubKey(db, key, meta.version, distinct_fields[i]));
    ++removed;
  }
  if (removed == 0) return removed;
  meta.size -= std::min<uint64_t>(meta.size, static_cast<uint64_t>(removed));
  StoreCollectionMeta(engine, &batch, db, key, meta);
  KVD_RETURN_IF_ERROR(engine.Commit(batch));
  return removed;
}

Result<int64_t> HashStore::Delete(uint8_t db, std::string_view key, const std::vector<std::string_view>& fields) {
  std::vector<std::string_view> unique;
  std::unordered_set<std::string_view> seen;
  for (auto field : fields) {
    if (seen.insert(field).second) unique.push_back(field);
  }
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return int64_t{0};
  return RemoveSubKeys(engine_, db, key, meta, unique);
}

Result<uint64_t> HashStore::Length(uint8_t db, std::string_view key) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  return *exists ? meta.size : 0;
}

Result<std::vector<FieldValue>> HashStore::GetAll(uint8_t db, std::string_view key) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<FieldValue>();
  return ReadAllSubKeys(engine_, db, key, meta.version, true);
}

Result<int64_t> HashStore::IncrBy(uint8_t db, std::string_view key, std::string_view field, int64_t delta) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  bool exists = false;
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, key, KeyType::kHash, &meta, &exists));
  std::optional<std::string> current;
  if (exists) {
    auto found = GetSubKeys(engine_, db, key, meta.version, {field});
    if (!found.ok()) return found.status();
    current = std::move((*found)[0]);
  }
  int64_t value = 0;
  if (current && !ParseInt64(*current, &value)) return Status::InvalidArgument(kHashNotInteger);
  if ((delta > 0 && value > INT64_MAX - delta) || (delta < 0 && value < INT64_MIN - delta)) {
    return Status::OutOfRange(errors::kOverflow);
  }
  value += delta;
  KVD_RETURN_IF_ERROR(PutField(db, key, &meta, exists, !current, field, FormatInt64(value)));
  return value;
}

Result<std::string> HashStore::IncrByFloat(uint8_t db, std::string_view key, std::string_view field,
                                           long double delta) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  bool exists = false;
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, key, KeyType::kHash, &meta, &exists));
  std::optional<std::string> current;
  if (exists) {
    auto found = GetSubKeys(engine_, db, key, meta.version, {field});
    if (!found.ok()) return found.status();
    current = std::move((*found)[0]);
  }
  long double value = 0;
  if (current && !ParseLongDouble(*current, &value)) return Status::InvalidArgument(kHashNotFloat);
  value += delta;
  if (std::isnan(value) || std::isinf(value)) return Status::InvalidArgument(errors::kFloatOverflow);
  std::string text = FormatLongDouble(value);
  KVD_RETURN_IF_ERROR(PutField(db, key, &meta, exists, !current, field, text));
  return text;
}

Result<std::vector<FieldValue>> HashStore::RandomFields(uint8_t db, std::string_view key, uint64_t count,
                                                        bool distinct) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<FieldValue>();
  return SampleSubKeys(engine_, sampling_, db, key, meta, count, distinct);
}

Result<SubKeyScanPage> HashStore::Scan(uint8_t db, std::string_view key, std::string_view from,
                                       std::optional<std::string_view> pattern, size_t count) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return SubKeyScanPage();
  return ScanSubKeys(engine_, db, key, meta.version, from, pattern, count);
}

}  // namespace kvd::storage
