// What the server itself does with checkpoints besides the backup commands.
#pragma once

#include "roles/server/context.h"

namespace kvd::server {

// Removes checkpoints left by an earlier server process or unread for 30
// minutes (SAVE's is kept). Runs at start-up and before every new checkpoint.
void SweepAbandonedCheckpoints(ServerContext& server);

}  // namespace kvd::server
