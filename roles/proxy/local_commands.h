// The connection commands the proxy answers itself, without a backend:
// PING, ECHO, QUIT, SELECT (database 0 only), AUTH, HELLO (RESP2), CLIENT
// SETNAME/GETNAME/ID, INFO. A function of the command and the client's
// connection state, with Redis's replies and error texts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kvd::proxy {

struct LocalState {
  std::string requirepass;  // empty: no AUTH needed
  uint64_t client_id = 0;
  bool authenticated = false;
  bool quit = false;        // QUIT: close once the reply is written
  std::string client_name;
  std::function<std::string()> info;  // INFO's text
};

// `args[0]` in lower case. False for every command that is not answered here.
bool AnswerLocally(const std::vector<std::string>& args, LocalState& state, std::string* reply);

}  // namespace kvd::proxy
