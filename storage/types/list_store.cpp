#include "storage/types/list_store.h"

#include <rocksdb/snapshot.h>

#include <algorithm>

#include "storage/key_locks.h"
#include "storage/live_meta.h"
#include "storage/types/collection.h"

namespace kvd::storage {
namespace {

constexpr const char* kIndexOutOfRange = "ERR index out of range";
constexpr size_t kBoundsSize = 16;  // meta tail: [head:8][tail:8]

std::string IndexField(uint64_t index) {
  std::string field;
  PutBigEndian64(&field, index);
  return field;
}

std::string IndexKey(const std::string& prefix, uint64_t index) {
  std::string key = prefix;
  PutBigEndian64(&key, index);
  return key;
}

bool FieldIs(std::string_view field, uint64_t index) {
  return field.size() == 8 && GetBigEndian64(field.data()) == index;
}

Status MissingElement() { return Status::Corruption("list element missing (metadata and elements disagree)"); }

// Redis's LRANGE/LTRIM rule: negative indexes count from the end, the start
// is clamped to 0 and the stop to the last element; false when empty.
bool NormalizeListRange(int64_t size, int64_t* start, int64_t* stop) {
  if (*start < 0) *start += size;
  if (*stop < 0) *stop += size;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= size) return false;
  if (*stop >= size) *stop = size - 1;
  return true;
}

// LINDEX/LSET: negative counts from the end; false when out of range.
bool NormalizeListIndex(int64_t size, int64_t* index) {
  if (*index < 0) *index += size;
  return *index >= 0 && *index < size;
}

bool HasRoom(uint64_t head, uint64_t tail, ListSide side, uint64_t count) {
  return side == ListSide::kLeft ? head >= count : UINT64_MAX - tail >= count;
}

}  // namespace

// ---- metadata -----------------------------------------------------------

namespace {
Status DecodeBounds(const Metadata& meta, uint64_t* head, uint64_t* tail) {
  if (meta.tail.size() != kBoundsSize) return Status::Corruption("list metadata without head/tail");
  *head = GetBigEndian64(meta.tail.data());
  *tail = GetBigEndian64(meta.tail.data() + 8);
  if (*tail < *head || *tail - *head != meta.size) return Status::Corruption("list head/tail disagree with size");
  return Status::Ok();
}
}  // namespace

Status ListStore::LoadForWrite(uint8_t db, std::string_view key, State* state) {
  KVD_RETURN_IF_ERROR(LoadCollection(engine_, db, key, KeyType::kList, &state->meta, &state->exists));
  if (!state->exists) return Status::Ok();
  return DecodeBounds(state->meta, &state->head, &state->tail);
}

Status ListStore::LoadForRead(const rocksdb::Snapshot* snapshot, uint8_t db, std::string_view key, State* state) {
  // An iterator rather than Get: it reads at the snapshot and still sees the
  // writes of an open MULTI/EXEC transaction.
  std::string meta_key = EncodeMetaKey(db, key);
  std::string upper = meta_key + '\0';
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it = engine_.NewIterator(options, engine_.meta());
  it->Seek(meta_key);
  state->exists = false;
  if (!it->Valid() || it->key() != rocksdb::Slice(meta_key)) {
    return it->status().ok() ? Status::Ok() : Status::IOError(it->status().ToString());
  }
  KVD_RETURN_IF_ERROR(DecodeMetadata(std::string_view(it->value().data(), it->value().size()), &state->meta));
  if (state->meta.IsExpired(engine_.NowMs())) return Status::Ok();
  if (state->meta.type != KeyType::kList) return Status::WrongType();
  state->exists = true;
  return DecodeBounds(state->meta, &state->head, &state->tail);
}

void ListStore::SaveMeta(WriteSet* batch, uint8_t db, std::string_view key, State* state) {
  state->meta.size = state->size();
  state->meta.tail.clear();
  PutBigEndian64(&state->meta.tail, state->head);
  PutBigEndian64(&state->meta.tail, state->tail);
  StoreCollectionMeta(engine_, batch, db, key, state->meta);
}

// ---- reading elements ---------------------------------------------------

Status ListStore::ReadSpan(uint8_t db, std::string_view key, const State& state, uint64_t first, uint64_t count,
                           const rocksdb::Snapshot* snapshot, std::vector<std::string>* out) {
  if (count == 0) return Status::Ok();
  uint64_t index = state.head + first;
  if (count == 1 && snapshot == nullptr) {  // the common pop: one point lookup
    std::string value;
    Status status = engine_.Get(engine_.data(), EncodeSubKey(db, key, state.meta.version, IndexField(index)), &value);
    if (status.Is(Status::Code::kNotFound)) return MissingElement();
    KVD_RETURN_IF_ERROR(status);
    out->push_back(std::move(value));
    return Status::Ok();
  }
  SubKeyIterator it(engine_, engine_.data(), db, key, state.meta.version, snapshot);
  it.Seek(IndexField(index));
  out->reserve(out->size() + count);
  for (uint64_t i = 0; i < count; ++i, ++index, it.Next()) {
    if (!it.Valid() || !FieldIs(it.field(), index)) {
      KVD_RETURN_IF_ERROR(it.status());
      return MissingElement();
    }
    out->emplace_back(it.value());
  }
  return it.status();
}

template <typename Visit>
Status ListStore::Scan(uint8_t db, std::string_view key, const State& state, bool from_tail,
                       const rocksdb::Snapshot* snapshot, Visit&& visit) {
  if (state.size() == 0) return Status::Ok();
  SubKeyIterator it(engine_, engine_.data(), db, key, state.meta.version, snapshot);
  if (from_tail) {
    it.SeekForPrev(IndexField(state.tail - 1));
  } else {
    it.Seek(IndexField(state.head));
  }
  for (uint64_t n = 0; n < state.size(); ++n) {
    uint64_t index = from_tail ? state.tail - 1 - n : state.head + n;
    if (!it.Valid() || !FieldIs(it.field(), index)) {
      KVD_RETURN_IF_ERROR(it.status());
      return MissingElement();
    }
    if (!visit(index - state.head, it.value())) break;
    if (from_tail) {
      it.Prev();
    } else {
      it.Next();
    }
  }
  return it.status();
}

// ---- pushing and popping ------------------------------------------------

Status ListStore::PushLocked(WriteSet* batch, uint8_t db, std::string_view key, State* state,
                             ListSide side, const std::vector<std::string_view>& values) {
  if (!HasRoom(state->head, state->tail, side, values.size())) {
    return Status::OutOfRange("ERR list has no room left at that end");
  }
  std::string prefix = EncodeSubKeyPrefix(db, key, state->meta.version);
  for (std::string_view value : values) {
    uint64_t index = side == ListSide::kLeft ? --state->head : state->tail++;
    batch->Put(engine_.data(), IndexKey(prefix, index), value);
  }
  return Status::Ok();
}

// A queue popped by many clients, or by a pipeline, pops one element per
// command. The next elements sit side by side: one iterator reads them for a
// fraction of a point read each (RPOP at pipeline 16 spent more than a third
// of its CPU in point reads). They come from the database, not the commit
// group, whose own writes are read first anyway.
void ListStore::ReadAheadPops(uint8_t db, std::string_view key, const State& state, ListSide side) {
  constexpr uint64_t kElements = 32;
  if (!engine_.CanKeepLockedReadAhead()) return;
  bool from_left = side == ListSide::kLeft;
  std::string prefix = EncodeSubKeyPrefix(db, key, state.meta.version);
  if (Engine::IsReadAhead(engine_.data(), IndexKey(prefix, from_left ? state.head : state.tail - 1))) return;
  uint64_t count = std::min(kElements, state.size());
  uint64_t lowest = from_left ? state.head : state.tail - count;
  std::string lower = IndexKey(prefix, lowest);
  std::string upper = IndexKey(prefix, lowest + count - 1) + '\0';
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_slice;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(engine_.db()->NewIterator(options, engine_.data()));
  std::vector<std::string> keys, values;
  keys.reserve(count);
  values.reserve(count);
  for (from_left ? it->SeekToFirst() : it->SeekToLast(); it->Valid(); from_left ? it->Next() : it->Prev()) {
    keys.emplace_back(it->key().data(), it->key().size());
    values.emplace_back(it->value().data(), it->value().size());
  }
  // An error only costs the read-ahead: each pop then reads its element itself.
  if (it->status().ok()) engine_.KeepLockedReadAhead(engine_.data(), std::move(keys), values);
}

Status ListStore::PopLocked(WriteSet* batch, uint8_t db, std::string_view key, State* state,
                            ListSide side, uint64_t count, std::vector<std::string>* out) {
  uint64_t taken = std::min(count, state->size());
  uint64_t first = side == ListSide::kLeft ? 0 : state->size() - taken;
  if (taken == 1) ReadAheadPops(db, key, *state, side);
  std::vector<std::string> values;
  KVD_RETURN_IF_ERROR(ReadSpan(db, key, *state, first, taken, nullptr, &values));
  if (side == ListSide::kRight) std::reverse(values.begin(), values.end());
  // Deleted even when the list empties: a rotation (LMOVE l l) reuses the version.
  std::string prefix = EncodeSubKeyPrefix(db, key, state->meta.version);
  for (uint64_t i = 0; i < taken; ++i) {
    uint64_t index = side == ListSide::kLeft ? state->head++ : --state->tail;
    batch->Delete(engine_.data(), IndexKey(prefix, index));
  }
  for (auto& value : values) out->push_back(std::move(value));
  return Status::Ok();
}

Result<uint64_t> ListStore::Push(uint8_t db, std::string_view key, ListSide side,
                                 const std::vector<std::string_view>& values, bool only_if_exists) {
  KeyLockGuard guard(engine_.locks(), db, key);
  State state;
  KVD_RETURN_IF_ERROR(LoadForWrite(db, key, &state));
  if (only_if_exists && !state.exists) return uint64_t{0};
  WriteSet batch;
  KVD_RETURN_IF_ERROR(PushLocked(&batch, db, key, &state, side, values));
  SaveMeta(&batch, db, key, &state);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return state.size();
}

Result<uint64_t> ListStore::Replace(uint8_t db, std::string_view key, const std::vector<std::string_view>& values) {
  KeyLockGuard guard(engine_.locks(), db, key);
  if (values.empty()) {
    KVD_RETURN_IF_ERROR(DeleteIfLive(engine_, db, key));
    return uint64_t{0};
  }
  State state;
  state.meta.type = KeyType::kList;
  state.meta.version = engine_.NextVersion();
  WriteSet batch;
  KVD_RETURN_IF_ERROR(PushLocked(&batch, db, key, &state, ListSide::kRight, values));
  SaveMeta(&batch, db, key, &state);  // empty: deletes the key
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return state.size();
}

Result<std::optional<std::vector<std::string>>> ListStore::Pop(uint8_t db, std::string_view key, ListSide side,
                                                               uint64_t count) {
  KeyLockGuard guard(engine_.locks(), db, key);
  State state;
  KVD_RETURN_IF_ERROR(LoadForWrite(db, key, &state));
  if (!state.exists) return std::optional<std::vector<std::string>>();
  std::vector<std::string> values;
  if (count > 0) {
    WriteSet batch;
    KVD_RETURN_IF_ERROR(PopLocked(&batch, db, key, &state, side, count, &values));
    SaveMeta(&batch, db, key, &state);
    KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  }
  return std::optional<std::vector<std::string>>(std::move(values));
}

Result<std::optional<ListPopResult>> ListStore::PopFirstNonEmpty(uint8_t db, const std::vector<std::string_view>& keys,
                                                                 ListSide side, uint64_t count) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys;
  for (std::string_view key : keys) lock_keys.emplace_back(db, key);
  KeyLockGuard guard(engine_.locks(), lock_keys);
  for (std::string_view key : keys) {
    State state;
    KVD_RETURN_IF_ERROR(LoadForWrite(db, key, &state));
    if (!state.exists) continue;
    ListPopResult result;
    result.key = std::string(key);
    WriteSet batch;
    KVD_RETURN_IF_ERROR(PopLocked(&batch, db, key, &state, side, count, &result.values));
    SaveMeta(&batch, db, key, &state);
    KVD_RETURN_IF_ERROR(engine_.Commit(batch));
    return std::optional<ListPopResult>(std::move(result));
  }
  return std::optional<ListPopResult>();
}

Result<std::optional<std::string>> ListStore::Move(uint8_t db, std::string_view source, std::string_view destination,
                                                   ListSide from, ListSide to) {
  KeyLockGuard guard(engine_.locks(), {{db, source}, {db, destination}});
  State source_state;
  KVD_RETURN_IF_ERROR(LoadForWrite(db, source, &source_state));
  if (!source_state.exists) return std::optional<std::string>();
  // The same key is one list: popping and pushing work on one state.
  bool same_key = source == destination;
  State destination_storage;
  State* destination_state = same_key ? &source_state : &destination_storage;
  if (!same_key) KVD_RETURN_IF_ERROR(LoadForWrite(db, destination, &destination_storage));

  WriteSet batch;
  std::vector<std::string> moved;
  KVD_RETURN_IF_ERROR(PopLocked(&batch, db, source, &source_state, from, 1, &moved));
  KVD_RETURN_IF_ERROR(PushLocked(&batch, db, destination, destination_state, to, {moved.front()}));
  if (!same_key) SaveMeta(&batch, db, source, &source_state);
  SaveMeta(&batch, db, destination, destination_state);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return std::optional<std::string>(std::move(moved.front()));
}

// ---- reads --------------------------------------------------------------

Result<uint64_t> ListStore::Length(uint8_t db, std::string_view key) {
  Metadata meta;
  Status status = ReadLiveMeta(engine_, db, key, &meta);
  if (status.Is(Status::Code::kNotFound)) return uint64_t{0};
  KVD_RETURN_IF_ERROR(status);
  if (meta.type != KeyType::kList) return Status::WrongType();
  return meta.size;
}

Result<std::vector<std::string>> ListStore::Range(uint8_t db, std::string_view key, int64_t start, int64_t stop) {
  rocksdb::ManagedSnapshot snapshot(engine_.db());
  State state;
  KVD_RETURN_IF_ERROR(LoadForRead(snapshot.snapshot(), db, key, &state));
  std::vector<std::string> values;
  if (!state.exists || !NormalizeListRange(static_cast<int64_t>(state.size()), &start, &stop)) return values;
  KVD_RETURN_IF_ERROR(ReadSpan(db, key, state, static_cast<uint64_t>(start), static_cast<uint64_t>(stop - start + 1),
                               snapshot.snapshot(), &values));
  return values;
}

Result<std::optional<std::string>> ListStore::Index(uint8_t db, std::string_view key, int64_t index) {
  rocksdb::ManagedSnapshot snapshot(engine_.db());
  State state;
  KVD_RETURN_IF_ERROR(LoadForRead(snapshot.snapshot(), db, key, &state));
  if (!state.exists || !NormalizeListIndex(static_cast<int64_t>(state.size()), &index)) {
    return std::optional<std::string>();
  }
  std::vector<std::string> values;
  KVD_RETURN_IF_ERROR(ReadSpan(db, key, state, static_cast<uint64_t>(index), 1, snapshot.snapshot(), &values));
  return std::optional<std::string>(std::move(values.front()));
}

Result<std::vector<uint64_t>> ListStore::Positions(uint8_t db, std::string_view key, std::string_view value,
                                                   const ListPosOptions& options) {
  rocksdb::ManagedSnapshot snapshot(engine_.db());
  State state;
  KVD_RETURN_IF_ERROR(LoadForRead(snapshot.snapshot(), db, key, &state));
  std::vector<uint64_t> positions;
  if (!state.exists) return positions;
  uint64_t compared = 0;
  uint64_t skipped = 0;
  auto visit = [&](uint64_t position, std::string_view element) {
    ++compared;
    if (element == value) {
      if (skipped < options.skip_matches) {
        ++skipped;
      } else {
        positions.push_back(position);
        if (options.max_matches != 0 && positions.size() == options.max_matches) return false;
      }
    }
    return options.max_compared == 0 || compared < options.max_compared;
  };
  KVD_RETURN_IF_ERROR(Scan(db, key, state, options.from_tail, snapshot.snapshot(), visit));
  return positions;
}

// ---- rewrites -----------------------------------------------------------

Status ListStore::Set(uint8_t db, std::string_view key, int64_t index, std::string_view value) {
  KeyLockGuard guard(engine_.locks(), db, key);
  State state;
  KVD_RETURN_IF_ERROR(LoadForWrite(db, key, &state));
  if (!state.exists) return Status::NotFound();
  if (!NormalizeListIndex(static_cast<int64_t>(state.size()), &index)) return Status::OutOfRange(kIndexOutOfRange);
  WriteSet batch;
  batch.Put(engine_.data(), EncodeSubKey(db, key, state.meta.version, IndexField(state.head + index)), value);
  // Rewriting the unchanged meta keeps "every list write touches the meta
  // record", which is what watchers of the key look for.
  SaveMeta(&batch, db, key, &state);
  return engine_.Commit(batch);
}

Result<int64_t> ListStore::Insert(uint8_t db, std::string_view key, bool before, std::string_view pivot,
                                  std::string_view value) {
  KeyLockGuard guard(engine_.locks(), db, key);
  State state;
  KVD_RETURN_IF_ERROR(LoadForWrite(db, key, &state));
  if (!state.exists) return int64_t{0};
  std::optional<uint64_t> pivot_position;
  KVD_RETURN_IF_ERROR(Scan(db, key, state, false, nullptr, [&](uint64_t position, std::string_view element) {
    if (element == pivot) pivot_position = position;
    return !pivot_position.has_value();
  }));
  if (!pivot_position) return int64_t{-1};

  uint64_t at = before ? *pivot_position : *pivot_position + 1;  // the new element's position
  uint64_t size = state.size();
  bool shift_left = at <= size - at;  // move whichever side is shorter by one
  if (!HasRoom(state.head, state.tail, shift_left ? ListSide::kLeft : ListSide::kRight, 1)) {
    return Status::OutOfRange("ERR list has no room left at that end");
  }
  std::vector<std::string> moved;
  KVD_RETURN_IF_ERROR(ReadSpan(db, key, state, shift_left ? 0 : at, shift_left ? at : size - at, nullptr, &moved));
  std::string prefix = EncodeSubKeyPrefix(db, key, state.meta.version);
  WriteSet batch;
  if (shift_left) {
    --state.head;
    for (uint64_t i = 0; i < moved.size(); ++i) batch.Put(engine_.data(), IndexKey(prefix, state.head + i), moved[i]);
  } else {
    for (uint64_t i = 0; i < moved.size(); ++i) {
      batch.Put(engine_.data(), IndexKey(prefix, state.head + at + 1 + i), moved[i]);
    }
    ++state.tail;
  }
  batch.Put(engine_.data(), IndexKey(prefix, state.head + at), value);
  SaveMeta(&batch, db, key, &state);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return static_cast<int64_t>(state.size());
}

Status ListStore::RemovePositions(WriteSet* batch, uint8_t db, std::string_view key, State* state,
                                  const std::vector<uint64_t>& positions) {
  uint64_t size = state->size();
  if (positions.size() == size) {  // everything goes: dropping the meta retires the elements
    state->tail = state->head;
    return Status::Ok();
  }
  uint64_t first = positions.front();
  uint64_t last = positions.back();
  std::string prefix = EncodeSubKeyPrefix(db, key, state->meta.version);
  std::vector<std::string> values;
  if (size - first <= last + 1) {
    // Shift the elements after `first` towards the head.
    KVD_RETURN_IF_ERROR(ReadSpan(db, key, *state, first, size - first, nullptr, &values));
    uint64_t write = first;
    size_t next_removed = 0;
    for (uint64_t position = first; position < size; ++position) {
      if (next_removed < positions.size() && positions[next_removed] == position) {
        ++next_removed;
        continue;
      }
      if (write != position) batch->Put(engine_.data(), IndexKey(prefix, state->head + write), values[position - first]);
      ++write;
    }
    for (uint64_t index = state->head + write; index < state->tail; ++index) {
      batch->Delete(engine_.data(), IndexKey(prefix, index));
    }
    state->tail = state->head + write;
    return Status::Ok();
  }
  // Shift the elements before `last` towards the tail.
  KVD_RETURN_IF_ERROR(ReadSpan(db, key, *state, 0, last + 1, nullptr, &values));
  uint64_t write_end = last + 1;  // positions [write_end, last] are already placed
  size_t removed_left = positions.size();
  for (uint64_t position = last + 1; position-- > 0;) {
    if (removed_left > 0 && positions[removed_left - 1] == position) {
      --removed_left;
      continue;
    }
    --write_end;
    if (write_end != position) batch->Put(engine_.data(), IndexKey(prefix, state->head + write_end), values[position]);
  }
  for (uint64_t index = state->head; index < state->head + write_end; ++index) {
    batch->Delete(engine_.data(), IndexKey(prefix, index));
  }
  state->head += write_end;
  return Status::Ok();
}

Result<uint64_t> ListStore::Remove(uint8_t db, std::string_view key, int64_t count, std::string_view value) {
  KeyLockGuard guard(engine_.locks(), db, key);
  State state;
  KVD_RETURN_IF_ERROR(LoadForWrite(db, key, &state));
  if (!state.exists) return uint64_t{0};
  bool from_tail = count < 0;
  // |count| without overflowing on INT64_MIN; 0 means every match.
  uint64_t limit = from_tail ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  std::vector<uint64_t> positions;
  KVD_RETURN_IF_ERROR(Scan(db, key, state, from_tail, nullptr, [&](uint64_t position, std::string_view element) {
    if (element == value) positions.push_back(position);
    return limit == 0 || positions.size() < limit;
  }));
  if (positions.empty()) return uint64_t{0};
  if (from_tail) std::reverse(positions.begin(), positions.end());
  WriteSet batch;
  KVD_RETURN_IF_ERROR(RemovePositions(&batch, db, key, &state, positions));
  SaveMeta(&batch, db, key, &state);
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return static_cast<uint64_t>(positions.size());
}

Status ListStore::Trim(uint8_t db, std::string_view key, int64_t start, int64_t stop) {
  KeyLockGuard guard(engine_.locks(), db, key);
  State state;
  KVD_RETURN_IF_ERROR(LoadForWrite(db, key, &state));
  if (!state.exists) return Status::Ok();
  WriteSet batch;
  if (!NormalizeListRange(static_cast<int64_t>(state.size()), &start, &stop)) {
    state.tail = state.head;  // empty: dropping the meta retires every element at once
  } else {
    std::string prefix = EncodeSubKeyPrefix(db, key, state.meta.version);
    uint64_t new_head = state.head + static_cast<uint64_t>(start);
    uint64_t new_tail = state.head + static_cast<uint64_t>(stop) + 1;
    for (uint64_t index = state.head; index < new_head; ++index) batch.Delete(engine_.data(), IndexKey(prefix, index));
    for (uint64_t index = new_tail; index < state.tail; ++index) batch.Delete(engine_.data(), IndexKey(prefix, index));
    state.head = new_head;
    state.tail = new_tail;
  }
  SaveMeta(&batch, db, key, &state);
  return engine_.Commit(batch);
}

}  // namespace kvd::storage
