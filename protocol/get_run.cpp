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

bool IsGet(std::string_view name) {
  return name.size() == 3 && (name[0] | 0x20) == 'g' && (name[1] | 0x20) == 'e' && (name[2] | 0x20) == 't';
}

}  // namespace

size_t LeadingGetKeys(std::string_view input, size_t max, std::vector<std::string_view>* keys) {
  size_t found = 0;
  size_t pos = 0;
  while (found < max) {
    size_t at = pos;
    if (input.substr(at, 4) != "*2\r\n") break;
    at += 4;
    size_t length = 0;
    if (!ReadLength(input, &at, &length) || length != 3 || input.size() - at < 5) break;
    if (!IsGet(input.substr(at, 3)) || input.substr(at + 3, 2) != "\r\n") break;
    at += 5;
    if (!ReadLength(input, &at, &length) || input.size() - at < length + 2) break;
    if (input.substr(at + length, 2) != "\r\n") break;
    keys->push_back(input.substr(at, length));
    pos = at + length + 2;
    ++found;
  }
  return found;
}

}  // namespace kvd::protocol
