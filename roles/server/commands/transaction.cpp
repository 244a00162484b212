// Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//
// EXEC locks the stripes of every key its queued commands name, checks the
// watched keys under those locks, then runs the commands inside one
// storage transaction: their writes reach RocksDB as one atomic batch, and no
// other client sees part of them.
#include <optional>

#include "common/numbers.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"
#include "roles/server/commands/transaction_locks.h"
#include "roles/server/dispatcher.h"
#include "storage/key_locks.h"

namespace kvd::server {

void DiscardTransaction(CommandContext& ctx) {
  Session& session = ctx.client.session;
  session.in_multi = false;
  session.multi_failed = false;
  session.queued.clear();
  ctx.server.watches.RemoveAll(&session.watcher);
}

namespace {

void Multi(CommandContext& ctx) {
  Session& session = ctx.client.session;
  if (session.in_multi) return ctx.reply.Error("ERR MULTI calls can not be nested");
  session.in_multi = true;
  ctx.reply.Ok();
}

void Discard(CommandContext& ctx) {
  if (!ctx.client.session.in_multi) return ctx.reply.Error("ERR DISCARD without MULTI");
  DiscardTransaction(ctx);
  ctx.reply.Ok();
}

void Watch(CommandContext& ctx) {
  Session& session = ctx.client.session;
  if (session.in_multi) return ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
  // A write made before WATCH that still waits in the commit group would
  // reach the watch registry after us and fail our EXEC for nothing.
  ctx.server.engine.WriteOutOpenGroup();
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    WatchedKey watched{ctx.db(), ctx.args[i], 0};
    auto ttl = ctx.server.keyspace.ExpireTimeMs(ctx.db(), ctx.args[i]);
    if (!ttl.ok()) return ctx.ReplyError(ttl.status());
    if (*ttl > 0) watched.expire_ms = static_cast<uint64_t>(*ttl);
    bool expired = false;
    if (*ttl == -2) {
      auto stored = ctx.server.keyspace.StoredButExpired(ctx.db(), ctx.args[i]);
      if (!stored.ok()) return ctx.ReplyError(stored.status());
      expired = *stored;
    }
    ctx.server.watches.Add(&session.watcher, watched.db, watched.key, *ttl != -2, expired);
    session.watcher.keys.push_back(std::move(watched));
  }
  ctx.reply.Ok();
}

void Unwatch(CommandContext& ctx) {
  ctx.server.watches.RemoveAll(&ctx.client.session.watcher);
  ctx.reply.Ok();
}

// A watched key that had a TTL which has passed since WATCH counts as changed.
bool WatchedKeyExpired(CommandContext& ctx) {
  uint64_t now = ctx.server.engine.NowMs();
  for (const WatchedKey& watched : ctx.client.session.watcher.keys) {
    if (watched.expire_ms != 0 && watched.expire_ms <= now) return true;
  }
  return false;
}

// A database index as SELECT, MOVE and COPY take it; -1 when it is not one.
int DbIndexOf(const std::string& text, int databases) {
  int64_t value = 0;
  if (!ParseInt64(text, &value) || value < 0 || value >= databases) return -1;
  return static_cast<int>(value);
}

void Exec(CommandContext& ctx) {
  Session& session = ctx.client.session;
  if (!session.in_multi) return ctx.reply.Error("ERR EXEC without MULTI");
  if (session.multi_failed) {
    DiscardTransaction(ctx);
    return ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  std::vector<std::vector<std::string>> queued = std::move(session.queued);
  TransactionLocks locks = LocksForTransaction(queued, ctx.db(), ctx.server.engine.databases());
  std::optional<storage::KeyLockGuard> guard;
  if (locks.every_key) {
    guard.emplace(ctx.server.engine.locks(), storage::KeyLockGuard::EveryKey{});
  } else {
    guard.emplace(ctx.server.engine.locks(), locks.keys);
  }
  // A write to a watched key made before EXEC (by another client served in
  // the same io round) may still wait in the commit group: write it out so
  // that the watch registry has seen it.
  if (!session.watcher.keys.empty()) ctx.server.engine.WriteOutOpenGroup();
  bool watched_changed = session.watcher.dirty.load() || WatchedKeyExpired(ctx);
  DiscardTransaction(ctx);
  if (watched_changed) return ctx.reply.NullArray();

  size_t reply_start = ctx.reply.buffer()->size();
  storage::Engine::Transaction transaction(ctx.server.engine);
  // The binlog replays the transaction as MULTI ... EXEC, so it stays atomic there too.
  transaction.AddRecord(ctx.db(), {"MULTI"});
  ctx.reply.ArrayHeader(queued.size());
  for (auto& args : queued) {
    CommandContext inner{ctx.server, ctx.client, args, ctx.reply, ctx.tally, ctx.client_ptr};
    inner.in_exec = true;
    Execute(*Commands().Find(args[0]), inner);
    if (inner.close_after_reply) ctx.close_after_reply = true;
  }
  if (!transaction.HasWrites()) return;  // read-only: nothing to commit or record
  transaction.AddRecord(ctx.db(), {"EXEC"});
  Status committed = transaction.Finish();
  if (!committed.ok()) {
    // Nothing was applied: take the replies back and say so.
    ctx.reply.buffer()->resize(reply_start);
    ctx.reply.Error("ERR transaction failed to commit: " + committed.message());
  }
}

void Reset(CommandContext& ctx) {
  DiscardTransaction(ctx);
  Session& session = ctx.client.session;
  ctx.server.pubsub.RemoveClient(ctx.client, session.channels, session.patterns, session.shard_channels);
  session.channels.clear();
  session.patterns.clear();
  session.shard_channels.clear();
  ctx.client.subscribed.store(false);
  session.replies_off = session.skip_this_reply = session.skip_next_reply = false;
  ctx.client.db = 0;
  ctx.client.protocol = 2;
  ctx.client.set_name("");
  ctx.client.authenticated = ctx.server.config.Snapshot().requirepass.empty();
  ctx.reply.SimpleString("RESET");
}

}  // namespace

TransactionLocks LocksForTransaction(const std::vector<std::vector<std::string>>& queued, uint8_t db,
                                     int databases) {
  TransactionLocks locks;
  for (const auto& args : queued) {
    const CommandSpec* spec = Commands().Find(args[0]);
    if (spec == nullptr) continue;  // cannot be queued: an unknown command fails the transaction
    for (size_t index : KeyIndexes(*spec, args)) locks.keys.emplace_back(db, args[index]);
    if (spec->name == "flushdb" || spec->name == "flushall") locks.every_key = true;
    // `key` is also written in the database named by argument `index`.
    auto also_in = [&](size_t index, const std::string& key) {
      int target = DbIndexOf(args[index], databases);
      if (target >= 0) locks.keys.emplace_back(static_cast<uint8_t>(target), key);
    };
    if (spec->name == "select" && args.size() == 2) {
      if (int selected = DbIndexOf(args[1], databases); selected >= 0) db = static_cast<uint8_t>(selected);
    } else if (spec->name == "move" && args.size() == 3) {
      also_in(2, args[1]);
    } else if (spec->name == "copy") {
      for (size_t i = 3; i + 1 < args.size(); ++i) {
        if (EqualsIgnoreCase(args[i], "DB")) also_in(i + 1, args[2]);
      }
    }
  }
  return locks;
}

std::vector<CommandSpec> TransactionCommands() {
  return {
      {"multi", 1, kNoScript | kFast | kLoading | kStale | kNoQueue, 0, 0, 0, Multi},
      {"exec", 1, kNoScript | kLoading | kStale | kNoQueue, 0, 0, 0, Exec},
      {"discard", 1, kNoScript | kFast | kLoading | kStale | kNoQueue, 0, 0, 0, Discard},
      {"watch", -2, kNoScript | kFast | kLoading | kStale | kNoQueue, 1, -1, 1, Watch},
      {"unwatch", 1, kNoScript | kFast | kLoading | kStale, 0, 0, 0, Unwatch},
      {"reset", 1, kNoScript | kFast | kLoading | kStale | kNoAuth | kNoQueue | kSubscribedOk, 0, 0, 0, Reset},
  };
}

}  // namespace kvd::server
