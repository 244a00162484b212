#include "storage/types/collection.h"

#include "storage/live_meta.h"

namespace kvd::storage {

Status LoadCollection(Engine& engine, uint8_t db, std::string_view key, KeyType type, Metadata* meta, bool* exists) {
  Status status = ReadLiveMeta(engine, db, key, meta);
  if (status.Is(Status::Code::kNotFound)) {
    *exists = false;
    *meta = Metadata();
    meta->type = type;
    meta->version = engine.NextVersion();
    return Status::Ok();
  }
  KVD_RETURN_IF_ERROR(status);
  if (meta->type != type) return Status::WrongType();
  *exists = true;
  return Status::Ok();
}

void StoreCollectionMeta(Engine& engine, WriteSet* batch, uint8_t db, std::string_view key,
                         const Metadata& meta) {
  if (meta.size == 0) {
    batch->Delete(engine.meta(), EncodeMetaKey(db, key));
  } else {
    batch->Put(engine.meta(), EncodeMetaKey(db, key), EncodeMetadata(meta));
  }
}

void ReadAheadMembers(Engine& engine, uint8_t db, std::string_view key, const std::vector<std::string_view>& members) {
  if (members.empty() || !engine.CanKeepLockedReadAhead()) return;
  KeyLockGuard guard(engine.locks(), db, key);  // held by the group until its batch is written
  Metadata meta;
  if (!ReadLiveMeta(engine, db, key, &meta).ok()) return;
  if (meta.type != KeyType::kHash && meta.type != KeyType::kSet && meta.type != KeyType::kZSet) return;
  std::string prefix = EncodeSubKeyPrefix(db, key, meta.version);
  std::vector<std::string> sub_keys;
  sub_keys.reserve(members.size());
  for (std::string_view member : members) {
    sub_keys.push_back(prefix);
    sub_keys.back().append(member);
  }
  engine.ReadAheadKeys(engine.data(), std::move(sub_keys));
}

namespace {
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}
}  // namespace

SubKeyIterator::SubKeyIterator(Engine& engine, rocksdb::ColumnFamilyHandle* cf, uint8_t db, std::string_view key,
                               uint64_t version, const rocksdb::Snapshot* snapshot, const FieldRange& range)
    : prefix_(EncodeSubKeyPrefix(db, key, version)), lower_(prefix_), upper_(PrefixEnd(prefix_)) {
  if (range.first) lower_.append(*range.first);
  if (range.last) {
    upper_ = prefix_;
    upper_.append(*range.last).push_back('\0');  // the last field's successor
  }
  lower_slice_ = rocksdb::Slice(lower_);
  upper_slice_ = rocksdb::Slice(upper_);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_slice_;
  options.iterate_upper_bound = &upper_slice_;
  options.snapshot = snapshot;
  it_ = engine.NewIterator(options, cf);
}

void SubKeyIterator::SeekToFirst() { it_->Seek(lower_); }
void SubKeyIterator::SeekToLast() { it_->SeekForPrev(upper_); }

// The targets are clamped here too: the overlay of an open transaction or
// commit group ignores the iterator's bounds.
void SubKeyIterator::Seek(std::string_view field) {
  std::string target = prefix_;
  target.append(field);
  it_->Seek(target < lower_ ? lower_ : target);
}

void SubKeyIterator::SeekForPrev(std::string_view field) {
  std::string target = prefix_;
  target.append(field);
  it_->SeekForPrev(target >= upper_ ? upper_ : target);
}

bool SubKeyIterator::Valid() const {
  if (!it_->Valid()) return false;
  rocksdb::Slice key = it_->key();
  return key.starts_with(rocksdb::Slice(prefix_)) && key.compare(lower_slice_) >= 0 && key.compare(upper_slice_) < 0;
}
void SubKeyIterator::Next() { it_->Next(); }
void SubKeyIterator::Prev() { it_->Prev(); }

std::string_view SubKeyIterator::field() const {
  rocksdb::Slice key = it_->key();
  return std::string_view(key.data() + prefix_.size(), key.size() - prefix_.size());
}

std::string_view SubKeyIterator::value() const {
  rocksdb::Slice value = it_->value();
  return std::string_view(value.data(), value.size());
}

Status SubKeyIterator::status() const {
  return it_->status().ok() ? Status::Ok() : Status::IOError(it_->status().ToString());
}

}  // namespace kvd::storage
