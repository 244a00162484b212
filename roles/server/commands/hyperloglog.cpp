// PFADD, PFCOUNT, PFMERGE: HyperLogLog counting in Redis's string layout
// (storage/types/hyperloglog.h), so the estimates equal Redis's.
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

void PfAdd(CommandContext& ctx) {
  auto changed = ctx.server.strings.PfAdd(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!changed.ok()) return ctx.ReplyError(changed.status());
  ctx.reply.Integer(*changed ? 1 : 0);
}

void PfCount(CommandContext& ctx) {
  auto count = ctx.server.strings.PfCount(ctx.db(), ArgViews(ctx.args, 1));
  if (!count.ok()) return ctx.ReplyError(count.status());
  ctx.reply.Integer(static_cast<int64_t>(*count));
}

void PfMerge(CommandContext& ctx) {
  Status merged = ctx.server.strings.PfMerge(ctx.db(), ctx.args[1], ArgViews(ctx.args, 2));
  if (!merged.ok()) return ctx.ReplyError(merged);
  ctx.reply.Ok();
}

}  // namespace

std::vector<CommandSpec> HyperLogLogCommands() {
  return {
      {"pfadd", -2, kWrite | kDenyOom | kFast, 1, 1, 1, PfAdd},
      {"pfcount", -2, kReadonly, 1, -1, 1, PfCount},
      {"pfmerge", -2, kWrite | kDenyOom, 1, -1, 1, PfMerge},
  };
}

}  // namespace kvd::server
