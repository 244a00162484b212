#include "roles/sentinel/probe.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <memory>

#include "protocol/resp_client.h"

namespace kvd::sentinel {

namespace asio = boost::asio;

namespace {

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, bool with_auth, size_t replies, ProbeDone done)
      : socket_(io), timer_(io), with_auth_(with_auth), expected_(replies), done_(std::move(done)) {}

  void Start(const std::string& host, uint16_t port, std::string request, uint64_t timeout_ms) {
    request_ = std::move(request);
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error) self->Finish(Status::IOError("timed out"));
    });
    boost::system::error_code error;
    auto address = asio::ip::make_address(host, error);
    if (error) return Finish(Status::InvalidArgument("bad address " + host));
    socket_.async_connect(asio::ip::tcp::endpoint(address, port),
                          [self = shared_from_this()](const boost::system::error_code& e) {
                            if (e) return self->Finish(Status::IOError("connect: " + e.message()));
                            self->Send();
                          });
  }

 private:
  void Send() {
    asio::async_write(socket_, asio::buffer(request_), [self = shared_from_this()](const boost::system::error_code& e,
                                                                                   size_t) {
      if (e) return self->Finish(Status::IOError("write: " + e.message()));
      self->Read();
    });
  }
  void Read() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const boost::system::error_code& e,
                                                                              size_t bytes) {
      if (e) return self->Finish(Status::IOError("read: " + e.message()));
      self->input_.append(self->chunk_, bytes);
      while (true) {
        protocol::RespValue value;
        auto used = protocol::ParseReply(self->input_, &value);
        if (!used.ok()) return self->Finish(used.status());
        if (*used == 0) break;
        self->input_.erase(0, *used);
        self->replies_.push_back(std::move(value));
      }
      if (self->replies_.size() >= self->expected_) return self->Finish(Status::Ok());
      self->Read();
    });
  }
  void Finish(const Status& status) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (!status.ok()) return done_(status);
    if (with_auth_) {
      if (replies_.front().IsError()) return done_(Status::InvalidArgument("AUTH: " + replies_.front().str));
      replies_.erase(replies_.begin());
    }
    done_(std::move(replies_));
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  bool with_auth_;
  size_t expected_;
  ProbeDone done_;
  std::string request_;
  std::string input_;
  std::vector<protocol::RespValue> replies_;
  char chunk_[16384];
  bool finished_ = false;
};

}  // namespace

void Probe(asio::io_context& io, const std::string& host, uint16_t port, const std::string& auth_pass,
           Commands commands, uint64_t timeout_ms, ProbeDone done) {
  std::string request;
  if (!auth_pass.empty()) request += protocol::EncodeCommand({"AUTH", auth_pass});
  for (const auto& command : commands) request += protocol::EncodeCommand(command);
  size_t replies = commands.size() + (auth_pass.empty() ? 0 : 1);
  auto exchange = std::make_shared<Exchange>(io, !auth_pass.empty(), replies, std::move(done));
  exchange->Start(host, port, std::move(request), timeout_ms);
}

}  // namespace kvd::sentinel
