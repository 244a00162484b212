// Shared plumbing for the collection types (hash, list, set, zset): loading
// the metadata of a key of an expected type, writing it back, and iterating
// the sub-keys of one version of a key in a column family.
#pragma once

#include <rocksdb/iterator.h>
#include "storage/write_set.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/encoding.h"
#include "storage/engine.h"
#include "storage/types/field_range.h"

namespace kvd::storage {

// Loads `key` expecting `type`. Missing or expired keys yield `*exists = false`
// and a fresh metadata (new version, size 0) ready to be written; another type
// yields WrongType.
Status LoadCollection(Engine& engine, uint8_t db, std::string_view key, KeyType type, Metadata* meta, bool* exists);

// Puts the metadata, or deletes the key when the collection became empty.
void StoreCollectionMeta(Engine& engine, WriteSet* batch, uint8_t db, std::string_view key,
                         const Metadata& meta);

// Reads the sub-keys `members` of the hash, set or sorted set `key` (nothing
// for other types) in one MultiGet, for the commands of a pipeline about to
// look them up one by one (Engine::ReadAheadKeys). It locks `key` for the
// open commit group first, so nobody changes them before those commands run,
// and does nothing outside a group.
void ReadAheadMembers(Engine& engine, uint8_t db, std::string_view key, const std::vector<std::string_view>& members);

// The sub-keys of one version of one key, in order, within one column family.
// With a FieldRange it never looks outside it: the tombstones that removals
// left beyond the ends of a collection are neither sought over nor stepped over.
class SubKeyIterator {
 public:
  SubKeyIterator(Engine& engine, rocksdb::ColumnFamilyHandle* cf, uint8_t db, std::string_view key,
                 uint64_t version, const rocksdb::Snapshot* snapshot = nullptr, const FieldRange& range = {});
  void SeekToFirst();
  void SeekToLast();
  // Seeks to the first sub-key whose field is >= `field`.
  void Seek(std::string_view field);
  // Seeks to the last sub-key whose field is <= `field`.
  void SeekForPrev(std::string_view field);
  bool Valid() const;
  void Next();
  void Prev();
  std::string_view field() const;  // the sub-key after the key/version prefix
  std::string_view value() const;
  Status status() const;

 private:
  std::string prefix_;
  std::string lower_;  // prefix_ + the range's first field
  std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace kvd::storage
