#include "cluster/topology/command.h"

#include "cluster/topology/json_codec.h"
#include "cluster/topology/json_fields.h"

namespace kvd::cluster::topology {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// ---- encoding -------------------------------------------------------------

Json ToJson(const AddGroup& c) {
  Json json = {{"op", "add_group"}, {"group", c.group}, {"master", c.master}, {"replicas", ReplicasToJson(c.replicas)}};
  if (c.auth_pass) json["auth_pass"] = *c.auth_pass;
  return json;
}

Json ToJson(const RemoveGroup& c) { return {{"op", "remove_group"}, {"group", c.group}}; }

Json ToJson(const SetMaster& c) {
  Json json = {{"op", "set_master"},
               {"group", c.group},
               {"master", c.master},
               {"expected_epoch", c.expected_epoch},
               {"new_epoch", c.new_epoch}};
  if (c.replicas) json["replicas"] = ReplicasToJson(*c.replicas);
  return json;
}

Json ToJson(const SetReplicas& c) {
  return {{"op", "set_replicas"}, {"group", c.group}, {"replicas", ReplicasToJson(c.replicas)}};
}

Json ToJson(const SetAuthPass& c) {
  Json json = {{"op", "set_auth_pass"}, {"group", c.group}};
  if (c.auth_pass) json["auth_pass"] = *c.auth_pass;
  return json;
}

Json ToJson(const AssignSlots& c) {
  return {{"op", "assign_slots"}, {"group", c.group}, {"ranges", RangesToJson(c.ranges)}, {"force", c.force}};
}

Json ToJson(const BeginMigration& c) {
  return {{"op", "begin_migration"}, {"ranges", RangesToJson(c.ranges)}, {"to", c.to}};
}

Json ToJson(const FinishMigration& c) { return {{"op", "finish_migration"}, {"ranges", RangesToJson(c.ranges)}}; }

Json ToJson(const AbortMigration& c) { return {{"op", "abort_migration"}, {"ranges", RangesToJson(c.ranges)}}; }

Json ToJson(const RegisterProxy& c) {
  return {{"op", "register_proxy"}, {"id", c.id}, {"address", c.address}, {"now_ms", c.now_ms}};
}

Json ToJson(const UnregisterProxy& c) { return {{"op", "unregister_proxy"}, {"id", c.id}}; }

// ---- decoding -------------------------------------------------------------

Status DecodeFields(JsonFields& f, AddGroup* c) {
  const Json* replicas = nullptr;
  KVD_RETURN_IF_ERROR(f.String("group", &c->group));
  KVD_RETURN_IF_ERROR(f.String("master", &c->master));
  KVD_RETURN_IF_ERROR(f.OptionalArray("replicas", &replicas));
  KVD_RETURN_IF_ERROR(f.OptionalString("auth_pass", &c->auth_pass));
  if (replicas != nullptr) KVD_RETURN_IF_ERROR(ReplicasFromJson(*replicas, &c->replicas));
  KVD_RETURN_IF_ERROR(ValidateGroupName(c->group));
  KVD_RETURN_IF_ERROR(ValidateAddress(c->master));
  return ValidateReplicas(c->replicas, c->master);
}

Status DecodeFields(JsonFields& f, RemoveGroup* c) {
  KVD_RETURN_IF_ERROR(f.String("group", &c->group));
  return ValidateGroupName(c->group);
}

Status DecodeFields(JsonFields& f, SetMaster* c) {
  const Json* replicas = nullptr;
  KVD_RETURN_IF_ERROR(f.String("group", &c->group));
  KVD_RETURN_IF_ERROR(f.String("master", &c->master));
  KVD_RETURN_IF_ERROR(f.U64("expected_epoch", &c->expected_epoch));
  KVD_RETURN_IF_ERROR(f.U64("new_epoch", &c->new_epoch));
  KVD_RETURN_IF_ERROR(f.OptionalArray("replicas", &replicas));
  if (replicas != nullptr) {
    c->replicas.emplace();
    KVD_RETURN_IF_ERROR(ReplicasFromJson(*replicas, &*c->replicas));
    KVD_RETURN_IF_ERROR(ValidateReplicas(*c->replicas, c->master));
  }
  KVD_RETURN_IF_ERROR(ValidateGroupName(c->group));
  KVD_RETURN_IF_ERROR(ValidateAddress(c->master));
  if (c->new_epoch <= c->expected_epoch) return Status::InvalidArgument("new_epoch must be greater than expected_epoch");
  return Status::Ok();
}

Status DecodeFields(JsonFields& f, SetReplicas* c) {
  const Json* replicas = nullptr;
  KVD_RETURN_IF_ERROR(f.String("group", &c->group));
  KVD_RETURN_IF_ERROR(f.Array("replicas", &replicas));
  KVD_RETURN_IF_ERROR(ReplicasFromJson(*replicas, &c->replicas));
  KVD_RETURN_IF_ERROR(ValidateGroupName(c->group));
  return ValidateReplicas(c->replicas, "");
}

Status DecodeFields(JsonFields& f, SetAuthPass* c) {
  KVD_RETURN_IF_ERROR(f.String("group", &c->group));
  KVD_RETURN_IF_ERROR(f.OptionalString("auth_pass", &c->auth_pass));
  return ValidateGroupName(c->group);
}

Status DecodeRanges(JsonFields& f, std::vector<SlotRange>* ranges) {
  const Json* json = nullptr;
  KVD_RETURN_IF_ERROR(f.Array("ranges", &json));
  return RangesFromJson(*json, ranges);
}

Status DecodeFields(JsonFields& f, AssignSlots* c) {
  KVD_RETURN_IF_ERROR(f.String("group", &c->group));
  KVD_RETURN_IF_ERROR(DecodeRanges(f, &c->ranges));
  KVD_RETURN_IF_ERROR(f.OptionalBool("force", &c->force));
  return ValidateGroupName(c->group);
}

Status DecodeFields(JsonFields& f, BeginMigration* c) {
  KVD_RETURN_IF_ERROR(DecodeRanges(f, &c->ranges));
  KVD_RETURN_IF_ERROR(f.String("to", &c->to));
  return ValidateGroupName(c->to);
}

Status DecodeFields(JsonFields& f, FinishMigration* c) { return DecodeRanges(f, &c->ranges); }

Status DecodeFields(JsonFields& f, AbortMigration* c) { return DecodeRanges(f, &c->ranges); }

Status DecodeFields(JsonFields& f, RegisterProxy* c) {
  KVD_RETURN_IF_ERROR(f.String("id", &c->id));
  KVD_RETURN_IF_ERROR(f.String("address", &c->address));
  KVD_RETURN_IF_ERROR(f.U64("now_ms", &c->now_ms));
  KVD_RETURN_IF_ERROR(ValidateProxyId(c->id));
  return ValidateAddress(c->address);
}

Status DecodeFields(JsonFields& f, UnregisterProxy* c) {
  KVD_RETURN_IF_ERROR(f.String("id", &c->id));
  return ValidateProxyId(c->id);
}

template <typename T>
Result<Command> Decode(JsonFields& fields) {
  T command;
  KVD_RETURN_IF_ERROR(DecodeFields(fields, &command));
  KVD_RETURN_IF_ERROR(fields.Finish());
  return Command(std::move(command));
}

using Decoder = Result<Command> (*)(JsonFields&);

const std::map<std::string, Decoder, std::less<>>& Decoders() {
  static const std::map<std::string, Decoder, std::less<>> decoders = {
      {"add_group", Decode<AddGroup>},
      {"remove_group", Decode<RemoveGroup>},
      {"set_master", Decode<SetMaster>},
      {"set_replicas", Decode<SetReplicas>},
      {"set_auth_pass", Decode<SetAuthPass>},
      {"assign_slots", Decode<AssignSlots>},
      {"begin_migration", Decode<BeginMigration>},
      {"finish_migration", Decode<FinishMigration>},
      {"abort_migration", Decode<AbortMigration>},
      {"register_proxy", Decode<RegisterProxy>},
      {"unregister_proxy", Decode<UnregisterProxy>},
  };
  return decoders;
}

}  // namespace

const char* CommandName(const Command& command) {
  return std::visit(
      Overloaded{
          [](const AddGroup&) { return "add_group"; },
          [](const RemoveGroup&) { return "remove_group"; },
          [](const SetMaster&) { return "set_master"; },
          [](const SetReplicas&) { return "set_replicas"; },
          [](const SetAuthPass&) { return "set_auth_pass"; },
          [](const AssignSlots&) { return "assign_slots"; },
          [](const BeginMigration&) { return "begin_migration"; },
          [](const FinishMigration&) { return "finish_migration"; },
          [](const AbortMigration&) { return "abort_migration"; },
          [](const RegisterProxy&) { return "register_proxy"; },
          [](const UnregisterProxy&) { return "unregister_proxy"; },
      },
      command);
}

std::string EncodeCommand(const Command& command) {
  return DumpJson(std::visit([](const auto& c) { return ToJson(c); }, command));
}

Result<Command> DecodeCommand(std::string_view text) {
  Result<Json> json = ParseJson(text);
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Status::InvalidArgument("command must be a JSON object");
  JsonFields fields(*json, "command");
  std::string op;
  KVD_RETURN_IF_ERROR(fields.String("op", &op));
  auto decoder = Decoders().find(op);
  if (decoder == Decoders().end()) return Status::InvalidArgument("unknown topology command '" + op.substr(0, 64) + "'");
  return decoder->second(fields);
}

}  // namespace kvd::cluster::topology
