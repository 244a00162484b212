// SORT and SORT_RO with Redis 7.0's rules: elements of a list, set or sorted
// set, ordered by their numeric value, or bytes with ALPHA, or by the values
// of other keys (BY weight_* / BY h_*->field; a BY without '*' keeps the
// stored order), LIMIT, GET patterns (# is the element), STORE into a list.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/numbers.h"
#include "common/redis_errors.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

struct SortOptions {
  bool desc = false;
  bool alpha = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  std::optional<std::string> by;
  std::vector<std::string> gets;
  std::optional<std::string> store;
  bool dont_sort = false;  // a BY pattern without '*'
};

bool ParseSortOptions(CommandContext& ctx, bool read_only, SortOptions* options) {
  const auto& args = ctx.args;
  for (size_t j = 2; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    const std::string& word = args[j];
    if (EqualsIgnoreCase(word, "ASC")) {
      options->desc = false;
    } else if (EqualsIgnoreCase(word, "DESC")) {
      options->desc = true;
    } else if (EqualsIgnoreCase(word, "ALPHA")) {
      options->alpha = true;
    } else if (EqualsIgnoreCase(word, "LIMIT") && left >= 2) {
      if (!ParseInt64(args[j + 1], &options->limit_start) || !ParseInt64(args[j + 2], &options->limit_count)) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      j += 2;
    } else if (!read_only && EqualsIgnoreCase(word, "STORE") && left >= 1) {
      options->store = args[++j];
    } else if (EqualsIgnoreCase(word, "BY") && left >= 1) {
      options->by = args[++j];
      options->dont_sort = options->by->find('*') == std::string::npos;
    } else if (EqualsIgnoreCase(word, "GET") && left >= 1) {
      options->gets.push_back(args[++j]);
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  return true;
}

// Redis's lookupKeyByPattern: "#" is the element; the first '*' is replaced
// by it; "->field" after the '*' reads a hash field. A key of another type
// (or a pattern without '*') reads as nothing.
std::optional<std::string> LookupByPattern(CommandContext& ctx, const std::string& pattern, const std::string& element) {
  if (pattern == "#") return element;
  size_t star = pattern.find('*');
  if (star == std::string::npos) return std::nullopt;
  size_t arrow = pattern.find("->", star + 1);
  bool has_field = arrow != std::string::npos && arrow + 2 < pattern.size();
  std::string key = pattern.substr(0, star) + element +
                    pattern.substr(star + 1, (has_field ? arrow : pattern.size()) - star - 1);
  if (has_field) {
    auto value = ctx.server.hashes.Get(ctx.db(), key, std::string_view(pattern).substr(arrow + 2));
    return value.ok() ? *value : std::nullopt;
  }
  auto value = ctx.server.strings.Get(ctx.db(), key);
  return value.ok() ? *value : std::nullopt;
}

// strtod's reading, as Redis sorts by it: all of the text, no NaN, in range.
bool SortScore(const std::string& text, double* score) {
  errno = 0;
  char* end = nullptr;
  *score = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*score);
}

// Elements of the key in stored order; nullopt-free empty for a missing key.
Result<std::vector<std::string>> SortSource(CommandContext& ctx, storage::KeyType type) {
  const std::string& key = ctx.args[1];
  switch (type) {
    case storage::KeyType::kList: return ctx.server.lists.Range(ctx.db(), key, 0, -1);
    case storage::KeyType::kSet: return ctx.server.sets.Members(ctx.db(), key);
    case storage::KeyType::kZSet: {
      storage::RangeSpec spec;
      auto members = ctx.server.zsets.Range(ctx.db(), key, spec);
      if (!members.ok()) return members.status();
      std::vector<std::string> names;
      for (auto& member : *members) names.push_back(std::move(member.member));
      return names;
    }
    default: return Status::WrongType();
  }
}

struct SortItem {
  std::string element;
  double score = 0;
  std::optional<std::string> by_value;  // ALPHA with BY
};

// Sorts `items` as Redis compares them: numbers, ties by the element's bytes;
// ALPHA by the BY value (missing first, ties unordered) or the element, as C
// strings (strcoll in the C locale) unless the result is stored.
void SortItems(std::vector<SortItem>* items, const SortOptions& options) {
  bool by = options.by.has_value();
  bool binary = options.store.has_value();
  auto compare = [&](const SortItem& a, const SortItem& b) -> int {
    if (!options.alpha) {
      if (a.score != b.score) return a.score < b.score ? -1 : 1;
      return a.element.compare(b.element);
    }
    if (by) {
      if (!a.by_value || !b.by_value) return a.by_value == b.by_value ? 0 : (a.by_value ? 1 : -1);
      return binary ? a.by_value->compare(*b.by_value) : std::strcmp(a.by_value->c_str(), b.by_value->c_str());
    }
    return binary ? a.element.compare(b.element) : std::strcmp(a.element.c_str(), b.element.c_str());
  };
  std::stable_sort(items->begin(), items->end(), [&](const SortItem& a, const SortItem& b) {
    int cmp = compare(a, b);
    return options.desc ? cmp > 0 : cmp < 0;
  });
}

// Reads each item's weight (BY) or its own value; false after replying the
// conversion error.
bool WeighItems(CommandContext& ctx, const SortOptions& options, std::vector<SortItem>* items) {
  for (SortItem& item : *items) {
    std::optional<std::string> by_value;
    if (options.by) {
      by_value = LookupByPattern(ctx, *options.by, item.element);
      if (!by_value) continue;  // missing weight: 0, or first with ALPHA
    }
    if (options.alpha) {
      if (options.by) item.by_value = std::move(by_value);
    } else if (!SortScore(options.by ? *by_value : item.element, &item.score)) {
      ctx.reply.Error("ERR One or more scores can't be converted into double");
      return false;
    }
  }
  return true;
}

// LIMIT clamped as Redis clamps it: [start, end] over `length` items, empty when end < start.
std::pair<int64_t, int64_t> LimitWindow(const SortOptions& options, int64_t length) {
  int64_t start = std::max<int64_t>(options.limit_start, 0);
  // A count past the end (up to INT64_MAX) takes the rest; start + count could overflow.
  bool to_the_end = options.limit_count < 0 || start >= length || options.limit_count > length - start;
  int64_t end = to_the_end ? length - 1 : start + options.limit_count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  return {start, std::min(end, length - 1)};
}

// The items in the window, or what their GET patterns read.
std::vector<std::optional<std::string>> SortOutput(CommandContext& ctx, const SortOptions& options,
                                                   const std::vector<SortItem>& items) {
  auto [start, end] = LimitWindow(options, static_cast<int64_t>(items.size()));
  std::vector<std::optional<std::string>> output;
  for (int64_t i = start; i <= end; ++i) {
    const std::string& element = items[static_cast<size_t>(i)].element;
    if (options.gets.empty()) output.emplace_back(element);
    for (const std::string& pattern : options.gets) output.push_back(LookupByPattern(ctx, pattern, element));
  }
  return output;
}

void RunSort(CommandContext& ctx, bool read_only) {
  SortOptions options;
  if (!ParseSortOptions(ctx, read_only, &options)) return;
  auto type = ctx.server.keyspace.Type(ctx.db(), ctx.args[1]);
  if (!type.ok()) return ctx.ReplyError(type.status());
  std::vector<SortItem> items;
  if (type->has_value()) {
    auto loaded = SortSource(ctx, **type);
    if (!loaded.ok()) return ctx.ReplyError(loaded.status());
    for (auto& element : *loaded) items.push_back(SortItem{std::move(element), 0, std::nullopt});
  }
  bool is_set = type->has_value() && **type == storage::KeyType::kSet;
  // As Redis: a stored unsorted set would depend on its iteration order, so it is sorted by element.
  if (options.dont_sort && is_set && options.store) {
    options.dont_sort = false;
    options.alpha = true;
    options.by.reset();
  }
  if (options.dont_sort) {
    if (options.desc && !is_set) std::reverse(items.begin(), items.end());
  } else {
    if (!WeighItems(ctx, options, &items)) return;
    SortItems(&items, options);
  }
  std::vector<std::optional<std::string>> output = SortOutput(ctx, options, items);
  if (options.store) {
    std::vector<std::string_view> values;
    for (const auto& value : output) values.emplace_back(value ? std::string_view(*value) : std::string_view());
    auto stored = ctx.server.lists.Replace(ctx.db(), *options.store, values);
    if (!stored.ok()) return ctx.ReplyError(stored.status());
    return ctx.reply.Integer(static_cast<int64_t>(*stored));
  }
  ctx.reply.ArrayHeader(output.size());
  for (const auto& value : output) value ? ctx.reply.Bulk(*value) : ctx.reply.NullBulk();
}

void Sort(CommandContext& ctx) { RunSort(ctx, false); }
void SortRo(CommandContext& ctx) { RunSort(ctx, true); }

// SORT's keys: the sorted key and STORE's destination (BY/GET patterns name
// keys too, but only at run time, as in Redis's key specs).
std::vector<size_t> SortKeys(const std::vector<std::string>& args) {
  std::vector<size_t> keys = {1};
  for (size_t j = 2; j + 1 < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "STORE")) keys.push_back(j + 1);
  }
  return keys;
}

}  // namespace

std::vector<CommandSpec> SortCommands() {
  return {
      {"sort", -2, kWrite | kDenyOom, 1, 1, 1, Sort, SortKeys},
      {"sort_ro", -2, kReadonly, 1, 1, 1, SortRo},
  };
}

}  // namespace kvd::server
