// Appends RESP replies to a buffer. RESP2 by default; after HELLO 3 the same
// calls produce RESP3 (null, map, set, double and push types).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvd::protocol {

class RespWriter {
 public:
  explicit RespWriter(std::string* out, int protocol_version = 2) : out_(out), resp3_(protocol_version >= 3) {}

  void SimpleString(std::string_view text);
  void Ok() { out_->append("+OK\r\n"); }
  // `message` is the whole error line without the leading '-', e.g. "ERR syntax error".
  void Error(std::string_view message);
  void Integer(int64_t value);
  void Bulk(std::string_view data);
  // A bulk of `size` bytes the caller fills in at the returned address (valid
  // until the next write to the buffer): to read a file straight into a reply.
  char* BulkSpace(size_t size);
  void NullBulk();
  void NullArray();
  void ArrayHeader(size_t count);
  // A map of `pairs` entries: RESP3 '%', a flat array of 2*pairs in RESP2.
  void MapHeader(size_t pairs);
  void SetHeader(size_t count);
  void PushHeader(size_t count);
  // Doubles are bulk strings in RESP2 and ',' in RESP3.
  void Double(double value);
  void Boolean(bool value);
  void Verbatim(std::string_view text);  // RESP3 "txt" verbatim string, bulk in RESP2
  void Raw(std::string_view bytes) { out_->append(bytes); }

  bool resp3() const { return resp3_; }
  std::string* buffer() { return out_; }

 private:
  void Header(char marker, int64_t value);
  std::string* out_;
  bool resp3_;
};

}  // namespace kvd::protocol
