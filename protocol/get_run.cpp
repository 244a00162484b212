#include "protocol/get_run.h"

#include <cctype>

namespace kvd::protocol {
namespace {

constexpr size_t kMaxKeyDigits = 9;  // longer keys (over 1 GB) are never read ahead

// Reads "$<length>\r\n" at `pos`; false when the input has anything else there.
bool ReadLength(std::string_view input, size_t* pos, size_t* length) {
  if (*pos >= input.size() || input[*pos] != '$') return false;
  size_t at = *pos + 1;
  size_t value = 0;
  size_t digits = 0;
  while (at < input.size() && std::isdigit(static_cast<unsigned char>(input[at])) && digits <= kMaxKeyDigits) {
    value = value * 10 + static_cast<size_t>(input[at] - '0');
    ++at;
    ++digits;
  }
  if (digits == 0 || digits > kMaxKeyDigits || input.substr(at, 2) != "\r\n") return false;
  *pos = at + 2;
  *length = value;
  return true;
}

// Reads "$<length>\r\n<bytes>\r\n" at `pos`.
bool ReadBulk(std::string_view input, size_t* pos, std::string_view* bulk) {
  size_t length = 0;
  if (!ReadLength(input, pos, &length) || input.size() - *pos < length + 2) return false;
  if (input.substr(*pos + length, 2) != "\r\n") return false;
  *bulk = input.substr(*pos, length);
  *pos += length + 2;
  return true;
}

// Letter case folded as command names need (they are letters only).
bool SameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

// Where the member is among a command's arguments (the name is 0), by
// argument count; 0 when the command has no member there.
size_t MemberPosition(std::string_view name, char count) {
  if (count == '3') {
    for (std::string_view known : {"hget", "hexists", "sadd", "sismember", "zscore"}) {
      if (SameIgnoringCase(name, known)) return 2;
    }
  } else if (count == '4') {
    if (SameIgnoringCase(name, "hset")) return 2;
    if (SameIgnoringCase(name, "zadd")) return 3;
  }
  return 0;
}

}  // namespace

size_t LeadingMemberRun(std::string_view input, size_t max, std::string_view* key,
                        std::vector<std::string_view>* members) {
  size_t found = 0;
  size_t pos = 0;
  std::string_view first_name;
  while (found < max) {
    if (input.size() - pos < 4 || input[pos] != '*' || input.substr(pos + 2, 2) != "\r\n") break;
    char count = input[pos + 1];
    size_t at = pos + 4;
    std::string_view name, this_key;
    if (!ReadBulk(input, &at, &name) || !ReadBulk(input, &at, &this_key)) break;
    size_t member_at = MemberPosition(name, count);
    if (member_at == 0) break;
    if (found > 0 && (!SameIgnoringCase(name, first_name) || this_key != *key)) break;
    std::string_view argument, member;
    for (size_t index = 2; index < static_cast<size_t>(count - '0'); ++index) {
      if (!ReadBulk(input, &at, &argument)) return found;
      if (index == member_at) member = argument;
    }
    if (found == 0) {
      first_name = name;
      *key = this_key;
    }
    members->push_back(member);
    pos = at;
    ++found;
  }
  return found;
}

size_t LeadingGetKeys(std::string_view input, size_t max, std::vector<std::string_view>* keys) {
  size_t found = 0;
  size_t pos = 0;
  while (found < max) {
    size_t at = pos;
    if (input.substr(at, 4) != "*2\r\n") break;
    at += 4;
    std::string_view name, key;
    if (!ReadBulk(input, &at, &name) || !SameIgnoringCase(name, "get") || !ReadBulk(input, &at, &key)) break;
    keys->push_back(key);
    pos = at;
    ++found;
  }
  return found;
}

}  // namespace kvd::protocol
