#include "roles/server/command_table.h"

#include <algorithm>

namespace kvd::server {

std::vector<std::string_view> FlagNames(uint32_t flags) {
  static const std::pair<CommandFlag, std::string_view> kNames[] = {
      {kWrite, "write"},       {kReadonly, "readonly"}, {kAdmin, "admin"},    {kNoScript, "noscript"},
      {kFast, "fast"},         {kNoAuth, "no_auth"},    {kPubSub, "pubsub"},  {kLoading, "loading"},
      {kStale, "stale"},       {kDenyOom, "denyoom"},   {kBlocking, "blocking"},
  };
  std::vector<std::string_view> names;
  for (const auto& [flag, name] : kNames) {
    if (flags & flag) names.push_back(name);
  }
  return names;
}

std::vector<CommandSpec> BackupCommands();  // commands/backup.cpp: SAVE BGSAVE LASTSAVE CHECKPOINT
std::vector<CommandSpec> ReplicationCommands();  // commands/replication.cpp
std::vector<CommandSpec> IntrospectionCommands();  // commands/introspection.cpp: OBJECT MEMORY SLOWLOG
std::vector<CommandSpec> BitCommands();  // commands/bitops.cpp: BITOP BITFIELD BITFIELD_RO
std::vector<CommandSpec> HyperLogLogCommands();  // commands/hyperloglog.cpp: PFADD PFCOUNT PFMERGE
std::vector<CommandSpec> SortCommands();  // commands/sort.cpp: SORT SORT_RO
std::vector<CommandSpec> DumpCommands();  // commands/dump.cpp: DUMP RESTORE MIGRATE
std::vector<CommandSpec> GeoCommands();  // commands/geo.cpp: GEOADD GEOSEARCH ...
std::vector<CommandSpec> ClusterCommands();  // commands/cluster.cpp: CLUSTER READONLY READWRITE ASKING
std::vector<CommandSpec> LatencyCommands();  // commands/latency.cpp: LATENCY

CommandTable::CommandTable() {
  for (auto family : {ConnectionCommands, ServerCommands, KeyCommands, StringCommands, HashCommands, ListCommands,
                      SetCommands, ZSetCommands, TransactionCommands, PubSubCommands, BlockingCommands,
                      BackupCommands, ReplicationCommands, IntrospectionCommands, BitCommands,
                      HyperLogLogCommands, SortCommands, DumpCommands, GeoCommands, ClusterCommands, LatencyCommands}) {
    for (const CommandSpec& spec : family()) commands_.push_back(spec);
  }
  index_.reserve(commands_.size());
  for (size_t i = 0; i < commands_.size(); ++i) {
    const CommandSpec& spec = commands_[i];
    index_.emplace(spec.name, i);
    first_slot_.push_back(stat_names_.size());
    stat_names_.emplace_back(spec.name);
    for (const SubcommandSpec& sub : spec.subcommands) {
      stat_names_.push_back(std::string(spec.name) + "|" + std::string(sub.name));
    }
  }
}

std::optional<size_t> CommandTable::StatSlot(const CommandSpec& spec, const std::vector<std::string>& args) const {
  size_t slot = first_slot_[static_cast<size_t>(&spec - commands_.data())];
  if (spec.subcommands.empty() || args.size() < 2) return slot;
  const SubcommandSpec* sub = FindSubcommand(spec, args[1]);
  if (sub == nullptr) return std::nullopt;
  return slot + 1 + static_cast<size_t>(sub - spec.subcommands.data());
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.empty() || name.size() > 32) return nullptr;
  // Every request looks its command up: ASCII case folding and one hash
  // lookup (a binary search with std::tolower was 9% of a pipelined GET's instructions).
  char lower[32];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  auto it = index_.find(std::string_view(lower, name.size()));
  return it == index_.end() ? nullptr : &commands_[it->second];
}

const SubcommandSpec* FindSubcommand(const CommandSpec& spec, std::string_view name) {
  for (const SubcommandSpec& sub : spec.subcommands) {
    if (sub.name.size() != name.size()) continue;
    bool same = std::equal(name.begin(), name.end(), sub.name.begin(), [](char a, char b) {
      return (a >= 'A' && a <= 'Z' ? static_cast<char>(a + ('a' - 'A')) : a) == b;
    });
    if (same) return &sub;
  }
  return nullptr;
}

bool ArityAllows(int arity, size_t argc) {
  int count = static_cast<int>(argc);
  return arity > 0 ? count == arity : count >= -arity;
}

std::vector<size_t> KeyIndexes(const CommandSpec& spec, const std::vector<std::string>& args) {
  if (spec.key_extractor != nullptr) return spec.key_extractor(args);
  std::vector<size_t> indexes;
  if (spec.first_key <= 0) return indexes;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  for (int i = spec.first_key; i <= last && i < argc; i += std::max(spec.key_step, 1)) indexes.push_back(i);
  return indexes;
}

const CommandTable& Commands() {
  static const CommandTable table;
  return table;
}

size_t CommandTableSize() { return Commands().StatNames().size(); }

}  // namespace kvd::server
