#include "roles/server/pubsub.h"

#include "common/glob.h"
#include "protocol/resp_writer.h"

namespace kvd::server {
namespace {

std::string EncodeMessage(int protocol, const std::vector<std::string_view>& parts) {
  std::string out;
  protocol::RespWriter writer(&out, protocol);
  writer.PushHeader(parts.size());
  for (auto part : parts) writer.Bulk(part);
  return out;
}

bool AddTo(std::map<std::string, std::map<uint64_t, std::weak_ptr<ClientState>>>& table, const std::string& name,
           const std::shared_ptr<ClientState>& client) {
  return table[name].emplace(client->id, client).second;
}

bool RemoveFrom(std::map<std::string, std::map<uint64_t, std::weak_ptr<ClientState>>>& table,
                const std::string& name, uint64_t id) {
  auto it = table.find(name);
  if (it == table.end()) return false;
  bool removed = it->second.erase(id) > 0;
  if (it->second.empty()) table.erase(it);
  return removed;
}

}  // namespace

bool PubSub::Subscribe(const std::shared_ptr<ClientState>& client, const std::string& channel) {
  std::lock_guard lock(mutex_);
  return AddTo(channels_, channel, client);
}

bool PubSub::Unsubscribe(const ClientState& client, const std::string& channel) {
  std::lock_guard lock(mutex_);
  return RemoveFrom(channels_, channel, client.id);
}

bool PubSub::PSubscribe(const std::shared_ptr<ClientState>& client, const std::string& pattern) {
  std::lock_guard lock(mutex_);
  return AddTo(patterns_, pattern, client);
}

bool PubSub::PUnsubscribe(const ClientState& client, const std::string& pattern) {
  std::lock_guard lock(mutex_);
  return RemoveFrom(patterns_, pattern, client.id);
}

bool PubSub::SSubscribe(const std::shared_ptr<ClientState>& client, const std::string& channel) {
  std::lock_guard lock(mutex_);
  return AddTo(shard_channels_, channel, client);
}

bool PubSub::SUnsubscribe(const ClientState& client, const std::string& channel) {
  std::lock_guard lock(mutex_);
  return RemoveFrom(shard_channels_, channel, client.id);
}

void PubSub::RemoveClient(const ClientState& client, const std::set<std::string>& channels,
                          const std::set<std::string>& patterns, const std::set<std::string>& shard_channels) {
  std::lock_guard lock(mutex_);
  for (const auto& channel : channels) RemoveFrom(channels_, channel, client.id);
  for (const auto& pattern : patterns) RemoveFrom(patterns_, pattern, client.id);
  for (const auto& channel : shard_channels) RemoveFrom(shard_channels_, channel, client.id);
}

void PubSub::Deliver(const std::vector<Delivery>& deliveries, std::string_view kind, const std::string& channel,
                     const std::string& message, const ClientState* publisher, std::string* to_publisher) {
  for (const auto& [client, pattern] : deliveries) {
    int protocol = client->protocol.load(std::memory_order_relaxed);
    std::string encoded = pattern.empty() ? EncodeMessage(protocol, {kind, channel, message})
                                          : EncodeMessage(protocol, {"pmessage", pattern, channel, message});
    if (client.get() == publisher && to_publisher != nullptr) {
      to_publisher->append(encoded);
    } else {
      client->Push(std::move(encoded));
    }
  }
}

void PubSub::CollectSubscribers(const std::map<std::string, SubscriberMap>& table, const std::string& channel,
                                std::vector<Delivery>* deliveries) {
  auto it = table.find(channel);
  if (it == table.end()) return;
  for (const auto& [id, weak] : it->second) {
    if (auto client = weak.lock()) deliveries->push_back({client, std::string()});
  }
}

int64_t PubSub::Publish(const std::string& channel, const std::string& message, const ClientState* publisher,
                        std::string* to_publisher) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mutex_);
    CollectSubscribers(channels_, channel, &deliveries);
    for (const auto& [pattern, subscribers] : patterns_) {
      if (!GlobMatch(pattern, channel)) continue;
      for (const auto& [id, weak] : subscribers) {
        if (auto client = weak.lock()) deliveries.push_back({client, pattern});
      }
    }
  }
  Deliver(deliveries, "message", channel, message, publisher, to_publisher);
  return static_cast<int64_t>(deliveries.size());
}

int64_t PubSub::SPublish(const std::string& channel, const std::string& message, const ClientState* publisher,
                         std::string* to_publisher) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mutex_);
    CollectSubscribers(shard_channels_, channel, &deliveries);
  }
  Deliver(deliveries, "smessage", channel, message, publisher, to_publisher);
  return static_cast<int64_t>(deliveries.size());
}

std::vector<std::string> PubSub::Names(const std::map<std::string, SubscriberMap>& table,
                                       std::optional<std::string_view> pattern) {
  std::vector<std::string> names;
  for (const auto& [name, subscribers] : table) {
    if (!pattern || GlobMatch(*pattern, name)) names.push_back(name);
  }
  return names;
}

std::vector<std::string> PubSub::Channels(std::optional<std::string_view> pattern) const {
  std::lock_guard lock(mutex_);
  return Names(channels_, pattern);
}

std::vector<std::string> PubSub::ShardChannels(std::optional<std::string_view> pattern) const {
  std::lock_guard lock(mutex_);
  return Names(shard_channels_, pattern);
}

int64_t PubSub::CountOf(const std::map<std::string, SubscriberMap>& table, const std::string& channel) {
  auto it = table.find(channel);
  return it == table.end() ? 0 : static_cast<int64_t>(it->second.size());
}

int64_t PubSub::Subscribers(const std::string& channel) const {
  std::lock_guard lock(mutex_);
  return CountOf(channels_, channel);
}

int64_t PubSub::ShardSubscribers(const std::string& channel) const {
  std::lock_guard lock(mutex_);
  return CountOf(shard_channels_, channel);
}

int64_t PubSub::ChannelCount() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(channels_.size());
}

int64_t PubSub::PatternCount() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(patterns_.size());
}

}  // namespace kvd::server
