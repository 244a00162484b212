// "host:port" strings as the topology stores server addresses, and the
// "host port" form Sentinel's event messages use.
#pragma once

#include <cstdint>
#include <string>

namespace kvd::cluster {

std::string JoinAddress(const std::string& host, uint16_t port);
// False when there is no ":port" with a port in 1..65535.
bool SplitAddress(const std::string& address, std::string* host, uint16_t* port);
// "host:port" -> "host port".
std::string HostPort(const std::string& address);

}  // namespace kvd::cluster
