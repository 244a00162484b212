// Sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
// ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE
// ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE
// ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZUNION ZINTER ZDIFF
// ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD ZSCAN. (The blocking forms
// live with the other blocking commands and use ZSetStore::Pop/MultiPop.)
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

using storage::ScoredMember;
using storage::ZAddOptions;

constexpr const char* kScoreRangeError = "ERR min or max is not a float";
constexpr const char* kLexRangeError = "ERR min or max not valid string range item";
constexpr const char* kXxAndNx = "ERR XX and NX options at the same time are not compatible";
constexpr const char* kGtLtNx = "ERR GT, LT, and/or NX options at the same time are not compatible";
constexpr const char* kIncrOnePair = "ERR INCR option supports a single increment-element pair";
constexpr const char* kLimitNeedsByScoreOrLex =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
constexpr const char* kWithScoresByLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
constexpr const char* kWeightNotFloat = "ERR weight value is not a float";
constexpr const char* kLimitNegative = "ERR LIMIT can't be negative";
constexpr const char* kInvalidCursor = "ERR invalid cursor";
constexpr const char* kRandCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr const char* kValueOutOfRange = "ERR value is out of range";

// Members alone, or with scores: flat in RESP2, [member, score] pairs in RESP3.
void ReplyScored(CommandContext& ctx, const std::vector<ScoredMember>& entries, bool withscores) {
  bool pairs = withscores && ctx.reply.resp3();
  ctx.reply.ArrayHeader(withscores && !pairs ? entries.size() * 2 : entries.size());
  for (const auto& entry : entries) {
    if (pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(entry.member);
    if (withscores) ctx.reply.Double(entry.score);
  }
}

void ReplyOptionalScore(CommandContext& ctx, const std::optional<double>& score) {
  score ? ctx.reply.Double(*score) : ctx.reply.NullBulk();
}

// ---- ZADD / ZINCRBY / ZREM ---------------------------------------------------

struct ZAddFlags {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
  // Sets the flag `word` names; false when it names none.
  bool Take(std::string_view word) {
    const std::pair<const char*, bool*> names[] = {{"NX", &nx}, {"XX", &xx}, {"GT", &gt},
                                                   {"LT", &lt}, {"CH", &ch}, {"INCR", &incr}};
    for (const auto& [name, flag] : names) {
      if (EqualsIgnoreCase(word, name)) return *flag = true;
    }
    return false;
  }
  ZAddOptions Options() const {
    ZAddOptions options;
    if (nx) options.condition = ZAddOptions::Condition::kIfAbsent;
    if (xx) options.condition = ZAddOptions::Condition::kIfPresent;
    options.only_greater = gt;
    options.only_less = lt;
    options.increment = incr;
    return options;
  }
};

void RunAdd(CommandContext& ctx, const std::vector<ScoredMember>& pairs, const ZAddOptions& options, bool ch) {
  auto result = ctx.server.zsets.Add(ctx.db(), ctx.args[1], pairs, options);
  if (!result.ok()) return ctx.ReplyError(result.status());
  if (options.increment) {
    // A new member's score is the increment itself; Redis answers it as given, -0 included, and stores 0.
    bool created = result->added == 1 && result->score.has_value();
    return ReplyOptionalScore(ctx, created ? std::optional<double>(pairs[0].score) : result->score);
  }
  ctx.reply.Integer(ch ? result->added + result->updated : result->added);
}

void ZAdd(CommandContext& ctx) {
  ZAddFlags flags;
  size_t first_score = 2;
  while (first_score < ctx.args.size() && flags.Take(ctx.args[first_score])) ++first_score;
  size_t elements = ctx.args.size() - first_score;
  if (elements == 0 || elements % 2 != 0) return ctx.ReplySyntaxError();
  if (flags.nx && flags.xx) return ctx.reply.Error(kXxAndNx);
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) return ctx.reply.Error(kGtLtNx);
  if (flags.incr && elements > 2) return ctx.reply.Error(kIncrOnePair);
  std::vector<ScoredMember> pairs;
  pairs.reserve(elements / 2);
  for (size_t i = first_score; i < ctx.args.size(); i += 2) {
    double score = 0;
    if (!ParseDoubleArg(ctx, i, &score)) return;
    pairs.push_back({ctx.args[i + 1], score});
  }
  RunAdd(ctx, pairs, flags.Options(), flags.ch);
}

void ZIncrBy(CommandContext& ctx) {
  double increment = 0;
  if (!ParseDoubleArg(ctx, 2, &increment)) return;
  ZAddOptions options;
  options.increment = true;
  RunAdd(ctx, {{ctx.args[3], increment}}, options, false);
}

void ZRem(CommandContext& ctx) {
  auto removed = ctx.server.zsets.Remove(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!removed.ok()) return ctx.ReplyError(removed.status());
  ctx.reply.Integer(*removed);
}

// ---- point reads and counts ----------------------------------------------------

void ZCard(CommandContext& ctx) {
  auto size = ctx.server.zsets.Card(ctx.db(), ctx.args[1]);
  if (!size.ok()) return ctx.ReplyError(size.status());
  ctx.reply.Integer(static_cast<int64_t>(*size));
}

void ZScore(CommandContext& ctx) {
  auto score = ctx.server.zsets.Score(ctx.db(), ctx.args[1], ctx.args[2]);
  if (!score.ok()) return ctx.ReplyError(score.status());
  ReplyOptionalScore(ctx, *score);
}

void ZMScore(CommandContext& ctx) {
  auto scores = ctx.server.zsets.MultiScore(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!scores.ok()) return ctx.ReplyError(scores.status());
  ctx.reply.ArrayHeader(scores->size());
  for (const auto& score : *scores) ReplyOptionalScore(ctx, score);
}

void RankGeneric(CommandContext& ctx, bool reverse) {
  auto rank = ctx.server.zsets.Rank(ctx.db(), ctx.args[1], ctx.args[2], reverse);
  if (!rank.ok()) return ctx.ReplyError(rank.status());
  *rank ? ctx.reply.Integer(static_cast<int64_t>(**rank)) : ctx.reply.NullBulk();
}

void ZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
void ZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

void ZCount(CommandContext& ctx) {
  storage::ScoreRange range;
  if (!storage::ParseScoreRange(ctx.args[2], ctx.args[3], &range)) return ctx.reply.Error(kScoreRangeError);
  auto count = ctx.server.zsets.Count(ctx.db(), ctx.args[1], range);
  if (!count.ok()) return ctx.ReplyError(count.status());
  ctx.reply.Integer(static_cast<int64_t>(*count));
}

void ZLexCount(CommandContext& ctx) {
  storage::LexRange range;
  if (!storage::ParseLexRange(ctx.args[2], ctx.args[3], &range)) return ctx.reply.Error(kLexRangeError);
  auto count = ctx.server.zsets.LexCount(ctx.db(), ctx.args[1], range);
  if (!count.ok()) return ctx.ReplyError(count.status());
  ctx.reply.Integer(static_cast<int64_t>(*count));
}

// ---- ZRANGE and its older forms ---------------------------------------------

using By = storage::RangeSpec::By;
enum class Direction { kAuto, kForward, kReverse };

// Reads the range arguments at min_index/max_index into `spec` (by spec->by);
// replies the error and returns false when they are malformed.
bool ParseRangeBounds(CommandContext& ctx, size_t min_index, size_t max_index, storage::RangeSpec* spec) {
  switch (spec->by) {
    case By::kRank: return ParseIntArg(ctx, min_index, &spec->start) && ParseIntArg(ctx, max_index, &spec->stop);
    case By::kScore:
      if (storage::ParseScoreRange(ctx.args[min_index], ctx.args[max_index], &spec->score)) return true;
      ctx.reply.Error(kScoreRangeError);
      return false;
    case By::kLex:
      if (storage::ParseLexRange(ctx.args[min_index], ctx.args[max_index], &spec->lex)) return true;
      ctx.reply.Error(kLexRangeError);
      return false;
  }
  return false;
}

// The shared body of ZRANGE, ZRANGESTORE, ZREVRANGE, Z[REV]RANGEBYSCORE and
// Z[REV]RANGEBYLEX. `by` and `direction` are fixed by the older forms and
// left to options (kAuto, nullopt) by ZRANGE and ZRANGESTORE.
void RangeGeneric(CommandContext& ctx, std::optional<By> by, Direction direction, bool store) {
  size_t key_index = store ? 2 : 1;
  size_t min_index = key_index + 1, max_index = key_index + 2;
  storage::RangeSpec spec;
  bool withscores = false;
  const auto& args = ctx.args;
  for (size_t j = key_index + 3; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    if (!store && EqualsIgnoreCase(args[j], "WITHSCORES")) {
      withscores = true;
    } else if (EqualsIgnoreCase(args[j], "LIMIT") && left >= 2) {
      if (!ParseIntArg(ctx, j + 1, &spec.offset) || !ParseIntArg(ctx, j + 2, &spec.limit)) return;
      j += 2;
    } else if (direction == Direction::kAuto && EqualsIgnoreCase(args[j], "REV")) {
      direction = Direction::kReverse;
    } else if (!by && EqualsIgnoreCase(args[j], "BYLEX")) {
      by = By::kLex;
    } else if (!by && EqualsIgnoreCase(args[j], "BYSCORE")) {
      by = By::kScore;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  spec.by = by.value_or(By::kRank);
  spec.reverse = direction == Direction::kReverse;
  // Redis 7.0 looks at the count only: "LIMIT 4 -1" passes with a rank range (the offset is ignored).
  if (spec.limit != -1 && spec.by == By::kRank) return ctx.reply.Error(kLimitNeedsByScoreOrLex);
  if (withscores && spec.by == By::kLex) return ctx.reply.Error(kWithScoresByLex);
  // Reverse score and lex ranges are written max first.
  if (spec.reverse && spec.by != By::kRank) std::swap(min_index, max_index);
  if (!ParseRangeBounds(ctx, min_index, max_index, &spec)) return;

  if (store) {
    auto stored = ctx.server.zsets.RangeStore(ctx.db(), args[1], args[2], spec);
    if (!stored.ok()) return ctx.ReplyError(stored.status());
    return ctx.reply.Integer(static_cast<int64_t>(*stored));
  }
  auto entries = ctx.server.zsets.Range(ctx.db(), args[1], spec);
  if (!entries.ok()) return ctx.ReplyError(entries.status());
  ReplyScored(ctx, *entries, withscores);
}

void ZRange(CommandContext& ctx) { RangeGeneric(ctx, std::nullopt, Direction::kAuto, false); }
void ZRangeStore(CommandContext& ctx) { RangeGeneric(ctx, std::nullopt, Direction::kAuto, true); }
void ZRevRange(CommandContext& ctx) { RangeGeneric(ctx, By::kRank, Direction::kReverse, false); }
void ZRangeByScore(CommandContext& ctx) { RangeGeneric(ctx, By::kScore, Direction::kForward, false); }
void ZRevRangeByScore(CommandContext& ctx) { RangeGeneric(ctx, By::kScore, Direction::kReverse, false); }
void ZRangeByLex(CommandContext& ctx) { RangeGeneric(ctx, By::kLex, Direction::kForward, false); }
void ZRevRangeByLex(CommandContext& ctx) { RangeGeneric(ctx, By::kLex, Direction::kReverse, false); }

void RemoveRangeGeneric(CommandContext& ctx, By by) {
  storage::RangeSpec spec;
  spec.by = by;
  if (!ParseRangeBounds(ctx, 2, 3, &spec)) return;
  auto removed = ctx.server.zsets.RemoveRange(ctx.db(), ctx.args[1], spec);
  if (!removed.ok()) return ctx.ReplyError(removed.status());
  ctx.reply.Integer(static_cast<int64_t>(*removed));
}

void ZRemRangeByRank(CommandContext& ctx) { RemoveRangeGeneric(ctx, By::kRank); }
void ZRemRangeByScore(CommandContext& ctx) { RemoveRangeGeneric(ctx, By::kScore); }
void ZRemRangeByLex(CommandContext& ctx) { RemoveRangeGeneric(ctx, By::kLex); }

// ---- pops -----------------------------------------------------------------------

void PopGeneric(CommandContext& ctx, storage::PopEnd end) {
  if (ctx.args.size() > 3) return ctx.ReplySyntaxError();
  int64_t count = -1;  // no COUNT: one element, always a flat reply
  if (ctx.args.size() == 3) {
    // Redis gives the same message for a non-integer and a negative count.
    if (!ParseInt64(ctx.args[2], &count) || count < 0) return ctx.reply.Error(errors::kNotPositive);
  }
  auto popped = ctx.server.zsets.Pop(ctx.db(), ctx.args[1], count == -1 ? 1 : static_cast<uint64_t>(count), end);
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  bool pairs = ctx.reply.resp3() && count != -1;
  ctx.reply.ArrayHeader(pairs ? popped->size() : popped->size() * 2);
  for (const auto& entry : *popped) {
    if (pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(entry.member);
    ctx.reply.Double(entry.score);
  }
}

void ZPopMin(CommandContext& ctx) { PopGeneric(ctx, storage::PopEnd::kMin); }
void ZPopMax(CommandContext& ctx) { PopGeneric(ctx, storage::PopEnd::kMax); }

void ZMPop(CommandContext& ctx) {
  MultiPopArgs args;
  if (!ParseMultiPop(ctx, 1, {"MIN", "MAX"}, &args)) return;
  storage::PopEnd end = args.side == 0 ? storage::PopEnd::kMin : storage::PopEnd::kMax;
  auto result = ctx.server.zsets.MultiPop(ctx.db(), args.keys, args.count, end);
  if (!result.ok()) return ctx.ReplyError(result.status());
  if (!*result) return ctx.reply.NullArray();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk((*result)->key);
  ctx.reply.ArrayHeader((*result)->popped.size());
  for (const auto& entry : (*result)->popped) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(entry.member);
    ctx.reply.Double(entry.score);
  }
}

// ---- ZRANDMEMBER -----------------------------------------------------------------

void ZRandMember(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    auto picked = ctx.server.zsets.RandomMembers(ctx.db(), ctx.args[1], 1, false);
    if (!picked.ok()) return ctx.ReplyError(picked.status());
    return picked->empty() ? ctx.reply.NullBulk() : ctx.reply.Bulk(picked->front().member);
  }
  int64_t count = 0;
  if (!ParseIntArg(ctx, 2, &count)) return;
  if (count == INT64_MIN) return ctx.reply.Error(kRandCountRange);
  bool withscores = ctx.args.size() == 4 && EqualsIgnoreCase(ctx.args[3], "WITHSCORES");
  if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !withscores)) return ctx.ReplySyntaxError();
  // Redis refuses counts whose member+score reply length would overflow.
  if (withscores && (count < -(INT64_MAX / 2) || count > INT64_MAX / 2)) {
    return ctx.reply.Error(kValueOutOfRange);
  }
  // Redis would try to build any repeating reply and run out of memory; kvd
  // refuses absurd ones, as HRANDFIELD and SRANDMEMBER do.
  if (count < 0 && static_cast<uint64_t>(-count) > storage::kMaxRandomRepeats) {
    return ctx.reply.Error(kValueOutOfRange);
  }
  bool repeats = count < 0;
  uint64_t wanted = repeats ? static_cast<uint64_t>(-count) : static_cast<uint64_t>(count);
  auto picked = ctx.server.zsets.RandomMembers(ctx.db(), ctx.args[1], wanted, repeats);
  if (!picked.ok()) return ctx.ReplyError(picked.status());
  ReplyScored(ctx, *picked, withscores);
}

// ---- ZUNION / ZINTER / ZDIFF and their STORE forms, ZINTERCARD ------------------

struct SetOpRequest {
  std::vector<std::string_view> keys;
  storage::CombineOptions options;
  bool withscores = false;
  uint64_t limit = 0;  // ZINTERCARD
};

enum class SetOpForm { kReply, kStore, kCardinality };

// Parses the options after the keys. Returns "" or the error to reply.
std::string ParseSetOpOptions(CommandContext& ctx, size_t from, SetOpForm form, SetOpRequest* request) {
  const auto& args = ctx.args;
  bool diff = request->options.operation == storage::ZSetOperation::kDiff;
  bool cardinality = form == SetOpForm::kCardinality;
  size_t keys = request->keys.size();
  for (size_t j = from; j < args.size();) {
    size_t remaining = args.size() - j;
    if (!diff && !cardinality && remaining >= keys + 1 && EqualsIgnoreCase(args[j], "WEIGHTS")) {
      ++j;
      for (size_t i = 0; i < keys; ++i, ++j) {
        double weight = 0;
        if (!ParseDouble(args[j], &weight)) return kWeightNotFloat;
        request->options.weights.push_back(weight);
      }
    } else if (!diff && !cardinality && remaining >= 2 && EqualsIgnoreCase(args[j], "AGGREGATE")) {
      const std::string& how = args[j + 1];
      if (EqualsIgnoreCase(how, "SUM")) {
        request->options.aggregate = storage::Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "MIN")) {
        request->options.aggregate = storage::Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "MAX")) {
        request->options.aggregate = storage::Aggregate::kMax;
      } else {
        return errors::kSyntax;
      }
      j += 2;
    } else if (form == SetOpForm::kReply && EqualsIgnoreCase(args[j], "WITHSCORES")) {
      request->withscores = true;
      ++j;
    } else if (cardinality && remaining >= 2 && EqualsIgnoreCase(args[j], "LIMIT")) {
      int64_t limit = 0;
      if (!ParseInt64(args[j + 1], &limit) || limit < 0) return kLimitNegative;
      request->limit = static_cast<uint64_t>(limit);
      j += 2;
    } else {
      return errors::kSyntax;
    }
  }
  return {};
}

// Parses `numkeys key... options` from `numkeys_index`; replies and returns
// false on error. Like Redis, a key of the wrong type is reported before a
// malformed option.
bool ParseSetOp(CommandContext& ctx, size_t numkeys_index, SetOpForm form, SetOpRequest* request) {
  int64_t numkeys = 0;
  if (!ParseIntArg(ctx, numkeys_index, &numkeys)) return false;
  if (numkeys < 1) {
    ctx.reply.Error("ERR at least 1 input key is needed for '" + ToLower(ctx.args[0]) + "' command");
    return false;
  }
  size_t first_key = numkeys_index + 1;
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - first_key) {
    ctx.ReplySyntaxError();
    return false;
  }
  size_t after_keys = first_key + static_cast<size_t>(numkeys);
  for (size_t i = first_key; i < after_keys; ++i) request->keys.emplace_back(ctx.args[i]);
  std::string error = ParseSetOpOptions(ctx, after_keys, form, request);
  if (error.empty()) return true;
  Status inputs = ctx.server.zsets.CheckCombinable(ctx.db(), request->keys);
  inputs.Is(Status::Code::kWrongType) ? ctx.ReplyError(inputs) : ctx.reply.Error(error);
  return false;
}

void CombineGeneric(CommandContext& ctx, storage::ZSetOperation operation) {
  SetOpRequest request;
  request.options.operation = operation;
  if (!ParseSetOp(ctx, 1, SetOpForm::kReply, &request)) return;
  auto entries = ctx.server.zsets.Combine(ctx.db(), request.keys, request.options);
  if (!entries.ok()) return ctx.ReplyError(entries.status());
  ReplyScored(ctx, *entries, request.withscores);
}

void CombineStoreGeneric(CommandContext& ctx, storage::ZSetOperation operation) {
  SetOpRequest request;
  request.options.operation = operation;
  if (!ParseSetOp(ctx, 2, SetOpForm::kStore, &request)) return;
  auto stored = ctx.server.zsets.CombineStore(ctx.db(), ctx.args[1], request.keys, request.options);
  if (!stored.ok()) return ctx.ReplyError(stored.status());
  ctx.reply.Integer(static_cast<int64_t>(*stored));
}

void ZUnion(CommandContext& ctx) { CombineGeneric(ctx, storage::ZSetOperation::kUnion); }
void ZInter(CommandContext& ctx) { CombineGeneric(ctx, storage::ZSetOperation::kInter); }
void ZDiff(CommandContext& ctx) { CombineGeneric(ctx, storage::ZSetOperation::kDiff); }
void ZUnionStore(CommandContext& ctx) { CombineStoreGeneric(ctx, storage::ZSetOperation::kUnion); }
void ZInterStore(CommandContext& ctx) { CombineStoreGeneric(ctx, storage::ZSetOperation::kInter); }
void ZDiffStore(CommandContext& ctx) { CombineStoreGeneric(ctx, storage::ZSetOperation::kDiff); }

void ZInterCard(CommandContext& ctx) {
  SetOpRequest request;
  request.options.operation = storage::ZSetOperation::kInter;
  if (!ParseSetOp(ctx, 1, SetOpForm::kCardinality, &request)) return;
  auto count = ctx.server.zsets.InterCard(ctx.db(), request.keys, request.limit);
  if (!count.ok()) return ctx.ReplyError(count.status());
  ctx.reply.Integer(static_cast<int64_t>(*count));
}

// ---- ZSCAN --------------------------------------------------------------------------

// Redis reads cursors with strtoul: any unsigned decimal without leading space.
bool ParseCursor(const std::string& text, uint64_t* cursor) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  errno = 0;
  *cursor = std::strtoull(text.c_str(), &end, 10);
  return *end == '\0' && errno != ERANGE;
}

void ZScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseCursor(ctx.args[2], &cursor)) return ctx.reply.Error(kInvalidCursor);
  auto exists = ctx.server.zsets.Card(ctx.db(), ctx.args[1]);
  if (!exists.ok()) return ctx.ReplyError(exists.status());
  if (*exists == 0) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    return ctx.reply.ArrayHeader(0);
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, &options)) return;
  std::string position = cursor == 0 ? std::string() : ctx.server.cursors.Find(cursor);
  auto page = ctx.server.zsets.Scan(ctx.db(), ctx.args[1], position, options.pattern,
                                    static_cast<uint64_t>(options.count));
  if (!page.ok()) return ctx.ReplyError(page.status());
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(page->next.empty() ? "0" : FormatInt64(static_cast<int64_t>(ctx.server.cursors.Save(page->next))));
  // Scores are plain bulk strings here even in RESP3, as in Redis.
  ctx.reply.ArrayHeader(page->entries.size() * 2);
  for (const auto& entry : page->entries) {
    ctx.reply.Bulk(entry.member);
    ctx.reply.Bulk(FormatDouble(entry.score));
  }
}

// ---- key positions of the numkeys forms ---------------------------------------------

// `count` keys after the numkeys argument at `numkeys_index`, as far as the
// arguments go (a malformed numkeys yields none).
void AppendNumKeys(const std::vector<std::string>& args, size_t numkeys_index, std::vector<size_t>* keys) {
  int64_t numkeys = 0;
  if (numkeys_index >= args.size() || !ParseInt64(args[numkeys_index], &numkeys) || numkeys < 1) return;
  for (size_t i = 0; i < static_cast<uint64_t>(numkeys) && numkeys_index + 1 + i < args.size(); ++i) {
    keys->push_back(numkeys_index + 1 + i);
  }
}

std::vector<size_t> KeysAfterNumKeys(const std::vector<std::string>& args) {
  std::vector<size_t> keys;
  AppendNumKeys(args, 1, &keys);
  return keys;
}

std::vector<size_t> DestinationAndKeys(const std::vector<std::string>& args) {
  std::vector<size_t> keys;
  if (args.size() > 1) keys.push_back(1);
  AppendNumKeys(args, 2, &keys);
  return keys;
}

}  // namespace

std::vector<CommandSpec> ZSetCommands() {
  return {
      {"zadd", -4, kWrite | kDenyOom | kFast, 1, 1, 1, ZAdd},
      {"zincrby", 4, kWrite | kDenyOom | kFast, 1, 1, 1, ZIncrBy},
      {"zrem", -3, kWrite | kFast, 1, 1, 1, ZRem},
      {"zcard", 2, kReadonly | kFast, 1, 1, 1, ZCard},
      {"zscore", 3, kReadonly | kFast, 1, 1, 1, ZScore},
      {"zmscore", -3, kReadonly | kFast, 1, 1, 1, ZMScore},
      {"zrank", 3, kReadonly | kFast, 1, 1, 1, ZRank},
      {"zrevrank", 3, kReadonly | kFast, 1, 1, 1, ZRevRank},
      {"zcount", 4, kReadonly | kFast, 1, 1, 1, ZCount},
      {"zlexcount", 4, kReadonly | kFast, 1, 1, 1, ZLexCount},
      {"zrange", -4, kReadonly, 1, 1, 1, ZRange},
      {"zrangestore", -5, kWrite | kDenyOom, 1, 2, 1, ZRangeStore},
      {"zrevrange", -4, kReadonly, 1, 1, 1, ZRevRange},
      {"zrangebyscore", -4, kReadonly, 1, 1, 1, ZRangeByScore},
      {"zrevrangebyscore", -4, kReadonly, 1, 1, 1, ZRevRangeByScore},
      {"zrangebylex", -4, kReadonly, 1, 1, 1, ZRangeByLex},
      {"zrevrangebylex", -4, kReadonly, 1, 1, 1, ZRevRangeByLex},
      {"zremrangebyrank", 4, kWrite, 1, 1, 1, ZRemRangeByRank},
      {"zremrangebyscore", 4, kWrite, 1, 1, 1, ZRemRangeByScore},
      {"zremrangebylex", 4, kWrite, 1, 1, 1, ZRemRangeByLex},
      {"zpopmin", -2, kWrite | kFast, 1, 1, 1, ZPopMin},
      {"zpopmax", -2, kWrite | kFast, 1, 1, 1, ZPopMax},
      {"zmpop", -4, kWrite, 2, 2, 1, ZMPop, KeysAfterNumKeys},
      {"zrandmember", -2, kReadonly, 1, 1, 1, ZRandMember},
      {"zunion", -3, kReadonly, 2, 2, 1, ZUnion, KeysAfterNumKeys},
      {"zinter", -3, kReadonly, 2, 2, 1, ZInter, KeysAfterNumKeys},
      {"zdiff", -3, kReadonly, 2, 2, 1, ZDiff, KeysAfterNumKeys},
      {"zintercard", -3, kReadonly, 2, 2, 1, ZInterCard, KeysAfterNumKeys},
      {"zunionstore", -4, kWrite | kDenyOom, 1, 1, 1, ZUnionStore, DestinationAndKeys},
      {"zinterstore", -4, kWrite | kDenyOom, 1, 1, 1, ZInterStore, DestinationAndKeys},
      {"zdiffstore", -4, kWrite | kDenyOom, 1, 1, 1, ZDiffStore, DestinationAndKeys},
      {"zscan", -3, kReadonly, 1, 1, 1, ZScan},
  };
}

}  // namespace kvd::server
