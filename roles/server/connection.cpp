#include "roles/server/connection.h"

#include <boost/asio/post.hpp>
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
    : socket_(std::move(socket)),
      server_(server),
      state_(std::move(state)),
      limits_(limits),
      parser_(limits.parser),
      block_timer_(socket_.get_executor()) {
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
  block_timer_.cancel();
  Session& session = state_->session;
  server_.blocking.Unblock(state_->id);
  server_.watches.RemoveAll(&session.watcher);
  server_.pubsub.RemoveClient(*state_, session.channels, session.patterns);
  server_.clients.Unregister(state_->id);
}

void Connection::ReadMore() {
  if (closed_ || reading_) return;
  if (input_.size() - input_end_ < kReadChunk) input_.resize(std::max(input_.size() * 2, input_end_ + kReadChunk));
  reading_ = true;
  socket_.async_read_some(asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
                          [self = shared_from_this()](const boost::system::error_code& error, size_t bytes) {
                            self->OnRead(error, bytes);
                          });
}

void Connection::OnRead(const boost::system::error_code& error, size_t bytes) {
  reading_ = false;
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
  unreported_input_bytes_ += bytes;
  if (blocked_) {
    ReadMore();  // keep watching for a disconnect; the input waits
    return;
  }
  Process();
}

void Connection::Process() {
  if (closed_ || writing_ || waiting_durability_ || blocked_) return;
  PassTally tally;
  tally.input_bytes = unreported_input_bytes_;
  unreported_input_bytes_ = 0;
  storage::Engine::TakeThreadCommitted();
  server_.engine.OpenGroup();
  ExecutePass(tally);
  CompactInput();
  tally.output_bytes = output_.size();
  server_.stats.Add(tally);
  AfterCommands();
}

void Connection::AfterCommands() {
  // A pass that only read may still have read the group's unwritten data:
  // it waits for the group as well.
  if (storage::Engine::TakeThreadCommitted() || server_.engine.GroupNeedsCommit()) {
    DeferUntilDurable();
  } else {
    FinishPass();
  }
}

void Connection::ExecutePass(PassTally& tally) {
  protocol::RespWriter writer(&output_, state_->protocol.load(std::memory_order_relaxed));
  std::string_view last_command;
  while (!close_after_write_ && !blocked_ && output_.size() < kPassReplyBudget) {
    std::string_view pending(input_.data() + input_begin_, input_end_ - input_begin_);
    protocol::RequestParser::Outcome outcome = parser_.Parse(pending);
    input_begin_ += outcome.consumed;
    if (outcome.state == protocol::RequestParser::State::kNeedMore) break;
    if (outcome.state == protocol::RequestParser::State::kError) {
      writer.Error("ERR " + parser_.error());
      close_after_write_ = true;
      break;
    }
    CommandContext ctx{server_, *state_, parser_.args(), writer, tally, state_};
    const CommandSpec* spec = Dispatch(ctx);
    if (spec != nullptr) last_command = spec->name;
    if (ctx.close_after_reply) close_after_write_ = true;
    if (!ctx.block_keys.empty()) Block(ctx, false);
    // HELLO may have switched the protocol for the replies that follow.
    int protocol = state_->protocol.load(std::memory_order_relaxed);
    if (protocol != (writer.resp3() ? 3 : 2)) writer = protocol::RespWriter(&output_, protocol);
  }
  if (!last_command.empty()) state_->set_last_command(last_command);
}

void Connection::DeferUntilDurable() {
  waiting_durability_ = true;
  bool first = t_waiting_for_durability.empty();
  t_waiting_for_durability.push_back(shared_from_this());
  // Posted work runs after the reads that are ready now, so they join this step.
  if (first) asio::post(socket_.get_executor(), [&engine = server_.engine] { MakeQueuedPassesDurable(engine); });
}

void Connection::MakeQueuedPassesDurable(storage::Engine& engine) {
  std::vector<std::shared_ptr<Connection>> waiting;
  waiting.swap(t_waiting_for_durability);
  Status committed = engine.CommitGroup();
  if (!committed.ok()) return ReplyOrDrop(committed, waiting);
  if (engine.fsync_policy() != storage::FsyncPolicy::kAlways) return ReplyOrDrop(engine.MakeDurable(), waiting);
  // Under fsync always the io thread goes on serving other clients while the
  // engine's syncing thread does one fsync for everyone waiting.
  auto executor = waiting.front()->socket_.get_executor();
  engine.MakeDurableAsync([executor, waiting = std::move(waiting)](Status durable) mutable {
    asio::post(executor, [durable, waiting = std::move(waiting)] { ReplyOrDrop(durable, waiting); });
  });
}

void Connection::ReplyOrDrop(const Status& durable, const std::vector<std::shared_ptr<Connection>>& waiting) {
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
  waiting_durability_ = false;
  if (closed_) return;
  if (output_.size() > limits_.output_buffer_limit) {
    KVD_LOG(kWarning) << "closing client " << state_->addr << ": output over client-output-buffer-limit";
    Close();
    return;
  }
  if (!output_.empty()) {
    WriteOut();
  } else if (close_after_write_) {
    Close();
  } else {
    ReadMore();
  }
}

void Connection::WriteOut() {
  writing_ = true;
  sending_.swap(output_);
  output_.clear();
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const boost::system::error_code& error, size_t) {
                      self->writing_ = false;
                      self->sending_.clear();
                      if (error || (self->close_after_write_ && self->output_.empty())) {
                        self->Close();
                      } else if (!self->output_.empty() && !self->waiting_durability_) {
                        self->WriteOut();  // messages pushed meanwhile
                      } else {
                        // Commands may still wait in the buffer (the pass stopped at its budget).
                        self->Process();
                      }
                    });
}

void Connection::Deliver(std::string bytes) {
  if (closed_) return;
  output_.append(bytes);
  if (output_.size() > limits_.output_buffer_limit) {
    KVD_LOG(kWarning) << "closing client " << state_->addr << ": output over client-output-buffer-limit";
    Close();
    return;
  }
  if (!writing_ && !waiting_durability_) WriteOut();
}

void Connection::Block(const CommandContext& ctx, bool front) {
  if (!blocked_) blocked_args_ = ctx.args;
  blocked_ = true;
  std::weak_ptr<ClientState> weak = state_;
  server_.blocking.Block(state_->id, ctx.db(), ctx.block_keys, [weak] {
    if (auto client = weak.lock()) client->Wake();
  }, front);
  if (front) return;  // re-blocked after a wake-up: the timer is already running
  if (ctx.block_deadline_ms != 0) {
    uint64_t now = server_.engine.NowMs();
    uint64_t wait_ms = ctx.block_deadline_ms > now ? ctx.block_deadline_ms - now : 0;
    block_timer_.expires_after(std::chrono::milliseconds(wait_ms));
    block_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error && self->blocked_) {
        self->server_.blocking.Unblock(self->state_->id);
        self->RunBlockedCommand(true);
      }
    });
  }
}

void Connection::Wake() {
  if (closed_ || !blocked_) return;
  RunBlockedCommand(false);
}

void Connection::RunBlockedCommand(bool timed_out) {
  PassTally tally;
  protocol::RespWriter writer(&output_, state_->protocol.load(std::memory_order_relaxed));
  CommandContext ctx{server_, *state_, blocked_args_, writer, tally, state_};
  ctx.block_timed_out = timed_out;
  storage::Engine::TakeThreadCommitted();
  server_.engine.OpenGroup();
  Dispatch(ctx);
  server_.stats.Add(tally);
  if (!ctx.block_keys.empty() && !timed_out) {
    Block(ctx, true);  // someone else took the data: keep our place in line
    return;
  }
  blocked_ = false;
  block_timer_.cancel();
  blocked_args_.clear();
  AfterCommands();
}

void Connection::CompactInput() {
  if (input_begin_ == input_end_) {
    input_begin_ = input_end_ = 0;
    if (input_.size() > 4 * kInitialInput && !reading_) {
      input_.resize(kInitialInput);
      input_.shrink_to_fit();
    }
  } else if (input_begin_ > 0 && !reading_) {
    std::memmove(input_.data(), input_.data() + input_begin_, input_end_ - input_begin_);
    input_end_ -= input_begin_;
    input_begin_ = 0;
  }
}

}  // namespace kvd::server
