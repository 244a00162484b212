// Every server option, described once: the same table drives the command
// line, the config file, CONFIG GET/SET and `kvd server --help`.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace kvd::server {

struct ServerConfig {
  std::string bind = "127.0.0.1";
  int64_t port = 6380;
  std::string dir = "./kvd-data";
  int64_t databases = 16;
  std::string requirepass;
  std::string fsync = "everysec";
  int64_t io_threads = 0;  // 0 = number of cores - 1, at least 1
  int64_t maxclients = 10000;
  int64_t timeout = 0;     // seconds; 0 = never close idle clients
  int64_t block_cache_mb = 128;
  int64_t write_buffer_mb = 8;
  int64_t binlog_max_size = 1024;  // MB
  int64_t binlog_max_age = 0;     // seconds, 0 = no age limit
  std::string loglevel = "notice";
  std::string logfile;
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  int64_t client_output_buffer_limit = 256LL * 1024 * 1024;
  // Replication (README "Replication").
  std::string replicaof;  // "host port", empty = a master
  std::string masterauth;
  std::string replica_read_only = "yes";
  int64_t replica_priority = 100;
  std::string replication_mode = "async";
  int64_t min_replica_acks = 1;
  int64_t replica_ack_timeout_ms = 1000;
  int64_t min_replicas_max_lag = 10;  // seconds
  int64_t repl_timeout = 60;          // seconds
  int64_t slowlog_log_slower_than = 10000;  // microseconds; negative = log nothing
  int64_t slowlog_max_len = 128;
  int64_t latency_monitor_threshold = 0;  // milliseconds; 0 = off
  // Not an option: the file --config named (absolute), which CONFIG REWRITE rewrites; empty without one.
  std::string config_file;
};

// "host port" or "host:port" of the replicaof option; false when malformed.
bool ParseHostPort(const std::string& text, std::string* host, uint16_t* port);

struct OptionSpec {
  std::string name;
  std::string help;
  bool runtime;  // changeable with CONFIG SET
  std::function<Status(ServerConfig&, const std::string&)> apply;
  std::function<std::string(const ServerConfig&)> show;
};

const std::vector<OptionSpec>& ServerOptions();
const OptionSpec* FindServerOption(std::string_view name);

// Builds the config from defaults, then the file named by --config, then the
// command line (a flag overrides the file). Errors name the option and the line.
Result<ServerConfig> LoadServerConfig(int argc, char** argv, bool* help_requested);
boost::program_options::options_description ServerOptionsDescription();

// The live config, shared by all threads. Readers take a copy.
class ConfigStore {
 public:
  explicit ConfigStore(ServerConfig config) : config_(std::move(config)) {}
  ServerConfig Snapshot() const;
  // CONFIG SET: validates and applies; `on_change` hooks run after.
  Status Set(const std::string& name, const std::string& value);
  // CONFIG GET: (name, value) pairs of the options whose names match `pattern`.
  std::vector<std::pair<std::string, std::string>> Get(std::string_view pattern) const;
  void OnChange(std::function<void(const std::string&, const ServerConfig&)> hook) { hook_ = std::move(hook); }

 private:
  mutable std::mutex mutex_;
  ServerConfig config_;
  std::function<void(const std::string&, const ServerConfig&)> hook_;
};

}  // namespace kvd::server
