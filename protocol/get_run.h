// Finds runs of point reads at the front of a client's unread input, without
// parsing it for real: a run of plain GETs, or of commands that look up
// members of one collection (HSET, SADD, ZADD...). The server reads their
// keys from RocksDB in one MultiGet before it runs them one by one.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace kvd::protocol {

// Appends to `keys` the key of each complete `*2\r\n$3\r\nGET\r\n$N\r\n<key>\r\n`
// (any letter case) at the front of `input`, at most `max` of them; stops at
// the first command of another shape or one not complete yet. Returns how
// many it found. The views point into `input`.
size_t LeadingGetKeys(std::string_view input, size_t max, std::vector<std::string_view>* keys);

// A run of commands of one name that each look up one member of the same key:
// `HGET|HEXISTS|SADD|SISMEMBER|ZSCORE key member` and `HSET key field value`,
// `ZADD key score member` (any letter case). Sets `*key` and appends each
// command's member to `members`, at most `max`; stops at the first command of
// another name, key or shape, or one not complete yet. Returns how many it found.
size_t LeadingMemberRun(std::string_view input, size_t max, std::string_view* key,
                        std::vector<std::string_view>* members);

}  // namespace kvd::protocol
