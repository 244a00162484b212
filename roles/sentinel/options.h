// `kvd sentinel` options: the same names on the command line and in a config
// file (--config FILE, "name value" lines; a flag overrides the file).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "roles/sentinel/raft_node.h"

namespace kvd::sentinel {

struct MonitoredMaster {
  std::string name;
  std::string host;
  uint16_t port = 0;
  std::string auth_pass;
};

struct SentinelConfig {
  std::string bind = "127.0.0.1";
  uint16_t port = 26380;
  std::string dir = "./kvd-sentinel";
  uint64_t id = 1;
  std::map<uint64_t, PeerAddress> peers;          // id -> address, this sentinel included
  std::map<std::string, MonitoredMaster> masters;  // by name
  uint64_t down_after_ms = 5000;
  uint64_t monitor_interval_ms = 1000;
  size_t quorum = 0;  // 0: a majority of the sentinels
  uint64_t failover_timeout_ms = 10000;
  std::string cluster_secret;
  std::string loglevel = "notice";
  std::string logfile;
};

// Parses "name=host:port,name2=host:port" and "id=host:port,...".
Result<std::map<std::string, MonitoredMaster>> ParseMasters(const std::string& text);
Result<std::map<uint64_t, PeerAddress>> ParsePeers(const std::string& text);

// Returns the config, or an error naming the option (and the file line).
Result<SentinelConfig> LoadSentinelConfig(int argc, char** argv, bool* help_requested, std::string* help_text);

}  // namespace kvd::sentinel
