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

// One kind of subscription: its confirmations' names, the session's set of
// names, and the registry's calls.
struct SubscriptionKind {
  std::string_view subscribed, unsubscribed;
  std::set<std::string> Session::*names;
  bool (PubSub::*add)(const std::shared_ptr<ClientState>&, const std::string&);
  bool (PubSub::*remove)(const ClientState&, const std::string&);
};
constexpr SubscriptionKind kChannels{"subscribe", "unsubscribe", &Session::channels, &PubSub::Subscribe,
                                     &PubSub::Unsubscribe};
constexpr SubscriptionKind kPatterns{"psubscribe", "punsubscribe", &Session::patterns, &PubSub::PSubscribe,
                                     &PubSub::PUnsubscribe};
constexpr SubscriptionKind kShardChannels{"ssubscribe", "sunsubscribe", &Session::shard_channels,
                                          &PubSub::SSubscribe, &PubSub::SUnsubscribe};

void SubscribeTo(CommandContext& ctx, const SubscriptionKind& kind) {
  std::set<std::string>& names = ctx.client.session.*kind.names;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    (ctx.server.pubsub.*kind.add)(ctx.client_ptr, ctx.args[i]);
    names.insert(ctx.args[i]);
    ReplyConfirmation(ctx, kind.subscribed, &ctx.args[i]);
  }
}

// Without names: every one of that kind (or a confirmation with no name when there are none).
void UnsubscribeFrom(CommandContext& ctx, const SubscriptionKind& kind) {
  std::set<std::string>& current = ctx.client.session.*kind.names;
  std::vector<std::string> names(ctx.args.begin() + 1, ctx.args.end());
  if (names.empty()) names.assign(current.begin(), current.end());
  if (names.empty()) return ReplyConfirmation(ctx, kind.unsubscribed, nullptr);
  for (const auto& name : names) {
    (ctx.server.pubsub.*kind.remove)(ctx.client, name);
    current.erase(name);
    ReplyConfirmation(ctx, kind.unsubscribed, &name);
  }
}

void Subscribe(CommandContext& ctx) { SubscribeTo(ctx, kChannels); }
void PSubscribe(CommandContext& ctx) { SubscribeTo(ctx, kPatterns); }
void SSubscribe(CommandContext& ctx) { SubscribeTo(ctx, kShardChannels); }
void Unsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, kChannels); }
void PUnsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, kPatterns); }
void SUnsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, kShardChannels); }

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

// PUBSUB CHANNELS and SHARDCHANNELS [pattern].
void ReplyChannelNames(CommandContext& ctx, std::vector<std::string> (PubSub::*names)(std::optional<std::string_view>) const) {
  if (ctx.args.size() > 3) {
    // Redis 7.0's own text here (its command table takes any arity; the handler refuses).
    return ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + ctx.args[1] +
                           "'. Try PUBSUB HELP.");
  }
  std::optional<std::string_view> pattern;
  if (ctx.args.size() == 3) pattern = ctx.args[2];
  ReplyBulks(ctx, (ctx.server.pubsub.*names)(pattern));
}

// PUBSUB NUMSUB and SHARDNUMSUB channel...: a flat array in RESP3 too (Redis 7.0).
void ReplySubscriberCounts(CommandContext& ctx, int64_t (PubSub::*count)(const std::string&) const) {
  ctx.reply.ArrayHeader(2 * (ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Integer((ctx.server.pubsub.*count)(ctx.args[i]));
  }
}

void PubSubCmd(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "CHANNELS")) return ReplyChannelNames(ctx, &PubSub::Channels);
  if (EqualsIgnoreCase(sub, "SHARDCHANNELS")) return ReplyChannelNames(ctx, &PubSub::ShardChannels);
  if (EqualsIgnoreCase(sub, "NUMSUB")) return ReplySubscriberCounts(ctx, &PubSub::Subscribers);
  if (EqualsIgnoreCase(sub, "SHARDNUMSUB")) return ReplySubscriberCounts(ctx, &PubSub::ShardSubscribers);
  if (EqualsIgnoreCase(sub, "NUMPAT")) return ctx.reply.Integer(ctx.server.pubsub.PatternCount());
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
