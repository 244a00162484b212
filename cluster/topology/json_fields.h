// Checked access to the fields of a JSON object from nlohmann_json, so that
// decoding untrusted JSON never throws: every accessor checks the type and
// returns Status::InvalidArgument naming the field. Finish() refuses fields
// nobody asked for, so a typo in a command is an error, not a silent no-op.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/status.h"

namespace kvd::cluster::topology {

using Json = nlohmann::json;

// Parses `text`; InvalidArgument (never an exception) if it is not JSON.
Result<Json> ParseJson(std::string_view text);
// Serializes without throwing (invalid UTF-8 is replaced, not fatal).
std::string DumpJson(const Json& json);

class JsonFields {
 public:
  // `what` names the object in error messages ("command", "replica", ...).
  JsonFields(const Json& object, std::string what);

  Status String(const char* key, std::string* out);
  Status OptionalString(const char* key, std::optional<std::string>* out);
  Status U64(const char* key, uint64_t* out);
  Status OptionalU64(const char* key, uint64_t* out);  // leaves *out alone when absent
  Status OptionalBool(const char* key, bool* out);
  // Required / optional arrays; *out points into the object.
  Status Array(const char* key, const Json** out);
  Status OptionalArray(const char* key, const Json** out);  // nullptr when absent
  // Fails if the value was not an object, or has fields no accessor asked for.
  Status Finish() const;

 private:
  const Json* Find(const char* key);
  Status Missing(const char* key) const;
  Status WrongType(const char* key, const char* expected) const;

  const Json& object_;
  std::string what_;
  std::set<std::string> known_;
};

}  // namespace kvd::cluster::topology
