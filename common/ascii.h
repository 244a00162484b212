// ASCII case helpers for command names and options, which Redis matches
// case-insensitively and names in lower case in its error texts.
#pragma once

#include <string>
#include <string_view>

namespace kvd {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view text);
std::string ToUpper(std::string_view text);
void LowerInPlace(std::string& text);

}  // namespace kvd
