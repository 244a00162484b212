// Hash commands: HSET HSETNX HGET HMSET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS
// HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

constexpr const char* kIncrementNotFinite = "ERR value is NaN or Infinity";
constexpr const char* kCountOutOfRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr const char* kOutOfRange = "ERR value is out of range";

void ReplyOptionalBulk(CommandContext& ctx, const std::optional<std::string>& value) {
  value ? ctx.reply.Bulk(*value) : ctx.reply.NullBulk();
}

std::vector<std::pair<std::string_view, std::string_view>> FieldValuePairs(const CommandContext& ctx) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) pairs.emplace_back(ctx.args[i], ctx.args[i + 1]);
  return pairs;
}

// HSET and HMSET differ only in the reply.
bool SetFields(CommandContext& ctx, int64_t* added) {
  if (ctx.args.size() % 2 != 0) {
    ctx.ReplyWrongArgs();
    return false;
  }
  auto result = ctx.server.hashes.Set(ctx.db(), ctx.args[1], FieldValuePairs(ctx));
  if (!result.ok()) {
    ctx.ReplyError(result.status());
    return false;
  }
  *added = *result;
  return true;
}

void HSet(CommandContext& ctx) {
  int64_t added = 0;
  if (SetFields(ctx, &added)) ctx.reply.Integer(added);
}

void HMSet(CommandContext& ctx) {
  int64_t added = 0;
  if (SetFields(ctx, &added)) ctx.reply.Ok();
}

void HSetNx(CommandContext& ctx) {
  auto written = ctx.server.hashes.SetIfAbsent(ctx.db(), ctx.args[1], ctx.args[2], ctx.args[3]);
  if (!written.ok()) return ctx.ReplyError(written.status());
  ctx.reply.Integer(*written ? 1 : 0);
}

void HGet(CommandContext& ctx) {
  auto value = ctx.server.hashes.Get(ctx.db(), ctx.args[1], ctx.args[2]);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ReplyOptionalBulk(ctx, *value);
}

void HMGet(CommandContext& ctx) {
  auto values = ctx.server.hashes.MultiGet(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!values.ok()) return ctx.ReplyError(values.status());
  ctx.reply.ArrayHeader(values->size());
  for (const auto& value : *values) ReplyOptionalBulk(ctx, value);
}

void HDel(CommandContext& ctx) {
  auto removed = ctx.server.hashes.Delete(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!removed.ok()) return ctx.ReplyError(removed.status());
  ctx.reply.Integer(*removed);
}

void HLen(CommandContext& ctx) {
  auto length = ctx.server.hashes.Length(ctx.db(), ctx.args[1]);
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

void HStrLen(CommandContext& ctx) {
  auto value = ctx.server.hashes.Get(ctx.db(), ctx.args[1], ctx.args[2]);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ctx.reply.Integer(*value ? static_cast<int64_t>((*value)->size()) : 0);
}

void HExists(CommandContext& ctx) {
  auto value = ctx.server.hashes.Get(ctx.db(), ctx.args[1], ctx.args[2]);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ctx.reply.Integer(value->has_value() ? 1 : 0);
}

enum class HashPart { kKeys, kValues, kBoth };

void ReplyHashParts(CommandContext& ctx, HashPart part) {
  auto all = ctx.server.hashes.GetAll(ctx.db(), ctx.args[1]);
  if (!all.ok()) return ctx.ReplyError(all.status());
  if (part == HashPart::kBoth) {
    ctx.reply.MapHeader(all->size());
  } else {
    ctx.reply.ArrayHeader(all->size());
  }
  for (const auto& item : *all) {
    if (part != HashPart::kValues) ctx.reply.Bulk(item.field);
    if (part != HashPart::kKeys) ctx.reply.Bulk(item.value);
  }
}

void HKeys(CommandContext& ctx) { ReplyHashParts(ctx, HashPart::kKeys); }
void HVals(CommandContext& ctx) { ReplyHashParts(ctx, HashPart::kValues); }
void HGetAll(CommandContext& ctx) { ReplyHashParts(ctx, HashPart::kBoth); }

void HIncrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseIntArg(ctx, 3, &delta)) return;
  auto value = ctx.server.hashes.IncrBy(ctx.db(), ctx.args[1], ctx.args[2], delta);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ctx.reply.Integer(*value);
}

void HIncrByFloat(CommandContext& ctx) {
  long double delta = 0;
  if (!ParseLongDouble(ctx.args[3], &delta)) return ctx.reply.Error(errors::kNotFloat);
  if (std::isinf(delta)) return ctx.reply.Error(kIncrementNotFinite);
  auto value = ctx.server.hashes.IncrByFloat(ctx.db(), ctx.args[1], ctx.args[2], delta);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ctx.reply.Bulk(*value);
}

void ReplyRandomFields(CommandContext& ctx, const std::vector<storage::FieldValue>& fields, bool with_values) {
  if (!with_values) {
    ctx.reply.ArrayHeader(fields.size());
    for (const auto& item : fields) ctx.reply.Bulk(item.field);
    return;
  }
  // RESP3 pairs each field with its value; RESP2 flattens them.
  ctx.reply.ArrayHeader(ctx.reply.resp3() ? fields.size() : fields.size() * 2);
  for (const auto& item : fields) {
    if (ctx.reply.resp3()) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(item.field);
    ctx.reply.Bulk(item.value);
  }
}

// Parses HRANDFIELD's count as Redis bounds it; replies on error.
bool ParseRandomCount(CommandContext& ctx, int64_t* count) {
  if (!ParseIntArg(ctx, 2, count)) return false;
  if (*count == INT64_MIN) {
    ctx.reply.Error(kCountOutOfRange);
    return false;
  }
  return true;
}

bool RandomCountAnswerable(CommandContext& ctx, bool with_values, int64_t count) {
  // Redis refuses counts whose reply length (two per pair) could overflow;
  // kvd also refuses repeating counts too large to ever be answered.
  bool too_large = (with_values && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) ||
                   (count < 0 && static_cast<uint64_t>(-count) > storage::kMaxRandomRepeats);
  if (too_large) {
    ctx.reply.Error(kOutOfRange);
    return false;
  }
  return true;
}

void HRandField(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    auto picked = ctx.server.hashes.RandomFields(ctx.db(), ctx.args[1], 1, true);
    if (!picked.ok()) return ctx.ReplyError(picked.status());
    return picked->empty() ? ctx.reply.NullBulk() : ctx.reply.Bulk(picked->front().field);
  }
  // In Redis's order: the count, the syntax, then the count's size.
  int64_t count = 0;
  if (!ParseRandomCount(ctx, &count)) return;
  bool with_values = ctx.args.size() == 4;
  if (ctx.args.size() > 4 || (with_values && !EqualsIgnoreCase(ctx.args[3], "WITHVALUES"))) {
    return ctx.ReplySyntaxError();
  }
  if (!RandomCountAnswerable(ctx, with_values, count)) return;
  bool distinct = count >= 0;
  uint64_t wanted = distinct ? static_cast<uint64_t>(count) : static_cast<uint64_t>(-count);
  auto picked = ctx.server.hashes.RandomFields(ctx.db(), ctx.args[1], wanted, distinct);
  if (!picked.ok()) return ctx.ReplyError(picked.status());
  ReplyRandomFields(ctx, *picked, with_values);
}


void HScan(CommandContext& ctx) {
  ReplySubKeyScan(
      ctx, [&] { return ctx.server.hashes.Length(ctx.db(), ctx.args[1]); },
      [&](const std::string& from, const std::optional<std::string>& pattern, size_t count) {
        return ctx.server.hashes.Scan(ctx.db(), ctx.args[1], from, pattern, count);
      },
      true);
}

}  // namespace

std::vector<CommandSpec> HashCommands() {
  return {
      {"hset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, HSet},
      {"hsetnx", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HSetNx},
      {"hget", 3, kReadonly | kFast, 1, 1, 1, HGet},
      {"hmset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, HMSet},
      {"hmget", -3, kReadonly | kFast, 1, 1, 1, HMGet},
      {"hdel", -3, kWrite | kFast, 1, 1, 1, HDel},
      {"hlen", 2, kReadonly | kFast, 1, 1, 1, HLen},
      {"hstrlen", 3, kReadonly | kFast, 1, 1, 1, HStrLen},
      {"hexists", 3, kReadonly | kFast, 1, 1, 1, HExists},
      {"hkeys", 2, kReadonly, 1, 1, 1, HKeys},
      {"hvals", 2, kReadonly, 1, 1, 1, HVals},
      {"hgetall", 2, kReadonly, 1, 1, 1, HGetAll},
      {"hincrby", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HIncrBy},
      {"hincrbyfloat", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HIncrByFloat},
      {"hrandfield", -2, kReadonly, 1, 1, 1, HRandField},
      {"hscan", -3, kReadonly, 1, 1, 1, HScan},
  };
}

}  // namespace kvd::server
