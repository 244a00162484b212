#include "roles/proxy/key_table.h"

#include <algorithm>
#include <cstdlib>

#include "common/ascii.h"

namespace kvd::proxy {

namespace {

// How a command with moving keys lays them out.
struct MovingKeys {
  std::string_view name;
  size_t numkeys_at;     // index of the key count; 0: no count
  size_t fixed_before;   // keys at 1..fixed_before ahead of the counted ones (a destination)
  bool store_option;     // a STORE/STOREDIST option names one more key
  bool streams_option;   // keys are the first half of what follows STREAMS
};

constexpr MovingKeys kMovingKeys[] = {
    {"zunionstore", 2, 1, false, false}, {"zinterstore", 2, 1, false, false}, {"zdiffstore", 2, 1, false, false},
    {"zunion", 1, 0, false, false},      {"zinter", 1, 0, false, false},      {"zdiff", 1, 0, false, false},
    {"zintercard", 1, 0, false, false},  {"sintercard", 1, 0, false, false},  {"lmpop", 1, 0, false, false},
    {"zmpop", 1, 0, false, false},       {"blmpop", 2, 0, false, false},      {"bzmpop", 2, 0, false, false},
    {"eval", 2, 0, false, false},        {"evalsha", 2, 0, false, false},     {"eval_ro", 2, 0, false, false},
    {"evalsha_ro", 2, 0, false, false},  {"fcall", 2, 0, false, false},       {"fcall_ro", 2, 0, false, false},
    {"sort", 0, 1, true, false},         {"georadius", 0, 1, true, false},    {"georadiusbymember", 0, 1, true, false},
    {"xread", 0, 0, false, true},        {"xreadgroup", 0, 0, false, true},
};

const MovingKeys* FindMoving(std::string_view name) {
  for (const auto& moving : kMovingKeys) {
    if (moving.name == name) return &moving;
  }
  return nullptr;
}

std::vector<size_t> MovingKeyIndexes(const MovingKeys& moving, const std::vector<std::string>& args) {
  std::vector<size_t> keys;
  for (size_t i = 1; i <= moving.fixed_before && i < args.size(); ++i) keys.push_back(i);
  if (moving.numkeys_at > 0 && moving.numkeys_at < args.size()) {
    long long count = std::strtoll(args[moving.numkeys_at].c_str(), nullptr, 10);
    for (long long i = 0; i < count && moving.numkeys_at + 1 + i < args.size(); ++i) {
      keys.push_back(moving.numkeys_at + 1 + static_cast<size_t>(i));
    }
  }
  if (moving.store_option) {
    for (size_t i = 2; i + 1 < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "store") || EqualsIgnoreCase(args[i], "storedist")) keys.push_back(i + 1);
    }
  }
  if (moving.streams_option) {
    for (size_t i = 1; i < args.size(); ++i) {
      if (!EqualsIgnoreCase(args[i], "streams")) continue;
      size_t rest = args.size() - i - 1;
      for (size_t k = 0; k < rest / 2; ++k) keys.push_back(i + 1 + k);
      break;
    }
  }
  return keys;
}

bool HasFlag(const protocol::RespValue& flags, std::string_view name) {
  for (const auto& flag : flags.elements) {
    if (flag.str == name) return true;
  }
  return false;
}

}  // namespace

Result<KeyTable> KeyTable::FromCommandReply(const protocol::RespValue& reply) {
  using Type = protocol::RespValue::Type;
  if (reply.type != Type::kArray) return Status::InvalidArgument("COMMAND did not answer an array: " + reply.ToString());
  KeyTable table;
  for (const auto& entry : reply.elements) {
    const auto& e = entry.elements;
    if (entry.type != Type::kArray || e.size() < 6 || e[1].type != Type::kInteger || e[3].type != Type::kInteger ||
        e[4].type != Type::kInteger || e[5].type != Type::kInteger) {
      return Status::InvalidArgument("unexpected COMMAND entry: " + entry.ToString());
    }
    KeySpec spec;
    spec.arity = static_cast<int>(e[1].integer);
    spec.first_key = static_cast<int>(e[3].integer);
    spec.last_key = static_cast<int>(e[4].integer);
    spec.key_step = std::max(1, static_cast<int>(e[5].integer));
    spec.blocking = HasFlag(e[2], "blocking");
    spec.pubsub = HasFlag(e[2], "pubsub");
    table.specs_[ToLower(e[0].str)] = spec;
  }
  if (table.specs_.empty()) return Status::InvalidArgument("COMMAND listed no commands");
  return table;
}

const KeySpec* KeyTable::Find(std::string_view name) const {
  auto found = specs_.find(std::string(name));
  return found == specs_.end() ? nullptr : &found->second;
}

bool KeyTable::TakesKeys(const KeySpec& spec, std::string_view name) {
  return spec.first_key > 0 || FindMoving(name) != nullptr;
}

std::vector<size_t> KeyTable::KeyIndexes(const KeySpec& spec, const std::vector<std::string>& args) const {
  if (const MovingKeys* moving = FindMoving(args[0])) return MovingKeyIndexes(*moving, args);
  std::vector<size_t> keys;
  if (spec.first_key <= 0) return keys;
  long long last = spec.last_key < 0 ? static_cast<long long>(args.size()) + spec.last_key : spec.last_key;
  for (long long i = spec.first_key; i <= last && i < static_cast<long long>(args.size()); i += spec.key_step) {
    keys.push_back(static_cast<size_t>(i));
  }
  return keys;
}

}  // namespace kvd::proxy
