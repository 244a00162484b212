// Replication commands: REPLICAOF/SLAVEOF, ROLE, WAIT, and the ones a kvd
// replica sends its master: REPLCONF and PSYNC (SYNC, the pre-PSYNC form that
// expects an RDB payload, is refused: kvd replicas fetch checkpoints instead).
#include <algorithm>
#include <chrono>

#include "common/clock.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

void ReplicaOf(CommandContext& ctx) {
  auto& replication = ctx.server.replication;
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    replication.BecomeMaster();
    return ctx.reply.Ok();
  }
  int64_t port = 0;
  if (!ParseIntArg(ctx, 2, &port)) return;
  if (port <= 0 || port > 65535) return ctx.reply.Error("ERR Invalid master port");
  auto link = replication.Link();
  if (link && link->host == ctx.args[1] && link->port == port) {
    return ctx.reply.SimpleString("OK Already connected to specified master");
  }
  Status started = FollowMaster(ctx.server, ctx.args[1], static_cast<uint16_t>(port));
  if (!started.ok()) return ctx.ReplyError(started);
  ctx.reply.Ok();
}

// FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT, with Redis's
// order of checks and texts; the work runs on (roles/server/failover.h).
void FailoverCmd(CommandContext& ctx) {
  Failover& failover = ctx.server.failover;
  if (ctx.args.size() == 2 && EqualsIgnoreCase(ctx.args[1], "ABORT")) {
    if (!failover.Abort()) return ctx.reply.Error("ERR No failover in progress.");
    return ctx.reply.Ok();
  }
  replication::FailoverPlan plan;
  int64_t timeout_ms = 0, port = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    const std::string& option = ctx.args[i];
    if (EqualsIgnoreCase(option, "TIMEOUT") && i + 1 < ctx.args.size() && timeout_ms == 0) {
      if (!ParseIntArg(ctx, ++i, &timeout_ms)) return;
      if (timeout_ms <= 0) return ctx.reply.Error("ERR FAILOVER timeout must be greater than 0");
    } else if (EqualsIgnoreCase(option, "TO") && i + 2 < ctx.args.size() && !plan.target_host) {
      if (!ParseIntArg(ctx, i + 2, &port)) return;
      plan.target_host = ctx.args[i + 1];
      i += 2;
    } else if (EqualsIgnoreCase(option, "FORCE") && !plan.force) {
      plan.force = true;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (failover.InProgress()) return ctx.reply.Error("ERR FAILOVER already in progress.");
  if (ctx.server.replication.IsReplica()) return ctx.reply.Error("ERR FAILOVER is not valid when server is a replica.");
  auto replicas = ctx.server.replication.master().Replicas();
  if (replicas.empty()) return ctx.reply.Error("ERR FAILOVER requires connected replicas.");
  if (plan.force && (timeout_ms == 0 || !plan.target_host)) {
    return ctx.reply.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
  }
  if (plan.target_host) {
    plan.target_port = static_cast<uint16_t>(port);
    bool known = std::any_of(replicas.begin(), replicas.end(), [&](const replication::ReplicaView& replica) {
      return replica.ip == *plan.target_host && replica.port == port;
    });
    if (!known) return ctx.reply.Error("ERR FAILOVER target HOST and PORT is not a replica.");
  }
  if (timeout_ms != 0) plan.deadline_ms = ctx.server.engine.NowMs() + static_cast<uint64_t>(timeout_ms);
  KVD_LOG(kNotice) << "FAILOVER requested to "
                   << (plan.target_host ? *plan.target_host + ":" + std::to_string(port) : "any replica");
  failover.Start(std::move(plan));
  ctx.reply.Ok();
}

void Role(CommandContext& ctx) {
  auto& replication = ctx.server.replication;
  uint64_t offset = ctx.server.engine.LatestSequence();
  if (auto link = replication.Link()) {
    ctx.reply.ArrayHeader(5);
    ctx.reply.Bulk("slave");
    ctx.reply.Bulk(link->host);
    ctx.reply.Integer(link->port);
    ctx.reply.Bulk(link->state);
    ctx.reply.Integer(static_cast<int64_t>(offset));
    return;
  }
  auto replicas = replication.master().Replicas();
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(static_cast<int64_t>(offset));
  ctx.reply.ArrayHeader(replicas.size());
  for (const auto& replica : replicas) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(replica.ip);
    ctx.reply.Bulk(std::to_string(replica.port));
    ctx.reply.Bulk(std::to_string(replica.acked));
  }
}

void ReplConf(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) return ctx.ReplySyntaxError();
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    if (EqualsIgnoreCase(ctx.args[i], "listening-port")) {
      int64_t port = 0;
      if (!ParseIntArg(ctx, i + 1, &port)) return;
      if (port < 0 || port > 65535) return ctx.reply.Error("ERR Invalid listening port");
      ctx.client.session.replica_listening_port = static_cast<uint16_t>(port);
    } else if (EqualsIgnoreCase(ctx.args[i], "ack") || EqualsIgnoreCase(ctx.args[i], "getack")) {
      return;  // only meaningful on a replication link, which does not come through here; no reply
    }
    // capa, ip-address and others: accepted and ignored, as Redis does for unknown capabilities.
  }
  ctx.reply.Ok();
}

void Psync(CommandContext& ctx) {
  int64_t next = 0;
  if (!ParseIntArg(ctx, 2, &next)) return;
  auto& replication = ctx.server.replication;
  std::string requested = ctx.args[1] == "?" ? "" : ctx.args[1];
  replication::PsyncDecision decision =
      replication.DecidePsync(requested, next < 0 ? 0 : static_cast<uint64_t>(next));
  std::string replid = replication.identity().replid;
  if (decision.partial) {
    ctx.hand_off = CommandContext::ReplicaHandOff{static_cast<uint64_t>(next), "+CONTINUE " + replid + "\r\n"};
    return;
  }
  std::string answer = "FULLRESYNC " + replid + " " + std::to_string(ctx.server.engine.LatestSequence());
  if (decision.diverged_after) answer += " " + std::to_string(*decision.diverged_after);
  ctx.reply.SimpleString(answer);
}

void Sync(CommandContext& ctx) {
  ctx.reply.Error("ERR SYNC is not supported: kvd replicas use PSYNC and fetch a checkpoint");
}

void Wait(CommandContext& ctx) {
  int64_t needed = 0, timeout = 0;
  if (!ParseIntArg(ctx, 1, &needed)) return;
  if (!ParseInt64(ctx.args[2], &timeout)) return ctx.reply.Error("ERR timeout is not an integer or out of range");
  if (timeout < 0) return ctx.reply.Error("ERR timeout is negative");
  if (ctx.server.replication.IsReplica()) {
    return ctx.reply.Error("ERR WAIT cannot be used with replica instances. Please also note that writes to replicas "
                           "are just local and are not propagated.");
  }
  if (ctx.in_exec) {  // cannot block inside EXEC: answer with what is acknowledged now
    auto acked = ctx.server.replication.master().AckedAtLeast(ctx.server.engine.LatestSequence());
    return ctx.reply.Integer(static_cast<int64_t>(acked));
  }
  // The sequence is taken once this pass's writes are committed (see Connection).
  ctx.wait_replicas = CommandContext::ReplicaWait{0, static_cast<size_t>(std::max<int64_t>(needed, 0)),
                                                  static_cast<uint64_t>(timeout)};
}

}  // namespace

std::vector<CommandSpec> ReplicationCommands() {
  return {
      {"replicaof", 3, kAdmin | kNoScript | kStale, 0, 0, 0, ReplicaOf},
      {"slaveof", 3, kAdmin | kNoScript | kStale, 0, 0, 0, ReplicaOf},
      {"role", 1, kNoScript | kLoading | kStale | kFast, 0, 0, 0, Role},
      {"replconf", -1, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, ReplConf},
      {"psync", -3, kAdmin | kNoScript, 0, 0, 0, Psync},
      {"sync", 1, kAdmin | kNoScript, 0, 0, 0, Sync},
      {"wait", 3, kNoScript, 0, 0, 0, Wait},
      {"failover", -1, kAdmin | kNoScript | kStale, 0, 0, 0, FailoverCmd},
  };
}

// INFO replication, as Redis names the fields.
std::vector<std::pair<std::string, std::string>> ReplicationInfo(ServerContext& server) {
  auto& replication = server.replication;
  ServerConfig config = server.config.Snapshot();
  uint64_t offset = server.engine.LatestSequence();
  replication::Identity identity = replication.identity();
  std::vector<std::pair<std::string, std::string>> fields;
  auto link = replication.Link();
  if (link) {
    uint64_t now = SystemClock::Instance()->NowMs();
    fields = {{"role", "slave"},
              {"master_host", link->host},
              {"master_port", std::to_string(link->port)},
              {"master_link_status", link->up ? "up" : "down"},
              {"master_last_io_seconds_ago",
               link->last_io_ms == 0 ? "-1" : std::to_string((now - std::min(now, link->last_io_ms)) / 1000)},
              {"master_sync_in_progress", link->sync_in_progress ? "1" : "0"},
              {"slave_read_repl_offset", std::to_string(offset)},
              {"slave_repl_offset", std::to_string(offset)},
              {"slave_priority", std::to_string(config.replica_priority)},
              {"slave_read_only", config.replica_read_only == "yes" ? "1" : "0"},
              {"replica_announced", "1"}};
  } else {
    fields = {{"role", "master"}};
  }
  fields.emplace_back("master_failover_state", server.failover.StateName());
  auto replicas = replication.master().Replicas();
  fields.emplace_back("connected_slaves", std::to_string(replicas.size()));
  uint64_t now = SystemClock::Instance()->NowMs();
  for (size_t i = 0; i < replicas.size(); ++i) {
    const auto& replica = replicas[i];
    uint64_t lag = (now - std::min(now, replica.last_ack_ms)) / 1000;
    fields.emplace_back("slave" + std::to_string(i), "ip=" + replica.ip + ",port=" + std::to_string(replica.port) +
                                                         ",state=online,offset=" + std::to_string(replica.acked) +
                                                         ",lag=" + std::to_string(lag));
  }
  fields.emplace_back("master_replid", identity.replid);
  fields.emplace_back("master_replid2", identity.replid2.empty() ? std::string(40, '0') : identity.replid2);
  fields.emplace_back("master_repl_offset", std::to_string(offset));
  fields.emplace_back("second_repl_offset", identity.replid2.empty() ? "-1" : std::to_string(identity.replid2_last + 1));
  fields.emplace_back("replication_mode", config.replication_mode);
  fields.emplace_back("min_replica_acks", std::to_string(config.min_replica_acks));
  fields.emplace_back("semi_sync_fallback_active", replication.SemiSyncDegraded() ? "1" : "0");
  fields.emplace_back("semi_sync_timeouts", std::to_string(replication.semi_sync_timeouts()));
  fields.emplace_back("sync_unknown_outcomes", std::to_string(replication.sync_unknown_outcomes()));
  return fields;
}

}  // namespace kvd::server
