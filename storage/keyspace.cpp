#include "storage/keyspace.h"

#include <cstdint>
#include <memory>
#include <random>

#include "cluster/slot.h"
#include "common/glob.h"
#include "storage/key_locks.h"

namespace kvd::storage {

namespace {

// Like ReadLiveMeta but folds NotFound into an empty optional.
Result<std::optional<Metadata>> LoadMeta(Engine& engine, uint8_t db, std::string_view key) {
  Metadata meta;
  Status status = ReadLiveMeta(engine, db, key, &meta);
  if (status.Is(Status::Code::kNotFound)) return std::optional<Metadata>();
  if (!status.ok()) return status;
  return std::optional<Metadata>(std::move(meta));
}

std::string PrefixEnd(std::string prefix) {
  // The smallest key greater than every key with this prefix.
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

bool IsCollection(KeyType type) { return type != KeyType::kString; }

}  // namespace

Result<int64_t> Keyspace::Delete(uint8_t db, const std::vector<std::string_view>& keys) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys;
  for (auto key : keys) lock_keys.emplace_back(db, key);
  KeyLockGuard guard(engine_.locks(), lock_keys);
  WriteSet batch;
  int64_t deleted = 0;
  std::vector<std::string> seen;
  for (auto key : keys) {
    std::string meta_key = EncodeMetaKey(db, key);
    std::string raw;
    Status status = engine_.Get(engine_.meta(), meta_key, &raw);
    if (status.Is(Status::Code::kNotFound)) continue;
    KVD_RETURN_IF_ERROR(status);
    if (std::find(seen.begin(), seen.end(), meta_key) != seen.end()) continue;
    KeyType type;
    uint64_t expire_ms;
    KVD_RETURN_IF_ERROR(PeekMetadata(raw, &type, &expire_ms));
    bool live = expire_ms == 0 || expire_ms > engine_.NowMs();
    if (live) ++deleted;
    batch.Delete(engine_.meta(), meta_key);
    seen.push_back(std::move(meta_key));
  }
  if (batch.Count() == 0) return deleted;
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return deleted;
}

Result<int64_t> Keyspace::Exists(uint8_t db, const std::vector<std::string_view>& keys) {
  int64_t found = 0;
  for (auto key : keys) {
    Result<std::optional<Metadata>> meta = LoadMeta(engine_, db, key);
    if (!meta.ok()) return meta.status();
    if (meta->has_value()) ++found;
  }
  return found;
}

Result<std::optional<KeyType>> Keyspace::Type(uint8_t db, std::string_view key) {
  Result<std::optional<Metadata>> meta = LoadMeta(engine_, db, key);
  if (!meta.ok()) return meta.status();
  if (!meta->has_value()) return std::optional<KeyType>();
  return std::optional<KeyType>((*meta)->type);
}

Result<bool> Keyspace::ExpireAt(uint8_t db, std::string_view key, int64_t at_ms, ExpireCondition condition) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Result<std::optional<Metadata>> loaded = LoadMeta(engine_, db, key);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return false;
  Metadata& meta = **loaded;
  // No expiry counts as an infinite TTL for GT and LT, as in Redis.
  bool has_ttl = meta.expire_ms != 0;
  switch (condition) {
    case ExpireCondition::kAlways: break;
    case ExpireCondition::kNx: if (has_ttl) return false; break;
    case ExpireCondition::kXx: if (!has_ttl) return false; break;
    case ExpireCondition::kGt: if (!has_ttl || at_ms <= static_cast<int64_t>(meta.expire_ms)) return false; break;
    case ExpireCondition::kLt: if (has_ttl && at_ms >= static_cast<int64_t>(meta.expire_ms)) return false; break;
  }
  WriteSet batch;
  std::string meta_key = EncodeMetaKey(db, key);
  if (at_ms <= static_cast<int64_t>(engine_.NowMs())) {
    batch.Delete(engine_.meta(), meta_key);
  } else {
    meta.expire_ms = static_cast<uint64_t>(at_ms);
    batch.Put(engine_.meta(), meta_key, EncodeMetadata(meta));
  }
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return true;
}

Result<int64_t> Keyspace::PttlMs(uint8_t db, std::string_view key) {
  Result<std::optional<Metadata>> meta = LoadMeta(engine_, db, key);
  if (!meta.ok()) return meta.status();
  if (!meta->has_value()) return int64_t{-2};
  if ((*meta)->expire_ms == 0) return int64_t{-1};
  uint64_t now = engine_.NowMs();
  return static_cast<int64_t>((*meta)->expire_ms > now ? (*meta)->expire_ms - now : 0);
}

Result<int64_t> Keyspace::ExpireTimeMs(uint8_t db, std::string_view key) {
  Result<std::optional<Metadata>> meta = LoadMeta(engine_, db, key);
  if (!meta.ok()) return meta.status();
  if (!meta->has_value()) return int64_t{-2};
  if ((*meta)->expire_ms == 0) return int64_t{-1};
  return static_cast<int64_t>((*meta)->expire_ms);
}

Result<bool> Keyspace::StoredButExpired(uint8_t db, std::string_view key) {
  std::string raw;
  Result<bool> stored = ReadStored(db, key, &raw);
  if (!stored.ok() || !*stored) return stored;
  KeyType type;
  uint64_t expire_ms = 0;
  KVD_RETURN_IF_ERROR(PeekMetadata(raw, &type, &expire_ms));
  return expire_ms != 0 && expire_ms <= engine_.NowMs();
}

Result<bool> Keyspace::Stored(uint8_t db, std::string_view key) {
  std::string raw;
  return ReadStored(db, key, &raw);
}

Result<bool> Keyspace::ReadStored(uint8_t db, std::string_view key, std::string* raw) {
  Status status = engine_.Get(engine_.meta(), EncodeMetaKey(db, key), raw);
  if (status.Is(Status::Code::kNotFound)) return false;
  KVD_RETURN_IF_ERROR(status);
  return true;
}

Result<bool> Keyspace::Persist(uint8_t db, std::string_view key) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Result<std::optional<Metadata>> loaded = LoadMeta(engine_, db, key);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value() || (*loaded)->expire_ms == 0) return false;
  (*loaded)->expire_ms = 0;
  WriteSet batch;
  batch.Put(engine_.meta(), EncodeMetaKey(db, key), EncodeMetadata(**loaded));
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return true;
}

Status Keyspace::CopyInto(WriteSet* batch, uint8_t src_db, std::string_view src, const Metadata& source,
                          uint8_t dst_db, std::string_view dst) {
  Metadata copy = source;
  if (IsCollection(source.type)) {
    copy.version = engine_.NextVersion();
    std::string from_prefix = EncodeSubKeyPrefix(src_db, src, source.version);
    std::string to_prefix = EncodeSubKeyPrefix(dst_db, dst, copy.version);
    std::string upper = PrefixEnd(from_prefix);
    for (auto* cf : {engine_.data(), engine_.zscore()}) {
      rocksdb::ReadOptions options;
      rocksdb::Slice upper_slice(upper);
      options.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it = engine_.NewIterator(options, cf);
      // The commit group's overlay ignores the bound: stop at the prefix ourselves.
      for (it->Seek(from_prefix); it->Valid() && it->key().starts_with(from_prefix); it->Next()) {
        std::string key = to_prefix;
        key.append(it->key().data() + from_prefix.size(), it->key().size() - from_prefix.size());
        batch->Put(cf, key, it->value());
      }
      if (!it->status().ok()) return Status::IOError(it->status().ToString());
    }
  }
  batch->Put(engine_.meta(), EncodeMetaKey(dst_db, dst), EncodeMetadata(copy));
  return Status::Ok();
}

Result<bool> Keyspace::Rename(uint8_t db, std::string_view from, std::string_view to, bool only_if_absent) {
  KeyLockGuard guard(engine_.locks(), {{db, from}, {db, to}});
  Result<std::optional<Metadata>> source = LoadMeta(engine_, db, from);
  if (!source.ok()) return source.status();
  if (!source->has_value()) return Status::NotFound();
  if (from == to) return !only_if_absent;
  if (only_if_absent) {
    Result<std::optional<Metadata>> target = LoadMeta(engine_, db, to);
    if (!target.ok()) return target.status();
    if (target->has_value()) return false;
  }
  WriteSet batch;
  KVD_RETURN_IF_ERROR(CopyInto(&batch, db, from, **source, db, to));
  batch.Delete(engine_.meta(), EncodeMetaKey(db, from));
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return true;
}

Result<bool> Keyspace::Copy(uint8_t src_db, std::string_view src, uint8_t dst_db, std::string_view dst,
                            bool replace) {
  KeyLockGuard guard(engine_.locks(), {{src_db, src}, {dst_db, dst}});
  Result<std::optional<Metadata>> source = LoadMeta(engine_, src_db, src);
  if (!source.ok()) return source.status();
  if (!source->has_value()) return false;
  if (!replace) {
    Result<std::optional<Metadata>> target = LoadMeta(engine_, dst_db, dst);
    if (!target.ok()) return target.status();
    if (target->has_value()) return false;
  }
  WriteSet batch;
  KVD_RETURN_IF_ERROR(CopyInto(&batch, src_db, src, **source, dst_db, dst));
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return true;
}

Result<bool> Keyspace::Move(uint8_t db, std::string_view key, uint8_t dst_db) {
  KeyLockGuard guard(engine_.locks(), {{db, key}, {dst_db, key}});
  Result<std::optional<Metadata>> source = LoadMeta(engine_, db, key);
  if (!source.ok()) return source.status();
  if (!source->has_value()) return false;
  Result<std::optional<Metadata>> target = LoadMeta(engine_, dst_db, key);
  if (!target.ok()) return target.status();
  if (target->has_value()) return false;
  WriteSet batch;
  KVD_RETURN_IF_ERROR(CopyInto(&batch, db, key, **source, dst_db, key));
  batch.Delete(engine_.meta(), EncodeMetaKey(db, key));
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return true;
}

Result<std::vector<std::string>> Keyspace::Keys(uint8_t db, std::string_view pattern) {
  std::vector<std::string> keys;
  if (pattern.empty()) {
    // KEYS "" matches only the empty key, as in Redis: one point read, not a scan.
    Result<std::optional<Metadata>> meta = LoadMeta(engine_, db, "");
    if (!meta.ok()) return meta.status();
    if (meta->has_value()) keys.emplace_back();
    return keys;
  }
  std::string from;
  do {
    Result<ScanPage> page = Scan(db, from, pattern, 4096, std::nullopt);
    if (!page.ok()) return page.status();
    for (auto& key : page->keys) keys.push_back(std::move(key));
    from = std::move(page->next);
  } while (!from.empty());
  return keys;
}

Result<ScanPage> Keyspace::Scan(uint8_t db, std::string_view from, std::optional<std::string_view> pattern, size_t count,
                                std::optional<KeyType> type) {
  std::string prefix = DbPrefix(db);
  std::string upper = PrefixEnd(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it = engine_.NewIterator(options, engine_.meta());
  it->Seek(from.empty() ? rocksdb::Slice(prefix) : rocksdb::Slice(from.data(), from.size()));
  ScanPage page;
  uint64_t now = engine_.NowMs();
  bool match_all = !pattern || *pattern == "*";
  size_t visited = 0;
  // The prefix test matters inside a transaction, whose overlay ignores the bounds.
  for (; it->Valid() && it->key().starts_with(prefix) && visited < count; it->Next(), ++visited) {
    MetaKey meta_key;
    if (!DecodeMetaKey(std::string_view(it->key().data(), it->key().size()), &meta_key)) continue;
    KeyType key_type;
    uint64_t expire_ms;
    if (!PeekMetadata(std::string_view(it->value().data(), it->value().size()), &key_type, &expire_ms).ok()) continue;
    if (expire_ms != 0 && expire_ms <= now) continue;
    if (type && *type != key_type) continue;
    if (!match_all && !GlobMatch(*pattern, meta_key.user_key)) continue;
    page.keys.emplace_back(meta_key.user_key);
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  if (it->Valid() && it->key().starts_with(prefix)) page.next.assign(it->key().data(), it->key().size());
  return page;
}

Result<std::optional<std::string>> Keyspace::RandomKey(uint8_t db) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string prefix = DbPrefix(db);
  std::string upper = PrefixEnd(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it = engine_.NewIterator(options, engine_.meta());
  uint64_t now = engine_.NowMs();
  // Probe random slots; each probe returns the first live key at or after it.
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint16_t slot = static_cast<uint16_t>(random() % cluster::kSlotCount);
    it->Seek(SlotPrefix(db, slot));
    if (!it->Valid()) it->Seek(prefix);  // wrap around
    for (int step = 0; it->Valid() && it->key().starts_with(prefix) && step < 64; it->Next(), ++step) {
      KeyType type;
      uint64_t expire_ms;
      if (!PeekMetadata(std::string_view(it->value().data(), it->value().size()), &type, &expire_ms).ok()) continue;
      if (expire_ms != 0 && expire_ms <= now) continue;
      MetaKey meta_key;
      if (DecodeMetaKey(std::string_view(it->key().data(), it->key().size()), &meta_key)) {
        return std::optional<std::string>(std::string(meta_key.user_key));
      }
    }
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
  }
  return std::optional<std::string>();
}

KeyCounts PartialCount::Totals() const {
  KeyCounts totals{keys, expires, 0};
  if (expires > 0) totals.avg_ttl_ms = static_cast<uint64_t>(ttl_sum_ms / expires);
  return totals;
}

Result<KeyCounts> Keyspace::Count(uint8_t db) {
  PartialCount count;
  KVD_RETURN_IF_ERROR(CountWindow(db, SIZE_MAX, &count));
  return count.Totals();
}

Status Keyspace::CountWindow(uint8_t db, size_t budget, PartialCount* count) {
  std::string prefix = DbPrefix(db);
  std::string upper = PrefixEnd(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it = engine_.NewIterator(options, engine_.meta());
  uint64_t now = engine_.NowMs();
  size_t visited = 0;
  it->Seek(count->next.empty() ? prefix : count->next);
  for (; it->Valid() && it->key().starts_with(prefix) && visited < budget; it->Next(), ++visited) {
    KeyType type;
    uint64_t expire_ms;
    if (!PeekMetadata(std::string_view(it->value().data(), it->value().size()), &type, &expire_ms).ok()) continue;
    if (expire_ms != 0 && expire_ms <= now) continue;
    ++count->keys;
    if (expire_ms != 0) {
      ++count->expires;
      count->ttl_sum_ms += static_cast<long double>(expire_ms - now);
    }
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  if (it->Valid() && it->key().starts_with(prefix)) {
    count->next.assign(it->key().data(), it->key().size());
  } else {
    count->next.clear();
  }
  return Status::Ok();
}

// Flushes lock every key stripe: see KeyLockGuard::EveryKey.
Status Keyspace::FlushRange(const std::string& begin, const std::string& end) {
  KeyLockGuard guard(engine_.locks(), KeyLockGuard::EveryKey{});
  rocksdb::WriteBatch batch;
  for (auto* cf : {engine_.meta(), engine_.data(), engine_.zscore()}) {
    rocksdb::Status status = batch.DeleteRange(cf, begin, end);
    if (!status.ok()) return Status::IOError(status.ToString());
  }
  return engine_.Commit(&batch);
}

Status Keyspace::FlushDb(uint8_t db) { return FlushRange(DbPrefix(db), PrefixEnd(DbPrefix(db))); }

Status Keyspace::FlushAll() { return FlushRange(std::string(1, '\0'), std::string(2, '\xFF')); }

Result<std::pair<std::string, uint64_t>> Keyspace::SweepExpired(std::string_view from, size_t budget) {
  std::vector<std::string> expired;
  std::string next;
  {
    std::unique_ptr<rocksdb::Iterator> it = engine_.NewIterator(rocksdb::ReadOptions(), engine_.meta());
    uint64_t now = engine_.NowMs();
    size_t visited = 0;
    for (it->Seek(rocksdb::Slice(from.data(), from.size())); it->Valid() && visited < budget; it->Next(), ++visited) {
      KeyType type;
      uint64_t expire_ms;
      if (!PeekMetadata(std::string_view(it->value().data(), it->value().size()), &type, &expire_ms).ok()) continue;
      if (expire_ms != 0 && expire_ms <= now) expired.emplace_back(it->key().data(), it->key().size());
    }
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
    if (it->Valid()) next.assign(it->key().data(), it->key().size());
  }
  uint64_t deleted = 0;
  for (const std::string& meta_key : expired) {
    MetaKey decoded;
    if (!DecodeMetaKey(meta_key, &decoded)) continue;
    KeyLockGuard guard(engine_.locks(), decoded.db, decoded.user_key);
    std::string raw;
    Status status = engine_.Get(engine_.meta(), meta_key, &raw);
    if (!status.ok()) continue;  // deleted meanwhile
    KeyType type;
    uint64_t expire_ms;
    // Re-check under the lock: the key may have been rewritten since the scan.
    if (!PeekMetadata(raw, &type, &expire_ms).ok() || expire_ms == 0 || expire_ms > engine_.NowMs()) continue;
    rocksdb::WriteBatch batch;
    batch.Delete(engine_.meta(), meta_key);
    // Replicas and binlog replays delete it when the master did, as in Redis.
    Engine::AddRecord(&batch, decoded.db, {"DEL", std::string(decoded.user_key)}, engine_.NowMs());
    KVD_RETURN_IF_ERROR(engine_.Commit(&batch));
    ++deleted;
  }
  return std::make_pair(std::move(next), deleted);
}

}  // namespace kvd::storage
