// List commands.
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {

std::vector<CommandSpec> ListCommands() { return {}; }

}  // namespace kvd::server
