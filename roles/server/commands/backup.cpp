// Backups: SAVE BGSAVE LASTSAVE, and CHECKPOINT, the server side of
// `kvd dump` (and later of a replica's full sync):
//
//   CHECKPOINT CREATE                        -> [id, sequence, file, size, file, size, ...]
//   CHECKPOINT READ id file offset length    -> bulk, at most 8 MB; empty at the end of the file
//   CHECKPOINT DROP id                       -> +OK
//   CHECKPOINT LIST                          -> [id, ...]
//
// A checkpoint (storage/checkpoint.h) lives in DATA/checkpoints/<id>/. SAVE and
// BGSAVE keep the latest one as DATA/checkpoints/save, replacing the previous.
// Both run synchronously on the calling io thread: a checkpoint is a memtable
// flush plus hard links (milliseconds for write-buffer-mb sized memtables),
// so BGSAVE only answers as Redis does.
//
// Retention: a checkpoint nobody dropped is removed by the sweep that runs
// before every new checkpoint (SAVE, BGSAVE, CHECKPOINT CREATE) when it was
// made by an earlier server process (so the first checkpoint after a restart
// clears what the previous run left) or was not read for 30 minutes. The
// SAVE checkpoint is kept until the next SAVE replaces it.
#include <algorithm>
#include <chrono>
#include <mutex>

#include "common/logging.h"
#include "common/numbers.h"
#include "roles/server/commands/backup.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"
#include "storage/checkpoint.h"

namespace kvd::server {
namespace {

constexpr std::string_view kSaveId = "save";
constexpr uint64_t kMaxReadLength = 8 << 20;
constexpr uint64_t kIdleLimitMs = 30 * 60 * 1000;
// A creation takes seconds at most; a directory without a manifest this old was interrupted.
constexpr uint64_t kUnfinishedLimitMs = 10 * 60 * 1000;

// File times are wall-clock times, so the sweep compares them with this.
uint64_t WallClockMs() { return SystemClock::Instance()->NowMs(); }

storage::CheckpointStore StoreOf(ServerContext& server) {
  return storage::CheckpointStore(storage::CheckpointStore::RootOf(server.engine));
}

void ReplyFailure(CommandContext& ctx, const Status& status) { ctx.reply.Error("ERR " + status.message()); }

void SweepAbandoned(ServerContext& server, storage::CheckpointStore& store) {
  uint64_t now = WallClockMs();
  auto abandoned = [&](const storage::CheckpointInfo& info) {
    if (info.id == kSaveId) return false;
    return info.owner != server.run_id || info.last_used_ms + kIdleLimitMs <= now;
  };
  auto swept = store.Sweep(abandoned, now, kUnfinishedLimitMs);
  if (!swept.ok()) {
    KVD_LOG(kWarning) << "removing abandoned checkpoints: " << swept.status().message();
  } else if (*swept > 0) {
    KVD_LOG(kNotice) << "removed " << *swept << " abandoned checkpoint(s) from " << store.root();
  }
}

// The commands before this one in the same io-loop round may still sit in
// this thread's commit group; opening a transaction writes the group first,
// so the checkpoint includes them (they are acknowledged after this command).
void WritePendingGroup(storage::Engine& engine) { storage::Engine::Transaction writes_group_first(engine); }

Result<storage::CheckpointInfo> NewCheckpoint(ServerContext& server, storage::CheckpointStore& store,
                                              const std::string& id) {
  WritePendingGroup(server.engine);
  SweepAbandoned(server, store);
  auto made = store.Create(server.engine, id, server.run_id, server.engine.NowMs());
  if (made.ok()) {
    KVD_LOG(kVerbose) << "checkpoint " << id << " created at sequence " << made->sequence << " ("
                      << made->files.size() << " files)";
  }
  return made;
}

// Makes a checkpoint and installs it as DATA/checkpoints/save.
Result<storage::CheckpointInfo> SaveCheckpoint(ServerContext& server) {
  static std::mutex one_save_at_a_time;  // they all replace the same checkpoint
  std::lock_guard lock(one_save_at_a_time);
  storage::CheckpointStore store = StoreOf(server);
  std::string staging = "save-" + storage::CheckpointStore::NewId(server.engine.NowMs());
  auto made = NewCheckpoint(server, store, staging);
  if (!made.ok()) return made;
  Status installed = store.Replace(staging, kSaveId);
  if (!installed.ok()) {
    (void)store.Drop(staging);
    return installed;
  }
  made->id = std::string(kSaveId);
  KVD_LOG(kNotice) << "DB saved on disk: " << store.DbDir(kSaveId) << " at sequence " << made->sequence;
  return made;
}

void Save(CommandContext& ctx) {
  auto saved = SaveCheckpoint(ctx.server);
  if (!saved.ok()) return ReplyFailure(ctx, saved.status());
  ctx.reply.Ok();
}

void BgSave(CommandContext& ctx) {
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "SCHEDULE"))) {
    return ctx.ReplySyntaxError();
  }
  auto saved = SaveCheckpoint(ctx.server);
  if (!saved.ok()) return ReplyFailure(ctx, saved.status());
  ctx.reply.SimpleString("Background saving started");
}

// The creation time of the SAVE checkpoint, or the server's start when that is later.
void LastSave(CommandContext& ctx) {
  uint64_t last_ms = ctx.server.start_time_ms;
  auto saved = StoreOf(ctx.server).Get(kSaveId);
  if (saved.ok()) last_ms = std::max(last_ms, saved->created_ms);
  ctx.reply.Integer(static_cast<int64_t>(last_ms / 1000));
}

bool ArgCountIs(CommandContext& ctx, size_t count, const char* name) {
  if (ctx.args.size() == count) return true;
  ctx.reply.Error(std::string("ERR wrong number of arguments for 'checkpoint|") + name + "' command");
  return false;
}

void CheckpointCreate(CommandContext& ctx) {
  if (!ArgCountIs(ctx, 2, "create")) return;
  storage::CheckpointStore store = StoreOf(ctx.server);
  auto made = NewCheckpoint(ctx.server, store, storage::CheckpointStore::NewId(ctx.server.engine.NowMs()));
  if (!made.ok()) return ReplyFailure(ctx, made.status());
  ctx.reply.ArrayHeader(2 + 2 * made->files.size());
  ctx.reply.Bulk(made->id);
  ctx.reply.Integer(static_cast<int64_t>(made->sequence));
  for (const auto& file : made->files) {
    ctx.reply.Bulk(file.name);
    ctx.reply.Integer(static_cast<int64_t>(file.size));
  }
}

void CheckpointRead(CommandContext& ctx) {
  if (!ArgCountIs(ctx, 6, "read")) return;
  int64_t offset = 0, length = 0;
  if (!ParseInt64(ctx.args[4], &offset) || !ParseInt64(ctx.args[5], &length) || offset < 0 || length < 0) {
    return ctx.reply.Error("ERR offset and length must be non-negative integers");
  }
  uint64_t capped = std::min(static_cast<uint64_t>(length), kMaxReadLength);
  // The file is read straight into the reply (a replica's full sync reads 8 MB at a time).
  std::string& out = *ctx.reply.buffer();
  size_t reply_start = out.size();
  auto read = StoreOf(ctx.server).ReadInto(ctx.args[2], ctx.args[3], static_cast<uint64_t>(offset), capped,
                                           [&](size_t n) { return ctx.reply.BulkSpace(n); });
  if (!read.ok()) {
    out.resize(reply_start);
    return ReplyFailure(ctx, read.status());
  }
}

void CheckpointDrop(CommandContext& ctx) {
  if (!ArgCountIs(ctx, 3, "drop")) return;
  Status dropped = StoreOf(ctx.server).Drop(ctx.args[2]);
  if (!dropped.ok()) return ReplyFailure(ctx, dropped);
  ctx.reply.Ok();
}

void CheckpointList(CommandContext& ctx) {
  if (!ArgCountIs(ctx, 2, "list")) return;
  auto all = StoreOf(ctx.server).List();
  if (!all.ok()) return ReplyFailure(ctx, all.status());
  std::vector<std::string> ids;
  for (const auto& info : *all) ids.push_back(info.id);
  ReplyBulks(ctx, ids);
}

void CheckpointHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {"CHECKPOINT <subcommand> [<arg> ...]. Subcommands are:",
                  "CREATE", "    Make a checkpoint; reply [id, sequence, file, size, ...].",
                  "READ <id> <file> <offset> <length>", "    Bytes of one file of a checkpoint (at most 8 MB).",
                  "DROP <id>", "    Remove a checkpoint.", "LIST", "    The ids of the checkpoints."});
}

void Checkpoint(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "CREATE")) return CheckpointCreate(ctx);
  if (EqualsIgnoreCase(sub, "READ")) return CheckpointRead(ctx);
  if (EqualsIgnoreCase(sub, "DROP")) return CheckpointDrop(ctx);
  if (EqualsIgnoreCase(sub, "LIST")) return CheckpointList(ctx);
  if (EqualsIgnoreCase(sub, "HELP")) return CheckpointHelp(ctx);
  ctx.reply.Error("ERR unknown subcommand '" + sub + "'. Try CHECKPOINT HELP.");
}

}  // namespace

void SweepAbandonedCheckpoints(ServerContext& server) {
  storage::CheckpointStore store = StoreOf(server);
  SweepAbandoned(server, store);
}

std::vector<CommandSpec> BackupCommands() {
  return {
      {"save", 1, kAdmin | kNoScript, 0, 0, 0, Save},
      {"bgsave", -1, kAdmin | kNoScript, 0, 0, 0, BgSave},
      {"lastsave", 1, kFast | kLoading | kStale, 0, 0, 0, LastSave},
      {"checkpoint", -2, kAdmin | kNoScript, 0, 0, 0, Checkpoint},
  };
}

}  // namespace kvd::server
