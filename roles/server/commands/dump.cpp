// DUMP, RESTORE and MIGRATE: a key's value in Redis's serialization
// (protocol/rdb), so values move between kvd and redis-server in either
// direction.
#include "common/numbers.h"
#include "protocol/rdb/dump_payload.h"
#include "protocol/resp_client.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"
#include "storage/key_locks.h"

#include <algorithm>
#include <chrono>

namespace kvd::server {
namespace {

using protocol::rdb::DumpedValue;
using protocol::rdb::ValueKind;

// The whole value of a live key; nullopt when there is none.
Result<std::optional<DumpedValue>> ReadValue(ServerContext& server, uint8_t db, std::string_view key) {
  auto type = server.keyspace.Type(db, key);
  if (!type.ok()) return type.status();
  if (!type->has_value()) return std::optional<DumpedValue>();
  DumpedValue value;
  switch (**type) {
    case storage::KeyType::kString: {
      auto text = server.strings.Get(db, key);
      if (!text.ok()) return text.status();
      if (!text->has_value()) return std::optional<DumpedValue>();  // expired just now
      value.kind = ValueKind::kString;
      value.string = std::move(**text);
      break;
    }
    case storage::KeyType::kHash: {
      auto fields = server.hashes.GetAll(db, key);
      if (!fields.ok()) return fields.status();
      value.kind = ValueKind::kHash;
      for (auto& [field, text] : *fields) value.fields.emplace_back(std::move(field), std::move(text));
      break;
    }
    case storage::KeyType::kList: {
      auto elements = server.lists.Range(db, key, 0, -1);
      if (!elements.ok()) return elements.status();
      value.kind = ValueKind::kList;
      value.elements = std::move(*elements);
      break;
    }
    case storage::KeyType::kSet: {
      auto members = server.sets.Members(db, key);
      if (!members.ok()) return members.status();
      value.kind = ValueKind::kSet;
      value.elements = std::move(*members);
      break;
    }
    case storage::KeyType::kZSet: {
      auto members = server.zsets.Range(db, key, storage::RangeSpec{});
      if (!members.ok()) return members.status();
      value.kind = ValueKind::kZSet;
      for (auto& scored : *members) value.scored.emplace_back(std::move(scored.member), scored.score);
      break;
    }
  }
  return std::optional<DumpedValue>(std::move(value));
}

// Creates `key` (which must not exist) holding `value`, expiring at `expire_at_ms` (0: never).
Status WriteValue(ServerContext& server, uint8_t db, std::string_view key, const DumpedValue& value,
                  uint64_t expire_at_ms) {
  Status written;
  switch (value.kind) {
    case ValueKind::kString: {
      storage::SetOptions options;
      if (expire_at_ms != 0) {
        options.ttl = storage::SetOptions::Ttl::kSetAt;
        options.expire_at_ms = expire_at_ms;
      }
      return server.strings.Set(db, key, value.string, options).status();
    }
    case ValueKind::kList:
      written = server.lists.Push(db, key, storage::ListSide::kRight, ArgViews(value.elements, 0)).status();
      break;
    case ValueKind::kSet:
      written = server.sets.Add(db, key, ArgViews(value.elements, 0)).status();
      break;
    case ValueKind::kHash: {
      std::vector<std::pair<std::string_view, std::string_view>> pairs(value.fields.begin(), value.fields.end());
      written = server.hashes.Set(db, key, pairs).status();
      break;
    }
    case ValueKind::kZSet: {
      std::vector<storage::ScoredMember> members;
      members.reserve(value.scored.size());
      for (const auto& [member, score] : value.scored) members.push_back({member, score});
      written = server.zsets.Add(db, key, members, storage::ZAddOptions{}).status();
      break;
    }
  }
  if (!written.ok() || expire_at_ms == 0) return written;
  return server.keyspace.ExpireAt(db, key, static_cast<int64_t>(expire_at_ms), storage::ExpireCondition::kAlways)
      .status();
}

void Dump(CommandContext& ctx) {
  // Writers lock the key: holding it reads its type and its contents as one state.
  storage::KeyLockGuard guard(ctx.server.engine.locks(), ctx.db(), ctx.args[1]);
  auto value = ReadValue(ctx.server, ctx.db(), ctx.args[1]);
  if (!value.ok()) return ctx.ReplyError(value.status());
  if (!value->has_value()) return ctx.reply.NullBulk();
  ctx.reply.Bulk(protocol::rdb::EncodeDumpPayload(**value));
}

struct RestoreOptions {
  bool replace = false;
  bool absolute_ttl = false;
};

// REPLACE, ABSTTL, IDLETIME n and FREQ n (kvd keeps no access times or
// frequencies: those two are checked as Redis checks them, then ignored).
bool ParseRestoreOptions(CommandContext& ctx, RestoreOptions* options) {
  bool idle_given = false, freq_given = false;
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    const std::string& option = ctx.args[i];
    bool has_value = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(option, "REPLACE")) {
      options->replace = true;
    } else if (EqualsIgnoreCase(option, "ABSTTL")) {
      options->absolute_ttl = true;
    } else if (EqualsIgnoreCase(option, "IDLETIME") && has_value && !freq_given) {
      int64_t idle = 0;
      if (!ParseIntArg(ctx, ++i, &idle)) return false;
      if (idle < 0) return ctx.reply.Error("ERR Invalid IDLETIME value, must be >= 0"), false;
      idle_given = true;
    } else if (EqualsIgnoreCase(option, "FREQ") && has_value && !idle_given) {
      int64_t frequency = 0;
      if (!ParseIntArg(ctx, ++i, &frequency)) return false;
      if (frequency < 0 || frequency > 255) {
        return ctx.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255"), false;
      }
      freq_given = true;
    } else {
      return ctx.ReplySyntaxError(), false;
    }
  }
  return true;
}

// Redis's order of checks: options, an existing key, the TTL, the payload.
void Restore(CommandContext& ctx) {
  RestoreOptions options;
  if (!ParseRestoreOptions(ctx, &options)) return;
  uint8_t db = ctx.db();
  const std::string& key = ctx.args[1];
  storage::KeyLockGuard guard(ctx.server.engine.locks(), db, key);
  auto exists = ctx.server.keyspace.Exists(db, {key});
  if (!exists.ok()) return ctx.ReplyError(exists.status());
  if (*exists != 0 && !options.replace) return ctx.reply.Error("BUSYKEY Target key name already exists.");
  int64_t ttl = 0;
  if (!ParseIntArg(ctx, 2, &ttl)) return;
  if (ttl < 0) return ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
  auto value = protocol::rdb::DecodeDumpPayload(ctx.args[3]);
  if (!value.ok()) return ctx.ReplyError(value.status());

  int64_t expire_at_ms = ttl;
  if (ttl != 0 && !options.absolute_ttl &&
      __builtin_add_overflow(ttl, static_cast<int64_t>(ctx.server.engine.NowMs()), &expire_at_ms)) {
    return ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
  }
  bool already_expired = ttl != 0 && expire_at_ms <= static_cast<int64_t>(ctx.server.engine.NowMs());
  storage::Engine::Transaction transaction(ctx.server.engine);  // the delete and the new value land together
  if (*exists != 0) {
    if (Status deleted = ctx.server.keyspace.Delete(db, {key}).status(); !deleted.ok()) {
      return ctx.ReplyError(deleted);
    }
  }
  if (!already_expired) {
    Status written = WriteValue(ctx.server, db, key, *value, static_cast<uint64_t>(expire_at_ms));
    if (!written.ok()) return ctx.ReplyError(written);
  }
  if (Status committed = transaction.Finish(); !committed.ok()) return ctx.ReplyError(committed);
  // The binlog replays it with the absolute time it got here.
  if (ttl != 0 && !options.absolute_ttl && !already_expired) {
    ctx.Propagate({"RESTORE", key, std::to_string(expire_at_ms), ctx.args[3], "ABSTTL", "REPLACE"});
  } else if (already_expired && *exists != 0) {
    ctx.Propagate({"DEL", key});
  }
  ctx.reply.Ok();
}

struct MigrateRequest {
  std::string host;
  std::string port;
  int64_t db = 0;
  int64_t timeout_ms = 1000;
  bool copy = false;
  bool replace = false;
  std::vector<std::string> auth;  // AUTH's arguments: [password] or [username, password]
  std::vector<std::string> keys;
};

// Redis's order: the options (KEYS takes the rest), then the timeout, then the database.
bool ParseMigrate(CommandContext& ctx, MigrateRequest* request) {
  const auto& args = ctx.args;
  request->keys = {args[3]};
  for (size_t i = 6; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    if (EqualsIgnoreCase(args[i], "COPY")) {
      request->copy = true;
    } else if (EqualsIgnoreCase(args[i], "REPLACE")) {
      request->replace = true;
    } else if (EqualsIgnoreCase(args[i], "AUTH") && more >= 1) {
      request->auth = {args[i + 1]};
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "AUTH2") && more >= 2) {
      request->auth = {args[i + 1], args[i + 2]};
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "KEYS")) {
      if (!args[3].empty()) {
        ctx.reply.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
        return false;
      }
      request->keys.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  if (!ParseIntArg(ctx, 5, &request->timeout_ms) || !ParseIntArg(ctx, 4, &request->db)) return false;
  if (request->timeout_ms <= 0) request->timeout_ms = 1000;
  request->host = args[1];
  request->port = args[2];
  return true;
}

// The RESTORE commands for the live keys among `keys` (with their remaining
// time to live), and those keys in the same order.
Status BuildRestores(ServerContext& server, uint8_t db, const MigrateRequest& request,
                     std::vector<std::vector<std::string>>* restores, std::vector<std::string>* moving) {
  for (const auto& key : request.keys) {
    auto value = ReadValue(server, db, key);
    if (!value.ok()) return value.status();
    if (!value->has_value()) continue;
    auto ttl = server.keyspace.PttlMs(db, key);
    if (!ttl.ok()) return ttl.status();
    if (*ttl == -2) continue;
    int64_t ttl_ms = *ttl == -1 ? 0 : std::max<int64_t>(*ttl, 1);  // 0 ms left still needs a TTL: send 1
    std::vector<std::string> restore = {"RESTORE", key, std::to_string(ttl_ms),
                                        protocol::rdb::EncodeDumpPayload(**value)};
    if (request.replace) restore.emplace_back("REPLACE");
    restores->push_back(std::move(restore));
    moving->push_back(key);
  }
  return Status::Ok();
}

// COMMAND GETKEYS and the dispatcher: the key argument, or everything after
// KEYS (AUTH's and AUTH2's arguments are skipped: a password named KEYS is not the option).
std::vector<size_t> MigrateKeys(const std::vector<std::string>& args) {
  for (size_t i = 6; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "AUTH")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "AUTH2")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "KEYS") && args[3].empty()) {
      std::vector<size_t> keys;
      for (size_t key = i + 1; key < args.size(); ++key) keys.push_back(key);
      return keys;
    }
  }
  return {3};
}

// A connection to the target, or the error reply. Redis's connect only waits
// for the socket to become writable: a refused connection shows when it writes.
std::optional<std::string> ConnectTarget(const MigrateRequest& request, protocol::RespClient* target) {
  target->SetTimeout(std::chrono::milliseconds(request.timeout_ms));
  uint64_t port = 0;
  if (!ParseUint64(request.port, &port) || port == 0 || port > 65535) {
    return "IOERR error or timeout connecting to the client";
  }
  Status connected = target->Connect(request.host, static_cast<uint16_t>(port));
  if (connected.ok()) return std::nullopt;
  return protocol::IsTimeout(connected) ? "IOERR error or timeout connecting to the client"
                                        : "IOERR error or timeout writing to target instance";
}

struct TransferOutcome {
  std::vector<std::string_view> moved;  // the keys the target accepted
  std::string target_error;             // the first error it sent
  const char* lost = nullptr;           // "writing" or "reading" when the connection failed there
};

// AUTH, SELECT and every RESTORE in one write, then their replies. An error
// to AUTH or SELECT counts against every key; a RESTORE's only against its own.
TransferOutcome Transfer(protocol::RespClient& target, const MigrateRequest& request,
                         const std::vector<std::vector<std::string>>& restores, const std::vector<std::string>& moving) {
  std::string out;
  size_t preamble = 0;  // replies to read before the RESTOREs'
  if (!request.auth.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    auth.insert(auth.end(), request.auth.begin(), request.auth.end());
    out += protocol::EncodeCommand(auth);
    ++preamble;
  }
  out += protocol::EncodeCommand({"SELECT", std::to_string(request.db)});
  ++preamble;
  for (const auto& restore : restores) out += protocol::EncodeCommand(restore);
  TransferOutcome outcome;
  if (!target.SendRaw(out).ok()) {
    outcome.lost = "writing";
    return outcome;
  }
  bool preamble_failed = false;
  for (size_t i = 0; i < preamble + restores.size(); ++i) {
    auto reply = target.ReadReply();
    if (!reply.ok()) {
      outcome.lost = "reading";
      break;
    }
    bool failed = reply->IsError();
    if (failed && outcome.target_error.empty()) outcome.target_error = reply->str;
    if (i < preamble) {
      preamble_failed = preamble_failed || failed;
    } else if (!failed && !preamble_failed) {
      outcome.moved.push_back(moving[i - preamble]);
    }
  }
  return outcome;
}

// MIGRATE as Redis runs it: synchronously, holding the keys (writers of them
// on other io threads wait; this io thread's other clients wait up to the
// timeout, as all of Redis's do), one connection per call. A key the target
// accepted is deleted here unless COPY.
void Migrate(CommandContext& ctx) {
  MigrateRequest request;
  if (!ParseMigrate(ctx, &request)) return;
  uint8_t db = ctx.db();
  // Release what earlier commands of this round hold before waiting on the network.
  ctx.server.engine.WriteOutOpenGroup();
  std::vector<std::pair<uint8_t, std::string_view>> locked;
  for (const auto& key : request.keys) locked.emplace_back(db, key);
  storage::KeyLockGuard guard(ctx.server.engine.locks(), locked);
  std::vector<std::vector<std::string>> restores;
  std::vector<std::string> moving;
  if (Status built = BuildRestores(ctx.server, db, request, &restores, &moving); !built.ok()) {
    return ctx.ReplyError(built);
  }
  if (moving.empty()) return ctx.reply.SimpleString("NOKEY");
  protocol::RespClient target;
  if (auto refused = ConnectTarget(request, &target)) return ctx.reply.Error(*refused);
  TransferOutcome outcome = Transfer(target, request, restores, moving);
  if (!request.copy && !outcome.moved.empty()) {
    if (Status deleted = ctx.server.keyspace.Delete(db, outcome.moved).status(); !deleted.ok()) {
      return ctx.ReplyError(deleted);
    }
    std::vector<std::string> replay = {"DEL"};
    replay.insert(replay.end(), outcome.moved.begin(), outcome.moved.end());
    ctx.Propagate(std::move(replay));
  }
  if (!outcome.target_error.empty()) {
    return ctx.reply.Error("ERR Target instance replied with error: " + outcome.target_error);
  }
  if (outcome.lost != nullptr) {
    return ctx.reply.Error(std::string("IOERR error or timeout ") + outcome.lost + " to target instance");
  }
  ctx.reply.Ok();
}

}  // namespace

std::vector<CommandSpec> DumpCommands() {
  return {
      {"dump", 2, kReadonly, 1, 1, 1, Dump},
      {"restore", -4, kWrite | kDenyOom, 1, 1, 1, Restore},
      {"migrate", -6, kWrite, 3, 3, 1, Migrate, MigrateKeys},
  };
}

}  // namespace kvd::server
