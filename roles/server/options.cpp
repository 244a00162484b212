#include "roles/server/options.h"

#include <boost/program_options.hpp>
#include <iostream>

#include <filesystem>

#include "common/config_file.h"
#include "common/glob.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "storage/engine.h"

namespace kvd::server {
namespace po = boost::program_options;

namespace {

// Accepts plain integers and Redis's size suffixes (1k, 1kb, 1m, 1mb, 1g, 1gb).
bool ParseSize(const std::string& text, int64_t* out) {
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024LL * 1024 * 1024}, {"k", 1000}, {"m", 1000 * 1000},
      {"g", 1000LL * 1000 * 1000}};
  std::string lower;
  for (char c : text) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const auto& [suffix, factor] : kUnits) {
    size_t length = std::strlen(suffix);
    if (lower.size() > length && lower.compare(lower.size() - length, length, suffix) == 0) {
      int64_t base = 0;
      if (!ParseInt64(lower.substr(0, lower.size() - length), &base)) return false;
      if (base > INT64_MAX / factor) return false;
      *out = base * factor;
      return true;
    }
  }
  return ParseInt64(lower, out);
}

OptionSpec IntOption(std::string name, int64_t ServerConfig::*field, int64_t min, int64_t max, bool runtime,
                     std::string help) {
  return OptionSpec{
      name, std::move(help), runtime,
      [field, min, max](ServerConfig& config, const std::string& value) -> Status {
        int64_t parsed = 0;
        if (!ParseSize(value, &parsed)) return Status::InvalidArgument("argument couldn't be parsed into an integer");
        if (parsed < min || parsed > max) {
          return Status::InvalidArgument("argument must be between " + std::to_string(min) + " and " +
                                         std::to_string(max) + " inclusive");
        }
        config.*field = parsed;
        return Status::Ok();
      },
      [field](const ServerConfig& config) { return std::to_string(config.*field); }};
}

OptionSpec TextOption(std::string name, std::string ServerConfig::*field, bool runtime, std::string help,
                      std::function<Status(const std::string&)> validate = nullptr) {
  return OptionSpec{name, std::move(help), runtime,
                    [field, validate](ServerConfig& config, const std::string& value) -> Status {
                      if (validate) KVD_RETURN_IF_ERROR(validate(value));
                      config.*field = value;
                      return Status::Ok();
                    },
                    [field](const ServerConfig& config) { return config.*field; }};
}

Status ValidateYesNo(const std::string& value) {
  if (value == "yes" || value == "no") return Status::Ok();
  return Status::InvalidArgument("argument must be 'yes' or 'no'");
}

Status ValidateReplicaOf(const std::string& value) {
  std::string host;
  uint16_t port = 0;
  if (value.empty() || ParseHostPort(value, &host, &port)) return Status::Ok();
  return Status::InvalidArgument("replicaof must be 'host port'");
}

Status ValidateReplicationMode(const std::string& value) {
  if (value == "async" || value == "semi-sync" || value == "sync") return Status::Ok();
  return Status::InvalidArgument("replication-mode must be one of async, semi-sync, sync");
}

std::vector<OptionSpec> BuildOptions() {
  constexpr int64_t kMaxInt = INT32_MAX;
  return {
      TextOption("bind", &ServerConfig::bind, false, "address to listen on"),
      IntOption("port", &ServerConfig::port, 0, 65535, false, "TCP port to listen on"),
      TextOption("dir", &ServerConfig::dir, false, "data directory (created if missing)"),
      IntOption("databases", &ServerConfig::databases, 1, 256, false, "number of databases (SELECT 0..N-1)"),
      TextOption("requirepass", &ServerConfig::requirepass, true, "password clients must AUTH with; empty = none"),
      TextOption("fsync", &ServerConfig::fsync, true, "durability policy: always | everysec | no",
                 [](const std::string& value) { return storage::ParseFsyncPolicy(value).status(); }),
      IntOption("io-threads", &ServerConfig::io_threads, 0, 256, false, "I/O threads; 0 = number of cores - 1 (at least 1)"),
      IntOption("maxclients", &ServerConfig::maxclients, 1, kMaxInt, true, "maximum number of connected clients"),
      IntOption("timeout", &ServerConfig::timeout, 0, kMaxInt, true, "close clients idle this many seconds; 0 = never"),
      IntOption("block-cache-mb", &ServerConfig::block_cache_mb, 1, 1 << 20, false, "RocksDB block cache size in MB"),
      IntOption("write-buffer-mb", &ServerConfig::write_buffer_mb, 1, 1 << 16, false,
                "RocksDB write buffer (memtable) size in MB"),
      IntOption("binlog-max-size", &ServerConfig::binlog_max_size, 1, 1 << 30, false,
                "binlog (old WAL files) kept for replicas and kvd binlog, in MB"),
      IntOption("binlog-max-age", &ServerConfig::binlog_max_age, 0, kMaxInt, false,
                "seconds old binlog files are kept at most; 0 = size limit only"),
      TextOption("loglevel", &ServerConfig::loglevel, true, "debug | verbose | notice | warning",
                 [](const std::string& value) { return ParseLogLevel(value).status(); }),
      TextOption("logfile", &ServerConfig::logfile, false, "log file; empty = standard error"),
      IntOption("proto-max-bulk-len", &ServerConfig::proto_max_bulk_len, 1024 * 1024, 512LL * 1024 * 1024, true,
                "largest bulk string a client may send"),
      IntOption("client-query-buffer-limit", &ServerConfig::client_query_buffer_limit, 1024 * 1024,
                4LL * 1024 * 1024 * 1024, true, "largest unparsed input buffered per client"),
      IntOption("client-output-buffer-limit", &ServerConfig::client_output_buffer_limit, 1024 * 1024,
                16LL * 1024 * 1024 * 1024, true, "largest pending output per client before it is disconnected"),
      TextOption("replicaof", &ServerConfig::replicaof, false, "'host port' of the master to replicate; empty = master",
                 ValidateReplicaOf),
      TextOption("masterauth", &ServerConfig::masterauth, true, "password to AUTH with at the master"),
      TextOption("replica-read-only", &ServerConfig::replica_read_only, true,
                 "yes: a replica refuses writes from clients", ValidateYesNo),
      IntOption("replica-priority", &ServerConfig::replica_priority, 0, kMaxInt, true,
                "failover preference, lower first; 0 = never promote"),
      TextOption("replication-mode", &ServerConfig::replication_mode, true,
                 "when writes are acknowledged: async | semi-sync | sync", ValidateReplicationMode),
      IntOption("min-replica-acks", &ServerConfig::min_replica_acks, 1, 1024, true,
                "replicas that must acknowledge a write in semi-sync and sync mode"),
      IntOption("replica-ack-timeout-ms", &ServerConfig::replica_ack_timeout_ms, 1, kMaxInt, true,
                "how long a semi-sync or sync write waits for acknowledgements"),
      IntOption("min-replicas-max-lag", &ServerConfig::min_replicas_max_lag, 1, kMaxInt, true,
                "seconds since its last acknowledgement after which a replica is not healthy (sync mode)"),
      IntOption("repl-timeout", &ServerConfig::repl_timeout, 1, kMaxInt, true,
                "seconds of silence after which a replication link is dropped and reconnected"),
      IntOption("slowlog-log-slower-than", &ServerConfig::slowlog_log_slower_than, -1, INT64_MAX, true,
                "SLOWLOG records commands that run at least this many microseconds; -1 = none, 0 = all"),
      IntOption("slowlog-max-len", &ServerConfig::slowlog_max_len, 0, kMaxInt, true,
                "entries SLOWLOG keeps (the oldest go first)"),
      IntOption("latency-monitor-threshold", &ServerConfig::latency_monitor_threshold, 0, INT64_MAX, true,
                "LATENCY records commands that run at least this many milliseconds; 0 = off"),
  };
}

}  // namespace

bool ParseHostPort(const std::string& text, std::string* host, uint16_t* port) {
  size_t split = text.find(' ');
  if (split == std::string::npos) split = text.rfind(':');
  if (split == std::string::npos || split == 0) return false;
  *host = text.substr(0, split);
  std::string port_text = text.substr(split + 1);
  while (!port_text.empty() && port_text.front() == ' ') port_text.erase(0, 1);
  int64_t value = 0;
  if (!ParseInt64(port_text, &value) || value <= 0 || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

const std::vector<OptionSpec>& ServerOptions() {
  static const std::vector<OptionSpec> options = BuildOptions();
  return options;
}

const OptionSpec* FindServerOption(std::string_view name) {
  for (const auto& option : ServerOptions()) {
    if (strcasecmp(option.name.c_str(), std::string(name).c_str()) == 0) return &option;
  }
  return nullptr;
}

po::options_description ServerOptionsDescription() {
  po::options_description description("kvd server options");
  description.add_options()("help,h", "show this help")("config", po::value<std::string>(),
                                                        "config file with lines 'name value' (same names as flags)");
  ServerConfig defaults;
  for (const auto& option : ServerOptions()) {
    std::string shown = option.show(defaults);
    std::string help = option.help + (shown.empty() ? "" : " (default: " + shown + ")");
    if (option.runtime) help += " [CONFIG SET]";
    description.add_options()(option.name.c_str(), po::value<std::string>(), help.c_str());
  }
  return description;
}

Result<ServerConfig> LoadServerConfig(int argc, char** argv, bool* help_requested) {
  po::options_description description = ServerOptionsDescription();
  po::variables_map flags;
  try {
    po::store(po::command_line_parser(argc, argv).options(description).run(), flags);
  } catch (const po::error& error) {
    return Status::InvalidArgument(error.what());
  }
  *help_requested = flags.count("help") > 0;
  ServerConfig config;
  if (flags.count("config")) {
    std::string path = flags["config"].as<std::string>();
    std::error_code ignored;
    config.config_file = std::filesystem::absolute(path, ignored).string();
    auto lines = ReadConfigFile(path);
    if (!lines.ok()) return lines.status();
    for (const ConfigLine& line : *lines) {
      const OptionSpec* option = FindServerOption(line.name);
      std::string where = path + " line " + std::to_string(line.line_number) + ": ";
      if (option == nullptr) return Status::InvalidArgument(where + "unknown option '" + line.name + "'");
      Status status = option->apply(config, line.value);
      if (!status.ok()) {
        return Status::InvalidArgument(where + "bad value '" + line.value + "' for '" + line.name + "': " +
                                       status.message());
      }
    }
  }
  for (const auto& option : ServerOptions()) {
    if (!flags.count(option.name)) continue;
    std::string value = flags[option.name].as<std::string>();
    Status status = option.apply(config, value);
    if (!status.ok()) {
      return Status::InvalidArgument("bad value '" + value + "' for --" + option.name + ": " + status.message());
    }
  }
  return config;
}

ServerConfig ConfigStore::Snapshot() const {
  std::lock_guard lock(mutex_);
  return config_;
}

Status ConfigStore::Set(const std::string& name, const std::string& value) {
  const OptionSpec* option = FindServerOption(name);
  if (option == nullptr) return Status::NotFound();
  if (!option->runtime) return Status::InvalidArgument("can't set immutable config");
  ServerConfig updated;
  {
    std::lock_guard lock(mutex_);
    ServerConfig candidate = config_;
    KVD_RETURN_IF_ERROR(option->apply(candidate, value));
    config_ = candidate;
    updated = candidate;
  }
  if (hook_) hook_(option->name, updated);
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> ConfigStore::Get(std::string_view pattern) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> matches;
  for (const auto& option : ServerOptions()) {
    if (GlobMatch(pattern, option.name, true)) matches.emplace_back(option.name, option.show(config_));
  }
  // Tools ask for these Redis settings: redis-benchmark for save/appendonly
  // (kvd has no RDB/AOF), job queues such as Sidekiq for the eviction policy
  // (kvd never evicts; its data lives on disk, not within a memory limit).
  static const std::pair<const char*, const char*> kCompatibility[] = {
      {"save", ""}, {"appendonly", "no"}, {"maxmemory", "0"}, {"maxmemory-policy", "noeviction"}};
  for (const auto& [name, value] : kCompatibility) {
    if (GlobMatch(pattern, name, true)) matches.emplace_back(name, value);
  }
  return matches;
}

}  // namespace kvd::server
