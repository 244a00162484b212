#include "roles/proxy/options.h"

#include <sstream>

#include "cluster/address.h"
#include "cluster/topology/model.h"
#include "common/role_options.h"

namespace kvd::proxy {

namespace {

using Option = RoleOption<ProxyConfig>;

Status ParseCount(const std::string& value, size_t* out) {
  uint64_t parsed = 0;
  KVD_RETURN_IF_ERROR(ParseNonNegative(value, &parsed));
  if (parsed == 0) return Status::InvalidArgument("must be positive");
  *out = static_cast<size_t>(parsed);
  return Status::Ok();
}

Status ParseSentinels(const std::string& text, std::vector<std::string>* out) {
  out->clear();
  std::stringstream stream(text);
  std::string address;
  while (std::getline(stream, address, ',')) {
    if (address.empty()) continue;
    std::string host;
    uint16_t port = 0;
    if (!cluster::SplitAddress(address, &host, &port) || host.empty()) {
      return Status::InvalidArgument("'" + address + "' is not host:port");
    }
    out->push_back(address);
  }
  if (out->empty()) return Status::InvalidArgument("no sentinel address");
  return Status::Ok();
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = {
      {"bind", "address to listen on (default 127.0.0.1)",
       [](ProxyConfig& c, const std::string& v) { c.bind = v; return Status::Ok(); }},
      {"port", "TCP port (default 6390)", [](ProxyConfig& c, const std::string& v) { return ParsePort(v, &c.port); }},
      {"slots", "topology snapshot file (the JSON of a sentinel's TOPOLOGY) with the groups and the slot map",
       [](ProxyConfig& c, const std::string& v) { c.slots_file = v; return Status::Ok(); }},
      {"sentinels", "kvd sentinels as host:port,...: the slot map is read from them and followed",
       [](ProxyConfig& c, const std::string& v) { return ParseSentinels(v, &c.sentinels); }},
      {"announce", "host:port clients reach this proxy at, registered with the sentinels (default bind:port)",
       [](ProxyConfig& c, const std::string& v) {
         std::string host;
         uint16_t port = 0;
         bool valid = v.empty() || (cluster::SplitAddress(v, &host, &port) && !host.empty());  // empty: the default
         if (!valid) return Status::InvalidArgument("not host:port");
         c.announce = v;
         return Status::Ok();
       }},
      {"proxy-id", "this proxy's id in the topology (default: its announced address)",
       [](ProxyConfig& c, const std::string& v) { c.proxy_id = v; return Status::Ok(); }},
      {"requirepass", "password clients must AUTH with (default none)",
       [](ProxyConfig& c, const std::string& v) { c.requirepass = v; return Status::Ok(); }},
      {"io-threads", "threads serving clients, each with its own backend connections (default 1)",
       [](ProxyConfig& c, const std::string& v) { return ParseCount(v, &c.io_threads); }},
      {"maxclients", "most client connections at once (default 10000)",
       [](ProxyConfig& c, const std::string& v) { return ParseCount(v, &c.maxclients); }},
      {"backend-timeout-ms", "a backend silent this long with requests waiting is dropped (default 5000)",
       [](ProxyConfig& c, const std::string& v) {
         KVD_RETURN_IF_ERROR(ParseNonNegative(v, &c.backend_timeout_ms));
         if (c.backend_timeout_ms == 0) return Status::InvalidArgument("must be positive");
         return Status::Ok();
       }},
      {"max-pending-per-client", "unanswered requests of one client before its reads pause (default 4096)",
       [](ProxyConfig& c, const std::string& v) { return ParseCount(v, &c.max_pending_per_client); }},
      {"loglevel", "debug | verbose | notice | warning",
       [](ProxyConfig& c, const std::string& v) { c.loglevel = v; return Status::Ok(); }},
      {"logfile", "log file; empty = standard error",
       [](ProxyConfig& c, const std::string& v) { c.logfile = v; return Status::Ok(); }},
  };
  return options;
}

}  // namespace

Result<ProxyConfig> LoadProxyConfig(int argc, char** argv, bool* help_requested, std::string* help_text) {
  ProxyConfig config;
  KVD_RETURN_IF_ERROR(LoadRoleOptions("proxy", Options(), argc, argv, &config, help_requested, help_text));
  if (*help_requested) return config;
  if (config.slots_file.empty() == config.sentinels.empty()) {
    return Status::InvalidArgument("give the slot map with exactly one of --slots FILE and --sentinels host:port,...");
  }
  if (config.announce.empty()) config.announce = cluster::JoinAddress(config.bind, config.port);
  if (config.proxy_id.empty()) config.proxy_id = config.announce;
  KVD_RETURN_IF_ERROR(cluster::topology::ValidateProxyId(config.proxy_id));
  return config;
}

}  // namespace kvd::proxy
