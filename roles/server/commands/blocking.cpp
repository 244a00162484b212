// Blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP.
//
// Each handler tries its non-blocking form first. When every key is empty it
// asks the connection to park (ctx.block_keys); the connection runs the same
// command again when one of the keys is written or the timeout fires
// (ctx.block_timed_out), and inside EXEC it never parks.
//
// As in Redis, a parked client is served only from a key of its type: a key
// written with another type (SET, ZADD on a key a BLPOP waits for) leaves it
// waiting, where the first run answers WRONGTYPE. BLMOVE's destination is the
// exception in Redis too: a wrong one answers WRONGTYPE when the source has data.
#include <algorithm>
#include <cmath>

#include "common/numbers.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

using storage::ListSide;
using storage::PopEnd;

// Parses a timeout in seconds (fractions allowed) into an absolute deadline;
// 0 = wait forever. Replies the error itself, in Redis 7.0's words: it takes
// the milliseconds as a long long, where a value beyond its range (inf, 1e20)
// comes out negative on x86-64. A wait of more than a century is forever.
bool ParseTimeout(CommandContext& ctx, size_t index, uint64_t* deadline_ms) {
  constexpr long double kCenturyMs = 100.0L * 365 * 24 * 3600 * 1000;
  long double seconds = 0;
  if (!ParseLongDouble(ctx.args[index], &seconds)) {
    ctx.reply.Error("ERR timeout is not a float or out of range");
    return false;
  }
  long double ms = std::ceil(seconds * 1000);
  if (ms < 0 || !(ms < 9223372036854775808.0L)) {
    ctx.reply.Error("ERR timeout is negative");
    return false;
  }
  *deadline_ms = ms == 0 || ms > kCenturyMs ? 0 : ctx.server.engine.NowMs() + static_cast<uint64_t>(ms);
  return true;
}

// Parks the client on `keys`, or answers the empty reply when it may not wait.
void WaitOrGiveUp(CommandContext& ctx, std::vector<std::string> keys, uint64_t deadline_ms) {
  if (ctx.in_exec || ctx.block_timed_out) return ctx.reply.NullArray();
  ctx.block_keys = std::move(keys);
  ctx.block_deadline_ms = deadline_ms;
}

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

const char* SideName(ListSide side) { return side == ListSide::kLeft ? "LEFT" : "RIGHT"; }

bool IsWrongType(const Status& status) { return status.code() == Status::Code::kWrongType; }

// The first key that has something for the client. On a retry, keys of
// another type are passed over instead of answering WRONGTYPE.
template <typename Popped, typename PopOne>
Result<std::optional<Popped>> PopForWaiter(CommandContext& ctx, const std::vector<std::string_view>& keys,
                                           PopOne pop) {
  if (!ctx.block_retry) return pop(keys);
  std::vector<std::string_view> order;
  if (std::find(keys.begin(), keys.end(), ctx.block_ready_key) != keys.end()) order.push_back(ctx.block_ready_key);
  for (std::string_view key : keys) {
    if (std::find(order.begin(), order.end(), key) == order.end()) order.push_back(key);
  }
  for (std::string_view key : order) {
    Result<std::optional<Popped>> popped = pop({key});
    if (!popped.ok() && IsWrongType(popped.status())) {
      ctx.block_passed_keys.emplace_back(key);
      continue;
    }
    if (!popped.ok() || popped->has_value()) return popped;
  }
  return std::optional<Popped>{};
}

Result<std::optional<storage::ListPopResult>> PopList(CommandContext& ctx, const std::vector<std::string_view>& keys,
                                                      ListSide side, size_t count) {
  return PopForWaiter<storage::ListPopResult>(ctx, keys, [&](const std::vector<std::string_view>& some) {
    return ctx.server.lists.PopFirstNonEmpty(ctx.db(), some, side, count);
  });
}

Result<std::optional<storage::MultiPopResult>> PopZSet(CommandContext& ctx, const std::vector<std::string_view>& keys,
                                                       size_t count, PopEnd end) {
  return PopForWaiter<storage::MultiPopResult>(ctx, keys, [&](const std::vector<std::string_view>& some) {
    return ctx.server.zsets.MultiPop(ctx.db(), some, count, end);
  });
}

// On a retry, whether `key` now holds something other than a list.
Result<bool> HoldsOtherThanList(CommandContext& ctx, std::string_view key) {
  if (!ctx.block_retry) return false;
  auto type = ctx.server.keyspace.Type(ctx.db(), key);
  if (!type.ok()) return type.status();
  return type->has_value() && **type != storage::KeyType::kList;
}

// Served blocking commands are recorded in the binlog as the non-blocking
// command that did the same on the key that was served.
void BlockingListPop(CommandContext& ctx, ListSide side) {
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, ctx.args.size() - 1, &deadline)) return;
  std::vector<std::string_view> keys(ctx.args.begin() + 1, ctx.args.end() - 1);
  auto popped = PopList(ctx, keys, side, 1);
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  if (popped->has_value() && !(*popped)->values.empty()) {
    ctx.Propagate({side == ListSide::kLeft ? "LPOP" : "RPOP", (*popped)->key});
    ctx.block_served_key = (*popped)->key;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk((*popped)->key);
    ctx.reply.Bulk((*popped)->values.front());
    return;
  }
  WaitOrGiveUp(ctx, std::vector<std::string>(keys.begin(), keys.end()), deadline);
}

void BLPop(CommandContext& ctx) { BlockingListPop(ctx, ListSide::kLeft); }
void BRPop(CommandContext& ctx) { BlockingListPop(ctx, ListSide::kRight); }

void BlockingMove(CommandContext& ctx, ListSide from, ListSide to, size_t timeout_index) {
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, timeout_index, &deadline)) return;
  auto source_taken = HoldsOtherThanList(ctx, ctx.args[1]);
  if (!source_taken.ok()) return ctx.ReplyError(source_taken.status());
  if (*source_taken) {
    ctx.block_passed_keys.push_back(ctx.args[1]);
    return WaitOrGiveUp(ctx, {ctx.args[1]}, deadline);
  }
  auto moved = ctx.server.lists.Move(ctx.db(), ctx.args[1], ctx.args[2], from, to);
  if (!moved.ok()) return ctx.ReplyError(moved.status());
  if (moved->has_value()) {
    ctx.Propagate({"LMOVE", ctx.args[1], ctx.args[2], SideName(from), SideName(to)});
    ctx.block_served_key = ctx.args[1];
    return ctx.reply.Bulk(**moved);
  }
  // Redis answers a null bulk where it may not block (inside EXEC), a null array on timeout.
  if (ctx.in_exec) return ctx.reply.NullBulk();
  WaitOrGiveUp(ctx, {ctx.args[1]}, deadline);
}

void BLMove(CommandContext& ctx) {
  ListSide from, to;
  if (!ParseSide(ctx.args[3], &from) || !ParseSide(ctx.args[4], &to)) return ctx.ReplySyntaxError();
  BlockingMove(ctx, from, to, 5);
}

void BRPopLPush(CommandContext& ctx) { BlockingMove(ctx, ListSide::kRight, ListSide::kLeft, 3); }

// BLMPOP and BZMPOP read their timeout last, as Redis does (its errors come after the others').
void BLMPop(CommandContext& ctx) {
  MultiPopArgs args;
  if (!ParseMultiPop(ctx, 2, {"LEFT", "RIGHT"}, &args)) return;
  ListSide side = args.side == 0 ? ListSide::kLeft : ListSide::kRight;
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, 1, &deadline)) return;
  auto popped = PopList(ctx, args.keys, side, args.count);
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  if (popped->has_value() && !(*popped)->values.empty()) {
    ctx.Propagate({"LMPOP", "1", (*popped)->key, SideName(side), "COUNT", std::to_string(args.count)});
    ctx.block_served_key = (*popped)->key;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk((*popped)->key);
    ReplyBulks(ctx, (*popped)->values);
    return;
  }
  WaitOrGiveUp(ctx, std::vector<std::string>(args.keys.begin(), args.keys.end()), deadline);
}

void BlockingZPop(CommandContext& ctx, PopEnd end) {
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, ctx.args.size() - 1, &deadline)) return;
  std::vector<std::string_view> keys(ctx.args.begin() + 1, ctx.args.end() - 1);
  auto popped = PopZSet(ctx, keys, 1, end);
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  if (popped->has_value() && !(*popped)->popped.empty()) {
    ctx.Propagate({end == PopEnd::kMin ? "ZPOPMIN" : "ZPOPMAX", (*popped)->key});
    ctx.block_served_key = (*popped)->key;
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk((*popped)->key);
    ctx.reply.Bulk((*popped)->popped.front().member);
    ctx.reply.Double((*popped)->popped.front().score);
    return;
  }
  WaitOrGiveUp(ctx, std::vector<std::string>(keys.begin(), keys.end()), deadline);
}

void BZPopMin(CommandContext& ctx) { BlockingZPop(ctx, PopEnd::kMin); }
void BZPopMax(CommandContext& ctx) { BlockingZPop(ctx, PopEnd::kMax); }

void BZMPop(CommandContext& ctx) {
  MultiPopArgs args;
  if (!ParseMultiPop(ctx, 2, {"MIN", "MAX"}, &args)) return;
  PopEnd end = args.side == 0 ? PopEnd::kMin : PopEnd::kMax;
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, 1, &deadline)) return;
  auto popped = PopZSet(ctx, args.keys, args.count, end);
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  if (popped->has_value() && !(*popped)->popped.empty()) {
    ctx.Propagate({"ZMPOP", "1", (*popped)->key, end == PopEnd::kMin ? "MIN" : "MAX", "COUNT",
                   std::to_string(args.count)});
    ctx.block_served_key = (*popped)->key;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk((*popped)->key);
    ctx.reply.ArrayHeader((*popped)->popped.size());
    for (const auto& scored : (*popped)->popped) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(scored.member);
      ctx.reply.Double(scored.score);
    }
    return;
  }
  WaitOrGiveUp(ctx, std::vector<std::string>(args.keys.begin(), args.keys.end()), deadline);
}

// BLMPOP/BZMPOP: "timeout numkeys key..." — the keys follow numkeys.
std::vector<size_t> KeysAfterTimeoutAndNumkeys(const std::vector<std::string>& args) {
  std::vector<size_t> keys;
  int64_t numkeys = 0;
  if (args.size() < 3 || !ParseInt64(args[2], &numkeys) || numkeys <= 0) return keys;
  for (size_t i = 3; i < args.size() && i < 3 + static_cast<size_t>(numkeys); ++i) keys.push_back(i);
  return keys;
}

}  // namespace

std::vector<CommandSpec> BlockingCommands() {
  constexpr uint32_t kBlockingWrite = kWrite | kBlocking | kNoScript;
  return {
      {"blpop", -3, kBlockingWrite, 1, -2, 1, BLPop},
      {"brpop", -3, kBlockingWrite, 1, -2, 1, BRPop},
      {"blmove", 6, kBlockingWrite | kDenyOom, 1, 2, 1, BLMove},
      {"brpoplpush", 4, kBlockingWrite | kDenyOom, 1, 2, 1, BRPopLPush},
      {"blmpop", -5, kBlockingWrite, 3, 3, 1, BLMPop, KeysAfterTimeoutAndNumkeys},
      {"bzpopmin", -3, kBlockingWrite | kFast, 1, -2, 1, BZPopMin},
      {"bzpopmax", -3, kBlockingWrite | kFast, 1, -2, 1, BZPopMax},
      {"bzmpop", -5, kBlockingWrite, 3, 3, 1, BZMPop, KeysAfterTimeoutAndNumkeys},
  };
}

}  // namespace kvd::server
