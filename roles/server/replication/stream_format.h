// The frames of a replication link after PSYNC, as RESP arrays so that both
// ends reuse the RESP reply parser:
//
//   master -> replica   BATCH <sequence> <WriteBatch bytes>   one binlog batch
//                       PING                                  once a second when idle
//   replica -> master   REPLCONF ACK <sequence>               after each batch it
//                                                             committed, and every 100 ms
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/resp_value.h"

namespace kvd::server::replication {

std::string BatchFrame(uint64_t sequence, std::string_view data);
std::string HeartbeatFrame();
std::string AckFrame(uint64_t sequence);

// Parsers return false when `frame` is not that frame.
bool ParseBatchFrame(protocol::RespValue& frame, uint64_t* sequence, std::string* data);
bool IsHeartbeatFrame(const protocol::RespValue& frame);
bool ParseAckFrame(const protocol::RespValue& frame, uint64_t* sequence);

}  // namespace kvd::server::replication
