// PFADD, PFCOUNT and PFMERGE over HyperLogLog strings, under the string
// store's key locks. The value format is storage/types/hyperloglog.h's.
#include "storage/key_locks.h"
#include "storage/types/hyperloglog.h"
#include "storage/types/string_store.h"

namespace kvd::storage {

Result<bool> StringStore::PfAdd(uint8_t db, std::string_view key, const std::vector<std::string_view>& elements) {
  KeyLockGuard guard(engine_.locks(), db, key);
  Current current;
  KVD_RETURN_IF_ERROR(Load(db, key, &current));
  HllRegisters registers{};
  if (!current.exists) current.value = EncodeHll(registers, false);
  bool dense = false;
  KVD_RETURN_IF_ERROR(DecodeHll(current.value, &registers, &dense));
  bool changed = false;
  for (std::string_view element : elements) {
    HllPattern pattern = HllPatternOf(element);
    if (pattern.count > registers[pattern.index]) {
      registers[pattern.index] = pattern.count;
      changed = true;
    }
  }
  if (!changed && current.exists) return false;
  std::string value = changed ? EncodeHll(registers, dense) : current.value;
  KVD_RETURN_IF_ERROR(Store(db, key, value, current.expire_ms, current.meta_key));
  return true;
}

Result<uint64_t> StringStore::PfCount(uint8_t db, const std::vector<std::string_view>& keys) {
  HllRegisters merged{};
  for (std::string_view key : keys) {
    Current current;
    KVD_RETURN_IF_ERROR(Load(db, key, &current));
    if (!current.exists) continue;
    HllRegisters registers{};
    bool dense = false;
    KVD_RETURN_IF_ERROR(DecodeHll(current.value, &registers, &dense));
    for (size_t i = 0; i < kHllRegisters; ++i) merged[i] = std::max(merged[i], registers[i]);
  }
  return EstimateCardinality(merged);
}

Status StringStore::PfMerge(uint8_t db, std::string_view dest, const std::vector<std::string_view>& sources) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys = {{db, dest}};
  for (std::string_view source : sources) lock_keys.emplace_back(db, source);
  KeyLockGuard guard(engine_.locks(), lock_keys);
  HllRegisters merged{};
  bool any_dense = false;
  Current target;
  auto merge = [&](std::string_view key, Current* current) -> Status {
    KVD_RETURN_IF_ERROR(Load(db, key, current));
    if (!current->exists) return Status::Ok();
    HllRegisters registers{};
    bool dense = false;
    KVD_RETURN_IF_ERROR(DecodeHll(current->value, &registers, &dense));
    any_dense = any_dense || dense;
    for (size_t i = 0; i < kHllRegisters; ++i) merged[i] = std::max(merged[i], registers[i]);
    return Status::Ok();
  };
  KVD_RETURN_IF_ERROR(merge(dest, &target));  // as Redis: the destination is one of the sources
  for (std::string_view source : sources) {
    Current current;
    KVD_RETURN_IF_ERROR(merge(source, &current));
  }
  return Store(db, dest, EncodeHll(merged, any_dense), target.exists ? target.expire_ms : 0, target.meta_key);
}

}  // namespace kvd::storage
