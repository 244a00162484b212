// Small reply builders and name tests the proxy's files share.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "protocol/resp_writer.h"

namespace kvd::proxy {

// `message` without the leading '-': "ERR syntax error".
inline std::string ErrorReply(std::string_view message) {
  std::string out;
  protocol::RespWriter(&out).Error(message);
  return out;
}

inline std::string WrongArity(const std::string& name) {
  return ErrorReply("ERR wrong number of arguments for '" + name + "' command");
}

inline std::string BulkReply(std::string_view text) {
  std::string out;
  protocol::RespWriter(&out).Bulk(text);
  return out;
}

inline bool Named(std::string_view name, std::initializer_list<std::string_view> names) {
  for (std::string_view each : names) {
    if (name == each) return true;
  }
  return false;
}

}  // namespace kvd::proxy
