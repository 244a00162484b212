// Commands over the bits of several values or several bits at once: BITOP,
// BITFIELD and BITFIELD_RO (the single-bit ones, SETBIT GETBIT BITCOUNT
// BITPOS, are with the strings). The work is in storage/types/bitfield.h.
#include <algorithm>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"
#include "storage/types/bitfield.h"

namespace kvd::server {
namespace {

using storage::BitfieldOp;
using storage::BitfieldOverflow;

void BitOp(CommandContext& ctx) {
  const std::string& name = ctx.args[1];
  storage::BitOperation op;
  if (EqualsIgnoreCase(name, "AND")) {
    op = storage::BitOperation::kAnd;
  } else if (EqualsIgnoreCase(name, "OR")) {
    op = storage::BitOperation::kOr;
  } else if (EqualsIgnoreCase(name, "XOR")) {
    op = storage::BitOperation::kXor;
  } else if (EqualsIgnoreCase(name, "NOT")) {
    op = storage::BitOperation::kNot;
  } else {
    return ctx.ReplySyntaxError();
  }
  if (op == storage::BitOperation::kNot && ctx.args.size() != 4) {
    return ctx.reply.Error("ERR BITOP NOT must be called with a single source key.");
  }
  auto length = ctx.server.strings.BitOp(ctx.db(), op, ctx.args[2], ArgViews(ctx.args, 3));
  if (!length.ok()) return ctx.ReplyError(length.status());
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

constexpr const char* kBadType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

// "i1".."i64" or "u1".."u63".
bool ParseFieldType(const std::string& text, BitfieldOp* op) {
  if (text.empty() || (text[0] != 'i' && text[0] != 'u')) return false;
  int64_t bits = 0;
  if (!ParseInt64(std::string_view(text).substr(1), &bits)) return false;
  op->is_signed = text[0] == 'i';
  if (bits < 1 || bits > (op->is_signed ? 64 : 63)) return false;
  op->bits = static_cast<int>(bits);
  return true;
}

// A bit offset, or "#n": the n-th field of the op's width. Past
// proto-max-bulk-len bytes is out of range, as in Redis.
bool ParseFieldOffset(CommandContext& ctx, const std::string& text, BitfieldOp* op) {
  bool in_fields = !text.empty() && text[0] == '#';
  int64_t offset = 0;
  bool ok = ParseInt64(in_fields ? std::string_view(text).substr(1) : std::string_view(text), &offset) && offset >= 0 &&
            (!in_fields || !__builtin_mul_overflow(offset, static_cast<int64_t>(op->bits), &offset)) &&
            static_cast<uint64_t>(offset >> 3) < ctx.server.strings.max_size();
  if (!ok) ctx.reply.Error(errors::kBitOffset);
  op->offset = static_cast<uint64_t>(offset);
  return ok;
}

// Parses every operation first, as Redis does: the first malformed one is
// the error, and only then BITFIELD_RO's refusal of writes.
bool ParseBitfieldOps(CommandContext& ctx, bool read_only, std::vector<BitfieldOp>* ops) {
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::string& word = ctx.args[i];
    size_t left = ctx.args.size() - i - 1;
    BitfieldOp op;
    if (EqualsIgnoreCase(word, "GET") && left >= 2) {
      op.kind = BitfieldOp::Kind::kGet;
    } else if (EqualsIgnoreCase(word, "SET") && left >= 3) {
      op.kind = BitfieldOp::Kind::kSet;
    } else if (EqualsIgnoreCase(word, "INCRBY") && left >= 3) {
      op.kind = BitfieldOp::Kind::kIncrBy;
    } else if (EqualsIgnoreCase(word, "OVERFLOW") && left >= 1) {
      const std::string& rule = ctx.args[++i];
      if (EqualsIgnoreCase(rule, "WRAP")) {
        overflow = BitfieldOverflow::kWrap;
      } else if (EqualsIgnoreCase(rule, "SAT")) {
        overflow = BitfieldOverflow::kSat;
      } else if (EqualsIgnoreCase(rule, "FAIL")) {
        overflow = BitfieldOverflow::kFail;
      } else {
        ctx.reply.Error("ERR Invalid OVERFLOW type specified");
        return false;
      }
      continue;
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
    if (!ParseFieldType(ctx.args[i + 1], &op)) {
      ctx.reply.Error(kBadType);
      return false;
    }
    if (!ParseFieldOffset(ctx, ctx.args[i + 2], &op)) return false;
    i += 2;
    if (op.kind != BitfieldOp::Kind::kGet && !ParseInt64(ctx.args[++i], &op.value)) {
      ctx.reply.Error(errors::kNotInteger);
      return false;
    }
    op.overflow = overflow;
    ops->push_back(op);
  }
  bool writes = std::any_of(ops->begin(), ops->end(), [](const BitfieldOp& op) { return op.kind != BitfieldOp::Kind::kGet; });
  if (read_only && writes) {
    ctx.reply.Error("ERR BITFIELD_RO only supports the GET subcommand");
    return false;
  }
  return true;
}

void RunBitfieldCommand(CommandContext& ctx, bool read_only) {
  std::vector<BitfieldOp> ops;
  if (!ParseBitfieldOps(ctx, read_only, &ops)) return;
  auto replies = ctx.server.strings.Bitfield(ctx.db(), ctx.args[1], ops);
  if (!replies.ok()) return ctx.ReplyError(replies.status());
  ctx.reply.ArrayHeader(replies->size());
  for (const auto& reply : *replies) reply ? ctx.reply.Integer(*reply) : ctx.reply.NullBulk();
}

void Bitfield(CommandContext& ctx) { RunBitfieldCommand(ctx, false); }
void BitfieldRo(CommandContext& ctx) { RunBitfieldCommand(ctx, true); }

}  // namespace

std::vector<CommandSpec> BitCommands() {
  return {
      {"bitop", -4, kWrite | kDenyOom, 2, -1, 1, BitOp},
      {"bitfield", -2, kWrite | kDenyOom, 1, 1, 1, Bitfield},
      {"bitfield_ro", -2, kReadonly | kFast, 1, 1, 1, BitfieldRo},
  };
}

}  // namespace kvd::server
