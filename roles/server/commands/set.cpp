// Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER
// SMOVE SINTER SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SSCAN.
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

using storage::SetOperation;

constexpr const char* kCountOutOfRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr const char* kOutOfRange = "ERR value is out of range";
constexpr const char* kNumKeysNotPositive = "ERR numkeys should be greater than 0";
constexpr const char* kTooManyNumKeys = "ERR Number of keys can't be greater than number of args";
constexpr const char* kNegativeLimit = "ERR LIMIT can't be negative";

void ReplySet(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.reply.SetHeader(members.size());
  for (const auto& member : members) ctx.reply.Bulk(member);
}

void SAdd(CommandContext& ctx) {
  auto added = ctx.server.sets.Add(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!added.ok()) return ctx.ReplyError(added.status());
  ctx.reply.Integer(*added);
}

void SRem(CommandContext& ctx) {
  auto removed = ctx.server.sets.Remove(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!removed.ok()) return ctx.ReplyError(removed.status());
  ctx.reply.Integer(*removed);
}

void SMembers(CommandContext& ctx) {
  auto members = ctx.server.sets.Members(ctx.db(), ctx.args[1]);
  if (!members.ok()) return ctx.ReplyError(members.status());
  ReplySet(ctx, *members);
}

void SIsMember(CommandContext& ctx) {
  auto found = ctx.server.sets.AreMembers(ctx.db(), ctx.args[1], {ctx.args[2]});
  if (!found.ok()) return ctx.ReplyError(found.status());
  ctx.reply.Integer((*found)[0] ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  auto found = ctx.server.sets.AreMembers(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!found.ok()) return ctx.ReplyError(found.status());
  ctx.reply.ArrayHeader(found->size());
  for (bool member : *found) ctx.reply.Integer(member ? 1 : 0);
}

void SCard(CommandContext& ctx) {
  auto size = ctx.server.sets.Card(ctx.db(), ctx.args[1]);
  if (!size.ok()) return ctx.ReplyError(size.status());
  ctx.reply.Integer(static_cast<int64_t>(*size));
}

// The binlog records the members SPOP happened to pick, as SREM.
void PropagatePopped(CommandContext& ctx, const std::vector<std::string>& popped) {
  if (popped.empty()) return;
  std::vector<std::string> replay{"SREM", ctx.args[1]};
  replay.insert(replay.end(), popped.begin(), popped.end());
  ctx.Propagate(std::move(replay));
}

void SPop(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.ReplySyntaxError();
  if (ctx.args.size() == 2) {
    auto popped = ctx.server.sets.Pop(ctx.db(), ctx.args[1], 1);
    if (!popped.ok()) return ctx.ReplyError(popped.status());
    PropagatePopped(ctx, *popped);
    return popped->empty() ? ctx.reply.NullBulk() : ctx.reply.Bulk(popped->front());
  }
  int64_t count = 0;
  if (!ParseInt64(ctx.args[2], &count) || count < 0) return ctx.reply.Error(errors::kNotPositive);
  auto popped = ctx.server.sets.Pop(ctx.db(), ctx.args[1], static_cast<uint64_t>(count));
  if (!popped.ok()) return ctx.ReplyError(popped.status());
  PropagatePopped(ctx, *popped);
  ReplySet(ctx, *popped);
}

void SRandMember(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.ReplySyntaxError();
  if (ctx.args.size() == 2) {
    auto picked = ctx.server.sets.RandomMembers(ctx.db(), ctx.args[1], 1, true);
    if (!picked.ok()) return ctx.ReplyError(picked.status());
    return picked->empty() ? ctx.reply.NullBulk() : ctx.reply.Bulk(picked->front());
  }
  int64_t count = 0;
  if (!ParseIntArg(ctx, 2, &count)) return;
  // -2^63 has no positive counterpart: Redis bounds the count to +-(2^63-1).
  if (count == INT64_MIN) return ctx.reply.Error(kCountOutOfRange);
  // Redis would try to build any repeating reply and run out of memory; kvd refuses absurd ones.
  if (count < 0 && static_cast<uint64_t>(-count) > storage::kMaxRandomRepeats) return ctx.reply.Error(kOutOfRange);
  bool distinct = count >= 0;
  uint64_t wanted = distinct ? static_cast<uint64_t>(count) : static_cast<uint64_t>(-count);
  auto picked = ctx.server.sets.RandomMembers(ctx.db(), ctx.args[1], wanted, distinct);
  if (!picked.ok()) return ctx.ReplyError(picked.status());
  ReplyBulks(ctx, *picked);
}

void SMove(CommandContext& ctx) {
  auto moved = ctx.server.sets.Move(ctx.db(), ctx.args[1], ctx.args[2], ctx.args[3]);
  if (!moved.ok()) return ctx.ReplyError(moved.status());
  ctx.reply.Integer(*moved ? 1 : 0);
}

void CombineGeneric(CommandContext& ctx, SetOperation operation) {
  auto members = ctx.server.sets.Combine(ctx.db(), operation, ArgViews(ctx.args, 1));
  if (!members.ok()) return ctx.ReplyError(members.status());
  ReplySet(ctx, *members);
}

void SInter(CommandContext& ctx) { CombineGeneric(ctx, SetOperation::kInter); }
void SUnion(CommandContext& ctx) { CombineGeneric(ctx, SetOperation::kUnion); }
void SDiff(CommandContext& ctx) { CombineGeneric(ctx, SetOperation::kDiff); }

void CombineStoreGeneric(CommandContext& ctx, SetOperation operation) {
  auto size = ctx.server.sets.CombineAndStore(ctx.db(), operation, ctx.args[1], ArgViews(ctx.args, 2));
  if (!size.ok()) return ctx.ReplyError(size.status());
  ctx.reply.Integer(static_cast<int64_t>(*size));
}

void SInterStore(CommandContext& ctx) { CombineStoreGeneric(ctx, SetOperation::kInter); }
void SUnionStore(CommandContext& ctx) { CombineStoreGeneric(ctx, SetOperation::kUnion); }
void SDiffStore(CommandContext& ctx) { CombineStoreGeneric(ctx, SetOperation::kDiff); }

// SINTERCARD's numkeys when it is valid for `args`; 0 otherwise.
size_t InterCardKeyCount(const std::vector<std::string>& args) {
  int64_t numkeys = 0;
  if (args.size() < 2 || !ParseInt64(args[1], &numkeys) || numkeys <= 0) return 0;
  if (static_cast<uint64_t>(numkeys) > args.size() - 2) return 0;
  return static_cast<size_t>(numkeys);
}

std::vector<size_t> InterCardKeys(const std::vector<std::string>& args) {
  std::vector<size_t> indexes;
  size_t numkeys = InterCardKeyCount(args);
  for (size_t i = 0; i < numkeys; ++i) indexes.push_back(2 + i);
  return indexes;
}

void SInterCard(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[1], &numkeys) || numkeys <= 0) return ctx.reply.Error(kNumKeysNotPositive);
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - 2) return ctx.reply.Error(kTooManyNumKeys);
  size_t options_from = 2 + static_cast<size_t>(numkeys);
  int64_t limit = 0;
  for (size_t i = options_from; i < ctx.args.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.args[i], "LIMIT") || i + 1 >= ctx.args.size()) return ctx.ReplySyntaxError();
    ++i;
    if (!ParseInt64(ctx.args[i], &limit) || limit < 0) return ctx.reply.Error(kNegativeLimit);
  }
  std::vector<std::string_view> keys(ctx.args.begin() + 2, ctx.args.begin() + static_cast<ptrdiff_t>(options_from));
  auto size = ctx.server.sets.InterCard(ctx.db(), keys, static_cast<uint64_t>(limit));
  if (!size.ok()) return ctx.ReplyError(size.status());
  ctx.reply.Integer(static_cast<int64_t>(*size));
}


void SScan(CommandContext& ctx) {
  ReplySubKeyScan(
      ctx, [&] { return ctx.server.sets.Card(ctx.db(), ctx.args[1]); },
      [&](const std::string& from, const std::optional<std::string>& pattern, size_t count) {
        return ctx.server.sets.Scan(ctx.db(), ctx.args[1], from, pattern, count);
      },
      false);
}

}  // namespace

std::vector<CommandSpec> SetCommands() {
  return {
      {"sadd", -3, kWrite | kDenyOom | kFast, 1, 1, 1, SAdd},
      {"srem", -3, kWrite | kFast, 1, 1, 1, SRem},
      {"smembers", 2, kReadonly, 1, 1, 1, SMembers},
      {"sismember", 3, kReadonly | kFast, 1, 1, 1, SIsMember},
      {"smismember", -3, kReadonly | kFast, 1, 1, 1, SMIsMember},
      {"scard", 2, kReadonly | kFast, 1, 1, 1, SCard},
      {"spop", -2, kWrite | kFast, 1, 1, 1, SPop},
      {"srandmember", -2, kReadonly, 1, 1, 1, SRandMember},
      {"smove", 4, kWrite | kFast, 1, 2, 1, SMove},
      {"sinter", -2, kReadonly, 1, -1, 1, SInter},
      {"sintercard", -3, kReadonly, 0, 0, 0, SInterCard, InterCardKeys},
      {"sunion", -2, kReadonly, 1, -1, 1, SUnion},
      {"sdiff", -2, kReadonly, 1, -1, 1, SDiff},
      {"sinterstore", -3, kWrite | kDenyOom, 1, -1, 1, SInterStore},
      {"sunionstore", -3, kWrite | kDenyOom, 1, -1, 1, SUnionStore},
      {"sdiffstore", -3, kWrite | kDenyOom, 1, -1, 1, SDiffStore},
      {"sscan", -3, kReadonly, 1, 1, 1, SScan},
  };
}

}  // namespace kvd::server
