#include "roles/sentinel/monitor/instance_info.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "common/numbers.h"

namespace kvd::sentinel {
namespace {

// Values come from the network: quote at most this much of one in an error.
constexpr size_t kMaxQuotedValue = 64;

std::string Quoted(std::string_view value) {
  std::string quoted = "'" + std::string(value.substr(0, kMaxQuotedValue));
  if (value.size() > kMaxQuotedValue) quoted += "...";
  return quoted + "'";
}

Status BadValue(std::string_view value) { return Status::InvalidArgument("bad value " + Quoted(value)); }

// Names the field in an error so that the operator can find the culprit line.
Status InField(std::string_view field, const Status& status) {
  if (status.ok()) return status;
  return Status::InvalidArgument(std::string(field) + ": " + status.message());
}

Status ReadText(std::string_view value, std::string* out) {
  out->assign(value);
  return Status::Ok();
}

Status ReadUint(std::string_view value, uint64_t* out) {
  return ParseUint64(value, out) ? Status::Ok() : BadValue(value);
}

Status ReadPort(std::string_view value, uint16_t* out) {
  uint64_t port = 0;
  if (!ParseUint64(value, &port) || port == 0 || port > std::numeric_limits<uint16_t>::max()) {
    return BadValue(value);
  }
  *out = static_cast<uint16_t>(port);
  return Status::Ok();
}

Status ReadFlag(std::string_view value, bool* out) {
  if (value != "0" && value != "1") return BadValue(value);
  *out = value == "1";
  return Status::Ok();
}

// Seconds counters where "-1" means "never" (no I/O yet, link not down).
Status ReadSecondsOrNever(std::string_view value, std::optional<uint64_t>* out) {
  if (value == "-1") {
    out->reset();
    return Status::Ok();
  }
  uint64_t seconds = 0;
  KVD_RETURN_IF_ERROR(ReadUint(value, &seconds));
  *out = seconds;
  return Status::Ok();
}

Status ReadPriority(std::string_view value, int* out) {
  int64_t priority = 0;
  if (!ParseInt64(value, &priority) || priority < 0 || priority > std::numeric_limits<int>::max()) {
    return BadValue(value);
  }
  *out = static_cast<int>(priority);
  return Status::Ok();
}

Status ReadRole(std::string_view value, InstanceRole* out) {
  if (value == "master") {
    *out = InstanceRole::kMaster;
  } else if (value == "slave") {
    *out = InstanceRole::kReplica;
  } else {
    return BadValue(value);
  }
  return Status::Ok();
}

Status ReadLinkStatus(std::string_view value, bool* up) {
  if (value != "up" && value != "down") return BadValue(value);
  *up = value == "up";
  return Status::Ok();
}

// "slave0", "slave12": but not "slave_repl_offset" or "slave_priority".
bool IsReplicaLine(std::string_view key) {
  constexpr std::string_view kPrefix = "slave";
  if (key.size() <= kPrefix.size() || key.substr(0, kPrefix.size()) != kPrefix) return false;
  auto index = key.substr(kPrefix.size());
  return std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct ParseState {
  InstanceInfo info;
  bool saw_role = false;
};

Status ApplyReplicaLine(std::string_view value, ParseState& state) {
  auto replica = ParseConnectedReplica(value);
  KVD_RETURN_IF_ERROR(replica.status());
  state.info.replicas.push_back(std::move(replica).value());
  return Status::Ok();
}

// One known field; unknown ones return Ok untouched.
Status ApplyField(std::string_view key, std::string_view value, ParseState& state) {
  InstanceInfo& info = state.info;
  if (key == "role") {
    state.saw_role = true;
    return ReadRole(value, &info.role);
  }
  if (key == "run_id") return ReadText(value, &info.run_id);
  if (key == "master_replid") return ReadText(value, &info.master_replid);
  if (key == "master_host") return ReadText(value, &info.master_host);
  if (key == "master_port") return ReadPort(value, &info.master_port);
  if (key == "master_link_status") return ReadLinkStatus(value, &info.master_link_up);
  if (key == "master_last_io_seconds_ago") return ReadSecondsOrNever(value, &info.master_last_io_seconds_ago);
  if (key == "master_link_down_since_seconds") {
    return ReadSecondsOrNever(value, &info.master_link_down_since_seconds);
  }
  if (key == "master_sync_in_progress") return ReadFlag(value, &info.master_sync_in_progress);
  if (key == "slave_repl_offset") return ReadUint(value, &info.slave_repl_offset);
  if (key == "slave_priority") return ReadPriority(value, &info.slave_priority);
  if (key == "slave_read_only") return ReadFlag(value, &info.slave_read_only);
  if (key == "master_repl_offset") return ReadUint(value, &info.master_repl_offset);
  if (key == "connected_slaves") return ReadUint(value, &info.connected_slaves);
  if (IsReplicaLine(key)) return ApplyReplicaLine(value, state);
  return Status::Ok();
}

// Calls `fn(piece)` for each piece of `text` between separators.
template <typename Fn>
Status ForEachPiece(std::string_view text, char separator, Fn&& fn) {
  while (!text.empty()) {
    size_t end = text.find(separator);
    KVD_RETURN_IF_ERROR(fn(text.substr(0, end)));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return Status::Ok();
}

Status ApplyLine(std::string_view line, ParseState& state) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return Status::Ok();
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Status::Ok();  // not a field; tolerate like unknown ones
  auto key = line.substr(0, colon);
  return InField("INFO field '" + std::string(key) + "'", ApplyField(key, line.substr(colon + 1), state));
}

Status ApplyReplicaAttribute(std::string_view attribute, ConnectedReplica& replica, bool* saw_ip, bool* saw_port) {
  size_t equals = attribute.find('=');
  if (equals == std::string_view::npos) {
    return Status::InvalidArgument("expected key=value, got " + Quoted(attribute));
  }
  auto key = attribute.substr(0, equals);
  auto value = attribute.substr(equals + 1);
  if (key == "ip") {
    *saw_ip = !value.empty();
    replica.ip = std::string(value);
    return Status::Ok();
  }
  if (key == "port") {
    *saw_port = true;
    return InField(key, ReadPort(value, &replica.port));
  }
  if (key == "state") return ReadText(value, &replica.state);
  if (key == "offset") return InField(key, ReadUint(value, &replica.offset));
  if (key == "lag") return InField(key, ReadUint(value, &replica.lag_seconds));
  return Status::Ok();
}

}  // namespace

Result<ConnectedReplica> ParseConnectedReplica(std::string_view value) {
  ConnectedReplica replica;
  bool saw_ip = false, saw_port = false;
  KVD_RETURN_IF_ERROR(ForEachPiece(value, ',', [&](std::string_view attribute) {
    return ApplyReplicaAttribute(attribute, replica, &saw_ip, &saw_port);
  }));
  // Without an address the sentinel could neither reach nor promote it.
  if (!saw_ip || !saw_port) return Status::InvalidArgument("missing ip or port");
  return replica;
}

Result<InstanceInfo> ParseInfoReplication(std::string_view info_text) {
  ParseState state;
  KVD_RETURN_IF_ERROR(ForEachPiece(info_text, '\n', [&](std::string_view line) { return ApplyLine(line, state); }));
  if (!state.saw_role) return Status::InvalidArgument("INFO has no 'role' field");
  return std::move(state.info);
}

}  // namespace kvd::sentinel
