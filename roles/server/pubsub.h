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
  void RemoveClient(const ClientState& client, const std::set<std::string>& channels,
                    const std::set<std::string>& patterns);
  // Returns how many clients received the message. What goes to `publisher`
  // itself (a RESP3 client subscribed to the channel) is appended to
  // `to_publisher` instead: Redis puts it in that client's output before the
  // reply to PUBLISH.
  int64_t Publish(const std::string& channel, const std::string& message, const ClientState* publisher = nullptr,
                  std::string* to_publisher = nullptr);

  // Channels with subscribers, those whose name matches `pattern` when there is one.
  std::vector<std::string> Channels(std::optional<std::string_view> pattern) const;
  int64_t Subscribers(const std::string& channel) const;
  int64_t ChannelCount() const;
  int64_t PatternCount() const;

 private:
  using SubscriberMap = std::map<uint64_t, std::weak_ptr<ClientState>>;
  mutable std::mutex mutex_;
  std::map<std::string, SubscriberMap> channels_;
  std::map<std::string, SubscriberMap> patterns_;
};

}  // namespace kvd::server
