// CLUSTER READONLY READWRITE ASKING: kvd is not a Redis Cluster node (its
// sharding is the proxy's, DESIGN.md), so these answer what a
// redis-server with cluster support disabled answers. Client libraries probe
// CLUSTER INFO to tell a cluster from a standalone server; an unknown-command
// error there looked like neither.
#include "roles/server/command_table.h"

namespace kvd::server {
namespace {

void ClusterDisabled(CommandContext& ctx) { ctx.reply.Error("ERR This instance has cluster support disabled"); }

}  // namespace

std::vector<CommandSpec> ClusterCommands() {
  return {
      {"cluster", -2, kNoScript | kStale, 0, 0, 0, ClusterDisabled},
      {"readonly", 1, kFast | kStale, 0, 0, 0, ClusterDisabled},
      {"readwrite", 1, kFast | kStale, 0, 0, 0, ClusterDisabled},
      {"asking", 1, kFast, 0, 0, 0, ClusterDisabled},
  };
}

}  // namespace kvd::server
