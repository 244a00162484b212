// The one gatekeeper: every reason a command can be refused, in order, then
// the call. Later refusals (read-only replica, pub/sub context, MULTI
// queueing, min-replicas) belong in Admit() too.
#pragma once

#include "roles/server/command_table.h"

namespace kvd::server {

// Runs ctx.args as a command and appends exactly one reply.
// Returns the command spec when it ran (for flags such as kWrite).
const CommandSpec* Dispatch(CommandContext& ctx);

}  // namespace kvd::server
