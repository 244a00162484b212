// Where each command's keys are, learned from a backend's COMMAND reply (so
// the proxy follows whatever its backends implement, kvd or redis-server),
// plus the commands whose keys move with their arguments (a numkeys count,
// a STORE option), which COMMAND's fixed positions cannot describe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "protocol/resp_value.h"

namespace kvd::proxy {

struct KeySpec {
  int arity = 0;      // as Redis: >0 exactly, <0 at least -arity (name included)
  int first_key = 0;  // 0: no keys at fixed positions
  int last_key = 0;   // negative: counted from the end (-1 = last argument)
  int key_step = 1;
  bool blocking = false;
  bool pubsub = false;
};

class KeyTable {
 public:
  // From the reply to COMMAND (Redis 7's or kvd's entry layout).
  static Result<KeyTable> FromCommandReply(const protocol::RespValue& reply);

  // Lower-case name; nullptr when the backends do not know the command.
  const KeySpec* Find(std::string_view name) const;
  // The argument indexes of the keys of `args` (args[0] is the command, in
  // lower case). Keys beyond the arguments given are left out: the backend
  // answers that the argument count is wrong.
  std::vector<size_t> KeyIndexes(const KeySpec& spec, const std::vector<std::string>& args) const;
  // Whether the command names keys at all (at fixed positions or moving
  // ones): with none found in `args`, its arguments are wrong, and a backend says how.
  static bool TakesKeys(const KeySpec& spec, std::string_view name);
  size_t size() const { return specs_.size(); }

 private:
  std::unordered_map<std::string, KeySpec> specs_;
};

}  // namespace kvd::proxy
