// Pub/sub: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB, and
// Redis 7's sharded pub/sub (SSUBSCRIBE SUNSUBSCRIBE SPUBLISH): channels of
// their own, whose confirmations count only the shard channels.
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

// ["subscribe", channel, count] and friends; a push in RESP3.
void ReplyConfirmation(CommandContext& ctx, std::string_view kind, const std::string* name) {
  const Session& session = ctx.client.session;
  ctx.client.subscribed.store(session.subscribed_any());
  ctx.reply.PushHeader(3);
  ctx.reply.Bulk(kind);
  name ? ctx.reply.Bulk(*name) : ctx.reply.NullBulk();
  bool shard = kind == "ssubscribe" || kind == "sunsubscribe";
  ctx.reply.Integer(static_cast<int64_t>(shard ? session.shard_channels.size() : session.subscriptions()));
}

void Subscribe(CommandContext& ctx) {
  Session& session = ctx.client.session;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.server.pubsub.Subscribe(ctx.client_ptr, ctx.args[i]);
    session.channels.insert(ctx.args[i]);
    ReplyConfirmation(ctx, "subscribe", &ctx.args[i]);
  }
}

void PSubscribe(CommandContext& ctx) {
  Session& session = ctx.client.session;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.server.pubsub.PSubscribe(ctx.client_ptr, ctx.args[i]);
    session.patterns.insert(ctx.args[i]);
    ReplyConfirmation(ctx, "psubscribe", &ctx.args[i]);
  }
}

void SSubscribe(CommandContext& ctx) {
  Session& session = ctx.client.session;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.server.pubsub.SSubscribe(ctx.client_ptr, ctx.args[i]);
    session.shard_channels.insert(ctx.args[i]);
    ReplyConfirmation(ctx, "ssubscribe", &ctx.args[i]);
  }
}

void SUnsubscribe(CommandContext& ctx) {
  Session& session = ctx.client.session;
  std::vector<std::string> names(ctx.args.begin() + 1, ctx.args.end());
  if (names.empty()) names.assign(session.shard_channels.begin(), session.shard_channels.end());
  if (names.empty()) return ReplyConfirmation(ctx, "sunsubscribe", nullptr);
  for (const auto& name : names) {
    ctx.server.pubsub.SUnsubscribe(ctx.client, name);
    session.shard_channels.erase(name);
    ReplyConfirmation(ctx, "sunsubscribe", &name);
  }
}

void Unsubscribe(CommandContext& ctx) {
  Session& session = ctx.client.session;
  std::vector<std::string> names(ctx.args.begin() + 1, ctx.args.end());
  if (names.empty()) names.assign(session.channels.begin(), session.channels.end());
  if (names.empty()) return ReplyConfirmation(ctx, "unsubscribe", nullptr);
  for (const auto& name : names) {
    ctx.server.pubsub.Unsubscribe(ctx.client, name);
    session.channels.erase(name);
    ReplyConfirmation(ctx, "unsubscribe", &name);
  }
}

void PUnsubscribe(CommandContext& ctx) {
  Session& session = ctx.client.session;
  std::vector<std::string> names(ctx.args.begin() + 1, ctx.args.end());
  if (names.empty()) names.assign(session.patterns.begin(), session.patterns.end());
  if (names.empty()) return ReplyConfirmation(ctx, "punsubscribe", nullptr);
  for (const auto& name : names) {
    ctx.server.pubsub.PUnsubscribe(ctx.client, name);
    session.patterns.erase(name);
    ReplyConfirmation(ctx, "punsubscribe", &name);
  }
}

// A publisher subscribed to the channel gets its message before the reply, as
// from Redis; inside EXEC the message would land inside the transaction's
// reply, so there it comes after, as to every other subscriber.
void Publish(CommandContext& ctx) {
  std::string to_self;
  int64_t receivers = ctx.server.pubsub.Publish(ctx.args[1], ctx.args[2], ctx.in_exec ? nullptr : &ctx.client, &to_self);
  ctx.reply.Raw(to_self);
  ctx.pushed_bytes = to_self.size();
  ctx.reply.Integer(receivers);
}

void SPublish(CommandContext& ctx) {
  std::string to_self;
  int64_t receivers =
      ctx.server.pubsub.SPublish(ctx.args[1], ctx.args[2], ctx.in_exec ? nullptr : &ctx.client, &to_self);
  ctx.reply.Raw(to_self);
  ctx.pushed_bytes = to_self.size();
  ctx.reply.Integer(receivers);
}

void PubSubCmd(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "CHANNELS")) {
    if (ctx.args.size() > 3) {
      // Redis 7.0's own text here (its command table takes any arity; the handler refuses).
      return ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + ctx.args[1] +
                             "'. Try PUBSUB HELP.");
    }
    std::optional<std::string_view> pattern;
    if (ctx.args.size() == 3) pattern = ctx.args[2];
    return ReplyBulks(ctx, ctx.server.pubsub.Channels(pattern));
  }
  if (EqualsIgnoreCase(sub, "NUMSUB")) {
    ctx.reply.ArrayHeader(2 * (ctx.args.size() - 2));  // a flat array in RESP3 too (Redis 7.0)
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      ctx.reply.Bulk(ctx.args[i]);
      ctx.reply.Integer(ctx.server.pubsub.Subscribers(ctx.args[i]));
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "NUMPAT")) return ctx.reply.Integer(ctx.server.pubsub.PatternCount());
  if (EqualsIgnoreCase(sub, "SHARDCHANNELS")) {
    if (ctx.args.size() > 3) {
      return ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + ctx.args[1] +
                             "'. Try PUBSUB HELP.");
    }
    std::optional<std::string_view> pattern;
    if (ctx.args.size() == 3) pattern = ctx.args[2];
    return ReplyBulks(ctx, ctx.server.pubsub.ShardChannels(pattern));
  }
  if (EqualsIgnoreCase(sub, "SHARDNUMSUB")) {
    ctx.reply.ArrayHeader(2 * (ctx.args.size() - 2));
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      ctx.reply.Bulk(ctx.args[i]);
      ctx.reply.Integer(ctx.server.pubsub.ShardSubscribers(ctx.args[i]));
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "HELP")) {
    return ReplyHelp(ctx, {
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return the number of subscribed patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers of the given channels.",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers of the given shard level channel(s).",
        "HELP",
        "    Print this help.",
    });
  }
  ctx.reply.Error("ERR unknown subcommand '" + sub + "'. Try PUBSUB HELP.");
}

}  // namespace

std::vector<CommandSpec> PubSubCommands() {
  constexpr uint32_t kSubscription = kPubSub | kNoScript | kLoading | kStale | kSubscribedOk;
  return {
      {"subscribe", -2, kSubscription, 0, 0, 0, Subscribe},
      {"unsubscribe", -1, kSubscription, 0, 0, 0, Unsubscribe},
      {"psubscribe", -2, kSubscription, 0, 0, 0, PSubscribe},
      {"punsubscribe", -1, kSubscription, 0, 0, 0, PUnsubscribe},
      {"publish", 3, kPubSub | kLoading | kStale | kFast, 0, 0, 0, Publish},
      {"ssubscribe", -2, kSubscription, 0, 0, 0, SSubscribe},
      {"sunsubscribe", -1, kSubscription, 0, 0, 0, SUnsubscribe},
      {"spublish", 3, kPubSub | kLoading | kStale | kFast, 0, 0, 0, SPublish},
      {"pubsub", -2, kPubSub | kLoading | kStale, 0, 0, 0, PubSubCmd, nullptr,
       {{"channels", -2}, {"numsub", -2}, {"numpat", 2}, {"shardchannels", -2}, {"shardnumsub", -2}, {"help", 2}}},
  };
}

}  // namespace kvd::server
