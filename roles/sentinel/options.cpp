#include "roles/sentinel/options.h"

#include <boost/program_options.hpp>
#include <functional>
#include <sstream>
#include <vector>

#include "common/config_file.h"
#include "common/numbers.h"

namespace kvd::sentinel {
namespace po = boost::program_options;

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

Status ParseUint(const std::string& value, uint64_t* out) {
  int64_t parsed = 0;
  if (!ParseInt64(value, &parsed) || parsed < 0) return Status::InvalidArgument("not a non-negative integer");
  *out = static_cast<uint64_t>(parsed);
  return Status::Ok();
}

struct Option {
  const char* name;
  const char* help;
  std::function<Status(SentinelConfig&, const std::string&)> apply;
};

const std::vector<Option>& Options() {
  static const std::vector<Option> options = {
      {"bind", "address to listen on (default 127.0.0.1)",
       [](SentinelConfig& c, const std::string& v) { c.bind = v; return Status::Ok(); }},
      {"port", "TCP port (default 26380)",
       [](SentinelConfig& c, const std::string& v) {
         uint64_t port = 0;
         KVD_RETURN_IF_ERROR(ParseUint(v, &port));
         if (port == 0 || port > 65535) return Status::InvalidArgument("port must be 1..65535");
         c.port = static_cast<uint16_t>(port);
         return Status::Ok();
       }},
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
  po::options_description description("kvd sentinel options");
  description.add_options()("help,h", "show this help")("config", po::value<std::string>(), "config file");
  for (const auto& option : Options()) description.add_options()(option.name, po::value<std::string>(), option.help);
  std::ostringstream help;
  help << description;
  *help_text = help.str();
  po::variables_map flags;
  try {
    po::store(po::command_line_parser(argc, argv).options(description).run(), flags);
  } catch (const po::error& error) {
    return Status::InvalidArgument(error.what());
  }
  *help_requested = flags.count("help") > 0;
  SentinelConfig config;
  auto find = [](const std::string& name) -> const Option* {
    for (const auto& option : Options()) {
      if (name == option.name) return &option;
    }
    return nullptr;
  };
  if (flags.count("config")) {
    std::string path = flags["config"].as<std::string>();
    auto lines = ReadConfigFile(path);
    if (!lines.ok()) return lines.status();
    for (const ConfigLine& line : *lines) {
      std::string where = path + " line " + std::to_string(line.line_number) + ": ";
      const Option* option = find(line.name);
      if (option == nullptr) return Status::InvalidArgument(where + "unknown option '" + line.name + "'");
      Status applied = option->apply(config, line.value);
      if (!applied.ok()) return Status::InvalidArgument(where + "bad value for '" + line.name + "': " + applied.message());
    }
  }
  for (const auto& option : Options()) {
    if (!flags.count(option.name)) continue;
    Status applied = option.apply(config, flags[option.name].as<std::string>());
    if (!applied.ok()) return Status::InvalidArgument(std::string("bad value for --") + option.name + ": " + applied.message());
  }
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
