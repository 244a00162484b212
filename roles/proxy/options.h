// `kvd proxy` options: the same names on the command line and in a config
// file (--config FILE); a flag overrides the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace kvd::proxy {

struct ProxyConfig {
  std::string bind = "127.0.0.1";
  uint16_t port = 6390;
  // Where the slot map comes from: a topology snapshot file, or the sentinels
  // (host:port, tried in turn), who are watched for changes.
  std::string slots_file;
  std::vector<std::string> sentinels;
  // With --sentinels the proxy registers itself in the topology under this
  // id and address (defaults: the address, and bind:port).
  std::string announce;
  std::string proxy_id;
  std::string requirepass;
  size_t io_threads = 1;
  size_t maxclients = 10000;
  // A backend that leaves a request unanswered this long is dropped, and the
  // requests waiting on it fail (a stopped or unreachable server).
  uint64_t backend_timeout_ms = 5000;
  // Per client: requests forwarded and not yet answered before its reads pause.
  size_t max_pending_per_client = 4096;
  std::string loglevel = "notice";
  std::string logfile;
};

// Returns the config, or an error naming the option (and the file line).
Result<ProxyConfig> LoadProxyConfig(int argc, char** argv, bool* help_requested, std::string* help_text);

}  // namespace kvd::proxy
