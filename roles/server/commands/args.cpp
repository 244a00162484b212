#include "roles/server/commands/args.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "common/numbers.h"
#include "common/redis_errors.h"

namespace kvd::server {

bool ParseIntArg(CommandContext& ctx, size_t index, int64_t* out) {
  if (ParseInt64(ctx.args[index], out)) return true;
  ctx.reply.Error(errors::kNotInteger);
  return false;
}

bool ParseDoubleArg(CommandContext& ctx, size_t index, double* out) {
  if (ParseDouble(ctx.args[index], out)) return true;
  ctx.reply.Error(errors::kNotFloat);
  return false;
}

bool ParseDbIndexArg(CommandContext& ctx, size_t index, uint8_t* out, const char* out_of_range_error) {
  int64_t value = 0;
  if (!ParseInt64(ctx.args[index], &value)) {
    ctx.reply.Error(errors::kNotInteger);
    return false;
  }
  if (value < 0 || value >= ctx.server.engine.databases()) {
    ctx.reply.Error(out_of_range_error);
    return false;
  }
  *out = static_cast<uint8_t>(value);
  return true;
}

std::vector<std::string_view> ArgViews(const std::vector<std::string>& args, size_t from, size_t step) {
  std::vector<std::string_view> views;
  for (size_t i = from; i < args.size(); i += step) views.emplace_back(args[i]);
  return views;
}

bool ParseScanCursor(const std::string& text, uint64_t* cursor) {
  if (!text.empty() && std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  errno = 0;
  *cursor = std::strtoull(text.c_str(), &end, 10);
  return *end == '\0' && errno != ERANGE;
}

bool ParseScanOptions(CommandContext& ctx, ScanOptions* options, size_t from) {
  for (size_t i = from; i < ctx.args.size(); i += 2) {
    bool has_value = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[i], "COUNT") && has_value) {
      if (!ParseIntArg(ctx, i + 1, &options->count)) return false;
      if (options->count < 1) {
        ctx.ReplySyntaxError();
        return false;
      }
    } else if (EqualsIgnoreCase(ctx.args[i], "MATCH") && has_value) {
      options->pattern = ctx.args[i + 1];
      if (*options->pattern == "*") options->pattern.reset();  // matches everything; skip the work
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  return true;
}

void ReplySubKeyScan(CommandContext& ctx, const std::function<Result<uint64_t>()>& size,
                     const std::function<Result<storage::SubKeyScanPage>(const std::string& from,
                                                                          const std::optional<std::string>& pattern,
                                                                          size_t count)>& scan,
                     bool with_values) {
  // COUNT asks for work per call, not for a reply size; this keeps one call bounded.
  constexpr int64_t kMaxScanCount = 1 << 20;
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[2], &cursor)) return ctx.reply.Error("ERR invalid cursor");
  auto elements = size();
  if (!elements.ok()) return ctx.ReplyError(elements.status());
  ScanOptions options;
  if (*elements > 0 && !ParseScanOptions(ctx, &options)) return;
  storage::SubKeyScanPage page;
  if (*elements > 0) {
    std::string from = cursor == 0 ? std::string() : ctx.server.cursors.Find(cursor);
    auto scanned = scan(from, options.pattern, static_cast<size_t>(std::min(options.count, kMaxScanCount)));
    if (!scanned.ok()) return ctx.ReplyError(scanned.status());
    page = std::move(scanned).value();
  }
  uint64_t next = page.next.empty() ? 0 : ctx.server.cursors.Save(std::move(page.next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(page.items.size() * (with_values ? 2 : 1));
  for (const auto& item : page.items) {
    ctx.reply.Bulk(item.field);
    if (with_values) ctx.reply.Bulk(item.value);
  }
}

void ReplyBulks(CommandContext& ctx, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(items.size());
  for (const auto& item : items) ctx.reply.Bulk(item);
}

void ReplyHelp(CommandContext& ctx, std::initializer_list<const char*> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (const char* line : lines) ctx.reply.SimpleString(line);
}

bool ParseMultiPop(CommandContext& ctx, size_t numkeys_index, std::initializer_list<std::string_view> sides,
                   MultiPopArgs* out) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[numkeys_index], &numkeys) || numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return false;
  }
  size_t first = numkeys_index + 1;
  if (static_cast<uint64_t>(numkeys) >= ctx.args.size() - first) {  // the keys, then at least the side
    ctx.ReplySyntaxError();
    return false;
  }
  for (size_t i = 0; i < static_cast<size_t>(numkeys); ++i) out->keys.emplace_back(ctx.args[first + i]);
  size_t i = first + static_cast<size_t>(numkeys);
  auto side = std::find_if(sides.begin(), sides.end(),
                           [&](std::string_view name) { return EqualsIgnoreCase(ctx.args[i], name); });
  if (side == sides.end()) {
    ctx.ReplySyntaxError();
    return false;
  }
  out->side = static_cast<size_t>(side - sides.begin());
  bool count_given = false;
  for (++i; i < ctx.args.size(); i += 2) {
    if (count_given || !EqualsIgnoreCase(ctx.args[i], "COUNT") || i + 1 == ctx.args.size()) {
      ctx.ReplySyntaxError();
      return false;
    }
    int64_t count = 0;
    if (!ParseInt64(ctx.args[i + 1], &count) || count <= 0) {
      ctx.reply.Error("ERR count should be greater than 0");
      return false;
    }
    out->count = static_cast<uint64_t>(count);
    count_given = true;
  }
  return true;
}

}  // namespace kvd::server
