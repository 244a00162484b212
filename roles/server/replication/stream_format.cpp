#include "roles/server/replication/stream_format.h"

#include <strings.h>

#include "common/numbers.h"
#include "protocol/resp_client.h"

namespace kvd::server::replication {

namespace {
bool IsWord(const protocol::RespValue& value, const char* word) {
  return value.type == protocol::RespValue::Type::kBulk && strcasecmp(value.str.c_str(), word) == 0;
}
bool ParseSequence(const protocol::RespValue& value, uint64_t* sequence) {
  if (value.type != protocol::RespValue::Type::kBulk) return false;
  int64_t parsed = 0;
  if (!ParseInt64(value.str, &parsed) || parsed < 0) return false;
  *sequence = static_cast<uint64_t>(parsed);
  return true;
}
}  // namespace

std::string BatchFrame(uint64_t sequence, std::string_view data) {
  std::string seq = std::to_string(sequence);
  std::string frame = "*3\r\n$5\r\nBATCH\r\n$" + std::to_string(seq.size()) + "\r\n" + seq + "\r\n$" +
                      std::to_string(data.size()) + "\r\n";
  frame.reserve(frame.size() + data.size() + 2);
  frame.append(data);
  frame += "\r\n";
  return frame;
}

std::string HeartbeatFrame() { return "*1\r\n$4\r\nPING\r\n"; }

std::string AckFrame(uint64_t sequence) { return protocol::EncodeCommand({"REPLCONF", "ACK", std::to_string(sequence)}); }

bool ParseBatchFrame(protocol::RespValue& frame, uint64_t* sequence, std::string* data) {
  if (frame.type != protocol::RespValue::Type::kArray || frame.elements.size() != 3) return false;
  if (!IsWord(frame.elements[0], "BATCH") || !ParseSequence(frame.elements[1], sequence)) return false;
  if (frame.elements[2].type != protocol::RespValue::Type::kBulk) return false;
  *data = std::move(frame.elements[2].str);
  return true;
}

bool IsHeartbeatFrame(const protocol::RespValue& frame) {
  return frame.type == protocol::RespValue::Type::kArray && frame.elements.size() == 1 &&
         IsWord(frame.elements[0], "PING");
}

bool ParseAckFrame(const protocol::RespValue& frame, uint64_t* sequence) {
  return frame.type == protocol::RespValue::Type::kArray && frame.elements.size() == 3 &&
         IsWord(frame.elements[0], "REPLCONF") && IsWord(frame.elements[1], "ACK") &&
         ParseSequence(frame.elements[2], sequence);
}

}  // namespace kvd::server::replication
