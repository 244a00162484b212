// Sorted sets. Each member is stored twice under the key's current version:
//
//   data   CF: [sub-key prefix][member]                 -> score (8 bytes, EncodeSortableDouble, big-endian)
//   zscore CF: [sub-key prefix][score: same 8 bytes][member] -> ""
//
// so ZSCORE is one point lookup and every range by score or rank walks the
// zscore CF in (score, member) order from the nearer end; the member count is
// the meta `size` (ZCARD is O(1)). -0 is stored as 0, as Redis 7.0 does.
// Writes hold the key's lock and commit one WriteBatch; reads take no lock
// and go through Engine::Get/SubKeyIterator, so inside MULTI/EXEC they see
// the transaction's earlier writes. Plain sets are accepted as inputs of the
// union/intersection/difference operations, every member scoring 1, as in
// Redis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/engine.h"
#include "storage/types/hash_store.h"  // SamplingIndex, shared by the random-element commands
#include "storage/types/zset_ranges.h"

namespace kvd::storage {

struct ScoredMember {
  std::string member;
  double score = 0;
  bool operator==(const ScoredMember& other) const = default;
};

struct ZAddOptions {
  enum class Condition { kAlways, kIfAbsent /* NX */, kIfPresent /* XX */ };
  Condition condition = Condition::kAlways;
  bool only_greater = false;  // GT: updates only raise scores
  bool only_less = false;     // LT: updates only lower scores
  bool increment = false;     // INCR / ZINCRBY: the score is added to the current one
};

struct ZAddResult {
  int64_t added = 0;
  int64_t updated = 0;  // existing members whose score changed
  // INCR: the member's new score, or nullopt when NX/XX/GT/LT stopped it.
  std::optional<double> score;
};

enum class PopEnd { kMin, kMax };

struct MultiPopResult {
  std::string key;
  std::vector<ScoredMember> popped;
};

enum class ZSetOperation { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct CombineOptions {
  ZSetOperation operation = ZSetOperation::kUnion;
  std::vector<double> weights;  // empty: every weight is 1
  Aggregate aggregate = Aggregate::kSum;
};

struct ZScanPage {
  std::vector<ScoredMember> entries;
  std::string next;  // where the next call resumes; empty when the scan is complete
};

class ZSetStore {
 public:
  explicit ZSetStore(Engine& engine) : engine_(engine) {}

  // ZADD / ZINCRBY. Members are applied in order, so a repeated member's last
  // score wins. InvalidArgument("ERR resulting score is not a number (NaN)")
  // when an increment gives NaN (nothing is written then).
  Result<ZAddResult> Add(uint8_t db, std::string_view key, const std::vector<ScoredMember>& pairs,
                         const ZAddOptions& options);
  Result<int64_t> Remove(uint8_t db, std::string_view key, const std::vector<std::string_view>& members);

  Result<uint64_t> Card(uint8_t db, std::string_view key);
  Result<std::optional<double>> Score(uint8_t db, std::string_view key, std::string_view member);
  Result<std::vector<std::optional<double>>> MultiScore(uint8_t db, std::string_view key,
                                                        const std::vector<std::string_view>& members);
  // 0-based position in score order (from the highest with `reverse`);
  // nullopt when the member or key is absent. Counts from whichever end of
  // the set is nearer, so the cost is min(rank, size - rank).
  Result<std::optional<uint64_t>> Rank(uint8_t db, std::string_view key, std::string_view member, bool reverse);
  Result<uint64_t> Count(uint8_t db, std::string_view key, const ScoreRange& range);
  Result<uint64_t> LexCount(uint8_t db, std::string_view key, const LexRange& range);

  // ZRANGE in all its forms; elements in reply order.
  Result<std::vector<ScoredMember>> Range(uint8_t db, std::string_view key, const RangeSpec& spec);
  // ZRANGESTORE: replaces `destination` (any type) with the range; an empty
  // range deletes it. Returns the stored count.
  // Replaces `key` (any type) with a sorted set of `entries` (distinct
  // members), in one write; none deletes it. Returns the stored count (GEOSEARCHSTORE).
  Result<uint64_t> Replace(uint8_t db, std::string_view key, const std::vector<ScoredMember>& entries);
  Result<uint64_t> RangeStore(uint8_t db, std::string_view destination, std::string_view source,
                              const RangeSpec& spec);
  // ZREMRANGEBYRANK/SCORE/LEX (reverse and LIMIT are ignored).
  Result<uint64_t> RemoveRange(uint8_t db, std::string_view key, const RangeSpec& spec);

  // ZPOPMIN/ZPOPMAX: up to `count` members from one end, lowest (highest)
  // first. Empty when the key is absent. Usable by the blocking forms.
  Result<std::vector<ScoredMember>> Pop(uint8_t db, std::string_view key, uint64_t count, PopEnd end);
  Result<std::vector<ScoredMember>> PopMin(uint8_t db, std::string_view key, uint64_t count) {
    return Pop(db, key, count, PopEnd::kMin);
  }
  Result<std::vector<ScoredMember>> PopMax(uint8_t db, std::string_view key, uint64_t count) {
    return Pop(db, key, count, PopEnd::kMax);
  }
  // ZMPOP: pops from the first key holding a sorted set; nullopt when none
  // does. WRONGTYPE when a key before it holds another type.
  Result<std::optional<MultiPopResult>> MultiPop(uint8_t db, const std::vector<std::string_view>& keys,
                                                 uint64_t count, PopEnd end);

  // ZRANDMEMBER with a count: `count` distinct members (all of them, highest
  // score first, when the set is smaller), or with `allow_repeats` exactly
  // `count` picks. Each member equally likely; large sets are drawn from
  // through a SamplingIndex, so a draw does not walk the whole set.
  Result<std::vector<ScoredMember>> RandomMembers(uint8_t db, std::string_view key, uint64_t count,
                                                  bool allow_repeats);

  // ZUNION / ZINTER / ZDIFF, sorted by (score, member).
  Result<std::vector<ScoredMember>> Combine(uint8_t db, const std::vector<std::string_view>& keys,
                                            const CombineOptions& options);
  // The *STORE forms: replace `destination`; an empty result deletes it.
  Result<uint64_t> CombineStore(uint8_t db, std::string_view destination, const std::vector<std::string_view>& keys,
                                const CombineOptions& options);
  // WRONGTYPE when a key holds neither a sorted set nor a plain set.
  Status CheckCombinable(uint8_t db, const std::vector<std::string_view>& keys);
  // ZINTERCARD: the size of the intersection, counting stops at `limit` (0: no limit).
  Result<uint64_t> InterCard(uint8_t db, const std::vector<std::string_view>& keys, uint64_t limit);

  // ZSCAN: up to `count` members examined from `position` ("" starts), those
  // matching `pattern` (nullopt: all) returned. A set of at most
  // kScanWholeSize members is returned whole, in score order, as Redis does
  // for its small encoding.
  static constexpr uint64_t kScanWholeSize = 128;
  Result<ZScanPage> Scan(uint8_t db, std::string_view key, std::string_view position,
                         std::optional<std::string_view> pattern, uint64_t count);

 private:
  Engine& engine_;
  SamplingIndex sampling_;
};

}  // namespace kvd::storage
