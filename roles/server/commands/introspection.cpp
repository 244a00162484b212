// OBJECT (ENCODING REFCOUNT IDLETIME FREQ HELP) and MEMORY (USAGE HELP):
// what tools ask about single keys. The answers are worked out in
// roles/server/object_encoding.h. SLOWLOG (GET LEN RESET HELP): the slow
// commands roles/server/slowlog.h keeps.
#include <climits>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"
#include "roles/server/object_encoding.h"
#include "storage/encoding.h"
#include "storage/live_meta.h"
#include "storage/types/hash_store.h"

namespace kvd::server {
namespace {

constexpr uint64_t kDefaultMemorySamples = 5;  // as Redis

// The key's live metadata; false with nothing replied when it does not exist
// (the caller answers nil), false with an error replied when reading failed.
bool LoadMeta(CommandContext& ctx, const std::string& key, storage::Metadata* meta, bool* exists) {
  Status read = storage::ReadLiveMeta(ctx.server.engine, ctx.db(), key, meta);
  *exists = read.ok();
  if (read.ok() || read.Is(Status::Code::kNotFound)) return true;
  ctx.ReplyError(read);
  return false;
}

// The first `count` elements of a collection (every one when `count` is 0).
Result<std::vector<storage::FieldValue>> FirstElements(CommandContext& ctx, const std::string& key,
                                                       const storage::Metadata& meta, uint64_t count) {
  if (meta.type == storage::KeyType::kString) return std::vector<storage::FieldValue>{};
  auto page = storage::ScanSubKeys(ctx.server.engine, ctx.db(), key, meta.version, "", std::nullopt,
                                   count == 0 ? SIZE_MAX : static_cast<size_t>(count));
  if (!page.ok()) return page.status();
  return std::move(page->items);
}

void ObjectEncoding(CommandContext& ctx, const std::string& key) {
  storage::Metadata meta;
  bool exists = false;
  if (!LoadMeta(ctx, key, &meta, &exists)) return;
  if (!exists) return ctx.reply.NullBulk();
  if (meta.type == storage::KeyType::kString) return ctx.reply.Bulk(StringEncoding(meta.value));
  uint64_t inspect = ElementsToInspect(meta.type, meta.size);
  std::vector<storage::FieldValue> elements;
  if (inspect > 0) {
    auto first = FirstElements(ctx, key, meta, inspect);
    if (!first.ok()) return ctx.ReplyError(first.status());
    elements = std::move(*first);
  }
  ctx.reply.Bulk(CollectionEncoding(meta.type, meta.size, elements));
}

void ObjectHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation Redis 7.0 would use for the value of <key>.",
      "FREQ <key>",
      "    Return the access frequency index of <key> (needs an LFU maxmemory policy; kvd has none).",
      "HELP",
      "    Print this help.",
      "IDLETIME <key>",
      "    Return the idle time of <key> (kvd does not track accesses: always 0).",
      "REFCOUNT <key>",
      "    Return the reference count of the object stored at <key>.",
  });
}

// The dispatcher has checked the subcommand and its argument count (the row below).
void Object(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "HELP")) return ObjectHelp(ctx);
  const std::string& key = ctx.args[2];
  if (EqualsIgnoreCase(sub, "ENCODING")) return ObjectEncoding(ctx, key);
  storage::Metadata meta;
  bool exists = false;
  if (!LoadMeta(ctx, key, &meta, &exists)) return;
  if (!exists) return ctx.reply.NullBulk();
  if (EqualsIgnoreCase(sub, "REFCOUNT")) {
    bool shared = meta.type == storage::KeyType::kString && IsSharedInteger(meta.value);
    return ctx.reply.Integer(shared ? INT_MAX : 1);
  }
  if (EqualsIgnoreCase(sub, "IDLETIME")) return ctx.reply.Integer(0);
  ctx.reply.Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching "
      "between policies at runtime LRU and LFU data will take some time to adjust.");
}

void MemoryUsage(CommandContext& ctx) {
  uint64_t samples = kDefaultMemorySamples;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    if (!EqualsIgnoreCase(ctx.args[i], "SAMPLES") || i + 1 >= ctx.args.size()) return ctx.ReplySyntaxError();
    int64_t count = 0;
    if (!ParseIntArg(ctx, i + 1, &count)) return;
    if (count < 0) return ctx.ReplySyntaxError();
    samples = static_cast<uint64_t>(count);
  }
  const std::string& key = ctx.args[2];
  storage::Metadata meta;
  bool exists = false;
  if (!LoadMeta(ctx, key, &meta, &exists)) return;
  if (!exists) return ctx.reply.NullBulk();
  auto sample = FirstElements(ctx, key, meta, samples);
  if (!sample.ok()) return ctx.ReplyError(sample.status());
  std::string meta_key = storage::EncodeMetaKey(ctx.db(), key);
  size_t sub_key_prefix = storage::EncodeSubKeyPrefix(ctx.db(), key, meta.version).size();
  uint64_t bytes = EstimateBytes(meta_key, storage::EncodeMetadata(meta), meta, sub_key_prefix, *sample);
  ctx.reply.Integer(static_cast<int64_t>(bytes));
}

void Memory(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "USAGE")) return MemoryUsage(ctx);
  if (EqualsIgnoreCase(sub, "HELP")) {
    return ReplyHelp(ctx, {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "USAGE <key> [SAMPLES <count>]",
        "    Return the bytes <key> takes in kvd's storage encoding (before compression); for",
        "    collections, <count> elements are sampled (default 5, 0 = all).",
        "HELP",
        "    Print this help.",
    });
  }
  ctx.reply.Error("ERR unknown subcommand '" + sub + "'. Try MEMORY HELP.");
}

void SlowLogGet(CommandContext& ctx) {
  size_t count = 10;  // as Redis
  if (ctx.args.size() == 3) {
    int64_t asked = 0;
    if (!ParseInt64(ctx.args[2], &asked) || asked < -1) {
      return ctx.reply.Error("ERR count should be greater than or equal to -1");
    }
    count = asked == -1 ? SIZE_MAX : static_cast<size_t>(asked);
  }
  std::vector<SlowLogEntry> entries = ctx.server.slowlog.Latest(count);
  ctx.reply.ArrayHeader(entries.size());
  for (const SlowLogEntry& entry : entries) {
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(entry.id));
    ctx.reply.Integer(static_cast<int64_t>(entry.unix_seconds));
    ctx.reply.Integer(static_cast<int64_t>(entry.micros));
    ReplyBulks(ctx, entry.args);
    ctx.reply.Bulk(entry.client_addr);
    ctx.reply.Bulk(entry.client_name);
  }
}

// The dispatcher has checked the subcommand and its argument count (the row below).
void SlowLogCmd(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "GET")) {
    if (ctx.args.size() > 3) {
      return ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sub +
                             "'. Try SLOWLOG HELP.");
    }
    return SlowLogGet(ctx);
  }
  if (EqualsIgnoreCase(sub, "LEN")) return ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog.Length()));
  if (EqualsIgnoreCase(sub, "RESET")) {
    ctx.server.slowlog.Reset();
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(sub, "HELP")) {
    return ReplyHelp(ctx, {
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return the <count> (default 10, -1 = all) newest entries of the slow log: id, unix time,",
        "    microseconds, arguments, client address and client name.",
        "LEN",
        "    Return the number of entries in the slow log.",
        "RESET",
        "    Empty the slow log.",
        "HELP",
        "    Print this help.",
    });
  }
  ctx.reply.Error("ERR unknown subcommand '" + sub + "'. Try SLOWLOG HELP.");
}

}  // namespace

std::vector<CommandSpec> IntrospectionCommands() {
  return {
      {"object", -2, kReadonly, 2, 2, 1, Object, nullptr,
       {{"encoding", 3}, {"refcount", 3}, {"idletime", 3}, {"freq", 3}, {"help", 2}}},
      {"memory", -2, kReadonly, 2, 2, 1, Memory, nullptr, {{"usage", -3}, {"help", 2}}},
      {"slowlog", -2, kAdmin | kLoading | kStale, 0, 0, 0, SlowLogCmd, nullptr,
       {{"get", -2}, {"len", 2}, {"reset", 2}, {"help", 2}}},
  };
}

}  // namespace kvd::server
