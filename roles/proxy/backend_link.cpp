#include "roles/proxy/backend_link.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "common/logging.h"
#include "common/tick_clock.h"
#include "protocol/resp_client.h"

namespace kvd::proxy {

namespace asio = boost::asio;

namespace {
constexpr size_t kReadChunk = 16 * 1024;
}  // namespace

BackendLink::BackendLink(asio::io_context& io, Backend backend, uint64_t timeout_ms)
    : io_(io), backend_(std::move(backend)), timeout_ms_(timeout_ms), socket_(io), resolver_(io) {}

void BackendLink::Send(const std::vector<std::string>& args, Callback callback) {
  // Before Connect, which may queue an AUTH ahead: the wait starts now, not at the last reply of a past connection.
  if (waiting_.empty()) last_progress_ms_ = TickMicros() / 1000;
  if (state_ == State::kIdle) Connect();
  protocol::AppendCommand(args, &output_);
  waiting_.push_back(std::move(callback));
  if (state_ == State::kReady) ScheduleFlush();
}

void BackendLink::SendToPushes(const std::vector<std::string>& args) {
  if (state_ == State::kIdle) Connect();
  protocol::AppendCommand(args, &output_);
  if (state_ == State::kReady) ScheduleFlush();
}

void BackendLink::Connect() {
  state_ = State::kConnecting;
  uint64_t generation = ++generation_;
  if (!backend_.auth_pass.empty()) {
    // AUTH goes first; a refusal fails the link and everything behind it.
    output_.insert(0, protocol::EncodeCommand({"AUTH", backend_.auth_pass}));
    auto self = shared_from_this();
    waiting_.push_front([self, generation](const Status& failed, std::string_view raw) {
      if (!failed.ok() || raw.empty() || raw.front() != '-') return;
      std::string message(raw.substr(1, raw.size() - 3));  // without '-' and CRLF
      asio::post(self->io_, [self, generation, message] {
        if (generation == self->generation_) self->Fail(Status::IOError("AUTH refused: " + message));
      });
    });
  }
  auto self = shared_from_this();
  resolver_.async_resolve(backend_.host, std::to_string(backend_.port),
                          [self, generation](const boost::system::error_code& error,
                                             const asio::ip::tcp::resolver::results_type& results) {
                            if (generation != self->generation_) return;
                            if (error) return self->OnConnected(generation, error);
                            asio::async_connect(self->socket_, results,
                                                [self, generation](const boost::system::error_code& connect_error,
                                                                   const asio::ip::tcp::endpoint&) {
                                                  self->OnConnected(generation, connect_error);
                                                });
                          });
}

void BackendLink::OnConnected(uint64_t generation, const boost::system::error_code& error) {
  if (generation != generation_) return;
  if (error) return Fail(Status::IOError("cannot connect: " + error.message()));
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  state_ = State::kReady;
  last_progress_ms_ = TickMicros() / 1000;
  ReadMore();
  ScheduleFlush();
}

// Requests sent while the io thread handles one round of events go out in one write.
void BackendLink::ScheduleFlush() {
  if (flush_scheduled_ || writing_ || output_.empty()) return;
  flush_scheduled_ = true;
  asio::post(io_, [self = shared_from_this(), generation = generation_] {
    self->flush_scheduled_ = false;
    if (generation == self->generation_) self->Flush();
  });
}

void BackendLink::Flush() {
  if (writing_ || output_.empty() || state_ != State::kReady) return;
  writing_ = true;
  sending_.swap(output_);
  output_.clear();
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this(), generation = generation_](const boost::system::error_code& error,
                                                                          size_t) {
                      if (generation != self->generation_) return;
                      self->writing_ = false;
                      self->sending_.clear();
                      if (error) return self->Fail(Status::IOError("write failed: " + error.message()));
                      self->Flush();
                    });
}

void BackendLink::ReadMore() {
  if (input_.size() - input_end_ < kReadChunk) input_.resize(std::max(input_.size() * 2, input_end_ + kReadChunk));
  socket_.async_read_some(asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
                          [self = shared_from_this(), generation = generation_](const boost::system::error_code& error,
                                                                                size_t bytes) {
                            self->OnRead(generation, error, bytes);
                          });
}

void BackendLink::OnRead(uint64_t generation, const boost::system::error_code& error, size_t bytes) {
  if (generation != generation_) return;
  if (error) return Fail(Status::IOError(error == asio::error::eof ? "closed by the backend" : error.message()));
  input_end_ += bytes;
  while (input_begin_ < input_end_) {
    auto used = scanner_.Scan(std::string_view(input_).substr(input_begin_, input_end_ - input_begin_));
    if (!used.ok()) return Fail(Status::IOError("bad reply: " + used.status().message()));
    if (*used == 0) break;
    if (waiting_.empty() && !push_sink_) return Fail(Status::IOError("a reply nobody asked for"));
    std::string_view raw(input_.data() + input_begin_, *used);
    input_begin_ += *used;
    last_progress_ms_ = TickMicros() / 1000;
    if (waiting_.empty()) {
      push_sink_(Status::Ok(), raw);
    } else {
      Callback callback = std::move(waiting_.front());
      waiting_.pop_front();
      callback(Status::Ok(), raw);
    }
    if (generation != generation_) return;  // the callback failed the link
  }
  if (input_begin_ == input_end_) {
    input_begin_ = input_end_ = 0;
  } else if (input_begin_ > input_.size() / 2) {
    input_.erase(0, input_begin_);
    input_end_ -= input_begin_;
    input_begin_ = 0;
  }
  ReadMore();
}

void BackendLink::CheckOverdue(uint64_t now_ms) {
  if (!waiting_.empty() && now_ms - last_progress_ms_ > timeout_ms_) {
    Fail(Status::IOError("no reply for " + std::to_string(timeout_ms_) + " ms"));
  }
}

void BackendLink::Close(const std::string& why) { Fail(Status::IOError(why), /*report=*/false); }

void BackendLink::Fail(const Status& status, bool report) {
  ++generation_;
  state_ = State::kIdle;
  boost::system::error_code ignored;
  resolver_.cancel();
  socket_.close(ignored);
  socket_ = asio::ip::tcp::socket(io_);
  writing_ = false;
  output_.clear();
  sending_.clear();
  input_begin_ = input_end_ = 0;
  scanner_.Reset();
  std::deque<Callback> failed;
  failed.swap(waiting_);
  if (report && !failed.empty()) KVD_LOG(kWarning) << "backend " << backend_.address << ": " << status.message();
  Status reported = Status::IOError("backend " + backend_.address + ": " + status.message());
  for (auto& callback : failed) callback(reported, {});
  if (push_sink_ && report) push_sink_(reported, {});
}

}  // namespace kvd::proxy
