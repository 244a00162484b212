#include "common/config_file.h"

#include <fstream>
#include <sstream>

namespace kvd {
namespace {

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// Strips one pair of matching quotes around the whole value.
std::string Unquote(const std::string& value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

}  // namespace

Result<std::vector<ConfigLine>> ParseConfigText(const std::string& text) {
  std::vector<ConfigLine> lines;
  std::istringstream input(text);
  std::string raw;
  int number = 0;
  while (std::getline(input, raw)) {
    ++number;
    std::string line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    size_t split = line.find_first_of(" \t=");
    ConfigLine entry;
    entry.line_number = number;
    entry.name = line.substr(0, split);
    if (split != std::string::npos) {
      std::string rest = Trim(line.substr(split + 1));
      if (!rest.empty() && rest[0] == '=' && line[split] != '=') rest = Trim(rest.substr(1));
      entry.value = Unquote(rest);
    }
    lines.push_back(std::move(entry));
  }
  return lines;
}

Result<std::vector<ConfigLine>> ReadConfigFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status::IOError("cannot open config file '" + path + "'");
  std::stringstream content;
  content << file.rdbuf();
  return ParseConfigText(content.str());
}

}  // namespace kvd
