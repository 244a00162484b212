#include "roles/server/connection.h"

#include <boost/asio/write.hpp>
#include <cstring>

#include "common/logging.h"
#include "roles/server/dispatcher.h"

namespace kvd::server {

namespace asio = boost::asio;

namespace {
constexpr size_t kInitialInput = 16 * 1024;
constexpr size_t kReadChunk = 16 * 1024;

// Connections of this io thread whose replies wait for durability. Each
// io_context runs on exactly one thread, so a thread_local needs no lock.
thread_local std::vector<std::shared_ptr<Connection>> t_waiting_for_durability;
}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, ServerContext& server, std::shared_ptr<ClientState> state,
                       ConnectionLimits limits)
    : socket_(std::move(socket)), server_(server), state_(std::move(state)), limits_(limits), parser_(limits.parser) {
  input_.resize(kInitialInput);
}

void Connection::Start() {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  ReadMore();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  server_.clients.Unregister(state_->id);
}

void Connection::ReadMore() {
  if (closed_) return;
  if (input_.size() - input_end_ < kReadChunk) input_.resize(std::max(input_.size() * 2, input_end_ + kReadChunk));
  socket_.async_read_some(asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
                          [self = shared_from_this()](const boost::system::error_code& error, size_t bytes) {
                            self->OnRead(error, bytes);
                          });
}

void Connection::OnRead(const boost::system::error_code& error, size_t bytes) {
  if (error || closed_) {
    Close();
    return;
  }
  input_end_ += bytes;
  state_->last_interaction_ms.store(server_.engine.NowMs(), std::memory_order_relaxed);
  if (input_end_ - input_begin_ > limits_.query_buffer_limit) {
    KVD_LOG(kWarning) << "closing client " << state_->addr << ": query buffer over client-query-buffer-limit";
    Close();
    return;
  }
  PassTally tally;
  tally.input_bytes = bytes;
  server_.stats.Add(tally);
  ProcessInput();
}

void Connection::ExecutePass(PassTally& tally, bool* wrote) {
  protocol::RespWriter writer(&output_, state_->protocol);
  std::string_view last_command;
  while (!close_after_write_ && output_.size() < kPassReplyBudget) {
    std::string_view pending(input_.data() + input_begin_, input_end_ - input_begin_);
    protocol::RequestParser::Outcome outcome = parser_.Parse(pending);
    input_begin_ += outcome.consumed;
    if (outcome.state == protocol::RequestParser::State::kNeedMore) break;
    if (outcome.state == protocol::RequestParser::State::kError) {
      writer.Error(parser_.error());
      close_after_write_ = true;
      break;
    }
    CommandContext ctx{server_, *state_, parser_.args(), writer, tally};
    const CommandSpec* spec = Dispatch(ctx);
    if (spec != nullptr) {
      if (spec->flags & kWrite) *wrote = true;
      last_command = spec->name;
    }
    if (ctx.close_after_reply) close_after_write_ = true;
    // HELLO may have switched the protocol for the replies that follow.
    if (state_->protocol != (writer.resp3() ? 3 : 2)) writer = protocol::RespWriter(&output_, state_->protocol);
  }
  if (!last_command.empty()) state_->set_last_command(last_command);
}

void Connection::ProcessInput() {
  if (closed_) return;
  PassTally tally;
  bool wrote = false;
  ExecutePass(tally, &wrote);
  CompactInput();
  tally.output_bytes = output_.size();
  server_.stats.Add(tally);
  if (wrote) {
    DeferUntilDurable();
  } else {
    FinishPass();
  }
}

void Connection::DeferUntilDurable() {
  bool first = t_waiting_for_durability.empty();
  t_waiting_for_durability.push_back(shared_from_this());
  // Posted work runs after the reads that are ready now, so they join this step.
  if (first) asio::post(socket_.get_executor(), [&engine = server_.engine] { MakeQueuedPassesDurable(engine); });
}

void Connection::MakeQueuedPassesDurable(storage::Engine& engine) {
  std::vector<std::shared_ptr<Connection>> waiting;
  waiting.swap(t_waiting_for_durability);
  Status durable = engine.MakeDurable();
  if (!durable.ok()) {
    // Never acknowledge what may not be durable: drop the replies and the connections.
    KVD_LOG(kWarning) << "making writes durable failed, closing " << waiting.size()
                      << " clients unacknowledged: " << durable.message();
    for (auto& connection : waiting) connection->Close();
    return;
  }
  for (auto& connection : waiting) connection->FinishPass();
}

void Connection::FinishPass() {
  if (closed_) return;
  if (output_.size() > limits_.output_buffer_limit) {
    KVD_LOG(kWarning) << "closing client " << state_->addr << ": output over client-output-buffer-limit";
    Close();
    return;
  }
  if (output_.empty()) {
    if (close_after_write_) {
      Close();
    } else {
      ReadMore();
    }
    return;
  }
  WriteOut();
}

void Connection::WriteOut() {
  sending_.swap(output_);
  output_.clear();
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const boost::system::error_code& error, size_t) {
                      if (error || self->close_after_write_) {
                        self->Close();
                        return;
                      }
                      self->sending_.clear();
                      // Commands may still wait in the buffer (the pass stopped at its budget).
                      self->ProcessInput();
                    });
}

void Connection::CompactInput() {
  if (input_begin_ == input_end_) {
    input_begin_ = input_end_ = 0;
    if (input_.size() > 4 * kInitialInput) {
      input_.resize(kInitialInput);
      input_.shrink_to_fit();
    }
  } else if (input_begin_ > 0) {
    std::memmove(input_.data(), input_.data() + input_begin_, input_end_ - input_begin_);
    input_end_ -= input_begin_;
    input_begin_ = 0;
  }
}

}  // namespace kvd::server
