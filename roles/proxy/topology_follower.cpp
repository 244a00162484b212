#include "roles/proxy/topology_follower.h"

#include <fstream>
#include <sstream>

#include "cluster/address.h"
#include "cluster/topology/command.h"
#include "common/clock.h"
#include "common/logging.h"

namespace kvd::proxy {

namespace {
constexpr std::chrono::milliseconds kRequestTimeout{3000};
// A watch is re-issued this often, so a sentinel that vanished without
// closing the connection is noticed.
constexpr std::chrono::milliseconds kWatchTimeout{30000};
// How often the registration is renewed (its last_seen_ms), and retried after a failure.
constexpr int kRegisterEveryMs = 30000;
constexpr int kRegisterRetryMs = 1000;
}  // namespace

TopologyFollower::TopologyFollower(const ProxyConfig& config, RoutesSink routes_sink, KeysSink keys_sink)
    : config_(config), routes_sink_(std::move(routes_sink)), keys_sink_(std::move(keys_sink)) {}

TopologyFollower::~TopologyFollower() { Stop(); }

Status TopologyFollower::LoadFile() {
  std::ifstream file(config_.slots_file);
  if (!file) return Status::IOError("cannot read the slot map " + config_.slots_file);
  std::stringstream text;
  text << file.rdbuf();
  auto routes = RouteTable::FromSnapshot(text.str());
  if (!routes.ok()) return Status::InvalidArgument(config_.slots_file + ": " + routes.status().message());
  Publish(std::make_shared<const RouteTable>(std::move(*routes)));
  return Status::Ok();
}

void TopologyFollower::Start() {
  if (!config_.sentinels.empty()) {
    sentinel_thread_ = std::thread([this] { FollowSentinels(); });
    registration_thread_ = std::thread([this] { KeepRegistered(); });
  }
  keys_thread_ = std::thread([this] { LoadKeyTable(); });
}

void TopologyFollower::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (watching_ != nullptr) watching_->Shutdown();
  }
  changed_.notify_all();
  if (sentinel_thread_.joinable()) sentinel_thread_.join();
  if (keys_thread_.joinable()) keys_thread_.join();
  if (registration_thread_.joinable()) registration_thread_.join();
}

bool TopologyFollower::Pause(int ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  return !stopping_;
}

void TopologyFollower::Publish(std::shared_ptr<const RouteTable> routes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A sentinel that lags behind the one read before must not take routing back to an old master.
    if (routes_ && routes_->version() >= routes->version()) return;
    routes_ = routes;
  }
  KVD_LOG(kNotice) << "slot map version " << routes->version() << ": " << routes->backends().size() << " groups";
  routes_sink_(std::move(routes));
  changed_.notify_all();
}

void TopologyFollower::FollowSentinels() {
  for (size_t next = 0;; next = (next + 1) % config_.sentinels.size()) {
    const std::string& address = config_.sentinels[next];
    Status ended = FollowOne(address);
    if (!Pause(0)) return;
    KVD_LOG(kVerbose) << "sentinel " << address << ": " << ended.message() << "; trying the next one";
    if (!Pause(200)) return;
  }
}

Status TopologyFollower::FollowOne(const std::string& address) {
  std::string host;
  uint16_t port = 0;
  if (!cluster::SplitAddress(address, &host, &port)) return Status::InvalidArgument("bad address");
  protocol::RespClient client;
  client.SetTimeout(kRequestTimeout);
  KVD_RETURN_IF_ERROR(client.Connect(host, port));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return Status::Aborted("stopping");
    watching_ = &client;
  }
  struct Unregister {
    TopologyFollower* self;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->watching_ = nullptr;
    }
  } unregister{this};
  while (true) {
    client.SetTimeout(kRequestTimeout);
    auto snapshot = client.Command({"TOPOLOGY"});
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->IsError()) return Status::IOError(snapshot->str);
    auto routes = RouteTable::FromSnapshot(snapshot->str);
    if (!routes.ok()) return routes.status();
    uint64_t version = routes->version();
    Publish(std::make_shared<const RouteTable>(std::move(*routes)));
    client.SetTimeout(kWatchTimeout);
    auto changes = client.Command({"TOPOLOGY", "WATCH", std::to_string(version)});
    if (!changes.ok()) return changes.status();  // a timeout too: reconnect and read again
  }
}

void TopologyFollower::KeepRegistered() {
  namespace topology = cluster::topology;
  bool registered = false;
  do {
    topology::RegisterProxy entry{config_.proxy_id, config_.announce, SystemClock::Instance()->NowMs()};
    registered = ProposeToLeader(topology::EncodeCommand(entry));
  } while (Pause(registered ? kRegisterEveryMs : kRegisterRetryMs));
  if (registered && ProposeToLeader(topology::EncodeCommand(topology::UnregisterProxy{config_.proxy_id}))) {
    KVD_LOG(kNotice) << "unregistered from the sentinels as " << config_.proxy_id;
  }
}

bool TopologyFollower::ProposeToLeader(const std::string& command) {
  for (const std::string& address : config_.sentinels) {
    std::string host;
    uint16_t port = 0;
    if (!cluster::SplitAddress(address, &host, &port)) continue;
    protocol::RespClient client;
    client.SetTimeout(kRequestTimeout);
    if (!client.Connect(host, port).ok()) continue;
    auto reply = client.Command({"TOPOLOGY", "PROPOSE", command});
    if (reply.ok() && reply->type == protocol::RespValue::Type::kSimple) return true;
    if (reply.ok()) KVD_LOG(kDebug) << "sentinel " << address << ": " << reply->str;  // not the leader
  }
  return false;
}

void TopologyFollower::LoadKeyTable() {
  while (Pause(0)) {
    std::shared_ptr<const RouteTable> routes;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      routes = routes_;
    }
    if (routes) {
      for (const auto& backend : routes->backends()) {
        auto keys = AskForCommands(backend);
        if (keys.ok()) {
          KVD_LOG(kNotice) << "command table read from " << backend.address << ": " << (*keys)->size() << " commands";
          keys_sink_(*keys);
          return;
        }
        KVD_LOG(kVerbose) << "COMMAND from " << backend.address << ": " << keys.status().message();
      }
    }
    if (!Pause(300)) return;
  }
}

Result<std::shared_ptr<const KeyTable>> TopologyFollower::AskForCommands(const Backend& backend) {
  protocol::RespClient client;
  client.SetTimeout(kRequestTimeout);
  KVD_RETURN_IF_ERROR(client.Connect(backend.host, backend.port));
  if (!backend.auth_pass.empty()) {
    auto auth = client.Command({"AUTH", backend.auth_pass});
    if (!auth.ok()) return auth.status();
    if (auth->IsError()) return Status::IOError("AUTH refused: " + auth->str);
  }
  auto reply = client.Command({"COMMAND"});
  if (!reply.ok()) return reply.status();
  auto table = KeyTable::FromCommandReply(*reply);
  if (!table.ok()) return table.status();
  return std::make_shared<const KeyTable>(std::move(*table));
}

}  // namespace kvd::proxy
