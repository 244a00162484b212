#include "cluster/topology/model.h"

#include <set>

namespace kvd::cluster::topology {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

bool IsPrintableNoSpace(char c) { return c > ' ' && c < 0x7F; }

bool ValidPort(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  for (char c : host) {
    if (!IsPrintableNoSpace(c) || c == '[' || c == ']' || c == ':') return false;
  }
  return true;
}

}  // namespace

Status ValidateGroupName(std::string_view name) {
  if (name.empty() || name.size() > 64) return Status::InvalidArgument("group name must have 1 to 64 characters");
  for (char c : name) {
    if (!IsNameChar(c)) return Status::InvalidArgument("group name may only use letters, digits, '_', '-' and '.'");
  }
  return Status::Ok();
}

Status ValidateAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || !ValidHost(address.substr(0, colon)) ||
      !ValidPort(address.substr(colon + 1))) {
    return Status::InvalidArgument("invalid address '" + std::string(address.substr(0, 300)) + "', expected host:port");
  }
  return Status::Ok();
}

Status ValidateProxyId(std::string_view id) {
  if (id.empty() || id.size() > 128) return Status::InvalidArgument("proxy id must have 1 to 128 characters");
  for (char c : id) {
    if (!IsPrintableNoSpace(c)) return Status::InvalidArgument("proxy id must be printable ASCII without spaces");
  }
  return Status::Ok();
}

Status ValidateReplicas(const std::vector<Replica>& replicas, std::string_view master) {
  std::set<std::string_view> seen;
  for (const Replica& replica : replicas) {
    KVD_RETURN_IF_ERROR(ValidateAddress(replica.address));
    if (replica.address == master) return Status::InvalidArgument("the master cannot also be a replica");
    if (!seen.insert(replica.address).second) {
      return Status::InvalidArgument("replica " + replica.address + " is listed twice");
    }
  }
  return Status::Ok();
}

Status ValidateRange(const SlotRange& range) {
  if (range.first > range.last || range.last >= kSlotCount) {
    return Status::InvalidArgument("invalid slot range " + std::to_string(range.first) + "-" +
                                   std::to_string(range.last));
  }
  return Status::Ok();
}

}  // namespace kvd::cluster::topology
