// Set commands.
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {

std::vector<CommandSpec> SetCommands() { return {}; }

}  // namespace kvd::server
