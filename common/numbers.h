// Strict number parsing and formatting with Redis's rules: "01", " 1", "+1"
// and "1.0" are not integers; doubles reject NaN; formatting matches Redis.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvd {

bool ParseInt64(std::string_view text, int64_t* out);
bool ParseUint64(std::string_view text, uint64_t* out);
// Accepts what strtod accepts plus "inf"/"-inf"/"+inf"; rejects NaN, spaces and empty.
bool ParseDouble(std::string_view text, double* out);
bool ParseLongDouble(std::string_view text, long double* out);

std::string FormatInt64(int64_t value);
// As Redis 7.0 replies doubles: "%.17g", and "inf"/"-inf".
std::string FormatDouble(double value);
// INCRBYFLOAT's form: up to 17 significant digits, no exponent, no trailing zeros.
std::string FormatLongDouble(long double value);

}  // namespace kvd
