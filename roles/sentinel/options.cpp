#include "roles/sentinel/options.h"

#include <sstream>
#include <vector>

#include "common/numbers.h"
#include "common/role_options.h"

namespace kvd::sentinel {

namespace {

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, separator)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

Result<PeerAddress> ParseAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  int64_t port = 0;
  if (colon == std::string::npos || colon == 0 || !ParseInt64(text.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return Status::InvalidArgument("'" + text + "' is not host:port");
  }
  return PeerAddress{text.substr(0, colon), static_cast<uint16_t>(port)};
}

Status ParseUint(const std::string& value, uint64_t* out) { return ParseNonNegative(value, out); }

using Option = RoleOption<SentinelConfig>;

const std::vector<Option>& Options() {
  static const std::vector<Option> options = {
      {"bind", "address to listen on (default 127.0.0.1)",
       [](SentinelConfig& c, const std::string& v) { c.bind = v; return Status::Ok(); }},
      {"port", "TCP port (default 26380)",
       [](SentinelConfig& c, const std::string& v) { return ParsePort(v, &c.port); }},
      {"dir", "directory of the Raft state (default ./kvd-sentinel)",
       [](SentinelConfig& c, const std::string& v) { c.dir = v; return Status::Ok(); }},
      {"id", "this sentinel's id in --peers (default 1)",
       [](SentinelConfig& c, const std::string& v) {
         KVD_RETURN_IF_ERROR(ParseUint(v, &c.id));
         if (c.id == 0) return Status::InvalidArgument("id must be positive");
         return Status::Ok();
       }},
      {"peers", "every sentinel of the group as id=host:port,... (default: this one alone)",
       [](SentinelConfig& c, const std::string& v) {
         auto peers = ParsePeers(v);
         if (!peers.ok()) return peers.status();
         c.peers = *peers;
         return Status::Ok();
       }},
      {"masters", "masters to watch as name=host:port,...",
       [](SentinelConfig& c, const std::string& v) {
         auto masters = ParseMasters(v);
         if (!masters.ok()) return masters.status();
         c.masters = *masters;
         return Status::Ok();
       }},
      {"auth-pass", "passwords of masters as name=password,...",
       [](SentinelConfig& c, const std::string& v) {
         for (const auto& item : Split(v, ',')) {
           size_t equals = item.find('=');
           if (equals == std::string::npos) return Status::InvalidArgument("'" + item + "' is not name=password");
           c.masters[item.substr(0, equals)].auth_pass = item.substr(equals + 1);
         }
         return Status::Ok();
       }},
      {"down-after-ms", "no valid reply for this long: subjectively down (default 5000)",
       [](SentinelConfig& c, const std::string& v) { return ParseUint(v, &c.down_after_ms); }},
      {"monitor-interval-ms", "how often masters and replicas are polled (default 1000)",
       [](SentinelConfig& c, const std::string& v) { return ParseUint(v, &c.monitor_interval_ms); }},
      {"quorum", "sentinels that must see a master down (default: a majority)",
       [](SentinelConfig& c, const std::string& v) {
         uint64_t quorum = 0;
         KVD_RETURN_IF_ERROR(ParseUint(v, &quorum));
         c.quorum = static_cast<size_t>(quorum);
         return Status::Ok();
       }},
      {"failover-timeout-ms", "a promotion not done in this time moves to the next candidate (default 10000)",
       [](SentinelConfig& c, const std::string& v) { return ParseUint(v, &c.failover_timeout_ms); }},
      {"cluster-secret", "shared secret of the sentinels' internal RAFT commands (default none)",
       [](SentinelConfig& c, const std::string& v) { c.cluster_secret = v; return Status::Ok(); }},
      {"loglevel", "debug | verbose | notice | warning",
       [](SentinelConfig& c, const std::string& v) { c.loglevel = v; return Status::Ok(); }},
      {"logfile", "log file; empty = standard error",
       [](SentinelConfig& c, const std::string& v) { c.logfile = v; return Status::Ok(); }},
  };
  return options;
}

}  // namespace

Result<std::map<std::string, MonitoredMaster>> ParseMasters(const std::string& text) {
  std::map<std::string, MonitoredMaster> masters;
  for (const auto& item : Split(text, ',')) {
    size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0) return Status::InvalidArgument("'" + item + "' is not name=host:port");
    auto address = ParseAddress(item.substr(equals + 1));
    if (!address.ok()) return address.status();
    std::string name = item.substr(0, equals);
    masters[name] = MonitoredMaster{name, address->host, address->port, ""};
  }
  return masters;
}

Result<std::map<uint64_t, PeerAddress>> ParsePeers(const std::string& text) {
  std::map<uint64_t, PeerAddress> peers;
  for (const auto& item : Split(text, ',')) {
    size_t equals = item.find('=');
    uint64_t id = 0;
    if (equals == std::string::npos || !ParseUint(item.substr(0, equals), &id).ok() || id == 0) {
      return Status::InvalidArgument("'" + item + "' is not id=host:port");
    }
    auto address = ParseAddress(item.substr(equals + 1));
    if (!address.ok()) return address.status();
    peers[id] = *address;
  }
  return peers;
}

Result<SentinelConfig> LoadSentinelConfig(int argc, char** argv, bool* help_requested, std::string* help_text) {
  SentinelConfig config;
  KVD_RETURN_IF_ERROR(LoadRoleOptions("sentinel", Options(), argc, argv, &config, help_requested, help_text));
  if (config.peers.empty()) config.peers[config.id] = PeerAddress{config.bind, config.port};
  if (config.peers.count(config.id) == 0) {
    return Status::InvalidArgument("--id " + std::to_string(config.id) + " is not one of --peers");
  }
  for (const auto& [name, master] : config.masters) {
    if (master.port == 0) return Status::InvalidArgument("auth-pass names unknown master '" + name + "'");
  }
  return config;
}

}  // namespace kvd::sentinel
