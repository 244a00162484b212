// The ranges sorted-set commands select by: ranks, scores ("(1.5", "-inf")
// and lexicographic items ("[a", "(a", "-", "+"), parsed with Redis's rules,
// and the byte bounds they map to in the zscore column family. Pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvd::storage {

struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};

struct ScoreRange {
  ScoreBound min;
  ScoreBound max;
};

// One score range item: a double as strtod reads it (so "inf", " 1" and ""
// are accepted as Redis accepts them), optionally prefixed by '(' for an
// exclusive bound. False for NaN and trailing junk.
bool ParseScoreBound(std::string_view text, ScoreBound* out);
bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out);
bool ScoreAboveMin(const ScoreRange& range, double score);
bool ScoreBelowMax(const ScoreRange& range, double score);

struct LexBound {
  enum class Kind { kMinusInfinity, kPlusInfinity, kInclusive, kExclusive };
  Kind kind = Kind::kMinusInfinity;
  std::string value;
};

struct LexRange {
  LexBound min;
  LexBound max;
};

// "-", "+", "[member" or "(member"; false for anything else.
bool ParseLexBound(std::string_view text, LexBound* out);
bool ParseLexRange(std::string_view min, std::string_view max, LexRange* out);
bool LexAboveMin(const LexRange& range, std::string_view member);
bool LexBelowMax(const LexRange& range, std::string_view member);

// What ZRANGE and its older forms select, in which direction, with LIMIT.
struct RangeSpec {
  enum class By { kRank, kScore, kLex };
  By by = By::kRank;
  int64_t start = 0;  // kRank: Redis indexes, negative from the end
  int64_t stop = -1;
  ScoreRange score;   // kScore
  LexRange lex;       // kLex
  bool reverse = false;
  int64_t offset = 0;  // LIMIT (kScore, kLex): a negative offset selects nothing
  int64_t limit = -1;  // negative: no limit
};

// Turns Redis's [start, stop] ranks over `size` elements into ascending
// 0-based positions [*first, *last] in score order (for a reverse range the
// ranks count from the highest score). False when nothing is selected.
bool NormalizeRankRange(uint64_t size, int64_t start, int64_t stop, bool reverse, uint64_t* first, uint64_t* last);

// ---- bounds in the zscore column family --------------------------------
// A zscore field is [sortable score: 8 bytes big-endian][member].
constexpr size_t kScoreFieldPrefix = 8;

std::string EncodeScorePrefix(double score);
std::string EncodeScoreField(double score, std::string_view member);
double DecodeScorePrefix(std::string_view field);

// The score range as the half-open field interval [*lower, *upper): every
// member whose score is in the range has its field inside, and no other.
void ScoreRangeFields(const ScoreRange& range, std::string* lower, std::string* upper);

// The lex range as a half-open field interval, valid when every member has
// the score `score` (the case lex ranges are meant for). nullopt means open
// on that side; false when the range selects nothing.
bool LexRangeFields(const LexRange& range, double score, std::optional<std::string>* lower,
                    std::optional<std::string>* upper);

}  // namespace kvd::storage
