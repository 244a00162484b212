// A decoded RESP reply, and a parser for replies (the client side of the
// protocol: tests, tools, and later the proxy and sentinel).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kvd::protocol {

struct RespValue {
  enum class Type { kSimple, kError, kInteger, kBulk, kNull, kArray, kDouble, kBoolean, kMap, kSet, kPush, kVerbatim };
  Type type = Type::kNull;
  std::string str;       // simple, error, bulk, double text, verbatim
  int64_t integer = 0;   // integer, boolean
  std::vector<RespValue> elements;  // array, set, push; map as k,v,k,v

  bool IsError() const { return type == Type::kError; }
  bool IsNull() const { return type == Type::kNull; }
  // A readable one-line form used by tests and tools: "OK", "(nil)", "(error) ERR x", "[a, b]".
  std::string ToString() const;
};

// Parses one complete reply from the front of `input`. Returns the bytes
// used, 0 when the reply is not complete yet, or an error for bad bytes.
Result<size_t> ParseReply(std::string_view input, RespValue* out);

}  // namespace kvd::protocol
