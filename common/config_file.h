// Reads a Redis-style config file: one "name value" per line, '#' comments,
// values may be quoted. Knows nothing of which names are valid; the role's
// option table checks them and reports the line.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace kvd {

struct ConfigLine {
  int line_number = 0;
  std::string name;
  std::string value;  // the rest of the line, unquoted
};

Result<std::vector<ConfigLine>> ReadConfigFile(const std::string& path);
Result<std::vector<ConfigLine>> ParseConfigText(const std::string& text);

}  // namespace kvd
