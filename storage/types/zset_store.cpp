#include "storage/types/zset_store.h"

#include "storage/types/zset_bounds.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "common/glob.h"
#include "storage/encoding.h"
#include "storage/key_locks.h"
#include "storage/live_meta.h"
#include "storage/types/collection.h"

namespace kvd::storage {
namespace {

constexpr const char* kNaNScore = "ERR resulting score is not a number (NaN)";
// ZSCAN positions are "\x01" + member, so that the empty position (start)
// differs from resuming at the empty member.
constexpr char kScanPositionTag = '\x01';

// Redis keeps -0 as 0; so do we, which keeps ZSCORE and ranges in agreement.
double WithoutNegativeZero(double score) { return score == 0 ? 0.0 : score; }

ScoredMember FromScoreField(std::string_view field) {
  return {std::string(field.substr(kScoreFieldPrefix)), DecodeScorePrefix(field)};
}

std::string_view MemberOf(std::string_view score_field) { return score_field.substr(kScoreFieldPrefix); }

Status Corrupt(std::string_view key) { return Status::Corruption("bad zset score under key " + std::string(key)); }

// One key as the walks below see it: its metadata and how to reach its
// sub-keys. All reads go through the Engine (Get, SubKeyIterator) so that a
// command inside MULTI/EXEC sees the transaction's earlier writes.
struct ZSetRef {
  Engine* engine = nullptr;
  uint8_t db = 0;
  std::string key;
  Metadata meta;
  bool exists = false;
  // Where the live score fields are (zset_bounds.h, from the meta tail): walks
  // over the scores never look beyond, where removals left their tombstones.
  FieldRange live_scores;

  void SetMeta(const Metadata& loaded) {
    meta = loaded;
    // A plain set read as a zset has no score fields.
    live_scores = meta.type == KeyType::kZSet ? DecodeScoreFieldBounds(meta.tail) : FieldRange{};
  }
  // Heap-allocated: SubKeyIterator points into itself and must not move.
  std::unique_ptr<SubKeyIterator> Iterate(rocksdb::ColumnFamilyHandle* cf, const FieldRange& range = {}) const {
    return std::make_unique<SubKeyIterator>(*engine, cf, db, key, meta.version, nullptr, range);
  }
  std::unique_ptr<SubKeyIterator> Scores() const { return Iterate(engine->zscore(), live_scores); }
  std::unique_ptr<SubKeyIterator> Members() const { return Iterate(engine->data()); }
  std::string SubKey(std::string_view field) const { return SubKey(field, {}); }
  // The sub-key of the field `first` + `second` (a score field is score bytes + member).
  std::string SubKey(std::string_view first, std::string_view second) const {
    // The prefix (key, slot and version) is encoded once per key, not once per
    // sub-key; db and key are set before the first sub-key and never change.
    if (prefix_version_ != meta.version || prefix_.empty()) {
      prefix_ = EncodeSubKeyPrefix(db, key, meta.version);
      prefix_version_ = meta.version;
    }
    std::string sub_key;
    sub_key.reserve(prefix_.size() + first.size() + second.size());
    sub_key.append(prefix_).append(first).append(second);
    return sub_key;
  }
  std::string ScoreSubKey(double score, std::string_view member) const {
    return SubKey(EncodeScorePrefix(score), member);
  }

  // The stored score of `member` (a plain set's members score 1).
  Result<std::optional<double>> StoredScore(std::string_view member) const {
    if (!exists) return std::optional<double>();
    std::string value;
    Status status = engine->Get(engine->data(), SubKey(member), &value);
    if (status.Is(Status::Code::kNotFound)) return std::optional<double>();
    KVD_RETURN_IF_ERROR(status);
    return DecodeStoredScore(value);
  }

  Result<std::optional<double>> DecodeStoredScore(std::string_view value) const {
    if (meta.type == KeyType::kSet) return std::optional<double>(1.0);
    if (value.size() != kScoreFieldPrefix) return Corrupt(key);
    return std::optional<double>(DecodeScorePrefix(value));
  }

 private:
  mutable std::string prefix_;
  mutable uint64_t prefix_version_ = 0;
};

// Loads `ref` for reading: absent and expired keys do not exist; other types
// are WRONGTYPE (plain sets pass when `accept_sets`). Reads take no lock, so
// a write racing with a read may be half seen (never torn within one entry).
Status LoadForRead(ZSetRef* ref, bool accept_sets = false) {
  ref->exists = false;
  Metadata meta;
  Status status = ReadLiveMeta(*ref->engine, ref->db, ref->key, &meta);
  if (status.Is(Status::Code::kNotFound)) return Status::Ok();
  KVD_RETURN_IF_ERROR(status);
  ref->SetMeta(meta);
  bool accepted = ref->meta.type == KeyType::kZSet || (accept_sets && ref->meta.type == KeyType::kSet);
  if (!accepted) return Status::WrongType();
  ref->exists = true;
  return Status::Ok();
}

// One key loaded for reading: what every single-key read uses.
class ReadScope {
 public:
  ReadScope(Engine& engine, uint8_t db, std::string_view key) {
    ref_.engine = &engine;
    ref_.db = db;
    ref_.key = std::string(key);
  }
  Status Load() { return LoadForRead(&ref_); }
  const ZSetRef& ref() const { return ref_; }

 private:
  ZSetRef ref_;
};

// Changes to one zset under its lock, gathered in one WriteBatch. Remembers
// what it changed so that a member repeated in one command sees its own
// earlier change.
class ZSetWriter {
 public:
  ZSetWriter(Engine& engine, uint8_t db, std::string_view key) {
    ref_.engine = &engine;
    ref_.db = db;
    ref_.key = std::string(key);
  }

  Status Load() {
    Metadata meta;
    KVD_RETURN_IF_ERROR(LoadCollection(*ref_.engine, ref_.db, ref_.key, KeyType::kZSet, &meta, &ref_.exists));
    ref_.SetMeta(meta);
    if (!ref_.exists) {
      fresh_ = true;  // its first field sets both bounds
      return Status::Ok();
    }
    bounds_ = ref_.live_scores;
    if (!bounds_.first && !bounds_.last) return FindBounds();
    return Status::Ok();
  }
  // After pops: the first (last) field left.
  void SetLowBound(std::string bound) {
    bounds_.first = std::move(bound);
    tighten_low_ = false;  // exact already
  }
  void SetHighBound(std::optional<std::string> bound) {
    bounds_.last = std::move(bound);
    tighten_high_ = false;
  }
  // The committed sub-keys (the walks read these) and the pending size.
  const ZSetRef& ref() const { return ref_; }
  bool exists() const { return ref_.exists; }

  Result<std::optional<double>> Current(std::string_view member) {
    if (const std::optional<double>* pending = Pending(member)) return *pending;
    return ref_.StoredScore(member);
  }

  void Put(std::string_view member, std::optional<double> old_score, double score) {
    score = WithoutNegativeZero(score);
    if (old_score) {
      batch_.Delete(ref_.engine->zscore(), ref_.ScoreSubKey(*old_score, member));
      NoteRemoved(*old_score, member);
    } else {
      ++ref_.meta.size;
    }
    batch_.Put(ref_.engine->zscore(), ref_.ScoreSubKey(score, member), rocksdb::Slice());
    batch_.Put(ref_.engine->data(), ref_.SubKey(member), EncodeScorePrefix(score));
    // The field in a buffer kept by the thread: ZADD runs this for every member.
    thread_local std::string field;
    field.assign(EncodeScorePrefix(score)).append(member);
    if (bounds_.first || bounds_.last) {
      WidenScoreFieldBounds(&bounds_, field);
    } else if (std::exchange(fresh_, false)) {
      bounds_ = ScoreFieldBounds{LowBoundAt(field), HighBoundAt(field)};
    }
    Remember(member, score);
  }

  void Erase(std::string_view member, double score) {
    batch_.Delete(ref_.engine->zscore(), ref_.ScoreSubKey(score, member));
    NoteRemoved(score, member);
    batch_.Delete(ref_.engine->data(), ref_.SubKey(member));
    --ref_.meta.size;
    Remember(member, std::nullopt);
  }

  // Writes nothing when nothing changed.
  Status Commit() {
    if (few_.empty() && many_.empty()) return Status::Ok();
    if ((tighten_low_ || tighten_high_) && ref_.meta.size > 0) KVD_RETURN_IF_ERROR(TightenBounds());
    ref_.meta.tail = EncodeScoreFieldBounds(bounds_);
    StoreCollectionMeta(*ref_.engine, &batch_, ref_.db, ref_.key, ref_.meta);
    return ref_.engine->Commit(batch_);
  }

 private:
  // What this command changed, member -> new score (nullopt: removed). The
  // first few are searched directly; a hash map only pays for many.
  static constexpr size_t kFewMembers = 8;
  std::optional<double>* Pending(std::string_view member) {
    for (auto& [name, score] : few_) {
      if (name == member) return &score;
    }
    if (many_.empty()) return nullptr;
    auto it = many_.find(std::string(member));
    return it == many_.end() ? nullptr : &it->second;
  }
  void Remember(std::string_view member, std::optional<double> score) {
    if (std::optional<double>* known = Pending(member)) {
      *known = score;
    } else if (few_.size() < kFewMembers) {
      few_.emplace_back(std::string(member), score);
    } else {
      many_.emplace(std::string(member), score);
    }
  }

  // A removed field at a bound may have been the first (or last) live one:
  // the bound then moves to the first field that survives this command, so
  // that a queue served by ZRANGE 0 0 and ZREM (or ZREMRANGEBYSCORE from
  // -inf) never walks the tombstones of what it removed before. A bound that
  // is exactly a live field stays exact; only a removal there moves it.
  void NoteRemoved(double score, std::string_view member) {
    if (!bounds_.first && !bounds_.last) return;
    std::string field = EncodeScoreField(score, member);
    if (bounds_.first && LowBoundAt(field) == *bounds_.first) tighten_low_ = true;
    if (bounds_.last && HighBoundAt(field) == bounds_.last) tighten_high_ = true;
  }

  // Whether this command removes the committed score field `field` (its
  // member removed, or moved to another score).
  bool RemovedHere(std::string_view field) {
    const std::optional<double>* pending = Pending(MemberOf(field));
    if (pending == nullptr) return false;
    return !pending->has_value() || EncodeScorePrefix(**pending) != field.substr(0, kScoreFieldPrefix);
  }

  template <typename Visit>
  void ForEachPendingField(Visit visit) {
    for (const auto& [member, score] : few_) {
      if (score) visit(EncodeScoreField(*score, member));
    }
    for (const auto& [member, score] : many_) {
      if (score) visit(EncodeScoreField(*score, member));
    }
  }

  // A sorted set written before bounds were kept (or whose bounds were
  // lost): its first and last fields, read once; the next commit keeps them.
  Status FindBounds() {
    auto it = ref_.Scores();
    it->SeekToFirst();
    if (it->Valid()) bounds_.first = LowBoundAt(it->field());
    it->SeekToLast();
    if (it->Valid()) bounds_.last = HighBoundAt(it->field());
    return it->status();
  }

  // The first (backward: last) score field left after this command: of
  // the committed ones from the bound on, the first it does not remove, or
  // one it adds before that.
  Result<std::optional<std::string>> EdgeSurvivor(bool backward) {
    auto it = ref_.Scores();
    const std::string& bound = backward ? *bounds_.last : *bounds_.first;
    backward ? it->SeekForPrev(bound) : it->Seek(bound);
    while (it->Valid() && RemovedHere(it->field())) backward ? it->Prev() : it->Next();
    KVD_RETURN_IF_ERROR(it->status());
    std::optional<std::string> edge;
    if (it->Valid()) edge = std::string(it->field());
    ForEachPendingField([&](std::string field) {
      if (!edge || (backward ? field > *edge : field < *edge)) edge = std::move(field);
    });
    return edge;
  }

  Status TightenBounds() {
    if (tighten_low_ && bounds_.first) {
      Result<std::optional<std::string>> first = EdgeSurvivor(false);
      if (!first.ok()) return first.status();
      if (*first) bounds_.first = LowBoundAt(**first);
    }
    if (tighten_high_ && bounds_.last) {
      Result<std::optional<std::string>> last = EdgeSurvivor(true);
      if (!last.ok()) return last.status();
      if (*last) bounds_.last = HighBoundAt(**last);
    }
    return Status::Ok();
  }

  ZSetRef ref_;
  ScoreFieldBounds bounds_;  // kept in the meta tail (zset_bounds.h)
  bool tighten_low_ = false;
  bool tighten_high_ = false;
  bool fresh_ = false;  // the key did not exist: no bounds yet
  std::vector<std::pair<std::string, std::optional<double>>> few_;
  std::unordered_map<std::string, std::optional<double>> many_;
  WriteSet batch_;
};

// ---- walks over the zscore column family --------------------------------

// LIMIT as a walk: skip some entries, then take at most some.
struct Window {
  uint64_t skip = 0;
  uint64_t take = std::numeric_limits<uint64_t>::max();
};

// Redis's LIMIT rules: a negative offset, or one past the end, selects nothing;
// a negative count takes everything after the offset.
bool LimitWindow(uint64_t size, int64_t offset, int64_t limit, Window* window) {
  if (offset < 0) return false;
  if (offset > 0 && static_cast<uint64_t>(offset) >= size) return false;
  window->skip = static_cast<uint64_t>(offset);
  if (limit >= 0) window->take = static_cast<uint64_t>(limit);
  return true;
}

// Walks from the iterator's position while `inside(field)` holds, handing
// the entries of the window to `sink(field)`.
// It stops on the last entry taken: stepping past it could mean stepping
// over every tombstone between it and the next live entry.
template <typename Inside, typename Sink>
Status Walk(SubKeyIterator& it, bool backward, Window window, Inside inside, Sink sink) {
  while (it.Valid() && window.take > 0) {
    std::string_view field = it.field();
    if (!inside(field)) break;
    if (window.skip > 0) {
      --window.skip;
    } else {
      sink(field);
      if (--window.take == 0) break;
    }
    backward ? it.Prev() : it.Next();
  }
  return it.status();
}

auto Everything() {
  return [](std::string_view) { return true; };
}

auto AppendTo(std::vector<ScoredMember>* out) {
  return [out](std::string_view field) { out->push_back(FromScoreField(field)); };
}

// Positions [first, last] (ascending, 0-based) walked from the nearer end;
// `out` receives them ascending, or descending with `descending`.
Status CollectRanks(const ZSetRef& ref, uint64_t first, uint64_t last, bool descending,
                    std::vector<ScoredMember>* out) {
  uint64_t size = ref.meta.size;
  uint64_t count = last - first + 1;
  bool from_start = last + 1 <= size - first;
  auto it = ref.Scores();
  size_t begin = out->size();
  if (from_start) {
    it->SeekToFirst();
    KVD_RETURN_IF_ERROR(Walk(*it, false, {first, count}, Everything(), AppendTo(out)));
  } else {
    it->SeekToLast();
    KVD_RETURN_IF_ERROR(Walk(*it, true, {size - 1 - last, count}, Everything(), AppendTo(out)));
  }
  if (from_start == descending) std::reverse(out->begin() + static_cast<std::ptrdiff_t>(begin), out->end());
  return Status::Ok();
}

template <typename Sink>
Status WalkScores(const ZSetRef& ref, const ScoreRange& range, bool reverse, Window window, Sink sink) {
  std::string lower, upper;
  ScoreRangeFields(range, &lower, &upper);
  if (lower >= upper) return Status::Ok();
  auto it = ref.Scores();
  if (!reverse) {
    it->Seek(lower);
    return Walk(*it, false, window, [&](std::string_view field) { return field < upper; }, sink);
  }
  it->SeekForPrev(upper);
  if (it->Valid() && it->field() >= upper) it->Prev();  // upper is exclusive
  return Walk(*it, true, window, [&](std::string_view field) { return field >= lower; }, sink);
}

// Redis skips a LIMIT offset without looking at the range, and checks only
// the members it would return. With sorted ranges that makes no difference;
// with a lex range over mixed scores it does, so lex walks skip this way.
void SkipOffsetUnchecked(SubKeyIterator& it, bool backward, Window* window) {
  for (; window->skip > 0 && it.Valid(); --window->skip) backward ? it.Prev() : it.Next();
}

// Lex ranges assume every member has one score. When scores differ, the
// result is what Redis gives: nothing unless the last member is above the
// minimum and the first below the maximum; otherwise a linear scan in
// (score, member) order from the first member above the minimum, while
// members stay below the maximum. The seek skips only members that scan
// would skip too, so equal-score sets cost what they return.
template <typename Sink>
Status WalkLex(const ZSetRef& ref, const LexRange& range, bool reverse, Window window, Sink sink) {
  using Kind = LexBound::Kind;
  if (range.min.kind == Kind::kPlusInfinity || range.max.kind == Kind::kMinusInfinity) return Status::Ok();
  auto above_min = [&](std::string_view field) { return LexAboveMin(range, MemberOf(field)); };
  auto below_max = [&](std::string_view field) { return LexBelowMax(range, MemberOf(field)); };
  auto first = ref.Scores();
  auto last = ref.Scores();
  first->SeekToFirst();
  last->SeekToLast();
  if (!first->Valid() || !last->Valid()) return first->status().ok() ? last->status() : first->status();
  if (!above_min(last->field()) || !below_max(first->field())) return Status::Ok();
  if (!reverse) {
    SubKeyIterator& it = *first;
    if (range.min.kind != Kind::kMinusInfinity) {
      it.Seek(EncodeScoreField(DecodeScorePrefix(it.field()), range.min.value));
    }
    while (it.Valid() && !above_min(it.field())) it.Next();
    SkipOffsetUnchecked(it, false, &window);
    return Walk(it, false, window, below_max, sink);
  }
  SubKeyIterator& it = *last;
  if (range.max.kind != Kind::kPlusInfinity) {
    it.SeekForPrev(EncodeScoreField(DecodeScorePrefix(it.field()), range.max.value));
  }
  while (it.Valid() && !below_max(it.field())) it.Prev();
  SkipOffsetUnchecked(it, true, &window);
  return Walk(it, true, window, above_min, sink);
}

// Every element `spec` selects, in reply order.
Status CollectRange(const ZSetRef& ref, const RangeSpec& spec, std::vector<ScoredMember>* out) {
  if (!ref.exists) return Status::Ok();
  if (spec.by == RangeSpec::By::kRank) {
    uint64_t first = 0, last = 0;
    if (!NormalizeRankRange(ref.meta.size, spec.start, spec.stop, spec.reverse, &first, &last)) return Status::Ok();
    return CollectRanks(ref, first, last, spec.reverse, out);
  }
  Window window;
  if (!LimitWindow(ref.meta.size, spec.offset, spec.limit, &window)) return Status::Ok();
  if (spec.by == RangeSpec::By::kScore) return WalkScores(ref, spec.score, spec.reverse, window, AppendTo(out));
  return WalkLex(ref, spec.lex, spec.reverse, window, AppendTo(out));
}

// The number of fields in [lower, upper) (nullopt: open). Counts the inside
// and the outside of the interval in lockstep and stops when either is done,
// so the cost is about min(inside, outside) rather than the set's size.
Result<uint64_t> CountFields(const ZSetRef& ref, const std::optional<std::string>& lower,
                             const std::optional<std::string>& upper) {
  if (!ref.exists) return uint64_t{0};
  if (!lower && !upper) return ref.meta.size;
  if (lower && upper && *lower >= *upper) return uint64_t{0};
  auto inside = ref.Scores();
  auto below = ref.Scores();
  auto above = ref.Scores();
  lower ? inside->Seek(*lower) : inside->SeekToFirst();
  bool counting_below = lower.has_value();
  bool counting_above = upper.has_value();
  if (counting_below) {
    below->SeekForPrev(*lower);
    if (below->Valid() && below->field() == *lower) below->Prev();
  }
  if (counting_above) above->Seek(*upper);
  uint64_t in = 0, out = 0;
  auto step_outside = [&](SubKeyIterator& it, bool backward, bool* counting) {
    if (!*counting) return;
    if (!it.Valid()) {
      *counting = false;
      return;
    }
    ++out;
    backward ? it.Prev() : it.Next();
  };
  while (true) {
    if (!inside->Valid() || (upper && inside->field() >= *upper)) {
      KVD_RETURN_IF_ERROR(inside->status());
      return in;
    }
    ++in;
    inside->Next();
    step_outside(*below, true, &counting_below);
    step_outside(*above, false, &counting_above);
    if (!counting_below && !counting_above) {
      KVD_RETURN_IF_ERROR(below->status());
      KVD_RETURN_IF_ERROR(above->status());
      return ref.meta.size - std::min(out, ref.meta.size);
    }
  }
}

// ---- ZADD's per-member rule ----------------------------------------------

struct AddDecision {
  enum class Kind { kSkip, kUnchanged, kUpdate, kAdd, kNaN };
  Kind kind = Kind::kSkip;
  double score = 0;
};

// What ZADD does to one member, as Redis decides it: NX skips existing
// members, XX absent ones; INCR adds to the current score; GT/LT only stop
// updates, never additions.
AddDecision DecideAdd(std::optional<double> current, double score, const ZAddOptions& options) {
  using Kind = AddDecision::Kind;
  if (!current) {
    if (options.condition == ZAddOptions::Condition::kIfPresent) return {};
    return {Kind::kAdd, score};
  }
  if (options.condition == ZAddOptions::Condition::kIfAbsent) return {};
  if (options.increment) {
    score += *current;
    if (std::isnan(score)) return {Kind::kNaN, score};
  }
  if ((options.only_less && score >= *current) || (options.only_greater && score <= *current)) return {};
  return {score == *current ? Kind::kUnchanged : Kind::kUpdate, score};
}

// ---- set operations --------------------------------------------------------

// Calls `visit(member, score)` for every member of a zset or plain set.
template <typename Visit>
Status ForEachMember(const ZSetRef& ref, Visit visit) {
  if (!ref.exists) return Status::Ok();
  auto it = ref.Members();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<std::optional<double>> score = ref.DecodeStoredScore(it->value());
    if (!score.ok()) return score.status();
    visit(it->field(), **score);
  }
  return it->status();
}

void AggregateInto(double* target, double value, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;  // inf + -inf
      break;
    case Aggregate::kMin: *target = value < *target ? value : *target; break;
    case Aggregate::kMax: *target = value > *target ? value : *target; break;
  }
}

// score * weight, with inf * 0 taken as 0 as Redis does.
double Weighted(double score, double weight) {
  double value = score * weight;
  return std::isnan(value) ? 0 : value;
}

// The inputs of a set operation.
struct Sources {
  std::vector<ZSetRef> refs;
  std::vector<double> weights;

  // Input indexes from the smallest set to the largest (the order Redis
  // aggregates in, which decides how floating-point sums round).
  std::vector<size_t> BySize() const {
    std::vector<size_t> order(refs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return Size(a) < Size(b); });
    return order;
  }
  uint64_t Size(size_t i) const { return refs[i].exists ? refs[i].meta.size : 0; }
};

Status LoadSources(Engine& engine, uint8_t db, const std::vector<std::string_view>& keys,
                   const std::vector<double>& weights, Sources* sources) {
  for (size_t i = 0; i < keys.size(); ++i) {
    ZSetRef ref;
    ref.engine = &engine;
    ref.db = db;
    ref.key = std::string(keys[i]);
    KVD_RETURN_IF_ERROR(LoadForRead(&ref, /*accept_sets=*/true));
    sources->refs.push_back(std::move(ref));
    sources->weights.push_back(i < weights.size() ? weights[i] : 1.0);
  }
  return Status::Ok();
}

Status Union(const Sources& sources, Aggregate aggregate, std::vector<ScoredMember>* out) {
  std::unordered_map<std::string, double> scores;
  for (size_t i : sources.BySize()) {
    KVD_RETURN_IF_ERROR(ForEachMember(sources.refs[i], [&](std::string_view member, double score) {
      double value = Weighted(score, sources.weights[i]);
      auto [entry, inserted] = scores.try_emplace(std::string(member), value);
      if (!inserted) AggregateInto(&entry->second, value, aggregate);
    }));
  }
  out->reserve(scores.size());
  for (auto& [member, score] : scores) out->push_back({member, score});
  return Status::Ok();
}

// Walks the smallest input and looks each member up in the others, so a
// small set intersected with huge ones costs point lookups, not scans.
// `keep(member, score)` returns false to stop early.
template <typename Keep>
Status Intersect(const Sources& sources, Aggregate aggregate, Keep keep) {
  std::vector<size_t> order = sources.BySize();
  if (order.empty() || sources.Size(order[0]) == 0) return Status::Ok();
  const ZSetRef& smallest = sources.refs[order[0]];
  auto it = smallest.Members();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<std::optional<double>> own = smallest.DecodeStoredScore(it->value());
    if (!own.ok()) return own.status();
    double score = Weighted(**own, sources.weights[order[0]]);
    bool everywhere = true;
    for (size_t k = 1; k < order.size() && everywhere; ++k) {
      Result<std::optional<double>> other = sources.refs[order[k]].StoredScore(it->field());
      if (!other.ok()) return other.status();
      everywhere = other->has_value();
      // Like Redis, the later products are not NaN-corrected: MIN and MAX ignore a NaN, SUM turns it into 0.
      if (everywhere) AggregateInto(&score, **other * sources.weights[order[k]], aggregate);
    }
    if (everywhere && !keep(it->field(), score)) break;
  }
  return it->status();
}

Status Difference(const Sources& sources, std::vector<ScoredMember>* out) {
  if (sources.refs.empty()) return Status::Ok();
  Status lookup_error;
  KVD_RETURN_IF_ERROR(ForEachMember(sources.refs[0], [&](std::string_view member, double score) {
    for (size_t i = 1; i < sources.refs.size() && lookup_error.ok(); ++i) {
      Result<std::optional<double>> other = sources.refs[i].StoredScore(member);
      if (!other.ok()) lookup_error = other.status();
      if (!other.ok() || other->has_value()) return;
    }
    if (lookup_error.ok()) out->push_back({std::string(member), score});
  }));
  return lookup_error;
}

void SortByScore(std::vector<ScoredMember>* entries) {
  for (auto& entry : *entries) entry.score = WithoutNegativeZero(entry.score);
  std::sort(entries->begin(), entries->end(), [](const ScoredMember& a, const ScoredMember& b) {
    return a.score != b.score ? a.score < b.score : a.member < b.member;
  });
}

Status ComputeCombination(Engine& engine, uint8_t db, const std::vector<std::string_view>& keys,
                          const CombineOptions& options, std::vector<ScoredMember>* out) {
  Sources sources;
  KVD_RETURN_IF_ERROR(LoadSources(engine, db, keys, options.weights, &sources));
  switch (options.operation) {
    case ZSetOperation::kUnion: KVD_RETURN_IF_ERROR(Union(sources, options.aggregate, out)); break;
    case ZSetOperation::kInter:
      KVD_RETURN_IF_ERROR(Intersect(sources, options.aggregate, [&](std::string_view member, double score) {
        out->push_back({std::string(member), score});
        return true;
      }));
      break;
    case ZSetOperation::kDiff: KVD_RETURN_IF_ERROR(Difference(sources, out)); break;
  }
  SortByScore(out);
  return Status::Ok();
}

// Replaces `key` (whatever it holds) with a new zset of `entries` (distinct
// members); an empty result deletes the key. The caller holds the key's lock.
Status WriteWhole(Engine& engine, uint8_t db, std::string_view key, const std::vector<ScoredMember>& entries) {
  if (entries.empty()) return DeleteIfLive(engine, db, key);
  WriteSet batch;
  Metadata meta;
  meta.type = KeyType::kZSet;
  meta.version = engine.NextVersion();
  meta.size = entries.size();
  for (const auto& [member, score] : entries) {
    double stored = WithoutNegativeZero(score);
    batch.Put(engine.zscore(), EncodeSubKey(db, key, meta.version, EncodeScoreField(stored, member)), rocksdb::Slice());
    batch.Put(engine.data(), EncodeSubKey(db, key, meta.version, member), EncodeScorePrefix(stored));
  }
  batch.Put(engine.meta(), EncodeMetaKey(db, key), EncodeMetadata(meta));
  return engine.Commit(batch);
}

}  // namespace

// ---- the store ---------------------------------------------------------------

Result<ZAddResult> ZSetStore::Add(uint8_t db, std::string_view key, const std::vector<ScoredMember>& pairs,
                                  const ZAddOptions& options) {
  KeyLockGuard guard(engine_.locks(), db, key);
  ZSetWriter writer(engine_, db, key);
  KVD_RETURN_IF_ERROR(writer.Load());
  ZAddResult result;
  if (!writer.exists() && options.condition == ZAddOptions::Condition::kIfPresent) return result;
  for (const auto& [member, score] : pairs) {
    Result<std::optional<double>> current = writer.Current(member);
    if (!current.ok()) return current.status();
    AddDecision decision = DecideAdd(*current, WithoutNegativeZero(score), options);
    switch (decision.kind) {
      case AddDecision::Kind::kSkip: continue;
      case AddDecision::Kind::kNaN: return Status::InvalidArgument(kNaNScore);
      case AddDecision::Kind::kUnchanged: break;
      case AddDecision::Kind::kUpdate: ++result.updated; break;
      case AddDecision::Kind::kAdd: ++result.added; break;
    }
    if (decision.kind != AddDecision::Kind::kUnchanged) writer.Put(member, *current, decision.score);
    result.score = WithoutNegativeZero(decision.score);
  }
  KVD_RETURN_IF_ERROR(writer.Commit());
  return result;
}

Result<int64_t> ZSetStore::Remove(uint8_t db, std::string_view key, const std::vector<std::string_view>& members) {
  KeyLockGuard guard(engine_.locks(), db, key);
  ZSetWriter writer(engine_, db, key);
  KVD_RETURN_IF_ERROR(writer.Load());
  if (!writer.exists()) return int64_t{0};
  int64_t removed = 0;
  for (auto member : members) {
    Result<std::optional<double>> current = writer.Current(member);
    if (!current.ok()) return current.status();
    if (!current->has_value()) continue;
    writer.Erase(member, **current);
    ++removed;
  }
  KVD_RETURN_IF_ERROR(writer.Commit());
  return removed;
}

Result<uint64_t> ZSetStore::Card(uint8_t db, std::string_view key) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  return scope.ref().exists ? scope.ref().meta.size : uint64_t{0};
}

Result<std::optional<double>> ZSetStore::Score(uint8_t db, std::string_view key, std::string_view member) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  return scope.ref().StoredScore(member);
}

Result<std::vector<std::optional<double>>> ZSetStore::MultiScore(uint8_t db, std::string_view key,
                                                                 const std::vector<std::string_view>& members) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  std::vector<std::optional<double>> scores;
  scores.reserve(members.size());
  for (auto member : members) {
    Result<std::optional<double>> score = scope.ref().StoredScore(member);
    if (!score.ok()) return score.status();
    scores.push_back(*score);
  }
  return scores;
}

Result<std::optional<uint64_t>> ZSetStore::Rank(uint8_t db, std::string_view key, std::string_view member,
                                                bool reverse) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  Result<std::optional<double>> score = scope.ref().StoredScore(member);
  if (!score.ok()) return score.status();
  if (!score->has_value()) return std::optional<uint64_t>();
  Result<uint64_t> before = CountFields(scope.ref(), std::nullopt, EncodeScoreField(**score, member));
  if (!before.ok()) return before.status();
  // A write racing with this read could make the count overshoot the size read first.
  uint64_t rank = std::min(*before, scope.ref().meta.size - 1);
  return std::optional<uint64_t>(reverse ? scope.ref().meta.size - 1 - rank : rank);
}

Result<uint64_t> ZSetStore::Count(uint8_t db, std::string_view key, const ScoreRange& range) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  std::string lower, upper;
  ScoreRangeFields(range, &lower, &upper);
  return CountFields(scope.ref(), lower, upper);
}

Result<uint64_t> ZSetStore::LexCount(uint8_t db, std::string_view key, const LexRange& range) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  const ZSetRef& ref = scope.ref();
  if (!ref.exists) return uint64_t{0};
  auto first = ref.Scores();
  auto last = ref.Scores();
  first->SeekToFirst();
  last->SeekToLast();
  if (!first->Valid() || !last->Valid()) return uint64_t{0};
  double score = DecodeScorePrefix(first->field());
  if (score == DecodeScorePrefix(last->field())) {
    // One score throughout: the lex range is an exact field interval.
    std::optional<std::string> lower, upper;
    if (!LexRangeFields(range, score, &lower, &upper)) return uint64_t{0};
    return CountFields(ref, lower, upper);
  }
  uint64_t count = 0;
  KVD_RETURN_IF_ERROR(WalkLex(ref, range, false, Window{}, [&](std::string_view) { ++count; }));
  return count;
}

Result<std::vector<ScoredMember>> ZSetStore::Range(uint8_t db, std::string_view key, const RangeSpec& spec) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  std::vector<ScoredMember> out;
  KVD_RETURN_IF_ERROR(CollectRange(scope.ref(), spec, &out));
  return out;
}

Result<uint64_t> ZSetStore::Replace(uint8_t db, std::string_view key, const std::vector<ScoredMember>& entries) {
  KeyLockGuard guard(engine_.locks(), db, key);
  KVD_RETURN_IF_ERROR(WriteWhole(engine_, db, key, entries));
  return static_cast<uint64_t>(entries.size());
}

Result<uint64_t> ZSetStore::RangeStore(uint8_t db, std::string_view destination, std::string_view source,
                                       const RangeSpec& spec) {
  KeyLockGuard guard(engine_.locks(), db, destination);
  std::vector<ScoredMember> entries;
  {
    ReadScope scope(engine_, db, source);
    KVD_RETURN_IF_ERROR(scope.Load());
    KVD_RETURN_IF_ERROR(CollectRange(scope.ref(), spec, &entries));
  }
  KVD_RETURN_IF_ERROR(WriteWhole(engine_, db, destination, entries));
  return static_cast<uint64_t>(entries.size());
}

Result<uint64_t> ZSetStore::RemoveRange(uint8_t db, std::string_view key, const RangeSpec& spec) {
  KeyLockGuard guard(engine_.locks(), db, key);
  ZSetWriter writer(engine_, db, key);
  KVD_RETURN_IF_ERROR(writer.Load());
  RangeSpec forward = spec;
  forward.reverse = false;
  forward.offset = 0;
  forward.limit = -1;
  std::vector<ScoredMember> doomed;
  KVD_RETURN_IF_ERROR(CollectRange(writer.ref(), forward, &doomed));
  for (const auto& entry : doomed) writer.Erase(entry.member, entry.score);
  KVD_RETURN_IF_ERROR(writer.Commit());
  return static_cast<uint64_t>(doomed.size());
}

namespace {
// Pops from a loaded writer; the caller commits.
Status PopFrom(ZSetWriter* writer, uint64_t count, PopEnd end, std::vector<ScoredMember>* popped) {
  if (!writer->exists() || count == 0) return Status::Ok();
  auto it = writer->ref().Scores();
  bool backward = end == PopEnd::kMax;
  backward ? it->SeekToLast() : it->SeekToFirst();  // inside the set's bounds
  KVD_RETURN_IF_ERROR(Walk(*it, backward, {0, count}, Everything(), AppendTo(popped)));
  for (const auto& entry : *popped) writer->Erase(entry.member, entry.score);
  if (!popped->empty()) {
    // Everything on this side of the entry after the last popped one is gone
    // now (past the end: of the last popped one). The step there crosses the
    // tombstones in between once; the next pop starts beyond them.
    if (it->Valid()) backward ? it->Prev() : it->Next();
    KVD_RETURN_IF_ERROR(it->status());
    std::string next = it->Valid() ? std::string(it->field())
                                   : EncodeScoreField(popped->back().score, popped->back().member);
    backward ? writer->SetHighBound(HighBoundAt(next)) : writer->SetLowBound(LowBoundAt(next));
  }
  return Status::Ok();
}
}  // namespace

Result<std::vector<ScoredMember>> ZSetStore::Pop(uint8_t db, std::string_view key, uint64_t count, PopEnd end) {
  KeyLockGuard guard(engine_.locks(), db, key);
  ZSetWriter writer(engine_, db, key);
  KVD_RETURN_IF_ERROR(writer.Load());
  std::vector<ScoredMember> popped;
  KVD_RETURN_IF_ERROR(PopFrom(&writer, count, end, &popped));
  KVD_RETURN_IF_ERROR(writer.Commit());
  return popped;
}

Result<std::optional<MultiPopResult>> ZSetStore::MultiPop(uint8_t db, const std::vector<std::string_view>& keys,
                                                          uint64_t count, PopEnd end) {
  std::vector<std::pair<uint8_t, std::string_view>> lock_keys;
  for (auto key : keys) lock_keys.emplace_back(db, key);
  KeyLockGuard guard(engine_.locks(), lock_keys);
  for (auto key : keys) {
    ZSetWriter writer(engine_, db, key);
    KVD_RETURN_IF_ERROR(writer.Load());
    if (!writer.exists()) continue;
    MultiPopResult result{std::string(key), {}};
    KVD_RETURN_IF_ERROR(PopFrom(&writer, count, end, &result.popped));
    KVD_RETURN_IF_ERROR(writer.Commit());
    return std::optional<MultiPopResult>(std::move(result));
  }
  return std::optional<MultiPopResult>();
}

Result<std::vector<ScoredMember>> ZSetStore::RandomMembers(uint8_t db, std::string_view key, uint64_t count,
                                                           bool allow_repeats) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  const ZSetRef& ref = scope.ref();
  std::vector<ScoredMember> out;
  if (!ref.exists || count == 0) return out;
  uint64_t size = ref.meta.size;
  if (!allow_repeats && count >= size) {
    // The whole set, highest score first, as Redis replies it.
    KVD_RETURN_IF_ERROR(CollectRanks(ref, 0, size - 1, true, &out));
    return out;
  }
  auto picked = SampleSubKeys(engine_, sampling_, db, key, ref.meta, count, !allow_repeats);
  if (!picked.ok()) return picked.status();
  out.reserve(picked->size());
  for (auto& item : *picked) {
    if (item.value.size() != kScoreFieldPrefix) return Corrupt(key);
    out.push_back({std::move(item.field), DecodeScorePrefix(item.value)});
  }
  return out;
}

Result<std::vector<ScoredMember>> ZSetStore::Combine(uint8_t db, const std::vector<std::string_view>& keys,
                                                     const CombineOptions& options) {
  std::vector<ScoredMember> out;
  KVD_RETURN_IF_ERROR(ComputeCombination(engine_, db, keys, options, &out));
  return out;
}

Result<uint64_t> ZSetStore::CombineStore(uint8_t db, std::string_view destination,
                                         const std::vector<std::string_view>& keys, const CombineOptions& options) {
  KeyLockGuard guard(engine_.locks(), db, destination);
  std::vector<ScoredMember> out;
  KVD_RETURN_IF_ERROR(ComputeCombination(engine_, db, keys, options, &out));
  KVD_RETURN_IF_ERROR(WriteWhole(engine_, db, destination, out));
  return static_cast<uint64_t>(out.size());
}

Status ZSetStore::CheckCombinable(uint8_t db, const std::vector<std::string_view>& keys) {
  Sources sources;
  return LoadSources(engine_, db, keys, {}, &sources);
}

Result<uint64_t> ZSetStore::InterCard(uint8_t db, const std::vector<std::string_view>& keys, uint64_t limit) {
  Sources sources;
  KVD_RETURN_IF_ERROR(LoadSources(engine_, db, keys, {}, &sources));
  uint64_t count = 0;
  KVD_RETURN_IF_ERROR(Intersect(sources, Aggregate::kSum, [&](std::string_view, double) {
    ++count;
    return limit == 0 || count < limit;
  }));
  return count;
}

Result<ZScanPage> ZSetStore::Scan(uint8_t db, std::string_view key, std::string_view position,
                                  std::optional<std::string_view> pattern, uint64_t count) {
  ReadScope scope(engine_, db, key);
  KVD_RETURN_IF_ERROR(scope.Load());
  const ZSetRef& ref = scope.ref();
  ZScanPage page;
  if (!ref.exists) return page;
  auto matches = [&](std::string_view member) { return !pattern || GlobMatch(*pattern, member); };
  if (position.empty() && ref.meta.size <= kScanWholeSize) {
    auto it = ref.Scores();
    it->SeekToFirst();
    KVD_RETURN_IF_ERROR(Walk(*it, false, Window{}, Everything(), [&](std::string_view field) {
      if (matches(MemberOf(field))) page.entries.push_back(FromScoreField(field));
    }));
    return page;
  }
  auto it = ref.Members();
  if (!position.empty() && position[0] == kScanPositionTag) {
    it->Seek(position.substr(1));
  } else {
    it->SeekToFirst();
  }
  for (uint64_t examined = 0; it->Valid() && examined < count; ++examined, it->Next()) {
    if (!matches(it->field())) continue;
    Result<std::optional<double>> score = ref.DecodeStoredScore(it->value());
    if (!score.ok()) return score.status();
    page.entries.push_back({std::string(it->field()), **score});
  }
  KVD_RETURN_IF_ERROR(it->status());
  if (it->Valid()) page.next = kScanPositionTag + std::string(it->field());
  return page;
}

}  // namespace kvd::storage
