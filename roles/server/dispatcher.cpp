#include "roles/server/dispatcher.h"

#include <chrono>

#include "common/redis_errors.h"
#include "common/tick_clock.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

// Redis quotes the arguments while their text is under 128 bytes, each cut to what is left of those 128.
std::string UnknownCommandError(const std::vector<std::string>& args) {
  std::string quoted;
  for (size_t i = 1; i < args.size() && quoted.size() < 128; ++i) {
    quoted += "'" + args[i].substr(0, 128 - quoted.size()) + "' ";
  }
  return "ERR unknown command '" + args[0].substr(0, 128) + "', with args beginning with: " + quoted;
}

// As Redis names a command in its errors: "get", "client|reply" (the
// subcommand as the table spells it).
std::string FullName(const CommandSpec& spec, const std::vector<std::string>& args) {
  std::string name(spec.name);
  const SubcommandSpec* sub = args.size() < 2 ? nullptr : FindSubcommand(spec, args[1]);
  return sub == nullptr ? name : name + "|" + std::string(sub->name);
}

// Returns an error text when the command must not run, or nullptr.
std::string Admit(const CommandSpec* spec, const CommandContext& ctx) {
  if (spec == nullptr) return UnknownCommandError(ctx.args);
  if (!ArityAllows(spec->arity, ctx.args.size())) {
    return "ERR wrong number of arguments for '" + ToLower(ctx.args[0]) + "' command";
  }
  if (!spec->subcommands.empty() && ctx.args.size() >= 2) {
    const SubcommandSpec* sub = FindSubcommand(*spec, ctx.args[1]);
    if (sub == nullptr) {
      return "ERR unknown subcommand '" + ctx.args[1].substr(0, 128) + "'. Try " + ToUpper(spec->name) + " HELP.";
    }
    if (!ArityAllows(sub->arity, ctx.args.size())) {
      return "ERR wrong number of arguments for '" + FullName(*spec, ctx.args) + "' command";
    }
  }
  if (!ctx.client.authenticated.load(std::memory_order_relaxed) && !(spec->flags & kNoAuth)) {
    return errors::kNoAuth;
  }
  if (spec->flags & kWrite) {
    auto& replication = ctx.server.replication;
    auto& policy = replication.policy();
    if (replication.IsReplica() && policy.read_only.load(std::memory_order_relaxed)) return errors::kReadOnlyReplica;
    if (policy.mode.load(std::memory_order_relaxed) == replication::Mode::kSync && !replication.IsReplica() &&
        replication.master().Healthy(policy.max_lag_ms.load()) < policy.min_acks.load()) {
      return errors::kNoReplicas;
    }
  }
  if (ctx.client.session.subscribed_any() && ctx.client.protocol.load(std::memory_order_relaxed) == 2 &&
      !(spec->flags & kSubscribedOk)) {
    return "ERR Can't execute '" + FullName(*spec, ctx.args) +
           "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
  }
  return {};
}

}  // namespace

void CommandContext::ReplyError(const Status& status) { WriteStatusError(reply, status); }

void WriteStatusError(protocol::RespWriter& reply, const Status& status) {
  switch (status.code()) {
    case Status::Code::kWrongType: reply.Error(errors::kWrongType); return;
    case Status::Code::kInvalidArgument:
    case Status::Code::kOutOfRange:
    case Status::Code::kAborted:
      reply.Error(status.message());
      return;
    case Status::Code::kNotFound: reply.Error(errors::kNoSuchKey); return;
    default: reply.Error("ERR " + status.message()); return;
  }
}

void CommandContext::ReplySyntaxError() { reply.Error(errors::kSyntax); }

void CommandContext::ReplyWrongArgs() {
  reply.Error("ERR wrong number of arguments for '" + ToLower(args[0]) + "' command");
}

namespace {

// What CLIENT PAUSE WRITE holds back besides writes (Redis's may-replicate
// commands): PUBLISH, WAIT, and an EXEC whose transaction writes.
bool MayReplicate(const CommandSpec& spec, const Session& session) {
  if (spec.flags & kWrite) return true;
  if (spec.name == "publish" || spec.name == "spublish" || spec.name == "wait") return true;
  if (spec.name != "exec") return false;
  for (const auto& queued : session.queued) {
    const CommandSpec* inner = Commands().Find(queued[0]);
    if (inner != nullptr && (inner->flags & kWrite)) return true;
  }
  return false;
}

// The end of the pause holding this command back, or 0. CLIENT UNPAUSE and a
// replica's handshake are never held.
uint64_t PausedUntil(const CommandSpec& spec, const CommandContext& ctx) {
  const ClientPause& pause = ctx.server.pause;
  if (!pause.MayBeActive()) return 0;  // the usual case
  if (spec.name == "replconf" || spec.name == "psync" || spec.name == "sync") return 0;
  if (spec.name == "client" && ctx.args.size() == 2 && EqualsIgnoreCase(ctx.args[1], "UNPAUSE")) return 0;
  return pause.CoveringUntil(MayReplicate(spec, ctx.client.session), ctx.server.engine.NowMs());
}

}  // namespace

const CommandSpec* Dispatch(CommandContext& ctx) {
  const CommandSpec* spec = Commands().Find(ctx.args[0]);
  std::string refusal = Admit(spec, ctx);
  Session& session = ctx.client.session;
  if (!refusal.empty()) {
    if (spec != nullptr && spec->name == "exec") {
      // Redis discards the transaction when it refuses EXEC itself (in MULTI or not) and says why.
      DiscardTransaction(ctx);
      std::string_view reason = refusal;
      if (reason.starts_with("ERR ")) reason.remove_prefix(4);
      ctx.reply.Error("EXECABORT Transaction discarded because of: " + std::string(reason));
      return nullptr;
    }
    if (session.in_multi) session.multi_failed = true;  // EXEC will answer EXECABORT
    if (spec != nullptr) {
      if (auto slot = Commands().StatSlot(*spec, ctx.args)) ctx.server.command_stats.Rejected(*slot);
    }
    ctx.server.command_stats.ErrorReplied(refusal);
    ctx.reply.Error(refusal);
    return nullptr;
  }
  if (session.in_multi && !(spec->flags & kNoQueue)) {
    session.queued.push_back(ctx.args);
    ctx.reply.SimpleString("QUEUED");
    return spec;
  }
  if (uint64_t until = PausedUntil(*spec, ctx); until != 0) {
    ctx.paused_until_ms = until;
    return spec;
  }
  Execute(*spec, ctx);
  return spec;
}

namespace {

// As Redis: every command but the administrative ones, once it ran (queued
// ones at EXEC), with the database it left the client in.
void FeedMonitors(const CommandSpec& spec, CommandContext& ctx) {
  if (!ctx.server.monitors.Active() || (spec.flags & kAdmin)) return;
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch());
  ctx.server.monitors.Feed(
      FormatMonitorLine(static_cast<uint64_t>(micros.count()), ctx.db(), ctx.client.addr, ctx.args));
}

// INFO commandstats/errorstats and SLOWLOG: what the command took and whether it answered an error.
void Account(const CommandSpec& spec, CommandContext& ctx, uint64_t micros, size_t reply_start) {
  const std::string& output = *ctx.reply.buffer();
  bool failed = output.size() > reply_start && output[reply_start] == '-';
  ServerContext& server = ctx.server;
  if (auto slot = Commands().StatSlot(spec, ctx.args)) server.command_stats.Ran(*slot, micros, failed);
  if (failed) server.command_stats.ErrorReplied(std::string_view(output).substr(reply_start + 1));
  if (uint64_t threshold = server.latency.threshold_ms(); threshold != 0 && micros / 1000 >= threshold) {
    server.latency.Record((spec.flags & kFast) ? "fast-command" : "command", server.engine.NowMs() / 1000,
                          micros / 1000);
  }
  if (server.slowlog.IsSlow(micros)) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    server.slowlog.Add(micros, ctx.args, ctx.client.addr, ctx.client.name(),
                       static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count()));
  }
}

}  // namespace

void Execute(const CommandSpec& spec, CommandContext& ctx) {
  ++ctx.tally.commands;
  uint64_t started = TickMicros();
  size_t reply_start = ctx.reply.buffer()->size();
  if (!(spec.flags & kWrite)) {
    spec.handler(ctx);
  } else {
    if (ctx.server.replication.IsReplica()) {
      // A writable replica's own write (replica-read-only no): see ForkForLocalWrite.
      if (Status forked = ctx.server.replication.ForkForLocalWrite(); !forked.ok()) return ctx.ReplyError(forked);
    }
    // What the command writes carries its binlog record.
    storage::Engine::CommandRecord record(ctx.server.engine, ctx.db(), ctx.args);
    spec.handler(ctx);
    record.Finish();
  }
  uint64_t ended = TickMicros();
  // As Redis, a blocking command counts once: when it is served or times out, not each time it finds nothing.
  // (Counters of two cores may differ by a little: a thread moved between the reads took no "negative" time.)
  if (ctx.block_keys.empty()) Account(spec, ctx, ended > started ? ended - started : 0, reply_start);
  FeedMonitors(spec, ctx);
}

}  // namespace kvd::server
