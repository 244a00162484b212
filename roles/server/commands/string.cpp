// String commands: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL
// GETEX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE
// SETBIT GETBIT BITCOUNT BITPOS LCS.
#include "common/lcs.h"
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

// Whether args[i] starts an "EX n" style pair that SET or GETEX may take
// here. As in Redis, a unit may be given again (the last one counts) but not
// after another unit, nor with KEEPTTL / PERSIST (`ttl_kept`).
bool IsAllowedExpireUnit(const CommandContext& ctx, size_t i, size_t unit_so_far, bool ttl_kept) {
  return IsExpireUnit(ctx.args[i]) && i + 1 < ctx.args.size() && !ttl_kept &&
         (unit_so_far == 0 || EqualsIgnoreCase(ctx.args[unit_so_far], ctx.args[i]));
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
  size_t unit = 0;  // index of the EX/PX/EXAT/PXAT that counts, 0 when none
  bool keep_ttl = false;
  // Options first, their time after: a syntax error wins over a bad time, as in Redis.
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const std::string& arg = ctx.args[i];
    if (EqualsIgnoreCase(arg, "NX") && options.condition != SetOptions::Condition::kIfPresent) {
      options.condition = SetOptions::Condition::kIfAbsent;
    } else if (EqualsIgnoreCase(arg, "XX") && options.condition != SetOptions::Condition::kIfAbsent) {
      options.condition = SetOptions::Condition::kIfPresent;
    } else if (EqualsIgnoreCase(arg, "GET")) {
      options.return_old = true;
    } else if (EqualsIgnoreCase(arg, "KEEPTTL") && unit == 0) {
      keep_ttl = true;
    } else if (IsAllowedExpireUnit(ctx, i, unit, keep_ttl)) {
      unit = i++;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (keep_ttl) options.ttl = SetOptions::Ttl::kKeep;
  if (unit != 0) {
    if (!ExpireArgToAbsolute(ctx, ctx.args[unit], unit + 1, &options.expire_at_ms)) return;
    options.ttl = SetOptions::Ttl::kSetAt;
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
  size_t expire_unit = 0;  // index of the EX/PX/EXAT/PXAT that counts, 0 when none
  bool persist = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "PERSIST") && expire_unit == 0) {
      persist = true;
    } else if (IsAllowedExpireUnit(ctx, i, expire_unit, persist)) {
      expire_unit = i++;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (persist) change.kind = storage::TtlChange::Kind::kPersist;
  if (expire_unit != 0) change.kind = storage::TtlChange::Kind::kSetAt;
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
  if (!ParseLongDouble(ctx.args[2], &delta)) {
    // Redis checks the key's type before the increment.
    auto current = ctx.server.strings.Get(ctx.db(), ctx.args[1]);
    if (!current.ok()) return ctx.ReplyError(current.status());
    return ctx.reply.Error(errors::kNotFloat);
  }
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

// Reads "start [end [BYTE|BIT]]" from args[index] into `range`: the error
// Redis would answer, or empty. BITPOS reads the unit before the end,
// BITCOUNT after it; either way a bad start is reported first.
std::string ParseBitRange(const CommandContext& ctx, size_t index, bool unit_before_end, storage::BitRange* range) {
  if (!ParseInt64(ctx.args[index], &range->start)) return errors::kNotInteger;
  bool has_end = index + 1 < ctx.args.size();
  bool has_unit = index + 2 < ctx.args.size();
  auto parse_end = [&] { return !has_end || ParseInt64(ctx.args[index + 1], &range->end); };
  if (!unit_before_end && !parse_end()) return errors::kNotInteger;
  if (has_unit) {
    const std::string& unit = ctx.args[index + 2];
    if (EqualsIgnoreCase(unit, "BIT")) {
      range->unit = storage::BitUnit::kBit;
    } else if (!EqualsIgnoreCase(unit, "BYTE")) {
      return errors::kSyntax;
    }
  }
  if (unit_before_end && !parse_end()) return errors::kNotInteger;
  return {};
}

// BITCOUNT and BITPOS look their key up before they read the range (Redis
// 7.0): a missing key answers `if_missing` and a key of another type
// WRONGTYPE, whatever the range says; only an existing string gets `error`.
void ReplyBadRange(CommandContext& ctx, int64_t if_missing, const std::string& error) {
  auto value = ctx.server.strings.Get(ctx.db(), ctx.args[1]);
  if (!value.ok()) return ctx.ReplyError(value.status());
  if (!*value) return ctx.reply.Integer(if_missing);
  ctx.reply.Error(error);
}

void BitCount(CommandContext& ctx) {
  std::optional<storage::BitRange> range;
  std::string error;
  if (ctx.args.size() == 3 || ctx.args.size() > 5) {
    error = errors::kSyntax;
  } else if (ctx.args.size() >= 4) {
    error = ParseBitRange(ctx, 2, false, &range.emplace());
    // Redis answers 0 for an empty range of negative indexes before it reads the unit.
    bool empty = range->start < 0 && range->end < 0 && range->start > range->end;
    if (error == errors::kSyntax && empty) error.clear();
  }
  if (!error.empty()) return ReplyBadRange(ctx, 0, error);
  auto count = ctx.server.strings.BitCount(ctx.db(), ctx.args[1], range);
  if (!count.ok()) return ctx.ReplyError(count.status());
  ctx.reply.Integer(*count);
}

void BitPos(CommandContext& ctx) {
  int64_t bit = 0;
  if (!ParseIntArg(ctx, 2, &bit)) return;
  if (bit != 0 && bit != 1) return ctx.reply.Error("ERR The bit argument must be 1 or 0.");
  std::optional<storage::BitRange> range;
  std::string error;
  if (ctx.args.size() > 6) {
    error = errors::kSyntax;
  } else if (ctx.args.size() >= 4) {
    error = ParseBitRange(ctx, 3, true, &range.emplace());
  }
  if (!error.empty()) return ReplyBadRange(ctx, bit == 1 ? -1 : 0, error);
  bool end_given = ctx.args.size() >= 5;
  auto position = ctx.server.strings.BitPos(ctx.db(), ctx.args[1], bit == 1, range, end_given);
  if (!position.ok()) return ctx.ReplyError(position.status());
  ctx.reply.Integer(*position);
}

// Reads an LCS operand: a missing key is the empty string.
bool LoadLcsOperand(CommandContext& ctx, const std::string& key, std::string* value) {
  auto stored = ctx.server.strings.Get(ctx.db(), key);
  if (!stored.ok()) {
    if (stored.status().Is(Status::Code::kWrongType)) {
      ctx.reply.Error("ERR The specified keys must contain string values");
    } else {
      ctx.ReplyError(stored.status());
    }
    return false;
  }
  *value = stored->value_or("");
  return true;
}

void ReplyLcsRuns(CommandContext& ctx, const LcsResult& result, int64_t min_length, bool with_length) {
  std::vector<const LcsRun*> shown;
  for (const LcsRun& run : result.runs) {
    if (static_cast<int64_t>(run.length()) >= min_length) shown.push_back(&run);
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(shown.size());
  for (const LcsRun* run : shown) {
    ctx.reply.ArrayHeader(with_length ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(static_cast<int64_t>(run->a_start));
    ctx.reply.Integer(static_cast<int64_t>(run->a_end));
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(static_cast<int64_t>(run->b_start));
    ctx.reply.Integer(static_cast<int64_t>(run->b_end));
    if (with_length) ctx.reply.Integer(static_cast<int64_t>(run->length()));
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(static_cast<int64_t>(result.sequence.size()));
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]. As in Redis, the
// keys are read before the options, and the table may not exceed proto-max-bulk-len.
void LcsCommand(CommandContext& ctx) {
  std::string a, b;
  if (!LoadLcsOperand(ctx, ctx.args[1], &a) || !LoadLcsOperand(ctx, ctx.args[2], &b)) return;
  bool want_length = false, want_runs = false, with_length = false;
  int64_t min_length = 0;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const std::string& option = ctx.args[i];
    if (EqualsIgnoreCase(option, "IDX")) {
      want_runs = true;
    } else if (EqualsIgnoreCase(option, "LEN")) {
      want_length = true;
    } else if (EqualsIgnoreCase(option, "WITHMATCHLEN")) {
      with_length = true;
    } else if (EqualsIgnoreCase(option, "MINMATCHLEN") && i + 1 < ctx.args.size()) {
      if (!ParseIntArg(ctx, ++i, &min_length)) return;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (want_runs && want_length) {
    return ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  if (LcsTableBytes(a.size(), b.size()) > ctx.server.strings.max_size()) {
    return ctx.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  LcsResult result = Lcs(a, b);
  if (want_runs) return ReplyLcsRuns(ctx, result, min_length, with_length);
  if (want_length) return ctx.reply.Integer(static_cast<int64_t>(result.sequence.size()));
  ctx.reply.Bulk(result.sequence);
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
      {"lcs", -3, kReadonly, 1, 2, 1, LcsCommand},
  };
}

}  // namespace kvd::server
