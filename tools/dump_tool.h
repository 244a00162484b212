#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/resp_client.h"

namespace kvd::tools {

// `kvd dump ...`: argv[0] is "dump". Returns the process exit code.
int RunDumpCommand(int argc, char** argv);

// Connects `client` to "HOST:PORT" (a name, an IPv4 address or "[IPv6]") and
// sends AUTH when `password` is not empty. Shared with `kvd load`.
Status ConnectToServer(protocol::RespClient& client, std::string_view address, const std::string& password);

}  // namespace kvd::tools
