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

// One option's current value for CONFIG REWRITE.
struct ConfigSetting {
  std::string name;
  std::string value;
  bool is_default = false;
};

// The file's text with each setting's value (CONFIG REWRITE, as Redis does
// it): an option's first line is rewritten in place and its later lines
// dropped; comments, blank lines and other lines stay; an option not in the
// file is appended, unless it has its default value; an empty default
// (replicaof on a master) removes the option's lines. InvalidArgument for a
// value a line cannot hold (a line break).
Result<std::string> RewriteConfigText(const std::string& text, const std::vector<ConfigSetting>& settings);

}  // namespace kvd
