// The command table: one description per command (name, arity, flags, key
// positions, handler). It feeds the dispatcher, COMMAND INFO and key
// extraction. Each command family registers its rows from its own file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "roles/server/context.h"

namespace kvd::server {

enum CommandFlag : uint32_t {
  kWrite = 1 << 0,
  kReadonly = 1 << 1,
  kAdmin = 1 << 2,
  kNoScript = 1 << 3,
  kFast = 1 << 4,
  kNoAuth = 1 << 5,     // allowed before AUTH
  kPubSub = 1 << 6,
  kLoading = 1 << 7,
  kStale = 1 << 8,
  kDenyOom = 1 << 9,
  kNoQueue = 1 << 10,   // runs at once inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET)
  kSubscribedOk = 1 << 11,  // allowed on a RESP2 connection in subscribed mode
  kBlocking = 1 << 12,
};

using CommandHandler = void (*)(CommandContext&);

// A subcommand of a container command (CONFIG GET, CLIENT ID). The dispatcher
// refuses an unknown one or a wrong argument count before the command runs or
// is queued in MULTI, with Redis's texts.
struct SubcommandSpec {
  std::string_view name;  // lower case
  int arity;              // as CommandSpec::arity, counting the command's name and the subcommand's
};
// For commands whose keys are not at fixed positions (numkeys forms such as
// ZUNIONSTORE, LMPOP): returns the argument indexes that are keys.
using KeyExtractor = std::vector<size_t> (*)(const std::vector<std::string>& args);

struct CommandSpec {
  std::string_view name;  // lower case
  int arity;              // >0: exactly; <0: at least -arity (name included)
  uint32_t flags;
  int first_key;          // 0 = no keys
  int last_key;           // -1 = last argument
  int key_step;
  CommandHandler handler;
  KeyExtractor key_extractor = nullptr;
  std::vector<SubcommandSpec> subcommands = {};  // empty: not a container command
};

// Case-insensitive; nullptr when `spec` has no such subcommand.
const SubcommandSpec* FindSubcommand(const CommandSpec& spec, std::string_view name);
// Whether `argc` arguments (the name included) satisfy `arity`.
bool ArityAllows(int arity, size_t argc);

// The argument indexes of the keys of a command (from positions or the extractor).
std::vector<size_t> KeyIndexes(const CommandSpec& spec, const std::vector<std::string>& args);

std::vector<std::string_view> FlagNames(uint32_t flags);

// Each family file defines one of these.
std::vector<CommandSpec> ConnectionCommands();
std::vector<CommandSpec> ServerCommands();
std::vector<CommandSpec> KeyCommands();
std::vector<CommandSpec> StringCommands();
std::vector<CommandSpec> HashCommands();
std::vector<CommandSpec> ListCommands();
std::vector<CommandSpec> SetCommands();
std::vector<CommandSpec> ZSetCommands();
std::vector<CommandSpec> TransactionCommands();
std::vector<CommandSpec> PubSubCommands();
std::vector<CommandSpec> BlockingCommands();

// INFO's replication section (commands/replication.cpp).
std::vector<std::pair<std::string, std::string>> ReplicationInfo(ServerContext& server);

class CommandTable {
 public:
  CommandTable();
  // Case-insensitive; nullptr when unknown.
  const CommandSpec* Find(std::string_view name) const;
  // Per-command counters (INFO commandstats) have one slot per command and
  // one per subcommand, named as Redis names them ("get", "config|get").
  // A container command called without a subcommand counts in its own slot;
  // with an unknown one in none (nullopt), as in Redis.
  std::optional<size_t> StatSlot(const CommandSpec& spec, const std::vector<std::string>& args) const;
  const std::vector<std::string>& StatNames() const { return stat_names_; }
  const std::vector<CommandSpec>& all() const { return commands_; }

 private:
  std::vector<CommandSpec> commands_;
  // Lower-case name -> position in commands_; the names are the specs' own (static) strings.
  std::unordered_map<std::string_view, size_t> index_;
  std::vector<size_t> first_slot_;  // per command: its stat slot; its subcommands' follow
  std::vector<std::string> stat_names_;
};

const CommandTable& Commands();

}  // namespace kvd::server
