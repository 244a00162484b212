#include "protocol/resp_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "common/numbers.h"

namespace kvd::protocol {

namespace asio = boost::asio;

void AppendCommand(const std::vector<std::string>& args, std::string* out) {
  out->append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& arg : args) {
    out->append("$").append(std::to_string(arg.size())).append("\r\n");
    out->append(arg).append("\r\n");
  }
}

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out;
  AppendCommand(args, &out);
  return out;
}

std::string EncodeCommandInDb(int db, const std::vector<std::string>& args, int* selected_db) {
  std::string out;
  if (*selected_db != db) {
    *selected_db = db;
    out = EncodeCommand({"SELECT", std::to_string(db)});
  }
  return out + EncodeCommand(args);
}

RespClient::RespClient() : socket_(io_) {}
RespClient::~RespClient() { Close(); }

bool RespClient::connected() const { return socket_.is_open(); }

Status RespClient::WaitFor(short events, std::chrono::milliseconds timeout) {
  pollfd fd{socket_.native_handle(), events, 0};
  int waited = ::poll(&fd, 1, timeout.count() > 0 ? static_cast<int>(timeout.count()) : -1);
  if (waited < 0) return Status::IOError(std::string("poll: ") + std::strerror(errno));
  if (waited == 0) return Status::IOError(kTimedOut);
  return Status::Ok();
}

Result<bool> RespClient::WaitReadable(std::chrono::milliseconds timeout) {
  if (buffered() > 0) return true;
  pollfd fd{socket_.native_handle(), POLLIN, 0};
  int waited = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (waited < 0) return Status::IOError(std::string("poll: ") + std::strerror(errno));
  return waited > 0;
}

Status RespClient::Connect(const std::string& host, uint16_t port) {
  boost::system::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) {
    // A name, not an address: the first address the resolver gives.
    asio::ip::tcp::resolver resolver(io_);
    auto found = resolver.resolve(host, std::to_string(port), error);
    if (error || found.empty()) return Status::InvalidArgument("bad address " + host + ": " + error.message());
    address = found.begin()->endpoint().address();
  }
  std::string where = host + ":" + std::to_string(port);
  asio::ip::tcp::endpoint endpoint(address, port);
  buffer_.clear();
  consumed_ = 0;
  if (timeout_.count() == 0) {
    socket_.connect(endpoint, error);
  } else {
    // A non-blocking connect bounded by poll: a black-holed peer must not hang us.
    socket_.open(endpoint.protocol(), error);
    if (!error) socket_.non_blocking(true, error);
    if (!error) socket_.connect(endpoint, error);
    if (error == asio::error::in_progress || error == asio::error::would_block) {
      Status waited = WaitFor(POLLOUT, timeout_);
      if (!waited.ok()) {
        Close();
        return Status::IOError("connect " + where + ": " + waited.message());
      }
      int code = 0;
      socklen_t length = sizeof(code);
      ::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &code, &length);
      error = code == 0 ? boost::system::error_code() : boost::system::error_code(code, boost::system::system_category());
    }
  }
  if (error) {
    Close();
    return Status::IOError("connect " + where + ": " + error.message());
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
  return Status::Ok();
}

Status RespClient::SendRaw(std::string_view bytes) {
  boost::system::error_code error;
  if (timeout_.count() == 0) {
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), error);
    if (error) return Status::IOError("write: " + error.message());
    return Status::Ok();
  }
  socket_.non_blocking(true, error);
  while (!bytes.empty() && !error) {
    size_t sent = socket_.write_some(asio::buffer(bytes.data(), bytes.size()), error);
    bytes.remove_prefix(sent);
    if (error == asio::error::would_block) {
      error.clear();
      Status waited = WaitFor(POLLOUT, timeout_);
      if (!waited.ok()) return Status::IOError("write: " + waited.message());
    }
  }
  if (error) return Status::IOError("write: " + error.message());
  return Status::Ok();
}

Result<size_t> RespClient::ReadSome(char* into, size_t size) {
  boost::system::error_code error;
  if (timeout_.count() == 0) {
    size_t got = socket_.read_some(asio::buffer(into, size), error);
    if (error) return Status::IOError("read: " + error.message());
    return got;
  }
  socket_.non_blocking(true, error);
  while (true) {
    size_t got = socket_.read_some(asio::buffer(into, size), error);
    if (!error) return got;
    if (error != asio::error::would_block) return Status::IOError("read: " + error.message());
    Status waited = WaitFor(POLLIN, timeout_);
    if (!waited.ok()) return Status::IOError("read: " + waited.message());
  }
}

Result<RespValue> RespClient::ReadReply() {
  while (true) {
    RespValue value;
    std::string_view pending(buffer_.data() + consumed_, buffer_.size() - consumed_);
    Result<size_t> used = ParseReply(pending, &value);
    if (!used.ok()) return used.status();
    if (*used > 0) {
      consumed_ += *used;
      if (consumed_ == buffer_.size()) {
        buffer_.clear();
        consumed_ = 0;
      }
      return value;
    }
    KVD_RETURN_IF_ERROR(Fill());
  }
}

Status RespClient::Fill() {
  if (consumed_ > 0) {  // keep only the unparsed tail before growing
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  char chunk[65536];
  Result<size_t> got = ReadSome(chunk, sizeof(chunk));
  if (!got.ok()) return got.status();
  buffer_.append(chunk, *got);
  return Status::Ok();
}

Result<uint64_t> RespClient::ReadBulkInto(const std::function<Status(std::string_view)>& sink) {
  constexpr size_t kMaxHeader = 32;  // "$" and a 64-bit length
  size_t header_end;
  while (true) {
    std::string_view pending(buffer_.data() + consumed_, buffer_.size() - consumed_);
    if (!pending.empty() && pending[0] != '$') {
      Result<RespValue> other = ReadReply();
      if (!other.ok()) return other.status();
      return Status::IOError("expected a bulk reply, got " + other->ToString());
    }
    header_end = pending.find("\r\n");
    if (header_end != std::string_view::npos) break;
    if (pending.size() > kMaxHeader) return Status::IOError("Protocol error: bulk header too long");
    KVD_RETURN_IF_ERROR(Fill());
  }
  int64_t signed_length = 0;
  if (!ParseInt64(std::string_view(buffer_.data() + consumed_ + 1, header_end - 1), &signed_length) ||
      signed_length < -1) {
    return Status::IOError("Protocol error: bad bulk length");
  }
  consumed_ += header_end + 2;
  if (signed_length == -1) return uint64_t{0};
  uint64_t length = static_cast<uint64_t>(signed_length);
  uint64_t remaining = length;
  size_t buffered_part = static_cast<size_t>(std::min<uint64_t>(remaining, buffer_.size() - consumed_));
  if (buffered_part > 0) {
    KVD_RETURN_IF_ERROR(sink(std::string_view(buffer_.data() + consumed_, buffered_part)));
    consumed_ += buffered_part;
    remaining -= buffered_part;
  }
  // The rest goes from the socket to the sink through one reused buffer,
  // never reading past the payload (what follows stays for the next reply).
  if (remaining > 0) {
    std::string piece(static_cast<size_t>(std::min<uint64_t>(remaining, 1 << 20)), '\0');
    while (remaining > 0) {
      Result<size_t> got = ReadSome(piece.data(), static_cast<size_t>(std::min<uint64_t>(remaining, piece.size())));
      if (!got.ok()) return got.status();
      KVD_RETURN_IF_ERROR(sink(std::string_view(piece.data(), *got)));
      remaining -= *got;
    }
  }
  while (buffer_.size() - consumed_ < 2) KVD_RETURN_IF_ERROR(Fill());
  if (buffer_.compare(consumed_, 2, "\r\n") != 0) return Status::IOError("Protocol error: bulk not followed by CRLF");
  consumed_ += 2;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return length;
}

Result<RespValue> RespClient::Command(const std::vector<std::string>& args) {
  KVD_RETURN_IF_ERROR(SendRaw(EncodeCommand(args)));
  return ReadReply();
}

Result<std::string> RespClient::ReadUntilClosed(size_t max) {
  std::string data = buffer_.substr(consumed_);
  buffer_.clear();
  consumed_ = 0;
  char chunk[65536];
  while (data.size() < max) {
    Result<size_t> got = ReadSome(chunk, sizeof(chunk));
    if (!got.ok() || *got == 0) break;
    data.append(chunk, *got);
  }
  return data;
}

void RespClient::Shutdown() {
  if (socket_.is_open()) ::shutdown(socket_.native_handle(), SHUT_RDWR);
}

void RespClient::Close() {
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
}

}  // namespace kvd::protocol
