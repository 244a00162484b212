#include "protocol/resp_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace kvd::protocol {

namespace asio = boost::asio;

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

RespClient::RespClient() : socket_(io_) {}
RespClient::~RespClient() { Close(); }

bool RespClient::connected() const { return socket_.is_open(); }

Status RespClient::Connect(const std::string& host, uint16_t port) {
  boost::system::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) return Status::InvalidArgument("bad address " + host + ": " + error.message());
  socket_.connect(asio::ip::tcp::endpoint(address, port), error);
  if (error) return Status::IOError("connect " + host + ":" + std::to_string(port) + ": " + error.message());
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
  return Status::Ok();
}

Status RespClient::SendRaw(std::string_view bytes) {
  boost::system::error_code error;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), error);
  if (error) return Status::IOError("write: " + error.message());
  return Status::Ok();
}

Result<RespValue> RespClient::ReadReply() {
  while (true) {
    RespValue value;
    Result<size_t> used = ParseReply(buffer_, &value);
    if (!used.ok()) return used.status();
    if (*used > 0) {
      buffer_.erase(0, *used);
      return value;
    }
    char chunk[65536];
    boost::system::error_code error;
    size_t got = socket_.read_some(asio::buffer(chunk), error);
    if (error) return Status::IOError("read: " + error.message());
    buffer_.append(chunk, got);
  }
}

Result<RespValue> RespClient::Command(const std::vector<std::string>& args) {
  KVD_RETURN_IF_ERROR(SendRaw(EncodeCommand(args)));
  return ReadReply();
}

Result<std::string> RespClient::ReadUntilClosed(size_t max) {
  std::string data = std::move(buffer_);
  buffer_.clear();
  char chunk[65536];
  while (data.size() < max) {
    boost::system::error_code error;
    size_t got = socket_.read_some(asio::buffer(chunk), error);
    if (error) break;
    data.append(chunk, got);
  }
  return data;
}

void RespClient::Close() {
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
}

}  // namespace kvd::protocol
