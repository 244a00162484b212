// A blocking RESP client over TCP, for tools (kvd dump/load) and tests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/resp_value.h"

namespace kvd::protocol {

std::string EncodeCommand(const std::vector<std::string>& args);

class RespClient {
 public:
  RespClient();
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  Status Connect(const std::string& host, uint16_t port);
  // Sends one command and waits for its reply (an error reply is a value, not a failed Status).
  Result<RespValue> Command(const std::vector<std::string>& args);
  Status SendRaw(std::string_view bytes);
  Result<RespValue> ReadReply();
  // Reads whatever bytes arrive until the peer closes or `max` bytes; for protocol tests.
  Result<std::string> ReadUntilClosed(size_t max = 1 << 20);
  void Close();
  bool connected() const;

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string buffer_;
};

}  // namespace kvd::protocol
