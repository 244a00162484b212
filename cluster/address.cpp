#include "cluster/address.h"

#include <cstdlib>

namespace kvd::cluster {

std::string JoinAddress(const std::string& host, uint16_t port) { return host + ":" + std::to_string(port); }

bool SplitAddress(const std::string& address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  unsigned long value = std::strtoul(address.c_str() + colon + 1, nullptr, 10);
  if (value == 0 || value > 65535) return false;
  *host = address.substr(0, colon);
  *port = static_cast<uint16_t>(value);
  return true;
}

std::string HostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon) + " " + address.substr(colon + 1);
}

}  // namespace kvd::cluster
