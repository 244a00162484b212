// Finds the run of plain GET commands at the front of a client's unread
// input, without parsing it for real: the server reads their keys from
// RocksDB in one MultiGet before it runs them one by one.
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

}  // namespace kvd::protocol
