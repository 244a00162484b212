#include "common/numbers.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kvd {

bool ParseInt64(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  if (text.size() == 1 && text[0] == '0') {
    *out = 0;
    return true;
  }
  size_t pos = text[0] == '-' ? 1 : 0;
  if (pos >= text.size() || text[pos] < '1' || text[pos] > '9') return false;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  *out = value;
  return true;
}

bool ParseUint64(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  if (text[0] < '0' || text[0] > '9') return false;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  *out = value;
  return true;
}

namespace {
// Redis accepts float texts up to 5 KB (INCRBYFLOAT can store a 309-digit value).
constexpr size_t kMaxFloatText = 5 * 1024;

template <typename Float, typename Convert>
bool ParseFloating(std::string_view text, Float* out, Convert convert) {
  if (text.empty() || text.size() > kMaxFloatText) return false;
  if (std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char buffer[kMaxFloatText + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  Float value = convert(buffer, &end);
  if (end != buffer + text.size() || std::isnan(value)) return false;
  // As Redis: a finite literal that overflows to infinity or underflows to zero
  // is rejected; a subnormal result is kept. An explicit "inf" sets no ERANGE.
  if (errno == ERANGE && (std::isinf(value) || value == 0)) return false;
  *out = value;
  return true;
}
}  // namespace

bool ParseDouble(std::string_view text, double* out) {
  return ParseFloating(text, out, [](const char* s, char** e) { return std::strtod(s, e); });
}

bool ParseLongDouble(std::string_view text, long double* out) {
  return ParseFloating(text, out, [](const char* s, char** e) { return std::strtold(s, e); });
}

std::string FormatInt64(int64_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  (void)error;
  return std::string(buffer, end);
}

std::string FormatDouble(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Redis 7.0 replies doubles with "%.17g".
  char buffer[64];
  int length = std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return std::string(buffer, static_cast<size_t>(length));
}

std::string FormatLongDouble(long double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[5 * 1024];
  int length = std::snprintf(buffer, sizeof(buffer), "%.17Lf", value);
  if (length <= 0 || static_cast<size_t>(length) >= sizeof(buffer)) return "0";
  std::string text(buffer, static_cast<size_t>(length));
  if (text.find('.') != std::string::npos) {
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
  }
  // Returned rather than assigned: GCC 12 with -fsanitize reports a bogus
  // -Wrestrict on std::string::operator=(const char*) here.
  if (text == "-0") return "0";
  return text;
}

}  // namespace kvd
