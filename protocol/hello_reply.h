// HELLO's reply: the map every role answers with (Redis 6+), as a map in
// RESP3 and a flat array in RESP2.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/resp_writer.h"

namespace kvd::protocol {

// `mode`: "standalone" for a server, "proxy" for kvd proxy; `role`: "master" or "replica".
void WriteHelloReply(RespWriter& writer, int protocol, uint64_t client_id, std::string_view mode,
                     std::string_view role);

}  // namespace kvd::protocol
