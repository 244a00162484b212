#include "cluster/topology/json_fields.h"

namespace kvd::cluster::topology {

Result<Json> ParseJson(std::string_view text) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::InvalidArgument("malformed JSON");
  return json;
}

std::string DumpJson(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

JsonFields::JsonFields(const Json& object, std::string what) : object_(object), what_(std::move(what)) {}

const Json* JsonFields::Find(const char* key) {
  known_.insert(key);
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

Status JsonFields::Missing(const char* key) const {
  return Status::InvalidArgument(what_ + ": missing field '" + key + "'");
}

Status JsonFields::WrongType(const char* key, const char* expected) const {
  return Status::InvalidArgument(what_ + ": field '" + key + "' must be " + expected);
}

Status JsonFields::String(const char* key, std::string* out) {
  const Json* value = Find(key);
  if (value == nullptr) return Missing(key);
  if (!value->is_string()) return WrongType(key, "a string");
  *out = value->get_ref<const std::string&>();
  return Status::Ok();
}

Status JsonFields::OptionalString(const char* key, std::optional<std::string>* out) {
  const Json* value = Find(key);
  if (value == nullptr || value->is_null()) {
    out->reset();
    return Status::Ok();
  }
  if (!value->is_string()) return WrongType(key, "a string");
  *out = value->get_ref<const std::string&>();
  return Status::Ok();
}

Status JsonFields::U64(const char* key, uint64_t* out) {
  const Json* value = Find(key);
  if (value == nullptr) return Missing(key);
  if (!value->is_number_unsigned()) return WrongType(key, "a non-negative integer");
  *out = value->get<uint64_t>();
  return Status::Ok();
}

Status JsonFields::OptionalU64(const char* key, uint64_t* out) {
  const Json* value = Find(key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_number_unsigned()) return WrongType(key, "a non-negative integer");
  *out = value->get<uint64_t>();
  return Status::Ok();
}

Status JsonFields::OptionalBool(const char* key, bool* out) {
  const Json* value = Find(key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_boolean()) return WrongType(key, "true or false");
  *out = value->get<bool>();
  return Status::Ok();
}

Status JsonFields::Array(const char* key, const Json** out) {
  const Json* value = Find(key);
  if (value == nullptr) return Missing(key);
  if (!value->is_array()) return WrongType(key, "an array");
  *out = value;
  return Status::Ok();
}

Status JsonFields::OptionalArray(const char* key, const Json** out) {
  const Json* value = Find(key);
  *out = nullptr;
  if (value == nullptr || value->is_null()) return Status::Ok();
  if (!value->is_array()) return WrongType(key, "an array");
  *out = value;
  return Status::Ok();
}

Status JsonFields::Finish() const {
  if (!object_.is_object()) return Status::InvalidArgument(what_ + " must be a JSON object");
  for (const auto& [key, value] : object_.items()) {
    if (known_.count(key) == 0) return Status::InvalidArgument(what_ + ": unknown field '" + key + "'");
  }
  return Status::Ok();
}

}  // namespace kvd::cluster::topology
