// Redis's glob-style pattern matching (KEYS, SCAN MATCH, PSUBSCRIBE):
// '*', '?', '[abc]', '[^a]', '[a-z]' and '\' escapes, byte-wise.
#pragma once

#include <string_view>

namespace kvd {

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace kvd
