// The one gatekeeper: every reason a command can be refused, in order, then
// the call. Later refusals (read-only replica, pub/sub context, MULTI
// queueing, min-replicas) belong in Admit() too.
#pragma once

#include "roles/server/command_table.h"

namespace kvd::server {

// Runs ctx.args as a command and appends exactly one reply (inside MULTI:
// +QUEUED). Returns the command spec when it was accepted.
const CommandSpec* Dispatch(CommandContext& ctx);

// Runs an already admitted command (EXEC's queued commands).
void Execute(const CommandSpec& spec, CommandContext& ctx);

// Ends the client's transaction: forgets what MULTI queued and what WATCH
// watched (DISCARD, EXEC, and an EXEC that Dispatch refuses; commands/transaction.cpp).
void DiscardTransaction(CommandContext& ctx);

}  // namespace kvd::server
