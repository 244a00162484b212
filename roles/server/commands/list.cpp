// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
// LINSERT LREM LTRIM LPOS RPOPLPUSH LMOVE LMPOP. (The blocking forms live with
// the blocking machinery and use the same ListStore calls.)
#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

using storage::ListSide;

constexpr const char* kRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start "
    "from the end of the list";
constexpr const char* kCountNegative = "ERR COUNT can't be negative";
constexpr const char* kMaxlenNegative = "ERR MAXLEN can't be negative";

// "LEFT"/"RIGHT" (any case); false for anything else.
bool ParseSide(std::string_view text, ListSide* side) {
  if (EqualsIgnoreCase(text, "LEFT")) {
    *side = ListSide::kLeft;
  } else if (EqualsIgnoreCase(text, "RIGHT")) {
    *side = ListSide::kRight;
  } else {
    return false;
  }
  return true;
}

void PushGeneric(CommandContext& ctx, ListSide side, bool only_if_exists) {
  auto length = ctx.server.lists.Push(ctx.db(), ctx.args[1], side, ArgViews(ctx.args, 2), only_if_exists);
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

void LPush(CommandContext& ctx) { PushGeneric(ctx, ListSide::kLeft, false); }
void RPush(CommandContext& ctx) { PushGeneric(ctx, ListSide::kRight, false); }
void LPushX(CommandContext& ctx) { PushGeneric(ctx, ListSide::kLeft, true); }
void RPushX(CommandContext& ctx) { PushGeneric(ctx, ListSide::kRight, true); }

// LPOP/RPOP key [count]: a bulk without count, an array with it.
void PopGeneric(CommandContext& ctx, ListSide side) {
  if (ctx.args.size() > 3) return ctx.ReplyWrongArgs();
  bool with_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (with_count && (!ParseInt64(ctx.args[2], &count) || count < 0)) return ctx.reply.Error(errors::kNotPositive);
  auto popped = ctx.server.lists.Pop(ctx.db(), ctx.args[1], side, static_cast<uint64_t>(count));
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  if (!popped->has_value()) return with_count ? ctx.reply.NullArray() : ctx.reply.NullBulk();
  if (with_count) return ReplyBulks(ctx, **popped);
  ctx.reply.Bulk((**popped).front());
}

void LPop(CommandContext& ctx) { PopGeneric(ctx, ListSide::kLeft); }
void RPop(CommandContext& ctx) { PopGeneric(ctx, ListSide::kRight); }

void LLen(CommandContext& ctx) {
  auto length = ctx.server.lists.Length(ctx.db(), ctx.args[1]);
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

void LRange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t stop = 0;
  if (!ParseIntArg(ctx, 2, &start) || !ParseIntArg(ctx, 3, &stop)) return;
  auto values = ctx.server.lists.Range(ctx.db(), ctx.args[1], start, stop);
  if (!values.ok()) return ctx.ReplyError(values.status());
  ReplyBulks(ctx, *values);
}

// LINDEX/LSET with an index that is not a number: Redis looks the key up
// first, so a missing key or a wrong type wins over the bad index.
void ReplyUnparsableIndex(CommandContext& ctx, bool missing_key_is_error) {
  auto length = ctx.server.lists.Length(ctx.db(), ctx.args[1]);
  if (!length.ok()) return ctx.ReplyError(length.status());
  if (*length > 0) return ctx.reply.Error(errors::kNotInteger);
  missing_key_is_error ? ctx.reply.Error(errors::kNoSuchKey) : ctx.reply.NullBulk();
}

void LIndex(CommandContext& ctx) {
  int64_t index = 0;
  if (!ParseInt64(ctx.args[2], &index)) return ReplyUnparsableIndex(ctx, false);
  auto value = ctx.server.lists.Index(ctx.db(), ctx.args[1], index);
  if (!value.ok()) return ctx.ReplyError(value.status());
  if (!value->has_value()) return ctx.reply.NullBulk();
  ctx.reply.Bulk(**value);
}

void LSet(CommandContext& ctx) {
  int64_t index = 0;
  if (!ParseInt64(ctx.args[2], &index)) return ReplyUnparsableIndex(ctx, true);
  Status status = ctx.server.lists.Set(ctx.db(), ctx.args[1], index, ctx.args[3]);
  if (!status.ok()) return ctx.ReplyError(status);
  ctx.reply.Ok();
}

void LInsert(CommandContext& ctx) {
  bool before = EqualsIgnoreCase(ctx.args[2], "BEFORE");
  if (!before && !EqualsIgnoreCase(ctx.args[2], "AFTER")) return ctx.ReplySyntaxError();
  auto length = ctx.server.lists.Insert(ctx.db(), ctx.args[1], before, ctx.args[3], ctx.args[4]);
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(*length);
}

void LRem(CommandContext& ctx) {
  int64_t count = 0;
  if (!ParseIntArg(ctx, 2, &count)) return;
  auto removed = ctx.server.lists.Remove(ctx.db(), ctx.args[1], count, ctx.args[3]);
  if (!removed.ok()) return ctx.ReplyError(removed.status());
  ctx.reply.Integer(static_cast<int64_t>(*removed));
}

void LTrim(CommandContext& ctx) {
  int64_t start = 0;
  int64_t stop = 0;
  if (!ParseIntArg(ctx, 2, &start) || !ParseIntArg(ctx, 3, &stop)) return;
  Status status = ctx.server.lists.Trim(ctx.db(), ctx.args[1], start, stop);
  if (!status.ok()) return ctx.ReplyError(status);
  ctx.reply.Ok();
}

// LPOS's RANK/COUNT/MAXLEN; replies the error itself and returns false.
bool ParsePosOptions(CommandContext& ctx, storage::ListPosOptions* options, bool* count_given) {
  int64_t rank = 1;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    if (i + 1 >= ctx.args.size()) {
      ctx.ReplySyntaxError();
      return false;
    }
    const std::string& name = ctx.args[i];
    int64_t number = 0;
    bool known = EqualsIgnoreCase(name, "RANK") || EqualsIgnoreCase(name, "COUNT") || EqualsIgnoreCase(name, "MAXLEN");
    if (!known) {
      ctx.ReplySyntaxError();
      return false;
    }
    bool is_rank = EqualsIgnoreCase(name, "RANK");
    // Redis 7.0 answers COUNT's and MAXLEN's "can't be negative" for a non-number too.
    if (!is_rank && !ParseInt64(ctx.args[i + 1], &number)) number = -1;
    if (is_rank && !ParseIntArg(ctx, i + 1, &number)) return false;
    if (is_rank) {
      if (number == 0) {
        ctx.reply.Error(kRankZero);
        return false;
      }
      rank = number;
    } else if (number < 0) {
      ctx.reply.Error(EqualsIgnoreCase(name, "COUNT") ? kCountNegative : kMaxlenNegative);
      return false;
    } else if (EqualsIgnoreCase(name, "COUNT")) {
      options->max_matches = static_cast<uint64_t>(number);
      *count_given = true;
    } else {
      options->max_compared = static_cast<uint64_t>(number);
    }
  }
  // Redis 7.0 negates RANK -2^63 into itself, so it behaves as -1.
  if (rank == INT64_MIN) rank = -1;
  options->from_tail = rank < 0;
  options->skip_matches = static_cast<uint64_t>(rank < 0 ? -rank : rank) - 1;
  return true;
}

void LPos(CommandContext& ctx) {
  storage::ListPosOptions options;
  bool count_given = false;
  if (!ParsePosOptions(ctx, &options, &count_given)) return;
  if (!count_given) options.max_matches = 1;
  auto positions = ctx.server.lists.Positions(ctx.db(), ctx.args[1], ctx.args[2], options);
  if (!positions.ok()) return ctx.ReplyError(positions.status());
  if (!count_given) {
    if (positions->empty()) return ctx.reply.NullBulk();
    return ctx.reply.Integer(static_cast<int64_t>(positions->front()));
  }
  ctx.reply.ArrayHeader(positions->size());
  for (uint64_t position : *positions) ctx.reply.Integer(static_cast<int64_t>(position));
}

void ReplyMoved(CommandContext& ctx, const Result<std::optional<std::string>>& moved) {
  if (!moved.ok()) return ctx.ReplyError(moved.status());
  if (!moved->has_value()) return ctx.reply.NullBulk();
  ctx.reply.Bulk(**moved);
}

void RPopLPush(CommandContext& ctx) {
  ReplyMoved(ctx, ctx.server.lists.Move(ctx.db(), ctx.args[1], ctx.args[2], ListSide::kRight, ListSide::kLeft));
}

void LMove(CommandContext& ctx) {
  ListSide from = ListSide::kLeft;
  ListSide to = ListSide::kLeft;
  if (!ParseSide(ctx.args[3], &from) || !ParseSide(ctx.args[4], &to)) return ctx.ReplySyntaxError();
  ReplyMoved(ctx, ctx.server.lists.Move(ctx.db(), ctx.args[1], ctx.args[2], from, to));
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: how many keys, or 0
// when numkeys is not a positive integer.
int64_t MPopNumKeys(const std::vector<std::string>& args) {
  int64_t numkeys = 0;
  if (args.size() < 2 || !ParseInt64(args[1], &numkeys) || numkeys <= 0) return 0;
  return numkeys;
}

std::vector<size_t> MPopKeys(const std::vector<std::string>& args) {
  int64_t numkeys = MPopNumKeys(args);
  std::vector<size_t> indexes;
  // The keys must leave room for the LEFT|RIGHT argument.
  if (numkeys == 0 || args.size() < 4 || static_cast<uint64_t>(numkeys) > args.size() - 3) return indexes;
  for (size_t i = 0; i < static_cast<size_t>(numkeys); ++i) indexes.push_back(2 + i);
  return indexes;
}

void LMPop(CommandContext& ctx) {
  MultiPopArgs args;
  if (!ParseMultiPop(ctx, 1, {"LEFT", "RIGHT"}, &args)) return;
  ListSide side = args.side == 0 ? ListSide::kLeft : ListSide::kRight;
  auto popped = ctx.server.lists.PopFirstNonEmpty(ctx.db(), args.keys, side, args.count);
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  if (!popped->has_value()) return ctx.reply.NullArray();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk((**popped).key);
  ReplyBulks(ctx, (**popped).values);
}

}  // namespace

std::vector<CommandSpec> ListCommands() {
  return {
      {"lpush", -3, kWrite | kDenyOom | kFast, 1, 1, 1, LPush},
      {"rpush", -3, kWrite | kDenyOom | kFast, 1, 1, 1, RPush},
      {"lpushx", -3, kWrite | kDenyOom | kFast, 1, 1, 1, LPushX},
      {"rpushx", -3, kWrite | kDenyOom | kFast, 1, 1, 1, RPushX},
      {"lpop", -2, kWrite | kFast, 1, 1, 1, LPop},
      {"rpop", -2, kWrite | kFast, 1, 1, 1, RPop},
      {"llen", 2, kReadonly | kFast, 1, 1, 1, LLen},
      {"lrange", 4, kReadonly, 1, 1, 1, LRange},
      {"lindex", 3, kReadonly, 1, 1, 1, LIndex},
      {"lset", 4, kWrite | kDenyOom, 1, 1, 1, LSet},
      {"linsert", 5, kWrite | kDenyOom, 1, 1, 1, LInsert},
      {"lrem", 4, kWrite, 1, 1, 1, LRem},
      {"ltrim", 4, kWrite, 1, 1, 1, LTrim},
      {"lpos", -3, kReadonly, 1, 1, 1, LPos},
      {"rpoplpush", 3, kWrite | kDenyOom, 1, 2, 1, RPopLPush},
      {"lmove", 5, kWrite | kDenyOom, 1, 2, 1, LMove},
      {"lmpop", -4, kWrite, 0, 0, 0, LMPop, MPopKeys},
  };
}

}  // namespace kvd::server
