#include "storage/types/set_store.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <numeric>
#include <unordered_set>

#include "storage/key_locks.h"
#include "storage/live_meta.h"
#include "storage/types/collection.h"

namespace kvd::storage {
namespace {

// An intersection or difference walks its first set this many members at a
// time and tests each chunk against the other sets before reading on.
constexpr size_t kLookupChunk = 256;

std::vector<std::string_view> Unique(const std::vector<std::string_view>& items) {
  std::vector<std::string_view> unique;
  std::unordered_set<std::string_view> seen;
  for (auto item : items) {
    if (seen.insert(item).second) unique.push_back(item);
  }
  return unique;
}

std::vector<std::string> FieldsOf(std::vector<FieldValue> items) {
  std::vector<std::string> fields;
  fields.reserve(items.size());
  for (auto& item : items) fields.push_back(std::move(item.field));
  return fields;
}

std::vector<std::pair<uint8_t, std::string_view>> LockKeys(uint8_t db, const std::vector<std::string_view>& keys) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys;
  for (auto key : keys) lock_keys.emplace_back(db, key);
  return lock_keys;
}

// Walks a set in member order, a chunk of members at a time, and hands each
// chunk to `visit`, which returns false to stop.
Status WalkInChunks(Engine& engine, uint8_t db, std::string_view key, uint64_t version,
                    const std::function<Result<bool>(const std::vector<std::string>&)>& visit) {
  SubKeyIterator it(engine, engine.data(), db, key, version);
  std::vector<std::string> chunk;
  it.SeekToFirst();
  while (true) {
    chunk.clear();
    for (; it.Valid() && chunk.size() < kLookupChunk; it.Next()) chunk.emplace_back(it.field());
    KVD_RETURN_IF_ERROR(it.status());
    if (chunk.empty()) return Status::Ok();
    auto go_on = visit(chunk);
    if (!go_on.ok()) return go_on.status();
    if (!*go_on) return Status::Ok();
  }
}

}  // namespace

Result<bool> SetStore::LoadForRead(uint8_t db, std::string_view key, Metadata* meta) {
  // Not LoadCollection: a read of a missing key needs no fresh version.
  Status status = ReadLiveMeta(engine_, db, key, meta);
  if (status.Is(Status::Code::kNotFound)) return false;
  KVD_RETURN_IF_ERROR(status);
  if (meta->type != KeyType::kSet) return Status::WrongType();
  return true;
}

Result<int64_t> SetStore::Add(uint8_t db, std::string_view key, const std::vector<std::string_view>& members) {
  std::vector<std::string_view> unique = Unique(members);
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  bool exists = false;
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, key, KeyType::kSet, &meta, &exists));
  std::vector<std::optional<std::string>> found(unique.size());
  if (exists) {  // a fresh version has no sub-keys yet, so nothing to look up
    auto looked_up = GetSubKeys(engine_, db, key, meta.version, unique);
    if (!looked_up.ok()) return looked_up.status();
    found = std::move(looked_up).value();
  }
  WriteSet batch;
  int64_t added = 0;
  for (size_t i = 0; i < unique.size(); ++i) {
    if (found[i]) continue;
    batch.Put(engine_.data(), EncodeSubKey(db, key, meta.version, unique[i]), "");
    ++added;
  }
  if (added == 0) return added;
  meta.size += static_cast<uint64_t>(added);
  StoreCollectionMeta(engine_, &batch, db, key, meta);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return added;
}

Result<int64_t> SetStore::Remove(uint8_t db, std::string_view key, const std::vector<std::string_view>& members) {
  std::vector<std::string_view> unique = Unique(members);
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return int64_t{0};
  return RemoveSubKeys(engine_, db, key, meta, unique);
}

Result<std::vector<std::string>> SetStore::Members(uint8_t db, std::string_view key) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<std::string>();
  auto all = ReadAllSubKeys(engine_, db, key, meta.version, true);
  if (!all.ok()) return all.status();
  return FieldsOf(std::move(all).value());
}

Result<std::vector<bool>> SetStore::AreMembers(uint8_t db, std::string_view key,
                                               const std::vector<std::string_view>& members) {
  Source source;
  auto exists = LoadForRead(db, key, &source.meta);
  if (!exists.ok()) return exists.status();
  source.exists = *exists;
  return Contains(db, key, source, members);
}

Result<uint64_t> SetStore::Card(uint8_t db, std::string_view key) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  return *exists ? meta.size : 0;
}

Result<std::vector<std::string>> SetStore::Pop(uint8_t db, std::string_view key, uint64_t count) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists || count == 0) return std::vector<std::string>();
  auto picked = SampleSubKeys(engine_, sampling_, db, key, meta, count, true);
  if (!picked.ok()) return picked.status();
  std::vector<std::string> members = FieldsOf(std::move(picked).value());
  if (members.empty()) return members;
  WriteSet batch;
  for (const auto& member : members) batch.Delete(engine_.data(), EncodeSubKey(db, key, meta.version, member));
  meta.size -= std::min<uint64_t>(meta.size, members.size());
  StoreCollectionMeta(engine_, &batch, db, key, meta);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  sampling_.Forget(db, key, meta.version, members);
  return members;
}

Result<std::vector<std::string>> SetStore::RandomMembers(uint8_t db, std::string_view key, uint64_t count,
                                                         bool distinct) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<std::string>();
  auto picked = SampleSubKeys(engine_, sampling_, db, key, meta, count, distinct);
  if (!picked.ok()) return picked.status();
  return FieldsOf(std::move(picked).value());
}

Result<bool> SetStore::Move(uint8_t db, std::string_view source, std::string_view destination,
                            std::string_view member) {
  KeyLockGuard guard(engine_.locks(), LockKeys(db, {source, destination}));
  Metadata from;
  bool from_exists = false;
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, source, KeyType::kSet, &from, &from_exists));
  if (!from_exists) return false;
  Metadata to;
  bool to_exists = false;
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, destination, KeyType::kSet, &to, &to_exists));
  auto in_source = GetSubKeys(engine_, db, source, from.version, {member});
  if (!in_source.ok()) return in_source.status();
  if (!(*in_source)[0]) return false;
  if (source == destination) return true;

  WriteSet batch;
  batch.Delete(engine_.data(), EncodeSubKey(db, source, from.version, member));
  --from.size;
  StoreCollectionMeta(engine_, &batch, db, source, from);
  bool in_destination = false;
  if (to_exists) {
    auto found = GetSubKeys(engine_, db, destination, to.version, {member});
    if (!found.ok()) return found.status();
    in_destination = (*found)[0].has_value();
  }
  if (!in_destination) {
    batch.Put(engine_.data(), EncodeSubKey(db, destination, to.version, member), "");
    ++to.size;
    StoreCollectionMeta(engine_, &batch, db, destination, to);
  }
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return true;
}

Result<std::vector<SetStore::Source>> SetStore::LoadSources(uint8_t db, const std::vector<std::string_view>& keys) {
  // Every key is checked, so a wrong type anywhere is an error even when an
  // earlier key is missing (Redis 7 does the same).
  std::vector<Source> sources(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto exists = LoadForRead(db, keys[i], &sources[i].meta);
    if (!exists.ok()) return exists.status();
    sources[i].exists = *exists;
  }
  return sources;
}

Result<std::vector<bool>> SetStore::Contains(uint8_t db, std::string_view key, const Source& source,
                                             const std::vector<std::string_view>& members) {
  std::vector<bool> contained(members.size(), false);
  if (!source.exists) return contained;
  auto found = GetSubKeys(engine_, db, key, source.meta.version, members);
  if (!found.ok()) return found.status();
  for (size_t i = 0; i < members.size(); ++i) contained[i] = (*found)[i].has_value();
  return contained;
}

Result<std::vector<std::string>> SetStore::Intersect(uint8_t db, const std::vector<std::string_view>& keys,
                                                     const std::vector<Source>& sources, uint64_t limit) {
  std::vector<std::string> result;
  for (const auto& source : sources) {
    if (!source.exists) return result;
  }
  // Walk the smallest set and look its members up in the others, smallest
  // first, so most candidates are rejected early.
  std::vector<size_t> order(sources.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return sources[a].meta.size < sources[b].meta.size; });
  auto keep_common = [&](const std::vector<std::string>& chunk) -> Result<bool> {
    std::vector<std::string_view> candidates(chunk.begin(), chunk.end());
    for (size_t i = 1; i < order.size() && !candidates.empty(); ++i) {
      auto contained = Contains(db, keys[order[i]], sources[order[i]], candidates);
      if (!contained.ok()) return contained.status();
      std::vector<std::string_view> survivors;
      for (size_t j = 0; j < candidates.size(); ++j) {
        if ((*contained)[j]) survivors.push_back(candidates[j]);
      }
      candidates = std::move(survivors);
    }
    for (auto member : candidates) {
      if (limit != 0 && result.size() >= limit) return false;
      result.emplace_back(member);
    }
    return limit == 0 || result.size() < limit;
  };
  const size_t smallest = order[0];
  KVD_RETURN_IF_ERROR(WalkInChunks(engine_, db, keys[smallest], sources[smallest].meta.version, keep_common));
  return result;
}

Result<std::vector<std::string>> SetStore::Unite(uint8_t db, const std::vector<std::string_view>& keys,
                                                 const std::vector<Source>& sources) {
  // Every set iterates in member order, so the union is a k-way merge that
  // needs no memory beyond the result.
  std::vector<std::unique_ptr<SubKeyIterator>> cursors;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!sources[i].exists) continue;
    cursors.push_back(std::make_unique<SubKeyIterator>(engine_, engine_.data(), db, keys[i], sources[i].meta.version));
    cursors.back()->SeekToFirst();
  }
  std::vector<std::string> result;
  while (true) {
    std::optional<std::string> smallest;
    for (const auto& cursor : cursors) {
      if (cursor->Valid() && (!smallest || cursor->field() < *smallest)) smallest = std::string(cursor->field());
    }
    if (!smallest) break;
    for (auto& cursor : cursors) {
      if (cursor->Valid() && cursor->field() == *smallest) cursor->Next();
    }
    result.push_back(std::move(*smallest));
  }
  for (const auto& cursor : cursors) KVD_RETURN_IF_ERROR(cursor->status());
  return result;
}

Result<std::vector<std::string>> SetStore::Subtract(uint8_t db, const std::vector<std::string_view>& keys,
                                                    const std::vector<Source>& sources) {
  std::vector<std::string> result;
  if (!sources[0].exists) return result;
  auto keep_unique = [&](const std::vector<std::string>& chunk) -> Result<bool> {
    std::vector<std::string_view> candidates(chunk.begin(), chunk.end());
    for (size_t i = 1; i < keys.size() && !candidates.empty(); ++i) {
      auto contained = Contains(db, keys[i], sources[i], candidates);
      if (!contained.ok()) return contained.status();
      std::vector<std::string_view> survivors;
      for (size_t j = 0; j < candidates.size(); ++j) {
        if (!(*contained)[j]) survivors.push_back(candidates[j]);
      }
      candidates = std::move(survivors);
    }
    result.insert(result.end(), candidates.begin(), candidates.end());
    return true;
  };
  KVD_RETURN_IF_ERROR(WalkInChunks(engine_, db, keys[0], sources[0].meta.version, keep_unique));
  return result;
}

Result<std::vector<std::string>> SetStore::CombineLoaded(uint8_t db, SetOperation operation,
                                                         const std::vector<std::string_view>& keys,
                                                         const std::vector<Source>& sources) {
  switch (operation) {
    case SetOperation::kInter: return Intersect(db, keys, sources, 0);
    case SetOperation::kUnion: return Unite(db, keys, sources);
    case SetOperation::kDiff: return Subtract(db, keys, sources);
  }
  return Status::InvalidArgument("ERR unknown set operation");
}

Result<std::vector<std::string>> SetStore::Combine(uint8_t db, SetOperation operation,
                                                   const std::vector<std::string_view>& keys) {
  auto sources = LoadSources(db, keys);
  if (!sources.ok()) return sources.status();
  return CombineLoaded(db, operation, keys, *sources);
}

Result<uint64_t> SetStore::InterCard(uint8_t db, const std::vector<std::string_view>& keys, uint64_t limit) {
  auto sources = LoadSources(db, keys);
  if (!sources.ok()) return sources.status();
  auto common = Intersect(db, keys, *sources, limit);
  if (!common.ok()) return common.status();
  return static_cast<uint64_t>(common->size());
}

Result<uint64_t> SetStore::CombineAndStore(uint8_t db, SetOperation operation, std::string_view destination,
                                           const std::vector<std::string_view>& keys) {
  // The sources are locked too, so the result is one consistent state of them.
  std::vector<std::string_view> locked = keys;
  locked.push_back(destination);
  KeyLockGuard guard(engine_.locks(), LockKeys(db, locked));
  auto sources = LoadSources(db, keys);
  if (!sources.ok()) return sources.status();
  auto members = CombineLoaded(db, operation, keys, *sources);
  if (!members.ok()) return members.status();

  if (members->empty()) {
    KVD_RETURN_IF_ERROR(DeleteIfLive(engine_, db, destination));
    return uint64_t{0};
  }
  WriteSet batch;
  // A new version orphans whatever the destination held before (the
  // compaction filter removes it), so replacing any type is O(result).
  Metadata meta;
  meta.type = KeyType::kSet;
  meta.version = engine_.NextVersion();
  meta.size = members->size();
  for (const auto& member : *members) batch.Put(engine_.data(), EncodeSubKey(db, destination, meta.version, member), "");
  StoreCollectionMeta(engine_, &batch, db, destination, meta);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return meta.size;
}

Result<SubKeyScanPage> SetStore::Scan(uint8_t db, std::string_view key, std::string_view from,
                                      std::optional<std::string_view> pattern, size_t count) {
  Metadata meta;
  auto exists = LoadForRead(db, key, &meta);
  if (!exists.ok()) return exists.status();
  if (!*exists) return SubKeyScanPage();
  return ScanSubKeys(engine_, db, key, meta.version, from, pattern, count);
}

}  // namespace kvd::storage
