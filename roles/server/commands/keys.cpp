// Generic key commands: DEL UNLINK EXISTS TOUCH TYPE EXPIRE* TTL PTTL
// EXPIRETIME PEXPIRETIME PERSIST RENAME RENAMENX KEYS SCAN RANDOMKEY COPY MOVE.
#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

using storage::ExpireCondition;

void Del(CommandContext& ctx) {
  auto deleted = ctx.server.keyspace.Delete(ctx.db(), ArgViews(ctx.args, 1));
  if (!deleted.ok()) return ctx.ReplyError(deleted.status());
  ctx.reply.Integer(*deleted);
}

void Exists(CommandContext& ctx) {
  auto found = ctx.server.keyspace.Exists(ctx.db(), ArgViews(ctx.args, 1));
  if (!found.ok()) return ctx.ReplyError(found.status());
  ctx.reply.Integer(*found);
}

void Type(CommandContext& ctx) {
  auto type = ctx.server.keyspace.Type(ctx.db(), ctx.args[1]);
  if (!type.ok()) return ctx.ReplyError(type.status());
  ctx.reply.SimpleString(type->has_value() ? storage::KeyTypeName(**type) : "none");
}

// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT share this: `unit_ms` is 1000 for seconds,
// `relative` adds the current time.
void ExpireGeneric(CommandContext& ctx, int64_t unit_ms, bool relative) {
  ExpireCondition condition = ExpireCondition::kAlways;
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const std::string& option = ctx.args[i];
    if (EqualsIgnoreCase(option, "NX")) {
      nx = true;
    } else if (EqualsIgnoreCase(option, "XX")) {
      xx = true;
    } else if (EqualsIgnoreCase(option, "GT")) {
      gt = true;
    } else if (EqualsIgnoreCase(option, "LT")) {
      lt = true;
    } else {
      return ctx.reply.Error("ERR Unsupported option " + option);
    }
  }
  if (nx && (xx || gt || lt)) return ctx.reply.Error(errors::kExpireOptions);
  if (gt && lt) return ctx.reply.Error(errors::kGtLtNx);
  if (nx) condition = ExpireCondition::kNx;
  if (xx) condition = ExpireCondition::kXx;
  if (gt) condition = ExpireCondition::kGt;
  if (lt) condition = ExpireCondition::kLt;
  // Redis validates the options before the time.
  int64_t amount = 0;
  if (!ParseIntArg(ctx, 2, &amount)) return;

  std::string invalid = "ERR invalid expire time in '" + ToLower(ctx.args[0]) + "' command";
  int64_t at_ms = 0;
  if (__builtin_mul_overflow(amount, unit_ms, &at_ms)) return ctx.reply.Error(invalid);
  if (relative && __builtin_add_overflow(at_ms, static_cast<int64_t>(ctx.server.engine.NowMs()), &at_ms)) {
    return ctx.reply.Error(invalid);
  }
  auto applied = ctx.server.keyspace.ExpireAt(ctx.db(), ctx.args[1], at_ms, condition);
  if (!applied.ok()) return ctx.ReplyError(applied.status());
  if (*applied) ctx.Propagate({"PEXPIREAT", ctx.args[1], std::to_string(at_ms)});
  ctx.reply.Integer(*applied ? 1 : 0);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, 1000, true); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, 1, true); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 1000, false); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 1, false); }

// Replies a TTL-like value: negative codes pass through, others are divided by `unit_ms`.
void ReplyTime(CommandContext& ctx, const Result<int64_t>& value, int64_t unit_ms, bool round) {
  if (!value.ok()) return ctx.ReplyError(value.status());
  if (*value < 0) return ctx.reply.Integer(*value);
  ctx.reply.Integer(round ? (*value + unit_ms / 2) / unit_ms : *value / unit_ms);
}

void Ttl(CommandContext& ctx) { ReplyTime(ctx, ctx.server.keyspace.PttlMs(ctx.db(), ctx.args[1]), 1000, true); }
void Pttl(CommandContext& ctx) { ReplyTime(ctx, ctx.server.keyspace.PttlMs(ctx.db(), ctx.args[1]), 1, false); }
void ExpireTime(CommandContext& ctx) {
  ReplyTime(ctx, ctx.server.keyspace.ExpireTimeMs(ctx.db(), ctx.args[1]), 1000, true);
}
void PExpireTime(CommandContext& ctx) {
  ReplyTime(ctx, ctx.server.keyspace.ExpireTimeMs(ctx.db(), ctx.args[1]), 1, false);
}

void Persist(CommandContext& ctx) {
  auto removed = ctx.server.keyspace.Persist(ctx.db(), ctx.args[1]);
  if (!removed.ok()) return ctx.ReplyError(removed.status());
  ctx.reply.Integer(*removed ? 1 : 0);
}

void RenameGeneric(CommandContext& ctx, bool only_if_absent) {
  auto renamed = ctx.server.keyspace.Rename(ctx.db(), ctx.args[1], ctx.args[2], only_if_absent);
  if (!renamed.ok()) return ctx.ReplyError(renamed.status());
  if (only_if_absent) return ctx.reply.Integer(*renamed ? 1 : 0);
  ctx.reply.Ok();
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

void Keys(CommandContext& ctx) {
  auto keys = ctx.server.keyspace.Keys(ctx.db(), ctx.args[1]);
  if (!keys.ok()) return ctx.ReplyError(keys.status());
  ReplyBulks(ctx, *keys);
}

void Scan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseUint64(ctx.args[1], &cursor)) return ctx.reply.Error("ERR invalid cursor");
  std::optional<std::string> pattern;
  int64_t count = 10;
  std::optional<storage::KeyType> type;
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    if (i + 1 >= ctx.args.size()) return ctx.ReplySyntaxError();
    const std::string& option = ctx.args[i];
    if (EqualsIgnoreCase(option, "MATCH")) {
      pattern = ctx.args[i + 1];
    } else if (EqualsIgnoreCase(option, "COUNT")) {
      if (!ParseIntArg(ctx, i + 1, &count)) return;
      if (count < 1) return ctx.ReplySyntaxError();
    } else if (EqualsIgnoreCase(option, "TYPE")) {
      storage::KeyType parsed;
      if (!storage::ParseKeyTypeName(ctx.args[i + 1], &parsed)) {
        // Redis answers an empty page for an unknown type name.
        ctx.reply.ArrayHeader(2);
        ctx.reply.Bulk("0");
        ctx.reply.ArrayHeader(0);
        return;
      }
      type = parsed;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  std::string from = cursor == 0 ? std::string() : ctx.server.cursors.Find(cursor);
  auto page = ctx.server.keyspace.Scan(ctx.db(), from, pattern, static_cast<size_t>(std::min<int64_t>(count, 1 << 20)),
                                       type);
  if (!page.ok()) return ctx.ReplyError(page.status());
  uint64_t next = page->next.empty() ? 0 : ctx.server.cursors.Save(std::move(page->next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ReplyBulks(ctx, page->keys);
}

void RandomKey(CommandContext& ctx) {
  auto key = ctx.server.keyspace.RandomKey(ctx.db());
  if (!key.ok()) return ctx.ReplyError(key.status());
  key->has_value() ? ctx.reply.Bulk(**key) : ctx.reply.NullBulk();
}

void Copy(CommandContext& ctx) {
  uint8_t dst_db = ctx.db();
  bool replace = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[i], "DB") && i + 1 < ctx.args.size()) {
      if (!ParseDbIndexArg(ctx, ++i, &dst_db, errors::kDbIndexOutOfRange)) return;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (dst_db == ctx.db() && ctx.args[1] == ctx.args[2]) return ctx.reply.Error(errors::kSameObject);
  auto copied = ctx.server.keyspace.Copy(ctx.db(), ctx.args[1], dst_db, ctx.args[2], replace);
  if (!copied.ok()) return ctx.ReplyError(copied.status());
  ctx.reply.Integer(*copied ? 1 : 0);
}

void Move(CommandContext& ctx) {
  uint8_t dst_db = 0;
  if (!ParseDbIndexArg(ctx, 2, &dst_db, errors::kDbIndexOutOfRange)) return;
  if (dst_db == ctx.db()) return ctx.reply.Error(errors::kSameObject);
  auto moved = ctx.server.keyspace.Move(ctx.db(), ctx.args[1], dst_db);
  if (!moved.ok()) return ctx.ReplyError(moved.status());
  ctx.reply.Integer(*moved ? 1 : 0);
}

}  // namespace

std::vector<CommandSpec> KeyCommands() {
  return {
      {"del", -2, kWrite, 1, -1, 1, Del},
      {"unlink", -2, kWrite | kFast, 1, -1, 1, Del},
      {"exists", -2, kReadonly | kFast, 1, -1, 1, Exists},
      {"touch", -2, kReadonly | kFast, 1, -1, 1, Exists},
      {"type", 2, kReadonly | kFast, 1, 1, 1, Type},
      {"expire", -3, kWrite | kFast, 1, 1, 1, Expire},
      {"pexpire", -3, kWrite | kFast, 1, 1, 1, PExpire},
      {"expireat", -3, kWrite | kFast, 1, 1, 1, ExpireAt},
      {"pexpireat", -3, kWrite | kFast, 1, 1, 1, PExpireAt},
      {"ttl", 2, kReadonly | kFast, 1, 1, 1, Ttl},
      {"pttl", 2, kReadonly | kFast, 1, 1, 1, Pttl},
      {"expiretime", 2, kReadonly | kFast, 1, 1, 1, ExpireTime},
      {"pexpiretime", 2, kReadonly | kFast, 1, 1, 1, PExpireTime},
      {"persist", 2, kWrite | kFast, 1, 1, 1, Persist},
      {"rename", 3, kWrite, 1, 2, 1, Rename},
      {"renamenx", 3, kWrite | kFast, 1, 2, 1, RenameNx},
      {"keys", 2, kReadonly, 0, 0, 0, Keys},
      {"scan", -2, kReadonly, 0, 0, 0, Scan},
      {"randomkey", 1, kReadonly, 0, 0, 0, RandomKey},
      {"copy", -3, kWrite, 1, 2, 1, Copy},
      {"move", 3, kWrite | kFast, 1, 1, 1, Move},
  };
}

}  // namespace kvd::server
