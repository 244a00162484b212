// The options of a role whose settings are fixed at start-up (sentinel,
// proxy): one table of names shared by the command line and a config file
// (--config FILE, "name value" lines). A flag overrides the file; an unknown
// name or a bad value stops start-up with a message naming the option (and
// the file's line).
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "common/config_file.h"
#include "common/numbers.h"
#include "common/status.h"

namespace kvd {

template <class Config>
struct RoleOption {
  const char* name;
  const char* help;
  std::function<Status(Config&, const std::string&)> apply;
};

inline Status ParseNonNegative(const std::string& value, uint64_t* out) {
  int64_t parsed = 0;
  if (!ParseInt64(value, &parsed) || parsed < 0) return Status::InvalidArgument("not a non-negative integer");
  *out = static_cast<uint64_t>(parsed);
  return Status::Ok();
}

inline Status ParsePort(const std::string& value, uint16_t* out) {
  uint64_t port = 0;
  KVD_RETURN_IF_ERROR(ParseNonNegative(value, &port));
  if (port == 0 || port > 65535) return Status::InvalidArgument("port must be 1..65535");
  *out = static_cast<uint16_t>(port);
  return Status::Ok();
}

// Fills `config` from the config file (if --config is given) and then the
// flags. `help_text` receives the option list for --help.
template <class Config>
Status LoadRoleOptions(const std::string& role, const std::vector<RoleOption<Config>>& options, int argc, char** argv,
                       Config* config, bool* help_requested, std::string* help_text) {
  namespace po = boost::program_options;
  po::options_description description("kvd " + role + " options");
  description.add_options()("help,h", "show this help")("config", po::value<std::string>(), "config file");
  for (const auto& option : options) description.add_options()(option.name, po::value<std::string>(), option.help);
  std::ostringstream help;
  help << description;
  *help_text = help.str();
  po::variables_map flags;
  try {
    po::store(po::command_line_parser(argc, argv).options(description).run(), flags);
  } catch (const po::error& error) {
    return Status::InvalidArgument(error.what());
  }
  *help_requested = flags.count("help") > 0;
  auto find = [&options](const std::string& name) -> const RoleOption<Config>* {
    for (const auto& option : options) {
      if (name == option.name) return &option;
    }
    return nullptr;
  };
  if (flags.count("config")) {
    std::string path = flags["config"].template as<std::string>();
    auto lines = ReadConfigFile(path);
    if (!lines.ok()) return lines.status();
    for (const ConfigLine& line : *lines) {
      std::string where = path + " line " + std::to_string(line.line_number) + ": ";
      const RoleOption<Config>* option = find(line.name);
      if (option == nullptr) return Status::InvalidArgument(where + "unknown option '" + line.name + "'");
      Status applied = option->apply(*config, line.value);
      if (!applied.ok()) return Status::InvalidArgument(where + "bad value for '" + line.name + "': " + applied.message());
    }
  }
  for (const auto& option : options) {
    if (!flags.count(option.name)) continue;
    Status applied = option.apply(*config, flags[option.name].template as<std::string>());
    if (!applied.ok()) return Status::InvalidArgument(std::string("bad value for --") + option.name + ": " + applied.message());
  }
  return Status::Ok();
}

}  // namespace kvd
