// Small helpers every command family uses to read its arguments. Each
// Parse* replies the Redis error itself and returns false on bad input, so a
// handler can simply `return` when one fails.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <functional>

#include "common/ascii.h"
#include "roles/server/context.h"

namespace kvd::server {

using kvd::EqualsIgnoreCase;
using kvd::ToLower;
using kvd::ToUpper;

bool ParseIntArg(CommandContext& ctx, size_t index, int64_t* out);
bool ParseDoubleArg(CommandContext& ctx, size_t index, double* out);
// A SELECT/MOVE/COPY database index within the configured count.
bool ParseDbIndexArg(CommandContext& ctx, size_t index, uint8_t* out, const char* out_of_range_error);

std::vector<std::string_view> ArgViews(const std::vector<std::string>& args, size_t from, size_t step = 1);

// HSCAN/SSCAN/ZSCAN cursors, as Redis's strtoul reads them: no leading
// space, an optional sign, nothing after the digits.
bool ParseScanCursor(const std::string& text, uint64_t* cursor);

struct ScanOptions {
  std::optional<std::string> pattern;  // nullopt: everything (no MATCH, or MATCH *)
  int64_t count = 10;
};
// MATCH and COUNT from argument `from` on; replies the error itself.
bool ParseScanOptions(CommandContext& ctx, ScanOptions* options, size_t from = 3);

// HSCAN/SSCAN: reads the cursor and options, scans through `scan` and replies
// [next cursor, elements]. `size` is the collection's size: Redis answers an
// empty page for a missing key before it reads the options. With
// `with_values` each element is a field and its value.
void ReplySubKeyScan(CommandContext& ctx, const std::function<Result<uint64_t>()>& size,
                     const std::function<Result<storage::SubKeyScanPage>(const std::string& from,
                                                                          const std::optional<std::string>& pattern,
                                                                          size_t count)>& scan,
                     bool with_values);

// LMPOP, ZMPOP and their blocking forms: "numkeys key... SIDE [COUNT n]" from
// `numkeys_index` on, read in Redis's order (numkeys, the side, then COUNT;
// the blocking forms read their timeout after all of it). Replies on error.
struct MultiPopArgs {
  std::vector<std::string_view> keys;
  size_t side = 0;  // which of `sides` was given
  uint64_t count = 1;
};
bool ParseMultiPop(CommandContext& ctx, size_t numkeys_index, std::initializer_list<std::string_view> sides,
                   MultiPopArgs* out);

// Replies an array of bulk strings.
void ReplyBulks(CommandContext& ctx, const std::vector<std::string>& items);
// A HELP reply: one status line per entry, as Redis answers HELP subcommands.
void ReplyHelp(CommandContext& ctx, std::initializer_list<const char*> lines);

}  // namespace kvd::server
