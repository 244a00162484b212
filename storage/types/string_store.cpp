#include "storage/types/string_store.h"

#include <bit>
#include <cmath>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "storage/encoding.h"
#include "storage/key_locks.h"
#include "storage/live_meta.h"

namespace kvd::storage {

bool NormalizeRange(int64_t length, int64_t* start, int64_t* end) {
  // Redis's rule: negative indexes count from the end, and both are then
  // clamped to 0, so an end before the beginning still selects index 0
  // (GETRANGE "Hello" 0 -100 is "H" in every Redis version).
  if (*start < 0) *start = length + *start;
  if (*end < 0) *end = length + *end;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= length) *end = length - 1;
  return length > 0 && *start <= *end;
}

// The meta key of `key`: in a run of GETs read ahead, usually the one the
// read-ahead already encoded (its slot costs a CRC of the key).
std::string_view StringStore::MetaKeyOf(uint8_t db, std::string_view key, std::string* scratch) const {
  std::string_view next = Engine::NextReadAheadKey(engine_.meta());
  MetaKey decoded;
  if (!next.empty() && DecodeMetaKey(next, &decoded) && decoded.db == db && decoded.user_key == key) return next;
  *scratch = EncodeMetaKey(db, key);
  return *scratch;
}

Status StringStore::Load(uint8_t db, std::string_view key, Current* current) {
  std::string raw;
  Status status = engine_.Get(engine_.meta(), MetaKeyOf(db, key, &current->meta_key), &raw);
  if (status.Is(Status::Code::kNotFound)) return Status::Ok();
  KVD_RETURN_IF_ERROR(status);
  Metadata meta;
  KVD_RETURN_IF_ERROR(DecodeMetadata(raw, &meta));
  if (meta.IsExpired(engine_.NowMs())) return Status::Ok();
  if (meta.type != KeyType::kString) return Status::WrongType();
  current->exists = true;
  current->value = std::move(meta.value);
  current->expire_ms = meta.expire_ms;
  return Status::Ok();
}

Status StringStore::Store(uint8_t db, std::string_view key, std::string_view value, uint64_t expire_ms,
                          std::string_view meta_key) {
  std::string encoded;
  if (meta_key.empty()) {
    encoded = EncodeMetaKey(db, key);
    meta_key = encoded;
  }
  WriteSet batch;
  batch.Put(engine_.meta(), meta_key, EncodeStringMetadata(value, expire_ms));
  return engine_.Commit(batch);
}

Result<std::optional<std::string>> StringStore::Get(uint8_t db, std::string_view key) {
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  if (!current.exists) return std::optional<std::string>();
  return std::optional<std::string>(std::move(current.value));
}

Result<std::vector<std::optional<std::string>>> StringStore::MultiGet(uint8_t db,
                                                                      const std::vector<std::string_view>& keys) {
  std::vector<std::optional<std::string>> result(keys.size());
  struct ClearAtExit {
    ~ClearAtExit() { Engine::ClearReadAhead(); }
  } clear_at_exit;
  if (keys.size() > 1) ReadAheadForGets(db, keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    Current current;
    Status status = Load(db, keys[i], &current);
    if (status.Is(Status::Code::kWrongType)) continue;  // MGET reads other types as nil
    KVD_RETURN_IF_ERROR(status);
    if (current.exists) result[i] = std::move(current.value);
  }
  return result;
}

void StringStore::ReadAheadForGets(uint8_t db, const std::vector<std::string_view>& keys) {
  std::vector<std::string> meta_keys;
  meta_keys.reserve(keys.size());
  for (std::string_view key : keys) meta_keys.push_back(EncodeMetaKey(db, key));
  engine_.ReadAheadKeys(engine_.meta(), std::move(meta_keys));
}

Result<SetResult> StringStore::Set(uint8_t db, std::string_view key, std::string_view value,
                                   const SetOptions& options) {
  KeyLockGuard guard(engine_.locks(), db, key);
  SetResult result;
  bool plain = options.condition == SetOptions::Condition::kAlways && options.ttl != SetOptions::Ttl::kKeep &&
               !options.return_old;
  uint64_t expire_ms = options.ttl == SetOptions::Ttl::kSetAt ? options.expire_at_ms : 0;
  if (!plain) {
    // Any type counts for NX/XX; only GET insists on a string.
    Metadata meta;
    Status status = ReadLiveMeta(engine_, db, key, &meta);
    bool exists = status.ok();
    if (!exists && !status.Is(Status::Code::kNotFound)) return status;
    if (exists && options.return_old) {
      if (meta.type != KeyType::kString) return Status::WrongType();
      result.old_value = std::move(meta.value);
    }
    if (options.condition == SetOptions::Condition::kIfAbsent && exists) return result;
    if (options.condition == SetOptions::Condition::kIfPresent && !exists) return result;
    if (options.ttl == SetOptions::Ttl::kKeep && exists) expire_ms = meta.expire_ms;
  }
  KVD_RETURN_IF_ERROR(Store(db, key, value, expire_ms));
  result.written = true;
  return result;
}

Status StringStore::MultiSet(uint8_t db, const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys;
  for (const auto& pair : pairs) lock_keys.emplace_back(db, pair.first);
  KeyLockGuard guard(engine_.locks(), lock_keys);
  WriteSet batch;
  for (const auto& [key, value] : pairs) batch.Put(engine_.meta(), EncodeMetaKey(db, key), EncodeStringMetadata(value, 0));
  return engine_.Commit(batch);
}

Result<bool> StringStore::MultiSetIfNoneExist(uint8_t db,
                                              const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys;
  for (const auto& pair : pairs) lock_keys.emplace_back(db, pair.first);
  KeyLockGuard guard(engine_.locks(), lock_keys);
  for (const auto& pair : pairs) {
    Metadata meta;
    Status status = ReadLiveMeta(engine_, db, pair.first, &meta);
    if (status.ok()) return false;
    if (!status.Is(Status::Code::kNotFound)) return status;
  }
  WriteSet batch;
  for (const auto& [key, value] : pairs) batch.Put(engine_.meta(), EncodeMetaKey(db, key), EncodeStringMetadata(value, 0));
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return true;
}

Result<std::optional<std::string>> StringStore::GetDel(uint8_t db, std::string_view key) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  if (!current.exists) return std::optional<std::string>();
  WriteSet batch;
  batch.Delete(engine_.meta(), EncodeMetaKey(db, key));
  KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  return std::optional<std::string>(std::move(current.value));
}

Result<std::optional<std::string>> StringStore::GetEx(uint8_t db, std::string_view key, const TtlChange& change) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  if (!current.exists) return std::optional<std::string>();
  if (change.kind == TtlChange::Kind::kSetAt && change.expire_at_ms <= engine_.NowMs()) {
    WriteSet batch;
    batch.Delete(engine_.meta(), EncodeMetaKey(db, key));
    KVD_RETURN_IF_ERROR(engine_.Commit(batch));
  } else if (change.kind == TtlChange::Kind::kSetAt) {
    KVD_RETURN_IF_ERROR(Store(db, key, current.value, change.expire_at_ms, current.meta_key));
  } else if (change.kind == TtlChange::Kind::kPersist && current.expire_ms != 0) {
    KVD_RETURN_IF_ERROR(Store(db, key, current.value, 0, current.meta_key));
  }
  return std::optional<std::string>(std::move(current.value));
}

Result<int64_t> StringStore::IncrBy(uint8_t db, std::string_view key, int64_t delta) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  int64_t value = 0;
  if (current.exists && !ParseInt64(current.value, &value)) return Status::InvalidArgument(errors::kNotInteger);
  if ((delta > 0 && value > INT64_MAX - delta) || (delta < 0 && value < INT64_MIN - delta)) {
    return Status::OutOfRange(errors::kOverflow);
  }
  value += delta;
  KVD_RETURN_IF_ERROR(Store(db, key, FormatInt64(value), current.expire_ms, current.meta_key));
  return value;
}

Result<std::string> StringStore::IncrByFloat(uint8_t db, std::string_view key, long double delta) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  long double value = 0;
  if (current.exists && !ParseLongDouble(current.value, &value)) return Status::InvalidArgument(errors::kNotFloat);
  value += delta;
  if (std::isnan(value) || std::isinf(value)) return Status::InvalidArgument(errors::kFloatOverflow);
  std::string text = FormatLongDouble(value);
  KVD_RETURN_IF_ERROR(Store(db, key, text, current.expire_ms, current.meta_key));
  return text;
}

Result<size_t> StringStore::Append(uint8_t db, std::string_view key, std::string_view suffix) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  if (current.value.size() + suffix.size() > max_size()) return Status::InvalidArgument(errors::kStringTooLong);
  current.value.append(suffix);
  KVD_RETURN_IF_ERROR(Store(db, key, current.value, current.expire_ms, current.meta_key));
  return current.value.size();
}

Result<size_t> StringStore::StrLen(uint8_t db, std::string_view key) {
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  return current.value.size();
}

Result<std::string> StringStore::GetRange(uint8_t db, std::string_view key, int64_t start, int64_t end) {
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  int64_t length = static_cast<int64_t>(current.value.size());
  // Redis: both negative and start > end is empty; otherwise clamp.
  if (start < 0 && end < 0 && start > end) return std::string();
  if (!NormalizeRange(length, &start, &end)) return std::string();
  return current.value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1));
}

Result<size_t> StringStore::SetRange(uint8_t db, std::string_view key, uint64_t offset, std::string_view value) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  if (value.empty()) return current.value.size();
  if (offset + value.size() > max_size()) return Status::InvalidArgument(errors::kStringTooLong);
  if (current.value.size() < offset + value.size()) current.value.resize(offset + value.size(), '\0');
  current.value.replace(offset, value.size(), value);
  KVD_RETURN_IF_ERROR(Store(db, key, current.value, current.expire_ms, current.meta_key));
  return current.value.size();
}

Result<int> StringStore::GetBit(uint8_t db, std::string_view key, uint64_t offset) {
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  uint64_t byte = offset / 8;
  if (byte >= current.value.size()) return 0;
  return (static_cast<unsigned char>(current.value[byte]) >> (7 - offset % 8)) & 1;
}

Result<int> StringStore::SetBit(uint8_t db, std::string_view key, uint64_t offset, bool on) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  uint64_t byte = offset / 8;
  bool grows = current.value.size() <= byte;
  if (grows) current.value.resize(byte + 1, '\0');
  unsigned char mask = static_cast<unsigned char>(1u << (7 - offset % 8));
  auto& cell = reinterpret_cast<unsigned char&>(current.value[byte]);
  int previous = (cell & mask) ? 1 : 0;
  // As in Redis 7, a bit that already has the value asked for is no write:
  // WATCH stays clean and nothing goes to the binlog.
  if (current.exists && !grows && previous == (on ? 1 : 0)) return previous;
  cell = on ? (cell | mask) : (cell & ~mask);
  KVD_RETURN_IF_ERROR(Store(db, key, current.value, current.expire_ms, current.meta_key));
  return previous;
}

Result<std::vector<std::optional<int64_t>>> StringStore::Bitfield(uint8_t db, std::string_view key,
                                                                  const std::vector<BitfieldOp>& ops) {
  uint64_t write_end = BitfieldWriteEnd(ops);
  if (write_end == 0) {
    Current current;
    KVD_RETURN_IF_ERROR(Load(db, key, &current));
    return RunBitfield(&current.value, ops);
  }
  if (write_end > max_size() + 8) return Status::InvalidArgument(errors::kStringTooLong);  // a field may end past the last offset
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  bool grows = current.value.size() < write_end;
  if (grows) current.value.resize(write_end, '\0');
  std::vector<ByteSpan> before;
  if (current.exists && !grows) before = WrittenBytes(current.value, ops);
  std::vector<std::optional<int64_t>> replies = RunBitfield(&current.value, ops);
  // As in Redis 7 (and SETBIT above), ops that changed no byte are no write.
  if (current.exists && !grows && SameBytes(current.value, before)) return replies;
  KVD_RETURN_IF_ERROR(Store(db, key, current.value, current.expire_ms, current.meta_key));
  return replies;
}

Result<size_t> StringStore::BitOp(uint8_t db, BitOperation op, std::string_view dest,
                                  const std::vector<std::string_view>& sources) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys = {{db, dest}};
  for (std::string_view source : sources) lock_keys.emplace_back(db, source);
  KeyLockGuard guard(engine_.locks(), lock_keys);
  std::vector<std::string> values;
  values.reserve(sources.size());
  for (std::string_view source : sources) {
    Current current;
    KVD_RETURN_IF_ERROR(Load(db, source, &current));
    values.push_back(std::move(current.value));
  }
  std::string result = CombineBits(op, values);
  if (!result.empty()) {
    KVD_RETURN_IF_ERROR(Store(db, dest, result, 0));
    return result.size();
  }
  KVD_RETURN_IF_ERROR(DeleteIfLive(engine_, db, dest));
  return size_t{0};
}

int64_t CountBits(std::string_view value, BitRange range) {
  // Redis's BITCOUNT (unlike BITPOS): both negative and start > end counts nothing.
  if (range.start < 0 && range.end < 0 && range.start > range.end) return 0;
  int64_t length = static_cast<int64_t>(value.size());
  if (range.unit == BitUnit::kByte) {
    if (!NormalizeRange(length, &range.start, &range.end)) return 0;
    int64_t count = 0;
    for (int64_t i = range.start; i <= range.end; ++i) count += std::popcount(static_cast<unsigned char>(value[i]));
    return count;
  }
  if (!NormalizeRange(length * 8, &range.start, &range.end)) return 0;
  int64_t count = 0;
  for (int64_t bit = range.start; bit <= range.end; ++bit) {
    count += (static_cast<unsigned char>(value[bit / 8]) >> (7 - bit % 8)) & 1;
  }
  return count;
}

int64_t FindBit(std::string_view value, bool bit, BitRange range, bool end_given) {
  // An existing empty string has no bit to report, not even a clear one (as
  // Redis); only a missing key reads as an infinite run of zeros (BitPos).
  int64_t length = static_cast<int64_t>(value.size());
  int64_t total_bits = length * 8;
  int64_t first, last;
  if (range.unit == BitUnit::kByte) {
    if (!NormalizeRange(length, &range.start, &range.end)) return -1;
    first = range.start * 8;
    last = range.end * 8 + 7;
  } else {
    if (!NormalizeRange(total_bits, &range.start, &range.end)) return -1;
    first = range.start;
    last = range.end;
  }
  for (int64_t position = first; position <= last; ++position) {
    bool set = (static_cast<unsigned char>(value[position / 8]) >> (7 - position % 8)) & 1;
    if (set == bit) return position;
  }
  // Looking for a clear bit without an explicit end: the string is padded with zeros.
  if (!bit && !end_given) return last + 1;
  return -1;
}

Result<int64_t> StringStore::BitCount(uint8_t db, std::string_view key, std::optional<BitRange> range) {
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  return CountBits(current.value, range.value_or(BitRange{}));
}

Result<int64_t> StringStore::BitPos(uint8_t db, std::string_view key, bool bit, std::optional<BitRange> range,
                                    bool end_given) {
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  if (!current.exists) return bit ? int64_t{-1} : int64_t{0};
  return FindBit(current.value, bit, range.value_or(BitRange{}), end_given);
}

}  // namespace kvd::storage
