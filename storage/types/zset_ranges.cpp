#include "storage/types/zset_ranges.h"

#include <cmath>
#include <cstdlib>

#include "storage/encoding.h"

namespace kvd::storage {

bool ParseScoreBound(std::string_view text, ScoreBound* out) {
  ScoreBound bound;
  if (!text.empty() && text[0] == '(') {
    bound.exclusive = true;
    text.remove_prefix(1);
  }
  // Redis reads range items with a bare strtod: leading spaces, hex floats
  // and the empty string (as 0) pass; only trailing bytes and NaN fail.
  std::string terminated(text);
  char* end = nullptr;
  bound.value = std::strtod(terminated.c_str(), &end);
  if (end != terminated.c_str() + terminated.size() || std::isnan(bound.value)) return false;
  *out = bound;
  return true;
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out) {
  return ParseScoreBound(min, &out->min) && ParseScoreBound(max, &out->max);
}

bool ScoreAboveMin(const ScoreRange& range, double score) {
  return range.min.exclusive ? score > range.min.value : score >= range.min.value;
}

bool ScoreBelowMax(const ScoreRange& range, double score) {
  return range.max.exclusive ? score < range.max.value : score <= range.max.value;
}

bool ParseLexBound(std::string_view text, LexBound* out) {
  if (text.empty()) return false;
  LexBound bound;
  switch (text[0]) {
    case '-':
      if (text.size() != 1) return false;
      bound.kind = LexBound::Kind::kMinusInfinity;
      break;
    case '+':
      if (text.size() != 1) return false;
      bound.kind = LexBound::Kind::kPlusInfinity;
      break;
    case '[':
      bound.kind = LexBound::Kind::kInclusive;
      bound.value = std::string(text.substr(1));
      break;
    case '(':
      bound.kind = LexBound::Kind::kExclusive;
      bound.value = std::string(text.substr(1));
      break;
    default: return false;
  }
  *out = std::move(bound);
  return true;
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* out) {
  return ParseLexBound(min, &out->min) && ParseLexBound(max, &out->max);
}

bool LexAboveMin(const LexRange& range, std::string_view member) {
  switch (range.min.kind) {
    case LexBound::Kind::kMinusInfinity: return true;
    case LexBound::Kind::kPlusInfinity: return false;
    case LexBound::Kind::kInclusive: return member >= range.min.value;
    case LexBound::Kind::kExclusive: return member > range.min.value;
  }
  return false;
}

bool LexBelowMax(const LexRange& range, std::string_view member) {
  switch (range.max.kind) {
    case LexBound::Kind::kMinusInfinity: return false;
    case LexBound::Kind::kPlusInfinity: return true;
    case LexBound::Kind::kInclusive: return member <= range.max.value;
    case LexBound::Kind::kExclusive: return member < range.max.value;
  }
  return false;
}

bool NormalizeRankRange(uint64_t size, int64_t start, int64_t stop, bool reverse, uint64_t* first, uint64_t* last) {
  // Redis's rule (unlike GETRANGE's): a stop before the beginning selects nothing.
  int64_t length = static_cast<int64_t>(size);
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return false;
  if (stop >= length) stop = length - 1;
  uint64_t low = static_cast<uint64_t>(start);
  uint64_t high = static_cast<uint64_t>(stop);
  *first = reverse ? size - 1 - high : low;
  *last = reverse ? size - 1 - low : high;
  return true;
}

namespace {
std::string EncodeSortableBits(uint64_t bits) {
  std::string out;
  PutBigEndian64(&out, bits);
  return out;
}

// The first sortable value after every member of `score`. Scores are never
// NaN, so the largest encoding (+inf) still has a successor.
uint64_t NextSortable(double score) { return EncodeSortableDouble(score) + 1; }
}  // namespace

std::string EncodeScorePrefix(double score) { return EncodeSortableBits(EncodeSortableDouble(score)); }

std::string EncodeScoreField(double score, std::string_view member) {
  std::string field = EncodeScorePrefix(score);
  field.append(member);
  return field;
}

double DecodeScorePrefix(std::string_view field) { return DecodeSortableDouble(GetBigEndian64(field.data())); }

void ScoreRangeFields(const ScoreRange& range, std::string* lower, std::string* upper) {
  *lower = range.min.exclusive ? EncodeSortableBits(NextSortable(range.min.value)) : EncodeScorePrefix(range.min.value);
  *upper = range.max.exclusive ? EncodeScorePrefix(range.max.value) : EncodeSortableBits(NextSortable(range.max.value));
}

bool LexRangeFields(const LexRange& range, double score, std::optional<std::string>* lower,
                    std::optional<std::string>* upper) {
  using Kind = LexBound::Kind;
  if (range.min.kind == Kind::kPlusInfinity || range.max.kind == Kind::kMinusInfinity) return false;
  lower->reset();
  upper->reset();
  // "member\0" is the first byte string after "member".
  if (range.min.kind == Kind::kInclusive) *lower = EncodeScoreField(score, range.min.value);
  if (range.min.kind == Kind::kExclusive) *lower = EncodeScoreField(score, range.min.value + '\0');
  if (range.max.kind == Kind::kInclusive) *upper = EncodeScoreField(score, range.max.value + '\0');
  if (range.max.kind == Kind::kExclusive) *upper = EncodeScoreField(score, range.max.value);
  return !(*lower && *upper && **lower >= **upper);
}

}  // namespace kvd::storage
