#include "roles/proxy/local_commands.h"

#include "common/ascii.h"
#include "common/numbers.h"
#include "common/redis_errors.h"
#include "protocol/hello_reply.h"
#include "protocol/resp_writer.h"
#include "roles/proxy/replies.h"

namespace kvd::proxy {

namespace {

bool PasswordMatches(const LocalState& state, const std::string& user, const std::string& password) {
  return !state.requirepass.empty() && user == "default" && password == state.requirepass;
}

std::string Auth(const std::vector<std::string>& args, LocalState& state) {
  if (args.size() < 2 || args.size() > 3) return WrongArity(args[0]);
  if (state.requirepass.empty()) return ErrorReply(errors::kAuthNotConfigured);
  if (!PasswordMatches(state, args.size() == 3 ? args[1] : "default", args.back())) {
    return ErrorReply(errors::kWrongPass);
  }
  state.authenticated = true;
  return "+OK\r\n";
}

// HELLO [protover [AUTH user pass] [SETNAME name]]: the proxy speaks RESP2 only,
// so HELLO 3 gets NOPROTO, on which clients fall back to RESP2.
std::string Hello(const std::vector<std::string>& args, LocalState& state) {
  size_t i = 1;
  if (args.size() >= 2) {
    int64_t version = 0;
    if (!ParseInt64(args[1], &version)) return ErrorReply(errors::kProtocolVersion);
    if (version != 2) return ErrorReply(errors::kNoProto);
    i = 2;
  }
  for (; i < args.size(); ++i) {
    std::string option = ToLower(args[i]);
    if (option == "auth" && i + 2 < args.size()) {
      if (!PasswordMatches(state, args[i + 1], args[i + 2])) return ErrorReply(errors::kWrongPass);
      state.authenticated = true;
      i += 2;
    } else if (option == "setname" && i + 1 < args.size()) {
      state.client_name = args[++i];
    } else {
      return ErrorReply("ERR Syntax error in HELLO option '" + args[i] + "'");
    }
  }
  if (!state.authenticated) return ErrorReply(errors::kHelloNoAuth);
  std::string reply;
  protocol::RespWriter writer(&reply);
  protocol::WriteHelloReply(writer, 2, state.client_id, "proxy", "master");
  return reply;
}

std::string Client(const std::vector<std::string>& args, LocalState& state) {
  std::string sub = args.size() >= 2 ? ToLower(args[1]) : "";
  if (sub == "setname" && args.size() == 3) {
    state.client_name = args[2];
    return "+OK\r\n";
  }
  if (sub == "getname" && args.size() == 2) return state.client_name.empty() ? "$-1\r\n" : BulkReply(state.client_name);
  if (sub == "id" && args.size() == 2) return ":" + std::to_string(state.client_id) + "\r\n";
  return ErrorReply("ERR 'client " + sub + "' is not supported through kvd proxy");
}

}  // namespace

bool AnswerLocally(const std::vector<std::string>& args, LocalState& state, std::string* reply) {
  const std::string& name = args[0];
  size_t argc = args.size();
  if (name == "ping") {
    *reply = argc > 2 ? WrongArity(name) : argc == 2 ? BulkReply(args[1]) : "+PONG\r\n";
  } else if (name == "echo") {
    *reply = argc == 2 ? BulkReply(args[1]) : WrongArity(name);
  } else if (name == "quit") {
    *reply = "+OK\r\n";
    state.quit = true;
  } else if (name == "select") {
    *reply = argc != 2 ? WrongArity(name) : args[1] == "0" ? "+OK\r\n" : ErrorReply("ERR kvd proxy serves database 0 only");
  } else if (name == "auth") {
    *reply = Auth(args, state);
  } else if (name == "hello") {
    *reply = Hello(args, state);
  } else if (name == "client") {
    *reply = Client(args, state);
  } else if (name == "info") {
    *reply = BulkReply(state.info());
  } else {
    return false;
  }
  return true;
}

}  // namespace kvd::proxy
