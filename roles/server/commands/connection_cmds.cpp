// Connection commands: PING ECHO QUIT SELECT AUTH HELLO CLIENT.
#include <cctype>
#include <optional>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "protocol/hello_reply.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

void Ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) return ctx.ReplyWrongArgs();
  if (ctx.client.session.subscribed_any() && !ctx.reply.resp3()) {
    // A subscribed RESP2 connection gets PING's answer in the shape of a message.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : "");
    return;
  }
  if (ctx.args.size() == 2) return ctx.reply.Bulk(ctx.args[1]);
  ctx.reply.SimpleString("PONG");
}

void Echo(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

void Quit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.close_after_reply = true;
}

void Select(CommandContext& ctx) {
  uint8_t db = 0;
  if (!ParseDbIndexArg(ctx, 1, &db, errors::kDbIndexOutOfRange)) return;
  ctx.client.db.store(db, std::memory_order_relaxed);
  ctx.reply.Ok();
}

// Checks a password for the default user; replies the error itself.
bool CheckPassword(CommandContext& ctx, std::string_view user, std::string_view password, bool user_given) {
  std::string required = ctx.server.config.Snapshot().requirepass;
  if (required.empty() && !user_given) {
    ctx.reply.Error(errors::kAuthNotConfigured);
    return false;
  }
  if (!EqualsIgnoreCase(user, "default") || (!required.empty() && password != required)) {
    ctx.reply.Error(errors::kWrongPass);
    return false;
  }
  ctx.client.authenticated.store(true);
  return true;
}

void Auth(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.ReplySyntaxError();
  bool user_given = ctx.args.size() == 3;
  std::string_view user = user_given ? std::string_view(ctx.args[1]) : "default";
  if (CheckPassword(ctx, user, ctx.args.back(), user_given)) ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;  // no spaces, newlines or special characters
  }
  return true;
}

void Hello(CommandContext& ctx) {
  int protocol = ctx.client.protocol.load();
  size_t i = 1;
  if (ctx.args.size() >= 2) {
    int64_t version = 0;
    if (!ParseInt64(ctx.args[1], &version)) {
      return ctx.reply.Error(errors::kProtocolVersion);
    }
    if (version < 2 || version > 3) return ctx.reply.Error(errors::kNoProto);
    protocol = static_cast<int>(version);
    i = 2;
  }
  std::string new_name;
  bool set_name = false;
  for (; i < ctx.args.size(); ++i) {
    bool more = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[i], "AUTH") && i + 2 < ctx.args.size()) {
      if (!CheckPassword(ctx, ctx.args[i + 1], ctx.args[i + 2], true)) return;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.args[i], "SETNAME") && more) {
      new_name = ctx.args[++i];
      set_name = true;
      if (!ValidClientName(new_name)) {
        return ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      }
    } else {
      return ctx.reply.Error("ERR Syntax error in HELLO option '" + ctx.args[i] + "'");
    }
  }
  if (!ctx.client.authenticated.load()) return ctx.reply.Error(errors::kHelloNoAuth);
  if (set_name) ctx.client.set_name(new_name);
  ctx.client.protocol = protocol;
  protocol::RespWriter writer(ctx.reply.buffer(), protocol);
  protocol::WriteHelloReply(writer, protocol, ctx.client.id, "standalone",
                            ctx.server.replication.IsReplica() ? "replica" : "master");
}

bool IsClientType(std::string_view type) {
  for (const char* known : {"normal", "master", "replica", "slave", "pubsub"}) {
    if (EqualsIgnoreCase(type, known)) return true;
  }
  return false;
}

// Replica links belong to the replication feeder, not the client list, so
// only "normal" and "pubsub" ever match here.
bool HasClientType(const ClientState& client, std::string_view type) {
  if (EqualsIgnoreCase(type, "normal")) return !client.subscribed.load();
  if (EqualsIgnoreCase(type, "pubsub")) return client.subscribed.load();
  return false;
}

std::string ClientFlags(const ClientState& client) {
  std::string flags;
  if (client.blocked.load()) flags += 'b';
  if (client.subscribed.load()) flags += 'P';
  if (client.monitoring.load()) flags += 'O';
  return flags.empty() ? "N" : flags;
}

std::string ClientLine(const ClientState& client, uint64_t now_ms) {
  auto seconds = [](uint64_t ms) { return std::to_string(ms / 1000); };
  std::string name = client.name();
  std::string command = client.last_command();
  return "id=" + std::to_string(client.id) + " addr=" + client.addr + " laddr=" + client.laddr +
         " name=" + name + " age=" + seconds(now_ms - client.created_ms) +
         " idle=" + seconds(now_ms - std::min(now_ms, client.last_interaction_ms.load())) +
         " flags=" + ClientFlags(client) + " db=" + std::to_string(client.db.load()) +
         " sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 obl=0 oll=0 omem=0 tot-mem=0"
         " events=r cmd=" + command + " user=default redir=-1 resp=" + std::to_string(client.protocol.load()) + "\n";
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when that client was blocked in a blocking command.
void ClientUnblock(CommandContext& ctx) {
  // The reason is checked before the id, as Redis does.
  WakeReason reason = WakeReason::kUnblockAsTimeout;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "ERROR")) {
      reason = WakeReason::kUnblockWithError;
    } else if (!EqualsIgnoreCase(ctx.args[3], "TIMEOUT")) {
      return ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  int64_t id = 0;
  if (!ParseIntArg(ctx, 2, &id)) return;
  for (const auto& client : ctx.server.clients.List()) {
    if (static_cast<int64_t>(client->id) == id && client->blocked.load() && !client->postponed.load()) {
      client->Wake(reason);
      return ctx.reply.Integer(1);
    }
  }
  ctx.reply.Integer(0);
}

// CLIENT KILL addr:port | CLIENT KILL [ID id] [ADDR a] [LADDR a] [SKIPME yes/no] [USER u] [TYPE t]
void ClientKill(CommandContext& ctx) {
  auto clients = ctx.server.clients.List();
  if (ctx.args.size() == 3) {
    for (const auto& client : clients) {
      if (client->addr == ctx.args[2]) {
        client->RequestClose();
        if (client->id == ctx.client.id) ctx.close_after_reply = true;
        return ctx.reply.Ok();
      }
    }
    return ctx.reply.Error("ERR No such client");
  }
  if (ctx.args.size() % 2 != 0) return ctx.ReplySyntaxError();
  std::optional<uint64_t> id;
  std::optional<std::string> addr, laddr, user, type;
  bool skip_me = true;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    const std::string& option = ctx.args[i];
    const std::string& value = ctx.args[i + 1];
    if (EqualsIgnoreCase(option, "ID")) {
      uint64_t parsed = 0;
      if (!ParseUint64(value, &parsed) || parsed == 0) {
        return ctx.reply.Error("ERR client-id should be greater than 0");
      }
      id = parsed;
    } else if (EqualsIgnoreCase(option, "ADDR")) {
      addr = value;
    } else if (EqualsIgnoreCase(option, "LADDR")) {
      laddr = value;
    } else if (EqualsIgnoreCase(option, "USER")) {
      user = value;
    } else if (EqualsIgnoreCase(option, "TYPE")) {
      if (!IsClientType(value)) return ctx.reply.Error("ERR Unknown client type '" + value + "'");
      type = value;
    } else if (EqualsIgnoreCase(option, "SKIPME")) {
      if (EqualsIgnoreCase(value, "yes")) {
        skip_me = true;
      } else if (EqualsIgnoreCase(value, "no")) {
        skip_me = false;
      } else {
        return ctx.ReplySyntaxError();
      }
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  int64_t killed = 0;
  for (const auto& client : clients) {
    if (id && client->id != *id) continue;
    if (addr && client->addr != *addr) continue;
    if (laddr && client->laddr != *laddr) continue;
    if (user && *user != "default") continue;
    if (type && !HasClientType(*client, *type)) continue;
    if (skip_me && client->id == ctx.client.id) continue;
    client->RequestClose();
    if (client->id == ctx.client.id) ctx.close_after_reply = true;
    ++killed;
  }
  ctx.reply.Integer(killed);
}

// MONITOR: from now on the client receives every command as a line
// (roles/server/monitor.h). Redis's rules: not inside EXEC, silent when repeated.
void Monitor(CommandContext& ctx) {
  if (ctx.in_exec) return ctx.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (ctx.client.monitoring.exchange(true)) return;
  ctx.server.monitors.Add(ctx.client_ptr);
  ctx.reply.Ok();
}

// CLIENT PAUSE timeout [WRITE|ALL]: Redis's checks, in Redis's order.
void ClientPauseCmd(CommandContext& ctx) {
  PauseScope scope = PauseScope::kAll;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "WRITE")) {
      scope = PauseScope::kWrite;
    } else if (!EqualsIgnoreCase(ctx.args[3], "ALL")) {
      return ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  }
  int64_t timeout_ms = 0;
  if (!ParseInt64(ctx.args[2], &timeout_ms)) return ctx.reply.Error("ERR timeout is not an integer or out of range");
  if (timeout_ms < 0) return ctx.reply.Error("ERR timeout is negative");
  uint64_t now = ctx.server.engine.NowMs();
  uint64_t until = static_cast<uint64_t>(timeout_ms) > UINT64_MAX - now ? UINT64_MAX : now + timeout_ms;
  ctx.server.pause.Pause(now, until, scope);
  ctx.reply.Ok();
}

void ClientUnpauseCmd(CommandContext& ctx) {
  ctx.server.pause.Unpause(PauseCause::kClient);
  ctx.server.clients.WakePostponed();
  ctx.reply.Ok();
}

// OFF and SKIP answer nothing themselves; the connection drops the replies
// they ask it to (Connection::ApplyReplyMode).
void ClientReply(CommandContext& ctx) {
  Session& session = ctx.client.session;
  const std::string& mode = ctx.args[2];
  if (EqualsIgnoreCase(mode, "ON")) {
    session.replies_off = session.skip_this_reply = session.skip_next_reply = false;
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(mode, "OFF")) {
    session.replies_off = true;
    return;
  }
  if (EqualsIgnoreCase(mode, "SKIP")) {
    session.skip_next_reply = true;
    return;
  }
  ctx.ReplySyntaxError();
}

void ClientHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ID",
      "    Return the ID of the current connection.",
      "GETNAME",
      "    Return the name of the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "INFO",
      "    Return information about the current connection.",
      "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
      "    Return information about client connections.",
      "KILL <ip:port> | KILL <filter> <value> [<filter> <value> ...]",
      "    Close connections; filters: ID, ADDR, LADDR, TYPE, USER, SKIPME (yes|no).",
      "UNBLOCK <id> [TIMEOUT|ERROR]",
      "    Unblock a client blocked in a blocking command, as on a timeout (default) or with an error.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all clients (ALL, default) or only their writes (WRITE) for <timeout> milliseconds.",
      "UNPAUSE",
      "    End a pause started with CLIENT PAUSE.",
      "REPLY (ON|OFF|SKIP)",
      "    Turn the replies to this connection's commands on or off, or skip the next one.",
      "NO-EVICT (ON|OFF), NO-TOUCH (ON|OFF), SETINFO <attr> <value>",
      "    Accepted for client libraries; kvd evicts nothing and tracks no access times.",
      "HELP",
      "    Print this help.",
  });
}

void Client(CommandContext& ctx) {
  // The dispatcher has checked the subcommand and its argument count (ClientSubcommands).
  const std::string& sub = ctx.args[1];
  uint64_t now = ctx.server.engine.NowMs();
  // Past the arity but more than the subcommand takes: Redis's text, naming it as typed.
  auto too_many_args = [&] {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sub + "'. Try CLIENT HELP.");
  };
  if (EqualsIgnoreCase(sub, "ID")) return ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  if (EqualsIgnoreCase(sub, "GETNAME")) {
    std::string name = ctx.client.name();
    return name.empty() ? ctx.reply.NullBulk() : ctx.reply.Bulk(name);
  }
  if (EqualsIgnoreCase(sub, "SETNAME")) {
    if (!ValidClientName(ctx.args[2])) {
      return ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    ctx.client.set_name(ctx.args[2]);
    return ctx.reply.Ok();
  }
  // The caller's own line names the command running now, as Redis's does ("client|list").
  if (EqualsIgnoreCase(sub, "INFO") || EqualsIgnoreCase(sub, "LIST")) ctx.client.set_last_command("client|" + ToLower(sub));
  if (EqualsIgnoreCase(sub, "INFO")) return ctx.reply.Verbatim(ClientLine(ctx.client, now));
  if (EqualsIgnoreCase(sub, "LIST")) {
    std::string text;
    std::vector<uint64_t> ids;
    std::optional<std::string> type;
    size_t i = 2;
    if (ctx.args.size() > 2 && EqualsIgnoreCase(ctx.args[2], "TYPE") && ctx.args.size() == 4) {
      type = ctx.args[3];
      if (!IsClientType(*type)) return ctx.reply.Error("ERR Unknown client type '" + *type + "'");
      i = 4;
    } else if (ctx.args.size() > 3 && EqualsIgnoreCase(ctx.args[2], "ID")) {
      for (i = 3; i < ctx.args.size(); ++i) {
        uint64_t id = 0;
        if (!ParseUint64(ctx.args[i], &id)) return ctx.reply.Error("ERR Invalid client ID");
        ids.push_back(id);
      }
    }
    if (i < ctx.args.size()) return ctx.ReplySyntaxError();
    for (const auto& client : ctx.server.clients.List()) {
      if (!ids.empty() && std::find(ids.begin(), ids.end(), client->id) == ids.end()) continue;
      if (type && !HasClientType(*client, *type)) continue;
      text += ClientLine(*client, now);
    }
    return ctx.reply.Verbatim(text);
  }
  if (EqualsIgnoreCase(sub, "KILL")) return ClientKill(ctx);
  if (EqualsIgnoreCase(sub, "UNBLOCK")) return ctx.args.size() > 4 ? too_many_args() : ClientUnblock(ctx);
  if (EqualsIgnoreCase(sub, "PAUSE")) return ctx.args.size() > 4 ? too_many_args() : ClientPauseCmd(ctx);
  if (EqualsIgnoreCase(sub, "UNPAUSE")) return ClientUnpauseCmd(ctx);
  if (EqualsIgnoreCase(sub, "REPLY")) return ClientReply(ctx);
  // Accepted and ignored: kvd never evicts and keeps no access times. SETINFO
  // and NO-TOUCH are Redis 7.2's, sent by newer client libraries on connect.
  if (EqualsIgnoreCase(sub, "NO-EVICT") || EqualsIgnoreCase(sub, "NO-TOUCH")) {
    if (!EqualsIgnoreCase(ctx.args[2], "ON") && !EqualsIgnoreCase(ctx.args[2], "OFF")) return ctx.ReplySyntaxError();
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(sub, "SETINFO")) return ctx.reply.Ok();
  if (EqualsIgnoreCase(sub, "HELP")) return ClientHelp(ctx);
  ctx.reply.Error("ERR unknown subcommand '" + sub + "'. Try CLIENT HELP.");  // a row without a branch here
}

// Redis 7.0's arities (7.2's for NO-TOUCH and SETINFO).
std::vector<SubcommandSpec> ClientSubcommands() {
  return {{"id", 2},      {"getname", 2}, {"setname", 3}, {"info", 2},     {"list", -2},
          {"kill", -3},   {"unblock", -3}, {"pause", -3},  {"unpause", 2}, {"reply", 3},
          {"no-evict", 3}, {"no-touch", 3}, {"setinfo", 4}, {"help", 2}};
}

}  // namespace

std::vector<CommandSpec> ConnectionCommands() {
  return {
      {"ping", -1, kFast | kStale | kSubscribedOk, 0, 0, 0, Ping},
      {"echo", 2, kFast, 0, 0, 0, Echo},
      {"quit", -1, kNoAuth | kFast | kNoScript | kNoQueue | kSubscribedOk, 0, 0, 0, Quit},
      {"select", 2, kFast | kLoading | kStale, 0, 0, 0, Select},
      {"auth", -2, kNoAuth | kFast | kNoScript | kLoading | kStale, 0, 0, 0, Auth},
      {"hello", -1, kNoAuth | kFast | kNoScript | kLoading | kStale, 0, 0, 0, Hello},
      {"client", -2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, Client, nullptr, ClientSubcommands()},
      {"monitor", 1, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, Monitor},
  };
}

}  // namespace kvd::server
