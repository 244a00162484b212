// A blocking RESP client over TCP, for tools (kvd dump/load) and tests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/resp_value.h"

namespace kvd::protocol {

std::string EncodeCommand(const std::vector<std::string>& args);
// The same, appended to `out` (a pipeline's buffer) without a string of its own.
void AppendCommand(const std::vector<std::string>& args, std::string* out);
// A command to replay in database `db`: preceded by SELECT when `*selected_db`
// (-1: none yet) is another one, which it then becomes. Replayable binlog output.
std::string EncodeCommandInDb(int db, const std::vector<std::string>& args, int* selected_db);

// The message of a Status that failed because the peer made no progress within the timeout.
inline constexpr const char* kTimedOut = "timed out";
inline bool IsTimeout(const Status& status) { return status.message().find(kTimedOut) != std::string::npos; }

class RespClient {
 public:
  RespClient();
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  // With a timeout set, Connect, every read and every write fail with an
  // IOError ("timed out") when the peer makes no progress for that long;
  // zero (the default) waits forever.
  void SetTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // `host` is an address or a name to resolve.
  Status Connect(const std::string& host, uint16_t port);
  // Sends one command and waits for its reply (an error reply is a value, not a failed Status).
  Result<RespValue> Command(const std::vector<std::string>& args);
  Status SendRaw(std::string_view bytes);
  Result<RespValue> ReadReply();
  // Reads a bulk reply and hands its payload to `sink` in pieces as they
  // arrive, never holding all of it: for large bulks (a replica fetching
  // checkpoint files), where ReadReply's buffering cost several copies of
  // every byte. Returns the payload's length (0 for an empty or nil bulk);
  // any other reply is an IOError that quotes it. A failed sink ends the read.
  Result<uint64_t> ReadBulkInto(const std::function<Status(std::string_view)>& sink);
  // Bytes received and not yet consumed by ReadReply().
  size_t buffered() const { return buffer_.size() - consumed_; }
  // Reads whatever bytes arrive until the peer closes or `max` bytes; for protocol tests.
  Result<std::string> ReadUntilClosed(size_t max = 1 << 20);
  void Close();
  // Makes a read or write blocked in another thread fail at once.
  void Shutdown();
  bool connected() const;
  // Waits up to `timeout` for bytes to read; false on timeout. For a reader
  // that must also do periodic work (a replica acknowledging its offset).
  Result<bool> WaitReadable(std::chrono::milliseconds timeout);

 private:
  Result<size_t> ReadSome(char* into, size_t size);
  // Reads more bytes into buffer_ (after dropping what was parsed).
  Status Fill();
  Status WaitFor(short events, std::chrono::milliseconds timeout);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes at the front of buffer_ already parsed
  std::chrono::milliseconds timeout_{0};
};

}  // namespace kvd::protocol
