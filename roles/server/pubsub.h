// Pub/sub channels and patterns. Messages reach subscribers on their own io
// threads through ClientState::Push, each encoded for the subscriber's protocol.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "roles/server/client_registry.h"

namespace kvd::server {

class PubSub {
 public:
  // Return whether the subscription is new.
  bool Subscribe(const std::shared_ptr<ClientState>& client, const std::string& channel);
  bool Unsubscribe(const ClientState& client, const std::string& channel);
  bool PSubscribe(const std::shared_ptr<ClientState>& client, const std::string& pattern);
  bool PUnsubscribe(const ClientState& client, const std::string& pattern);
  // Sharded pub/sub (Redis 7): channels of their own, reached only by SPUBLISH.
  bool SSubscribe(const std::shared_ptr<ClientState>& client, const std::string& channel);
  bool SUnsubscribe(const ClientState& client, const std::string& channel);
  void RemoveClient(const ClientState& client, const std::set<std::string>& channels,
                    const std::set<std::string>& patterns, const std::set<std::string>& shard_channels);
  // Returns how many clients received the message. What goes to `publisher`
  // itself (a RESP3 client subscribed to the channel) is appended to
  // `to_publisher` instead: Redis puts it in that client's output before the
  // reply to PUBLISH.
  int64_t Publish(const std::string& channel, const std::string& message, const ClientState* publisher = nullptr,
                  std::string* to_publisher = nullptr);
  // SPUBLISH: "smessage" to the channel's shard subscribers, the same way.
  int64_t SPublish(const std::string& channel, const std::string& message, const ClientState* publisher = nullptr,
                   std::string* to_publisher = nullptr);

  // Channels with subscribers, those whose name matches `pattern` when there is one.
  std::vector<std::string> Channels(std::optional<std::string_view> pattern) const;
  int64_t Subscribers(const std::string& channel) const;
  // PUBSUB SHARDCHANNELS and SHARDNUMSUB.
  std::vector<std::string> ShardChannels(std::optional<std::string_view> pattern) const;
  int64_t ShardSubscribers(const std::string& channel) const;
  int64_t ChannelCount() const;
  int64_t PatternCount() const;

 private:
  using SubscriberMap = std::map<uint64_t, std::weak_ptr<ClientState>>;
  mutable std::mutex mutex_;
  std::map<std::string, SubscriberMap> channels_;
  std::map<std::string, SubscriberMap> patterns_;
  std::map<std::string, SubscriberMap> shard_channels_;
  // A subscriber a message goes to; `pattern` (a copy, valid without the lock) when it matched one.
  struct Delivery {
    std::shared_ptr<ClientState> client;
    std::string pattern;
  };
  // Encodes and hands out `kind` messages ("message", "smessage"; "pmessage" for
  // a pattern); what goes to `publisher` is appended to `to_publisher`.
  static void Deliver(const std::vector<Delivery>& deliveries, std::string_view kind, const std::string& channel,
                      const std::string& message, const ClientState* publisher, std::string* to_publisher);
  static std::vector<std::string> Names(const std::map<std::string, SubscriberMap>& table,
                                        std::optional<std::string_view> pattern);
  static void CollectSubscribers(const std::map<std::string, SubscriberMap>& table, const std::string& channel,
                                 std::vector<Delivery>* deliveries);
  static int64_t CountOf(const std::map<std::string, SubscriberMap>& table, const std::string& channel);
};

}  // namespace kvd::server
