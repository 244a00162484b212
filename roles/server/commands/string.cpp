// String commands: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL
// GETEX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE
// SETBIT GETBIT BITCOUNT BITPOS.
#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

using storage::SetOptions;

std::string InvalidExpire(const CommandContext& ctx) {
  return "ERR invalid expire time in '" + ToLower(ctx.args[0]) + "' command";
}

// Turns "EX n" style arguments into an absolute time, or says which error to answer.
bool ExpireToAbsolute(const CommandContext& ctx, std::string_view unit, size_t index, uint64_t* at_ms,
                      std::string* error) {
  int64_t amount = 0;
  if (!ParseInt64(ctx.args[index], &amount)) {
    *error = errors::kNotInteger;
    return false;
  }
  bool seconds = EqualsIgnoreCase(unit, "EX") || EqualsIgnoreCase(unit, "EXAT");
  bool relative = EqualsIgnoreCase(unit, "EX") || EqualsIgnoreCase(unit, "PX");
  int64_t ms = amount;
  if (amount <= 0 || (seconds && __builtin_mul_overflow(amount, int64_t{1000}, &ms)) ||
      (relative && __builtin_add_overflow(ms, static_cast<int64_t>(ctx.server.engine.NowMs()), &ms))) {
    *error = InvalidExpire(ctx);
    return false;
  }
  *at_ms = static_cast<uint64_t>(ms);
  return true;
}

// The same, replying the error itself.
bool ExpireArgToAbsolute(CommandContext& ctx, std::string_view unit, size_t index, uint64_t* at_ms) {
  std::string error;
  if (ExpireToAbsolute(ctx, unit, index, at_ms, &error)) return true;
  ctx.reply.Error(error);
  return false;
}

bool IsExpireUnit(std::string_view arg) {
  return EqualsIgnoreCase(arg, "EX") || EqualsIgnoreCase(arg, "PX") || EqualsIgnoreCase(arg, "EXAT") ||
         EqualsIgnoreCase(arg, "PXAT");
}

void ReplyOptional(CommandContext& ctx, const std::optional<std::string>& value) {
  if (value) {
    ++ctx.tally.hits;
    ctx.reply.Bulk(*value);
  } else {
    ++ctx.tally.misses;
    ctx.reply.NullBulk();
  }
}

void Get(CommandContext& ctx) {
  auto value = ctx.server.strings.Get(ctx.db(), ctx.args[1]);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ReplyOptional(ctx, *value);
}

// The binlog form of a SET that happened: its condition is settled and its expiry absolute.
std::vector<std::string> SetReplay(std::string_view key, std::string_view value, const SetOptions& options) {
  std::vector<std::string> replay{"SET", std::string(key), std::string(value)};
  if (options.ttl == SetOptions::Ttl::kSetAt) {
    replay.insert(replay.end(), {"PXAT", std::to_string(options.expire_at_ms)});
  } else if (options.ttl == SetOptions::Ttl::kKeep) {
    replay.emplace_back("KEEPTTL");
  }
  return replay;
}

void RunSet(CommandContext& ctx, std::string_view key, std::string_view value, const SetOptions& options) {
  auto result = ctx.server.strings.Set(ctx.db(), key, value, options);
  if (!result.ok()) return ctx.ReplyError(result.status());
  if (result->written) ctx.Propagate(SetReplay(key, value, options));
  if (options.return_old) return result->old_value ? ctx.reply.Bulk(*result->old_value) : ctx.reply.NullBulk();
  result->written ? ctx.reply.Ok() : ctx.reply.NullBulk();
}

void Set(CommandContext& ctx) {
  SetOptions options;
  bool expiry_given = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const std::string& arg = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(arg, "NX") && options.condition == SetOptions::Condition::kAlways) {
      options.condition = SetOptions::Condition::kIfAbsent;
    } else if (EqualsIgnoreCase(arg, "XX") && options.condition == SetOptions::Condition::kAlways) {
      options.condition = SetOptions::Condition::kIfPresent;
    } else if (EqualsIgnoreCase(arg, "GET")) {
      options.return_old = true;
    } else if (EqualsIgnoreCase(arg, "KEEPTTL") && !expiry_given) {
      options.ttl = SetOptions::Ttl::kKeep;
      expiry_given = true;
    } else if (IsExpireUnit(arg) && has_next && !expiry_given) {
      if (!ExpireArgToAbsolute(ctx, arg, i + 1, &options.expire_at_ms)) return;
      options.ttl = SetOptions::Ttl::kSetAt;
      expiry_given = true;
      ++i;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  RunSet(ctx, ctx.args[1], ctx.args[2], options);
}

void SetNx(CommandContext& ctx) {
  SetOptions options;
  options.condition = SetOptions::Condition::kIfAbsent;
  auto result = ctx.server.strings.Set(ctx.db(), ctx.args[1], ctx.args[2], options);
  if (!result.ok()) return ctx.ReplyError(result.status());
  ctx.reply.Integer(result->written ? 1 : 0);
}

void SetExGeneric(CommandContext& ctx, const char* unit) {
  SetOptions options;
  if (!ExpireArgToAbsolute(ctx, unit, 2, &options.expire_at_ms)) return;
  options.ttl = SetOptions::Ttl::kSetAt;
  RunSet(ctx, ctx.args[1], ctx.args[3], options);
}

void SetEx(CommandContext& ctx) { SetExGeneric(ctx, "EX"); }
void PSetEx(CommandContext& ctx) { SetExGeneric(ctx, "PX"); }

void GetSet(CommandContext& ctx) {
  SetOptions options;
  options.return_old = true;
  RunSet(ctx, ctx.args[1], ctx.args[2], options);
}

void MGet(CommandContext& ctx) {
  auto values = ctx.server.strings.MultiGet(ctx.db(), ArgViews(ctx.args, 1));
  if (!values.ok()) return ctx.ReplyError(values.status());
  ctx.reply.ArrayHeader(values->size());
  for (const auto& value : *values) ReplyOptional(ctx, value);
}

std::vector<std::pair<std::string_view, std::string_view>> Pairs(const CommandContext& ctx) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) pairs.emplace_back(ctx.args[i], ctx.args[i + 1]);
  return pairs;
}

void MSet(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) return ctx.ReplyWrongArgs();
  Status status = ctx.server.strings.MultiSet(ctx.db(), Pairs(ctx));
  if (!status.ok()) return ctx.ReplyError(status);
  ctx.reply.Ok();
}

void MSetNx(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) return ctx.ReplyWrongArgs();
  auto written = ctx.server.strings.MultiSetIfNoneExist(ctx.db(), Pairs(ctx));
  if (!written.ok()) return ctx.ReplyError(written.status());
  ctx.reply.Integer(*written ? 1 : 0);
}

void GetDel(CommandContext& ctx) {
  auto value = ctx.server.strings.GetDel(ctx.db(), ctx.args[1]);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ReplyOptional(ctx, *value);
}

void GetEx(CommandContext& ctx) {
  storage::TtlChange change;
  size_t expire_unit = 0;  // index of EX/PX/EXAT/PXAT, 0 when none
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::string& arg = ctx.args[i];
    bool unset = change.kind == storage::TtlChange::Kind::kNone;
    if (EqualsIgnoreCase(arg, "PERSIST") && unset) {
      change.kind = storage::TtlChange::Kind::kPersist;
    } else if (IsExpireUnit(arg) && i + 1 < ctx.args.size() && unset) {
      change.kind = storage::TtlChange::Kind::kSetAt;
      expire_unit = i++;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  std::string bad_time;
  if (expire_unit != 0 &&
      !ExpireToAbsolute(ctx, ctx.args[expire_unit], expire_unit + 1, &change.expire_at_ms, &bad_time)) {
    // Redis checks the key before the time: a missing key answers nil, a list WRONGTYPE, whatever the time says.
    auto current = ctx.server.strings.Get(ctx.db(), ctx.args[1]);
    if (!current.ok()) return ctx.ReplyError(current.status());
    if (!*current) return ReplyOptional(ctx, *current);
    return ctx.reply.Error(bad_time);
  }
  auto value = ctx.server.strings.GetEx(ctx.db(), ctx.args[1], change);
  if (!value.ok()) return ctx.ReplyError(value.status());
  if (change.kind == storage::TtlChange::Kind::kSetAt) {
    ctx.Propagate({"PEXPIREAT", ctx.args[1], std::to_string(change.expire_at_ms)});
  } else if (change.kind == storage::TtlChange::Kind::kPersist) {
    ctx.Propagate({"PERSIST", ctx.args[1]});
  }
  ReplyOptional(ctx, *value);
}

void IncrByGeneric(CommandContext& ctx, int64_t delta) {
  auto value = ctx.server.strings.IncrBy(ctx.db(), ctx.args[1], delta);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ctx.reply.Integer(*value);
}

void Incr(CommandContext& ctx) { IncrByGeneric(ctx, 1); }
void Decr(CommandContext& ctx) { IncrByGeneric(ctx, -1); }

void IncrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseIntArg(ctx, 2, &delta)) return;
  IncrByGeneric(ctx, delta);
}

void DecrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseIntArg(ctx, 2, &delta)) return;
  if (delta == INT64_MIN) return ctx.reply.Error("ERR decrement would overflow");
  IncrByGeneric(ctx, -delta);
}

void IncrByFloat(CommandContext& ctx) {
  long double delta = 0;
  if (!ParseLongDouble(ctx.args[2], &delta)) return ctx.reply.Error(errors::kNotFloat);
  auto value = ctx.server.strings.IncrByFloat(ctx.db(), ctx.args[1], delta);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ctx.reply.Bulk(*value);
}

void Append(CommandContext& ctx) {
  auto length = ctx.server.strings.Append(ctx.db(), ctx.args[1], ctx.args[2]);
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

void StrLen(CommandContext& ctx) {
  auto length = ctx.server.strings.StrLen(ctx.db(), ctx.args[1]);
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

void GetRange(CommandContext& ctx) {
  int64_t start = 0, end = 0;
  if (!ParseIntArg(ctx, 2, &start) || !ParseIntArg(ctx, 3, &end)) return;
  auto value = ctx.server.strings.GetRange(ctx.db(), ctx.args[1], start, end);
  if (!value.ok()) return ctx.ReplyError(value.status());
  ctx.reply.Bulk(*value);
}

void SetRange(CommandContext& ctx) {
  int64_t offset = 0;
  if (!ParseIntArg(ctx, 2, &offset)) return;
  if (offset < 0) return ctx.reply.Error("ERR offset is out of range");
  auto length = ctx.server.strings.SetRange(ctx.db(), ctx.args[1], static_cast<uint64_t>(offset), ctx.args[3]);
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

bool ParseBitOffset(CommandContext& ctx, size_t index, uint64_t* offset) {
  if (!ParseUint64(ctx.args[index], offset) || *offset >= ctx.server.strings.max_size() * 8) {
    ctx.reply.Error(errors::kBitOffset);
    return false;
  }
  return true;
}

void GetBit(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, 2, &offset)) return;
  auto bit = ctx.server.strings.GetBit(ctx.db(), ctx.args[1], offset);
  if (!bit.ok()) return ctx.ReplyError(bit.status());
  ctx.reply.Integer(*bit);
}

void SetBit(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, 2, &offset)) return;
  const std::string& value = ctx.args[3];
  if (value != "0" && value != "1") return ctx.reply.Error(errors::kBitValue);
  auto previous = ctx.server.strings.SetBit(ctx.db(), ctx.args[1], offset, value == "1");
  if (!previous.ok()) return ctx.ReplyError(previous.status());
  ctx.reply.Integer(*previous);
}

// Reads "[start end [BYTE|BIT]]" style arguments from `index`; replies on error.
bool ParseBitRange(CommandContext& ctx, size_t index, storage::BitRange* range) {
  if (!ParseIntArg(ctx, index, &range->start)) return false;
  if (index + 1 < ctx.args.size() && !ParseIntArg(ctx, index + 1, &range->end)) return false;
  if (index + 2 < ctx.args.size()) {
    const std::string& unit = ctx.args[index + 2];
    if (EqualsIgnoreCase(unit, "BIT")) {
      range->unit = storage::BitUnit::kBit;
    } else if (!EqualsIgnoreCase(unit, "BYTE")) {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  return true;
}

void BitCount(CommandContext& ctx) {
  std::optional<storage::BitRange> range;
  if (ctx.args.size() == 3 || ctx.args.size() > 5) return ctx.ReplySyntaxError();
  if (ctx.args.size() >= 4) {
    range.emplace();
    if (!ParseBitRange(ctx, 2, &*range)) return;
  }
  auto count = ctx.server.strings.BitCount(ctx.db(), ctx.args[1], range);
  if (!count.ok()) return ctx.ReplyError(count.status());
  ctx.reply.Integer(*count);
}

void BitPos(CommandContext& ctx) {
  if (ctx.args.size() > 6) return ctx.ReplySyntaxError();
  const std::string& bit = ctx.args[2];
  if (bit != "0" && bit != "1") return ctx.reply.Error("ERR The bit argument must be 1 or 0.");
  std::optional<storage::BitRange> range;
  bool end_given = ctx.args.size() >= 5;
  if (ctx.args.size() >= 4) {
    range.emplace();
    if (!ParseBitRange(ctx, 3, &*range)) return;
  }
  auto position = ctx.server.strings.BitPos(ctx.db(), ctx.args[1], bit == "1", range, end_given);
  if (!position.ok()) return ctx.ReplyError(position.status());
  ctx.reply.Integer(*position);
}

}  // namespace

std::vector<CommandSpec> StringCommands() {
  return {
      {"get", 2, kReadonly | kFast, 1, 1, 1, Get},
      {"set", -3, kWrite | kDenyOom, 1, 1, 1, Set},
      {"setnx", 3, kWrite | kDenyOom | kFast, 1, 1, 1, SetNx},
      {"setex", 4, kWrite | kDenyOom, 1, 1, 1, SetEx},
      {"psetex", 4, kWrite | kDenyOom, 1, 1, 1, PSetEx},
      {"getset", 3, kWrite | kDenyOom | kFast, 1, 1, 1, GetSet},
      {"mget", -2, kReadonly | kFast, 1, -1, 1, MGet},
      {"mset", -3, kWrite | kDenyOom, 1, -1, 2, MSet},
      {"msetnx", -3, kWrite | kDenyOom, 1, -1, 2, MSetNx},
      {"getdel", 2, kWrite | kFast, 1, 1, 1, GetDel},
      {"getex", -2, kWrite | kFast, 1, 1, 1, GetEx},
      {"incr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, Incr},
      {"decr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, Decr},
      {"incrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, IncrBy},
      {"decrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, DecrBy},
      {"incrbyfloat", 3, kWrite | kDenyOom | kFast, 1, 1, 1, IncrByFloat},
      {"append", 3, kWrite | kDenyOom | kFast, 1, 1, 1, Append},
      {"strlen", 2, kReadonly | kFast, 1, 1, 1, StrLen},
      {"getrange", 4, kReadonly, 1, 1, 1, GetRange},
      {"substr", 4, kReadonly, 1, 1, 1, GetRange},
      {"setrange", 4, kWrite | kDenyOom, 1, 1, 1, SetRange},
      {"getbit", 3, kReadonly | kFast, 1, 1, 1, GetBit},
      {"setbit", 4, kWrite | kDenyOom, 1, 1, 1, SetBit},
      {"bitcount", -2, kReadonly, 1, 1, 1, BitCount},
      {"bitpos", -3, kReadonly, 1, 1, 1, BitPos},
  };
}

}  // namespace kvd::server
