// One pipelined connection from an io thread to a backend server. Requests
// are written in order, many per write; replies come back in the same order
// and each goes to the callback its request was sent with. The link connects
// on first use (sending AUTH first when the group has a password) and, when
// it fails or a reply is overdue, fails every waiting request and starts
// afresh with the next one.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/reply_scanner.h"
#include "roles/proxy/routes.h"

namespace kvd::proxy {

class BackendLink : public std::enable_shared_from_this<BackendLink> {
 public:
  // The reply's bytes as the backend sent them (not decoded: most are
  // forwarded as they are); on a failed link, a non-ok Status and no bytes.
  using Callback = std::function<void(const Status& failed, std::string_view raw)>;

  BackendLink(boost::asio::io_context& io, Backend backend, uint64_t timeout_ms);

  void Send(const std::vector<std::string>& args, Callback callback);
  // A subscriber's connection: every frame the backend sends that no
  // request waits for (messages, and the replies of requests sent with
  // SendToPushes) goes to `sink`, in order; a failure too, once.
  void SetPushSink(Callback sink) { push_sink_ = std::move(sink); }
  void SendToPushes(const std::vector<std::string>& args);
  // Drops the link when requests have waited longer than the timeout
  // without any reply; the io thread's sweep calls it.
  void CheckOverdue(uint64_t now_ms);
  void Close(const std::string& why);
  const Backend& backend() const { return backend_; }
  size_t waiting() const { return waiting_.size(); }

 private:
  enum class State { kIdle, kConnecting, kReady };

  void Connect();
  void OnConnected(uint64_t generation, const boost::system::error_code& error);
  void ScheduleFlush();
  void Flush();
  void ReadMore();
  void OnRead(uint64_t generation, const boost::system::error_code& error, size_t bytes);
  // Fails every waiting request; `report` logs it (a backend's failure, not a closing by this side).
  void Fail(const Status& status, bool report = true);

  boost::asio::io_context& io_;
  Backend backend_;
  uint64_t timeout_ms_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  State state_ = State::kIdle;
  uint64_t generation_ = 0;  // completions of an older socket are ignored
  std::string output_;
  std::string sending_;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  std::string input_;
  size_t input_begin_ = 0;
  size_t input_end_ = 0;
  protocol::ReplyScanner scanner_;
  std::deque<Callback> waiting_;
  Callback push_sink_;
  uint64_t last_progress_ms_ = 0;
};

}  // namespace kvd::proxy
