// Bounds on a sorted set's live score fields (score bytes + member), kept in
// its meta record's tail. Every walk over the scores stays inside them, so
// none walks over the tombstones that pops and removals left at the ends in
// the memtable and young SST files: 200,000 ZPOPMINs of one set, each walking
// past every entry popped before it, took over ten minutes, and a queue
// served by ZRANGE 0 0 + ZREM ran at 900 commands/s. The writers keep them
// (ZSetWriter in zset_store.cpp): pops and removals at a bound move it to the
// first surviving field.
// Pure functions of their inputs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/types/field_range.h"

namespace kvd::storage {

// The live score fields' range: the walks over the scores stay inside it.
using ScoreFieldBounds = FieldRange;

// An empty or unreadable tail has no bounds (the walks then start at the ends).
ScoreFieldBounds DecodeScoreFieldBounds(std::string_view tail);
std::string EncodeScoreFieldBounds(const ScoreFieldBounds& bounds);

// Bounds kept short: a lower bound is a prefix of the field (never after it),
// an upper bound the field itself or, when long, the successor of its prefix.
std::string LowBoundAt(std::string_view field);
std::optional<std::string> HighBoundAt(std::string_view field);

// A field is added: the bounds widen to include it.
void WidenScoreFieldBounds(ScoreFieldBounds* bounds, std::string_view field);

}  // namespace kvd::storage
