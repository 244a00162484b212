// Blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP.
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {

std::vector<CommandSpec> BlockingCommands() { return {}; }

}  // namespace kvd::server
