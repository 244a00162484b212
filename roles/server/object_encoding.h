// What OBJECT ENCODING and MEMORY USAGE answer. kvd keeps every type in
// RocksDB, but tools (redis-cli --bigkeys/--memkeys, GUIs, client test
// suites) read these to tell small values from large ones, so kvd answers
// with the encoding Redis 7.0 would give the value under its default
// thresholds, and with the bytes the key takes in kvd's own encoding.
// Pure functions of the value and its sampled elements.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/encoding.h"
#include "storage/types/hash_store.h"

namespace kvd::server {

// Redis 7.0's defaults (hash-max-listpack-*, set-max-intset-entries, zset-max-listpack-*).
inline constexpr uint64_t kListpackMaxEntries = 128;
inline constexpr uint64_t kListpackMaxValue = 64;
inline constexpr uint64_t kIntsetMaxEntries = 512;

// "int", "embstr" or "raw".
std::string_view StringEncoding(std::string_view value);
// Whether Redis shares the object (integers 0..9999): OBJECT REFCOUNT is then INT_MAX.
bool IsSharedInteger(std::string_view value);
// The elements a collection's encoding depends on: all of them while `size`
// is within the small encoding's entry limit, else none are needed.
uint64_t ElementsToInspect(storage::KeyType type, uint64_t size);
// `elements` as ElementsToInspect asked for (field and value; members in `field`).
std::string_view CollectionEncoding(storage::KeyType type, uint64_t size,
                                    const std::vector<storage::FieldValue>& elements);

// MEMORY USAGE: the meta record plus `size` elements of the sampled average
// size (a sorted set's member also has a score-index entry). `sub_key_prefix`
// is the bytes every sub-key of this key starts with.
uint64_t EstimateBytes(std::string_view meta_key, std::string_view meta_value, const storage::Metadata& meta,
                       size_t sub_key_prefix, const std::vector<storage::FieldValue>& sample);

}  // namespace kvd::server
