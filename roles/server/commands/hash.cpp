// Hash commands.
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {

std::vector<CommandSpec> HashCommands() { return {}; }

}  // namespace kvd::server
