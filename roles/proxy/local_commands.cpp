#include "roles/proxy/local_commands.h"

#include <cctype>

#include "common/version.h"
#include "protocol/resp_writer.h"
#include "roles/proxy/replies.h"

namespace kvd::proxy {

bool AnswerLocally(const std::vector<std::string>& args, LocalState& state, std::string* reply) {
  const std::string& name = args[0];
  size_t argc = args.size();
  if (name == "ping") {
    if (argc > 2) return *reply = WrongArity(name), true;
    *reply = argc == 2 ? BulkReply(args[1]) : "+PONG\r\n";
    return true;
  }
  if (name == "echo") {
    *reply = argc == 2 ? BulkReply(args[1]) : WrongArity(name);
    return true;
  }
  if (name == "quit") {
    *reply = "+OK\r\n";
    state.quit = true;
    return true;
  }
  if (name == "select") {
    if (argc != 2) return *reply = WrongArity(name), true;
    *reply = args[1] == "0" ? "+OK\r\n" : ErrorReply("ERR kvd proxy serves database 0 only");
    return true;
  }
  if (name == "auth") {
    if (argc < 2 || argc > 3) return *reply = WrongArity(name), true;
    const std::string& password = args.back();
    if (state.requirepass.empty()) {
      *reply = ErrorReply(
          "ERR AUTH <password> called without any password configured for the default user. Are you sure your "
          "configuration is correct?");
    } else if (password == state.requirepass && (argc == 2 || args[1] == "default")) {
      state.authenticated = true;
      *reply = "+OK\r\n";
    } else {
      *reply = ErrorReply("WRONGPASS invalid username-password pair or user is disabled.");
    }
    return true;
  }
  if (name == "hello") {
    size_t i = 1;
    if (argc >= 2) {
      if (args[1] != "2" && args[1] != "1" && args[1] != "3") {
        return *reply = ErrorReply("ERR Protocol version is not an integer or out of range"), true;
      }
      if (args[1] != "2") return *reply = ErrorReply("NOPROTO sorry, this protocol version is not supported."), true;
      i = 2;
    }
    for (; i < argc; ++i) {
      std::string option = args[i];
      for (char& c : option) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (option == "auth" && i + 2 < argc) {
        if (state.requirepass.empty() || args[i + 2] != state.requirepass) {
          return *reply = ErrorReply("WRONGPASS invalid username-password pair or user is disabled."), true;
        }
        state.authenticated = true;
        i += 2;
      } else if (option == "setname" && i + 1 < argc) {
        state.client_name = args[++i];
      } else {
        return *reply = ErrorReply("ERR Syntax error in HELLO option '" + args[i] + "'"), true;
      }
    }
    if (!state.authenticated) return *reply = ErrorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"), true;
    protocol::RespWriter writer(reply);
    writer.MapHeader(7);
    writer.Bulk("server");
    writer.Bulk("redis");
    writer.Bulk("version");
    writer.Bulk(kRedisCompatVersion);
    writer.Bulk("proto");
    writer.Integer(2);
    writer.Bulk("id");
    writer.Integer(static_cast<int64_t>(state.client_id));
    writer.Bulk("mode");
    writer.Bulk("proxy");
    writer.Bulk("role");
    writer.Bulk("master");
    writer.Bulk("modules");
    writer.ArrayHeader(0);
    return true;
  }
  if (name == "client") {
    std::string sub = argc >= 2 ? args[1] : "";
    for (char& c : sub) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (sub == "setname" && argc == 3) {
      state.client_name = args[2];
      *reply = "+OK\r\n";
    } else if (sub == "getname" && argc == 2) {
      *reply = state.client_name.empty() ? "$-1\r\n" : BulkReply(state.client_name);
    } else if (sub == "id" && argc == 2) {
      protocol::RespWriter(reply).Integer(static_cast<int64_t>(state.client_id));
    } else {
      *reply = ErrorReply("ERR 'client " + sub + "' is not supported through kvd proxy");
    }
    return true;
  }
  if (name == "info") {
    *reply = BulkReply(state.info());
    return true;
  }
  return false;
}

}  // namespace kvd::proxy
