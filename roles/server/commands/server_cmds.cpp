// Server commands: INFO DBSIZE FLUSHDB FLUSHALL CONFIG TIME SHUTDOWN COMMAND (LASTSAVE is in backup.cpp).
#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>

#include "common/config_file.h"
#include "common/file_util.h"
#include "common/glob.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "common/redis_errors.h"
#include "common/version.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string HumanBytes(uint64_t bytes) {
  char buffer[32];
  if (bytes >= (1ULL << 30)) {
    std::snprintf(buffer, sizeof(buffer), "%.2fG", static_cast<double>(bytes) / (1ULL << 30));
  } else if (bytes >= (1ULL << 20)) {
    std::snprintf(buffer, sizeof(buffer), "%.2fM", static_cast<double>(bytes) / (1ULL << 20));
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.2fK", static_cast<double>(bytes) / 1024);
  }
  return buffer;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields ServerSection(ServerContext& server) {
  uint64_t uptime_s = (server.engine.NowMs() - server.start_time_ms) / 1000;
  return {{"redis_version", kRedisCompatVersion},
          {"kvd_version", kKvdVersion},
          {"rocksdb_version", storage::RocksDbVersion()},
          {"rocksdb_build", storage::RocksDbBuild()},
          {"redis_mode", "standalone"},
          {"os", "Linux"},
          {"arch_bits", "64"},
          {"process_id", std::to_string(getpid())},
          {"run_id", server.run_id},
          {"tcp_port", std::to_string(server.port)},
          {"uptime_in_seconds", std::to_string(uptime_s)},
          {"uptime_in_days", std::to_string(uptime_s / 86400)},
          {"executable", server.executable},
          {"config_file", server.config_file}};
}

Fields ClientsSection(ServerContext& server) {
  return {{"connected_clients", std::to_string(server.clients.Count())},
          {"maxclients", std::to_string(server.config.Snapshot().maxclients)},
          {"blocked_clients", std::to_string(server.blocking.blocked_clients())},
          {"tracking_clients", "0"}};
}

Fields MemorySection(ServerContext& server) {
  uint64_t rss = ResidentBytes();
  uint64_t engine = server.engine.ApproximateMemoryUsage();
  return {{"used_memory", std::to_string(rss)},
          {"used_memory_human", HumanBytes(rss)},
          {"used_memory_rss", std::to_string(rss)},
          {"used_memory_rss_human", HumanBytes(rss)},
          {"used_memory_engine", std::to_string(engine)},
          {"maxmemory", "0"},
          {"maxmemory_policy", "noeviction"}};
}

Fields PersistenceSection(ServerContext& server) {
  Fields fields{{"loading", "0"},
          {"rdb_changes_since_last_save", "0"},
          {"rdb_last_save_time", std::to_string(server.start_time_ms / 1000)},
          {"aof_enabled", "0"},
          {"fsync", storage::FsyncPolicyName(server.engine.fsync_policy())},
          {"disk_usage", std::to_string(server.engine.ApproximateDiskUsage())}};
  auto binlog = server.engine.Binlog();
  if (binlog.ok()) {
    fields.insert(fields.end(), {{"binlog_first_seq", std::to_string(binlog->first_sequence)},
                                 {"binlog_last_seq", std::to_string(binlog->last_sequence)},
                                 {"binlog_size", std::to_string(binlog->bytes)},
                                 {"binlog_files", std::to_string(binlog->files)}});
  }
  return fields;
}

Fields StatsSection(ServerContext& server) {
  const Stats& stats = server.stats;
  return {{"total_connections_received", std::to_string(stats.connections())},
          {"total_commands_processed", std::to_string(stats.commands())},
          {"instantaneous_ops_per_sec", std::to_string(stats.ops_per_sec())},
          {"total_net_input_bytes", std::to_string(stats.input_bytes())},
          {"total_net_output_bytes", std::to_string(stats.output_bytes())},
          {"rejected_connections", std::to_string(stats.rejected())},
          {"expired_keys", std::to_string(server.sweeper.expired_keys())},
          {"evicted_keys", "0"},
          {"keyspace_hits", std::to_string(stats.hits())},
          {"keyspace_misses", std::to_string(stats.misses())},
          {"pubsub_channels", std::to_string(server.pubsub.ChannelCount())},
          {"pubsub_patterns", std::to_string(server.pubsub.PatternCount())},
          {"unexpected_error_replies", "0"},  // Redis counts errors from AOF loading and replication here
          {"total_error_replies", std::to_string(server.command_stats.TotalErrorReplies())}};
}

// Per command and subcommand (cmdstat_config|get), as Redis 7.0 prints them.
Fields CommandStatsSection(ServerContext& server) {
  Fields fields;
  const std::vector<std::string>& names = Commands().StatNames();
  std::vector<CommandStats::Totals> totals = server.command_stats.Commands();
  for (size_t i = 0; i < names.size(); ++i) {
    const CommandStats::Totals& t = totals[i];
    if (t.calls == 0 && t.rejected == 0 && t.failed == 0) continue;
    char per_call[32];
    std::snprintf(per_call, sizeof(per_call), "%.2f", t.calls == 0 ? 0.0 : static_cast<double>(t.micros) / t.calls);
    fields.emplace_back("cmdstat_" + names[i],
                        "calls=" + std::to_string(t.calls) + ",usec=" + std::to_string(t.micros) +
                            ",usec_per_call=" + per_call + ",rejected_calls=" + std::to_string(t.rejected) +
                            ",failed_calls=" + std::to_string(t.failed));
  }
  return fields;
}

Fields ErrorStatsSection(ServerContext& server) {
  Fields fields;
  for (const auto& [code, count] : server.command_stats.Errors()) {
    fields.emplace_back("errorstat_" + code, "count=" + std::to_string(count));
  }
  return fields;
}

Fields ReplicationSection(ServerContext& server) { return ReplicationInfo(server); }

Fields CpuSection() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%ld.%06ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
    return std::string(buffer);
  };
  return {{"used_cpu_sys", seconds(usage.ru_stime)}, {"used_cpu_user", seconds(usage.ru_utime)}};
}

Result<Fields> KeyspaceSection(ServerContext& server) {
  Fields fields;
  for (int db = 0; db < server.engine.databases(); ++db) {
    auto counts = server.key_counts.Counts(static_cast<uint8_t>(db));
    if (!counts.ok()) return counts.status();
    if (counts->keys == 0) continue;
    fields.emplace_back("db" + std::to_string(db), "keys=" + std::to_string(counts->keys) +
                                                       ",expires=" + std::to_string(counts->expires) +
                                                       ",avg_ttl=" + std::to_string(counts->avg_ttl_ms));
  }
  return fields;
}

void Info(CommandContext& ctx) {
  struct Section {
    const char* name;
    const char* title;
    bool in_default;  // commandstats only when named, or with "all"/"everything"
  };
  static const Section kSections[] = {
      {"server", "Server", true},        {"clients", "Clients", true},         {"memory", "Memory", true},
      {"persistence", "Persistence", true}, {"stats", "Stats", true},         {"replication", "Replication", true},
      {"cpu", "CPU", true},              {"commandstats", "Commandstats", false}, {"errorstats", "Errorstats", true},
      {"cluster", "Cluster", true},      {"keyspace", "Keyspace", true}};
  std::vector<std::string> wanted;
  for (size_t i = 1; i < ctx.args.size(); ++i) wanted.push_back(ToLower(ctx.args[i]));
  auto named = [&](const char* name) { return std::find(wanted.begin(), wanted.end(), name) != wanted.end(); };
  bool all = named("all") || named("everything");
  bool defaults = wanted.empty() || all || named("default");
  std::string text;
  for (const Section& section : kSections) {
    if (!(all || (defaults && section.in_default) || named(section.name))) continue;
    std::string name = section.name;
    Fields fields;
    if (name == "server") fields = ServerSection(ctx.server);
    if (name == "clients") fields = ClientsSection(ctx.server);
    if (name == "memory") fields = MemorySection(ctx.server);
    if (name == "persistence") fields = PersistenceSection(ctx.server);
    if (name == "stats") fields = StatsSection(ctx.server);
    if (name == "replication") fields = ReplicationSection(ctx.server);
    if (name == "cpu") fields = CpuSection();
    if (name == "commandstats") fields = CommandStatsSection(ctx.server);
    if (name == "errorstats") fields = ErrorStatsSection(ctx.server);
    if (name == "cluster") fields = {{"cluster_enabled", "0"}};  // clients check this before using CLUSTER commands
    if (name == "keyspace") {
      auto keyspace = KeyspaceSection(ctx.server);
      if (!keyspace.ok()) return ctx.ReplyError(keyspace.status());
      fields = std::move(*keyspace);
    }
    if (!text.empty()) text += "\r\n";
    text += std::string("# ") + section.title + "\r\n";
    for (const auto& [key, value] : fields) text += key + ":" + value + "\r\n";
  }
  ctx.reply.Verbatim(text);
}

// Counting scans the database's keys (0.3-0.8 s per 2,000,000 here). A
// database larger than one window is counted on the background thread, so
// that the other clients of this io thread are not stalled meanwhile; inside
// EXEC the count stays inline, part of the transaction.
constexpr size_t kInlineCountKeys = 50000;

void DbSize(CommandContext& ctx) {
  storage::PartialCount count;
  Status counted = ctx.server.keyspace.CountWindow(ctx.db(), kInlineCountKeys, &count);
  if (counted.ok() && !count.next.empty() && ctx.in_exec) {
    counted = ctx.server.keyspace.CountWindow(ctx.db(), SIZE_MAX, &count);
  }
  if (!counted.ok()) return ctx.ReplyError(counted);
  if (count.next.empty()) return ctx.reply.Integer(static_cast<int64_t>(count.keys));
  ctx.background_reply = [&keyspace = ctx.server.keyspace, db = ctx.db()](protocol::RespWriter& reply) {
    auto counts = keyspace.Count(db);  // afresh: one snapshot, not two windows' worth of them
    if (!counts.ok()) return WriteStatusError(reply, counts.status());
    reply.Integer(static_cast<int64_t>(counts->keys));
  };
}

bool FlushModeOk(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.ReplySyntaxError();
    return false;
  }
  if (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "ASYNC") && !EqualsIgnoreCase(ctx.args[1], "SYNC")) {
    ctx.ReplySyntaxError();
    return false;
  }
  return true;
}

void FlushDb(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return;
  Status status = ctx.server.keyspace.FlushDb(ctx.db());
  if (!status.ok()) return ctx.ReplyError(status);
  ctx.server.key_counts.Forget(ctx.db());
  ctx.reply.Ok();
}

void FlushAll(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return;
  Status status = ctx.server.keyspace.FlushAll();
  if (!status.ok()) return ctx.ReplyError(status);
  ctx.server.key_counts.ForgetAll();
  ctx.reply.Ok();
}

void ConfigHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern> [<pattern> ...]",
      "    Return the options matching the glob-like <pattern> and their values.",
      "SET <option> <value> [<option> <value> ...]",
      "    Set options to values; only the ones that are runtime-changeable (kvd server --help).",
      "RESETSTAT",
      "    Reset the statistics reported by INFO.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help.",
  });
}

// The config file with the current value of every option, as Redis's CONFIG
// REWRITE writes it; replicaof is this server's role now (REPLICAOF changes
// it at run time), so a restart keeps following the same master.
void ConfigRewrite(CommandContext& ctx) {
  const std::string& path = ctx.server.config_file;
  if (path.empty()) return ctx.reply.Error("ERR The server is running without a config file");
  ServerConfig current = ctx.server.config.Snapshot();
  auto link = ctx.server.replication.Link();
  current.replicaof = link ? link->host + " " + std::to_string(link->port) : "";
  const ServerConfig defaults;
  std::vector<ConfigSetting> settings;
  for (const OptionSpec& option : ServerOptions()) {
    std::string value = option.show(current);
    settings.push_back({option.name, value, value == option.show(defaults)});
  }
  auto original = ReadWholeFile(path);
  if (!original.ok() && !original.status().Is(Status::Code::kNotFound)) {
    return ctx.reply.Error("ERR Rewriting config file: " + original.status().message());
  }
  auto rewritten = RewriteConfigText(original.ok() ? *original : std::string(), settings);
  if (!rewritten.ok()) return ctx.reply.Error("ERR Rewriting config file: " + rewritten.status().message());
  Status written = WriteFileAtomically(path, *rewritten);
  if (!written.ok()) return ctx.reply.Error("ERR Rewriting config file: " + written.message());
  KVD_LOG(kNotice) << "CONFIG REWRITE executed with success";
  ctx.reply.Ok();
}

// The dispatcher has checked the subcommand and its argument count (the rows below).
void Config(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "GET")) {
    std::vector<std::pair<std::string, std::string>> all;
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      for (auto& entry : ctx.server.config.Get(ctx.args[i])) {
        bool seen = std::any_of(all.begin(), all.end(), [&](const auto& e) { return e.first == entry.first; });
        if (!seen) all.push_back(std::move(entry));
      }
    }
    ctx.reply.MapHeader(all.size());
    for (const auto& [name, value] : all) {
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(value);
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "SET")) {
    if (ctx.args.size() % 2 != 0) return ctx.ReplySyntaxError();  // an option without its value
    // Validate everything first so a bad pair changes nothing.
    for (size_t i = 2; i < ctx.args.size(); i += 2) {
      const OptionSpec* option = FindServerOption(ctx.args[i]);
      if (option == nullptr) {
        return ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" + ctx.args[i] + "'");
      }
      if (!option->runtime) {
        return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" + ctx.args[i] +
                               "') - can't set immutable config");
      }
      for (size_t earlier = 2; earlier < i; earlier += 2) {
        if (FindServerOption(ctx.args[earlier]) == option) {
          return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" + ctx.args[i] +
                                 "') - duplicate parameter");
        }
      }
      ServerConfig scratch;
      Status valid = option->apply(scratch, ctx.args[i + 1]);
      if (!valid.ok()) {
        return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" + ctx.args[i] + "') - " +
                               valid.message());
      }
    }
    for (size_t i = 2; i < ctx.args.size(); i += 2) {
      Status status = ctx.server.config.Set(ctx.args[i], ctx.args[i + 1]);
      if (!status.ok()) return ctx.reply.Error("ERR CONFIG SET failed - " + status.message());
    }
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(sub, "RESETSTAT")) {
    ctx.server.stats.Reset();
    ctx.server.command_stats.Reset();
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(sub, "REWRITE")) return ConfigRewrite(ctx);
  if (EqualsIgnoreCase(sub, "HELP")) return ConfigHelp(ctx);
  ctx.reply.Error("ERR unknown subcommand '" + sub + "'. Try CONFIG HELP.");
}

void Time(CommandContext& ctx) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(FormatInt64(micros / 1000000));
  ctx.reply.Bulk(FormatInt64(micros % 1000000));
}

void Shutdown(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    const std::string& option = ctx.args[i];
    if (EqualsIgnoreCase(option, "ABORT")) return ctx.reply.Error("ERR No shutdown in progress.");
    if (!EqualsIgnoreCase(option, "NOSAVE") && !EqualsIgnoreCase(option, "SAVE") &&
        !EqualsIgnoreCase(option, "NOW") && !EqualsIgnoreCase(option, "FORCE")) {
      return ctx.ReplySyntaxError();
    }
  }
  // Every acknowledged write is already in RocksDB; the engine flushes on close.
  ctx.close_after_reply = true;
  ctx.server.request_shutdown();
}

void WriteCommandInfo(CommandContext& ctx, const CommandSpec& spec) {
  ctx.reply.ArrayHeader(10);
  ctx.reply.Bulk(spec.name);
  ctx.reply.Integer(spec.arity);
  auto flags = FlagNames(spec.flags);
  ctx.reply.SetHeader(flags.size());
  for (auto flag : flags) ctx.reply.SimpleString(flag);
  ctx.reply.Integer(spec.first_key);
  ctx.reply.Integer(spec.last_key);
  ctx.reply.Integer(spec.key_step);
  for (int i = 0; i < 3; ++i) ctx.reply.ArrayHeader(0);  // acl categories, tips, key specs
  ctx.reply.ArrayHeader(spec.subcommands.size());
  for (const SubcommandSpec& sub : spec.subcommands) {
    // As Redis: "container|sub", with the container's flags and keys here.
    ctx.reply.ArrayHeader(10);
    ctx.reply.Bulk(std::string(spec.name) + "|" + std::string(sub.name));
    ctx.reply.Integer(sub.arity);
    ctx.reply.SetHeader(flags.size());
    for (auto flag : flags) ctx.reply.SimpleString(flag);
    bool keyed = spec.first_key != 0 && sub.arity != 2;  // OBJECT/MEMORY: the key follows the subcommand
    ctx.reply.Integer(keyed ? spec.first_key : 0);
    ctx.reply.Integer(keyed ? spec.last_key : 0);
    ctx.reply.Integer(keyed ? spec.key_step : 0);
    for (int i = 0; i < 4; ++i) ctx.reply.ArrayHeader(0);
  }
}

// COMMAND LIST [FILTERBY MODULE <name> | ACLCAT <category> | PATTERN <glob>]:
// commands and, as in Redis, their subcommands ("config|get"). kvd has no modules and no ACL categories, so those filters match nothing.
void CommandList(CommandContext& ctx, const std::vector<CommandSpec>& all) {
  std::optional<std::string_view> pattern;
  if (ctx.args.size() != 2) {
    if (ctx.args.size() != 5 || !EqualsIgnoreCase(ctx.args[2], "FILTERBY")) return ctx.ReplySyntaxError();
    const std::string& filter = ctx.args[3];
    if (EqualsIgnoreCase(filter, "MODULE") || EqualsIgnoreCase(filter, "ACLCAT")) return ctx.reply.ArrayHeader(0);
    if (!EqualsIgnoreCase(filter, "PATTERN")) return ctx.ReplySyntaxError();
    pattern = ctx.args[4];
  }
  std::vector<std::string> names;
  auto add = [&](std::string name) {
    if (!pattern || GlobMatch(*pattern, name, true)) names.push_back(std::move(name));
  };
  for (const auto& spec : all) {
    add(std::string(spec.name));
    for (const SubcommandSpec& sub : spec.subcommands) add(std::string(spec.name) + "|" + std::string(sub.name));
  }
  ReplyBulks(ctx, names);
}

void CommandHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands.",
      "INFO [<command-name> ...]",
      "    Return details about the named commands, or all of them.",
      "DOCS [<command-name> ...]",
      "    Return documentation entries for the named commands, or all of them (kvd's are empty).",
      "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <glob>)]",
      "    Return the names of all commands, or of those matching the filter.",
      "GETKEYS <full-command>",
      "    Return the keys of a full command.",
      "HELP",
      "    Print this help.",
  });
}

void CommandCmd(CommandContext& ctx) {
  const auto& all = Commands().all();
  if (ctx.args.size() == 1) {
    ctx.reply.ArrayHeader(all.size());
    for (const auto& spec : all) WriteCommandInfo(ctx, spec);
    return;
  }
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "COUNT")) return ctx.reply.Integer(static_cast<int64_t>(all.size()));
  if (EqualsIgnoreCase(sub, "INFO")) {
    if (ctx.args.size() == 2) {
      ctx.reply.ArrayHeader(all.size());
      for (const auto& spec : all) WriteCommandInfo(ctx, spec);
      return;
    }
    ctx.reply.ArrayHeader(ctx.args.size() - 2);
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      const CommandSpec* spec = Commands().Find(ctx.args[i]);
      spec ? WriteCommandInfo(ctx, *spec) : ctx.reply.NullBulk();  // Redis answers a null bulk here
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "DOCS")) {
    // Minimal docs: a summary-less entry per requested (or every) command.
    std::vector<const CommandSpec*> specs;
    if (ctx.args.size() == 2) {
      for (const auto& spec : all) specs.push_back(&spec);
    } else {
      for (size_t i = 2; i < ctx.args.size(); ++i) {
        if (const CommandSpec* spec = Commands().Find(ctx.args[i])) specs.push_back(spec);
      }
    }
    ctx.reply.MapHeader(specs.size());
    for (const CommandSpec* spec : specs) {
      ctx.reply.Bulk(spec->name);
      ctx.reply.MapHeader(0);
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "LIST")) return CommandList(ctx, all);
  if (EqualsIgnoreCase(sub, "GETKEYS")) {
    const CommandSpec* spec = Commands().Find(ctx.args[2]);
    if (spec == nullptr) return ctx.reply.Error("ERR Invalid command specified");
    if (spec->first_key == 0 && spec->key_extractor == nullptr) {
      return ctx.reply.Error("ERR The command has no key arguments");
    }
    std::vector<std::string> command(ctx.args.begin() + 2, ctx.args.end());
    std::vector<std::string> keys;
    for (size_t index : KeyIndexes(*spec, command)) keys.push_back(command[index]);
    if (keys.empty()) return ctx.reply.Error("ERR Invalid arguments specified for command");
    return ReplyBulks(ctx, keys);
  }
  if (EqualsIgnoreCase(sub, "HELP")) return CommandHelp(ctx);
  ctx.reply.Error("ERR unknown subcommand '" + sub + "'. Try COMMAND HELP.");
}

}  // namespace

std::vector<CommandSpec> ServerCommands() {
  return {
      {"info", -1, kLoading | kStale, 0, 0, 0, Info},
      {"dbsize", 1, kReadonly | kFast, 0, 0, 0, DbSize},
      {"flushdb", -1, kWrite, 0, 0, 0, FlushDb},
      {"flushall", -1, kWrite, 0, 0, 0, FlushAll},
      {"config", -2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, Config, nullptr,
       {{"get", -3}, {"set", -4}, {"resetstat", 2}, {"rewrite", 2}, {"help", 2}}},
      {"time", 1, kFast | kLoading | kStale, 0, 0, 0, Time},
      {"shutdown", -1, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, Shutdown},
      {"command", -1, kLoading | kStale, 0, 0, 0, CommandCmd, nullptr,
       {{"count", 2}, {"info", -2}, {"docs", -2}, {"list", -2}, {"getkeys", -4}, {"help", 2}}},
  };
}

}  // namespace kvd::server
