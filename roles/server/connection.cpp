#include "roles/server/connection.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <utility>

#include "common/logging.h"
#include "common/redis_errors.h"
#include "protocol/get_run.h"
#include "roles/server/dispatcher.h"
#include "storage/types/collection.h"

namespace kvd::server {

namespace asio = boost::asio;

namespace {
constexpr size_t kInitialInput = 16 * 1024;
constexpr size_t kReadChunk = 16 * 1024;

// Connections of this io thread whose replies wait for durability. Each
// io_context runs on exactly one thread, so a thread_local needs no lock.
thread_local std::vector<std::shared_ptr<Connection>> t_waiting_for_durability;
thread_local std::vector<std::shared_ptr<Connection>> t_waiting_to_send;
// Set while ServeBlockedClients writes the group out: the clients it wakes on
// this thread are collected here and served at once instead of posted.
thread_local bool t_collecting_wakes = false;
thread_local bool t_serving_blocked = false;  // a ServeBlockedClients loop runs: it serves what follows too
thread_local std::vector<std::weak_ptr<Connection>> t_collected_wakes;

// While a blocked client's command runs inside a ServeBlockedClients loop,
// the clients it hands a wake-up to run in that loop too, before the command
// that readied the key is answered; elsewhere they are posted.
class CollectWakesWhileServing {
 public:
  CollectWakesWhileServing() : saved_(std::exchange(t_collecting_wakes, t_serving_blocked)) {}
  ~CollectWakesWhileServing() { t_collecting_wakes = saved_; }

 private:
  bool saved_;
};
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

void Connection::Close(bool shutdown_socket) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  if (shutdown_socket) socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  block_timer_.cancel();
  Session& session = state_->session;
  server_.blocking.Unblock(state_->id);
  server_.watches.RemoveAll(&session.watcher);
  server_.pubsub.RemoveClient(*state_, session.channels, session.patterns, session.shard_channels);
  if (state_->monitoring.load()) server_.monitors.Remove(state_->id);
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
  if (blocked()) {
    ReadMore();  // keep watching for a disconnect; the input waits
    return;
  }
  Process();
}

void Connection::Process() {
  if (closed_ || writing_ || replies_held_) return;
  if (blocked()) {
    RunPendingWake();
    // A read stays armed while blocked (it sees a disconnect, and owns the
    // connection): after the replies written ahead of a blocking pop, this is
    // where it is armed.
    if (blocked()) ReadMore();
    return;
  }
  PassTally tally;
  tally.input_bytes = unreported_input_bytes_;
  unreported_input_bytes_ = 0;
  write_replies_.clear();
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
  bool wrote_out = std::exchange(wrote_out_for_blocked_, false);
  if (storage::Engine::TakeThreadCommitted() || server_.engine.GroupNeedsCommit() || wrote_out) {
    DeferUntilDurable();
  } else {
    DeferSending();
  }
}

// The replies of every connection served in this io loop round go out
// together after the round, as redis-server sends them before it sleeps: a
// client woken by the first reply is still awake for the next ones. Sending
// each right after its pass woke a client that had just gone to sleep again,
// one expensive wake-up per send (GET at pipeline 16: 0.59 -> 0.82-0.85x
// redis-server, CPU per request 1.7 -> 1.1 µs).
void Connection::DeferSending() {
  replies_held_ = true;
  bool first = t_waiting_to_send.empty();
  t_waiting_to_send.push_back(shared_from_this());
  if (first) asio::post(socket_.get_executor(), [] { SendQueuedReplies(); });
}

void Connection::SendQueuedReplies() {
  std::vector<std::shared_ptr<Connection>> waiting;
  waiting.swap(t_waiting_to_send);
  for (auto& connection : waiting) connection->FinishPass();
}

void Connection::ExecutePass(PassTally& tally) {
  protocol::RespWriter writer(&output_, state_->protocol.load(std::memory_order_relaxed));
  std::string_view last_command;
  size_t read_ahead_left = 0;  // commands of the current read-ahead run not yet served
  while (!close_after_write_ && !blocked() && !replica_wait_ && !hand_off_ && !background_reply_ &&
         output_.size() < kPassReplyBudget) {
    std::string_view pending(input_.data() + input_begin_, input_end_ - input_begin_);
    bool at_command_start = !parser_.InsideCommand();
    protocol::RequestParser::Outcome outcome = parser_.Parse(pending);
    input_begin_ += outcome.consumed;
    if (outcome.state == protocol::RequestParser::State::kNeedMore) break;
    if (outcome.state == protocol::RequestParser::State::kError) {
      writer.Error("ERR " + parser_.error());
      close_after_write_ = true;
      break;
    }
    // A run needs a command after this one: at pipeline 1 there is none, and nothing is scanned.
    if (read_ahead_left == 0 && at_command_start && input_begin_ < input_end_) {
      read_ahead_left = ReadAheadRun(pending);
    }
    CommandContext ctx{server_, *state_, parser_.args(), writer, tally, state_};
    size_t reply_start = output_.size();
    uint64_t writes_before = storage::Engine::ThreadWrites();
    const CommandSpec* spec = Dispatch(ctx);
    bool wrote = storage::Engine::ThreadWrites() != writes_before;
    bool dropped = ApplyReplyMode(reply_start + ctx.pushed_bytes, spec);
    if (wrote && !dropped) write_replies_.emplace_back(reply_start, output_.size());
    if (spec != nullptr) last_command = spec->name;
    if (ctx.close_after_reply) close_after_write_ = true;
    if (ctx.wait_replicas) replica_wait_ = ctx.wait_replicas;
    if (ctx.hand_off) hand_off_ = std::move(ctx.hand_off);
    if (ctx.background_reply) background_reply_ = std::move(ctx.background_reply);
    if (!ctx.block_keys.empty()) Block(ctx, false);
    if (ctx.paused_until_ms != 0) Postpone(ctx);
    // A reply that comes later (WAIT, a blocked or postponed command, a background job) is dropped then.
    drop_late_reply_ = dropped && (replica_wait_ || background_reply_ || blocked());
    // HELLO may have switched the protocol for the replies that follow.
    int protocol = state_->protocol.load(std::memory_order_relaxed);
    if (protocol != (writer.resp3() ? 3 : 2)) writer = protocol::RespWriter(&output_, protocol);
    if (read_ahead_left > 0 && --read_ahead_left == 0) storage::Engine::ClearReadAhead();
    if (wrote && spec != nullptr) ServeBlockedClients(*spec, ctx);
  }
  if (read_ahead_left > 0) storage::Engine::ClearReadAhead();
  if (!last_command.empty()) state_->set_last_command(last_command);
  // Commands after one that answers later: run them once it has answered,
  // even when its reply was dropped and nothing is written (which would run them).
  input_waits_ = input_begin_ < input_end_ && (blocked() || replica_wait_ || background_reply_);
}

bool Connection::TakeWakeInline(const std::weak_ptr<Connection>& connection, boost::asio::io_context& io) {
  if (!t_collecting_wakes || !io.get_executor().running_in_this_thread()) return false;
  t_collected_wakes.push_back(connection);
  return true;
}

// Redis serves the clients blocked on a key right after the command that
// pushed to it, before any other command runs, so that another client's pop
// in the same io round cannot take the element first. The group is written
// out so that the blocking registry hears of the key now; the clients it
// wakes on this thread run their commands at once (those of other io threads
// are posted), and what they write may wake the next ones.
void Connection::ServeBlockedClients(const CommandSpec& spec, const CommandContext& ctx) {
  if (t_serving_blocked || server_.blocking.Empty()) return;
  if (spec.name != "exec") {
    std::vector<std::string_view> keys;
    for (size_t index : KeyIndexes(spec, ctx.args)) keys.push_back(ctx.args[index]);
    if (!server_.blocking.HasWaiters(ctx.db(), keys)) return;
  }
  t_serving_blocked = true;
  while (true) {
    t_collecting_wakes = true;
    server_.engine.WriteOutOpenGroup();
    t_collecting_wakes = false;
    if (storage::Engine::TakeThreadCommitted()) wrote_out_for_blocked_ = true;
    if (t_collected_wakes.empty()) break;
    std::vector<std::weak_ptr<Connection>> woken;
    woken.swap(t_collected_wakes);
    for (auto& weak : woken) {
      if (auto connection = weak.lock()) connection->Wake(WakeReason::kKeyWritten);
    }
  }
  t_serving_blocked = false;
}

// CLIENT REPLY OFF drops every reply, SKIP the next command's; Redis moves
// SKIP on after each command, replied or not (an unknown one too). What
// (un)subscribing answers is pushed like the messages, and never dropped.
bool Connection::ApplyReplyMode(size_t reply_start, const CommandSpec* spec) {
  Session& session = state_->session;
  bool drop = session.replies_off || session.skip_this_reply;
  session.skip_this_reply = std::exchange(session.skip_next_reply, false);
  if (drop && spec != nullptr) {
    std::string_view name = spec->name;
    drop = name != "subscribe" && name != "psubscribe" && name != "unsubscribe" && name != "punsubscribe";
  }
  if (drop) output_.resize(reply_start);
  return drop;
}

size_t Connection::ReadAheadRun(std::string_view pending) {
  constexpr size_t kMaxRun = 64;
  const Session& session = state_->session;
  if (session.in_multi || !state_->authenticated.load(std::memory_order_relaxed)) return 0;
  auto db = static_cast<uint8_t>(state_->db.load(std::memory_order_relaxed));
  run_keys_.clear();
  if (size_t gets = protocol::LeadingGetKeys(pending, kMaxRun, &run_keys_); gets >= 2) {
    server_.strings.ReadAheadForGets(db, run_keys_);
    return gets;
  }
  // HSET/SADD/ZADD at pipeline 16 spent a third of their CPU in the point
  // reads that ask whether each member exists.
  run_keys_.clear();
  std::string_view key;
  size_t members = protocol::LeadingMemberRun(pending, kMaxRun, &key, &run_keys_);
  if (members < 2) return 0;
  storage::ReadAheadMembers(server_.engine, db, key, run_keys_);
  return members;
}

void Connection::DeferUntilDurable() {
  replies_held_ = true;
  bool first = t_waiting_for_durability.empty();
  t_waiting_for_durability.push_back(shared_from_this());
  // Posted work runs after the reads that are ready now, so they join this step.
  if (first) asio::post(socket_.get_executor(), [&server = server_] { MakeQueuedPassesDurable(server); });
}

void Connection::MakeQueuedPassesDurable(ServerContext& server) {
  storage::Engine& engine = server.engine;
  std::vector<std::shared_ptr<Connection>> waiting;
  waiting.swap(t_waiting_for_durability);
  Status committed = engine.CommitGroup();
  if (!committed.ok()) return ReplyOrDrop(committed, std::move(waiting));
  if (engine.fsync_policy() != storage::FsyncPolicy::kAlways) {
    return ReplyOrDrop(engine.MakeDurable(), std::move(waiting));
  }
  // The engine's syncing thread does one fsync for everyone waiting while the
  // io thread goes on reading and executing the next requests, so they are in
  // the OS when that fsync ends and the next one starts at once. An io thread
  // that fsyncs itself, as redis-server does, serves nobody for the length of
  // the fsync: SET at pipeline 1 under fsync always, one io thread, measured
  // 1.00-1.08x redis-server handing over against 0.92-0.93x fsyncing itself
  // (bench/README.md).
  auto executor = waiting.front()->socket_.get_executor();
  engine.MakeDurableAsync([executor, waiting = std::move(waiting)](Status durable) mutable {
    asio::post(executor,
               [durable, waiting = std::move(waiting)]() mutable { ReplyOrDrop(durable, std::move(waiting)); });
  });
}

void Connection::ReplyOrDrop(const Status& durable, std::vector<std::shared_ptr<Connection>> waiting) {
  if (!durable.ok()) {
    // Never acknowledge what may not be durable: drop the replies and the connections.
    KVD_LOG(kWarning) << "making writes durable failed, closing " << waiting.size()
                      << " clients unacknowledged: " << durable.message();
    for (auto& connection : waiting) connection->Close();
    return;
  }
  AwaitReplicas(std::move(waiting));
}

void Connection::AwaitReplicas(std::vector<std::shared_ptr<Connection>> waiting) {
  auto& replication = waiting.front()->server_.replication;
  auto& policy = replication.policy();
  replication::Mode mode = policy.mode.load(std::memory_order_relaxed);
  bool wait = mode != replication::Mode::kAsync && !replication.IsReplica() &&
              !(mode == replication::Mode::kSemiSync && replication.SemiSyncDegraded());
  std::vector<std::shared_ptr<Connection>> writers;
  for (auto& connection : waiting) {
    if (wait && !connection->write_replies_.empty()) {
      writers.push_back(std::move(connection));
    } else {
      connection->FinishPass();
    }
  }
  if (writers.empty()) return;
  uint64_t sequence = writers.front()->server_.engine.LatestSequence();
  auto executor = writers.front()->socket_.get_executor();
  replication.master().WaitForAcks(
      sequence, policy.min_acks.load(), policy.ack_timeout_ms.load(),
      [executor, writers = std::move(writers), sequence](size_t acked) mutable {
        asio::post(executor, [writers = std::move(writers), sequence, acked] {
          AfterReplicaAcks(writers, sequence, acked);
        });
      });
}

void Connection::AfterReplicaAcks(const std::vector<std::shared_ptr<Connection>>& writers, uint64_t sequence,
                                  size_t acked) {
  auto& replication = writers.front()->server_.replication;
  if (acked < replication.policy().min_acks.load()) {
    if (replication.policy().mode.load() == replication::Mode::kSync) {
      for (auto& connection : writers) {
        replication.NoteSyncUnknownOutcome();
        connection->ReplaceWriteReplies(errors::kUnknownOutcome);
      }
    } else {
      replication.NoteSemiSyncTimeout(sequence);
    }
  }
  for (auto& connection : writers) connection->FinishPass();
}

void Connection::ReplaceWriteReplies(const std::string& error) {
  std::string rebuilt;
  size_t copied = 0;
  for (const auto& [begin, end] : write_replies_) {
    rebuilt.append(output_, copied, begin - copied);
    rebuilt += "-" + error + "\r\n";
    copied = end;
  }
  rebuilt.append(output_, copied, std::string::npos);
  output_.swap(rebuilt);
  write_replies_.clear();
}

bool Connection::StartReplicaWait() {
  auto wait = *replica_wait_;
  replies_held_ = true;
  // The waiter owns the connection meanwhile: nothing else may (no read or write is in flight).
  auto executor = socket_.get_executor();
  server_.replication.master().WaitForAcks(
      server_.engine.LatestSequence(), wait.needed, wait.timeout_ms,
      [executor, self = shared_from_this()](size_t acked) {
        asio::post(executor, [self, acked] {
          protocol::RespWriter writer(&self->output_, self->state_->protocol.load(std::memory_order_relaxed));
          if (!std::exchange(self->drop_late_reply_, false)) writer.Integer(static_cast<int64_t>(acked));
          self->replica_wait_.reset();
          self->FinishPass();
        });
      });
  return true;
}

void Connection::StartBackgroundReply() {
  replies_held_ = true;  // as for WAIT: nothing else runs on this connection meanwhile
  auto job = std::move(background_reply_);
  background_reply_ = nullptr;
  int protocol = state_->protocol.load(std::memory_order_relaxed);
  asio::post(server_.background, [executor = socket_.get_executor(), self = shared_from_this(), job = std::move(job),
                                  protocol] {
    std::string reply;
    protocol::RespWriter writer(&reply, protocol);
    job(writer);
    asio::post(executor, [self, reply = std::move(reply)] {
      if (!std::exchange(self->drop_late_reply_, false)) self->output_ += reply;
      self->FinishPass();
    });
  });
}

void Connection::HandOffToReplication() {
  std::string greeting = std::move(output_) + hand_off_->greeting;
  output_.clear();
  int fd = ::dup(socket_.native_handle());
  if (fd < 0) {
    KVD_LOG(kWarning) << "cannot hand replica " << state_->addr << " to the feeder: " << std::strerror(errno);
    Close();
    return;
  }
  std::string address = state_->addr;
  std::string ip = address.substr(0, address.rfind(':'));
  server_.replication.master().Attach(fd, ip, state_->session.replica_listening_port, hand_off_->next_sequence,
                                      std::move(greeting));
  hand_off_.reset();
  Close(false);  // the feeder owns the connection now: close our descriptor only
}

void Connection::FinishPass() {
  replies_held_ = false;
  if (closed_) return;
  if (hand_off_) return HandOffToReplication();
  if (replica_wait_ && StartReplicaWait()) return;
  if (background_reply_) return StartBackgroundReply();
  if (output_.size() > limits_.output_buffer_limit) {
    KVD_LOG(kWarning) << "closing client " << state_->addr << ": output over client-output-buffer-limit";
    Close();
    return;
  }
  if (!output_.empty()) {
    WriteOut();
  } else if (close_after_write_) {
    Close();
  } else if (RunPendingWake()) {
    // Blocked again (it found nothing): arm the read a blocked client keeps,
    // or nothing would own this connection any more.
    if (blocked()) ReadMore();
    return;
  } else if (!blocked() && (unreported_input_bytes_ > 0 || std::exchange(input_waits_, false))) {
    // Requests arrived while this pass waited for durability (through the
    // read a blocked client keeps armed): nothing else would run them.
    Process();
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
                      } else if (!self->output_.empty() && !self->replies_held_) {
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
  if (!writing_ && !replies_held_) WriteOut();
}

void Connection::Block(const CommandContext& ctx, bool again) {
  if (!blocked()) blocked_args_ = ctx.args;
  state_->blocked.store(true, std::memory_order_relaxed);
  std::weak_ptr<ClientState> weak = state_;
  server_.blocking.Block(state_->id, ctx.db(), ctx.block_keys, [weak] {
    if (auto client = weak.lock()) client->Wake();
  });
  if (again) return;  // re-blocked after a wake-up: the timer is already running
  if (ctx.block_deadline_ms != 0) ArmBlockTimer(ctx.block_deadline_ms);
}

void Connection::Postpone(const CommandContext& ctx) {
  if (&ctx.args != &blocked_args_) blocked_args_ = ctx.args;
  postponed_ = true;
  state_->postponed.store(true, std::memory_order_relaxed);
  state_->blocked.store(true, std::memory_order_relaxed);
  ArmBlockTimer(ctx.paused_until_ms);
}

// At `deadline_ms` a postponed command runs (the pause is over) and a blocked
// one answers as timed out.
void Connection::ArmBlockTimer(uint64_t deadline_ms) {
  uint64_t now = server_.engine.NowMs();
  block_timer_.expires_after(std::chrono::milliseconds(deadline_ms > now ? deadline_ms - now : 0));
  block_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || !self->blocked()) return;
    if (self->postponed_) return self->OnBlockedWake(false);
    self->server_.blocking.Unblock(self->state_->id);
    self->OnBlockedWake(true);
  });
}

void Connection::Wake(WakeReason reason) {
  if (reason == WakeReason::kKeyWritten) return OnBlockedWake(false);
  if (reason == WakeReason::kPauseEnded) {
    if (!postponed_) return;
    block_timer_.cancel();
    return OnBlockedWake(false);
  }
  if (postponed_) return;  // CLIENT UNBLOCK does not end a pause
  if (closed_ || !blocked()) return;
  server_.blocking.Unblock(state_->id);
  unblock_with_error_ = reason == WakeReason::kUnblockWithError;
  OnBlockedWake(true);
}

void Connection::OnBlockedWake(bool timed_out) {
  if (closed_ || !blocked()) return;
  if (writing_ || replies_held_) {
    wake_pending_ = true;
    timeout_pending_ = timeout_pending_ || timed_out;
    return;
  }
  RunBlockedCommand(timed_out);
}

bool Connection::RunPendingWake() {
  if (!blocked() || !wake_pending_) return false;
  bool timed_out = timeout_pending_;
  wake_pending_ = timeout_pending_ = false;
  RunBlockedCommand(timed_out);
  return true;
}

void Connection::RunBlockedCommand(bool timed_out) {
  PassTally tally;
  protocol::RespWriter writer(&output_, state_->protocol.load(std::memory_order_relaxed));
  CommandContext ctx{server_, *state_, blocked_args_, writer, tally, state_};
  bool was_postponed = postponed_;
  postponed_ = false;
  state_->postponed.store(false, std::memory_order_relaxed);
  ctx.block_timed_out = timed_out && !was_postponed;
  ctx.block_retry = !was_postponed;  // a postponed command runs for the first time
  if (!timed_out) ctx.block_ready_key = server_.blocking.WokenBy(state_->id);
  storage::Engine::TakeThreadCommitted();
  server_.engine.OpenGroup();
  uint64_t writes_before = storage::Engine::ThreadWrites();
  size_t reply_start = output_.size();
  const CommandSpec* spec = nullptr;
  if (unblock_with_error_) {
    writer.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else {
    spec = Dispatch(ctx);
  }
  server_.stats.Add(tally);
  if (ctx.paused_until_ms != 0) return Postpone(ctx);  // the pause was extended
  if (!ctx.block_keys.empty() && (!timed_out || was_postponed)) {
    // Someone else took the data, or a key holds another type: keep our place
    // in line (a command that waited for a pause blocks for the first time,
    // with its own timeout).
    Block(ctx, !was_postponed);
    PassOn(ctx);
    return;
  }
  PassOn(ctx);  // timed out, yet a key of another type may serve the next in line
  bool wrote = storage::Engine::ThreadWrites() != writes_before;
  LeaveQueues(ctx, wrote);
  if (std::exchange(drop_late_reply_, false)) output_.resize(reply_start);
  state_->blocked.store(false, std::memory_order_relaxed);
  wake_pending_ = timeout_pending_ = unblock_with_error_ = false;
  block_timer_.cancel();
  // BLMOVE's push may ready a key others wait for.
  if (spec != nullptr && wrote) ServeBlockedClients(*spec, ctx);
  blocked_args_.clear();
  AfterCommands();
}

// Keys of another type than the command waits for: the clients behind it may use them.
void Connection::PassOn(const CommandContext& ctx) {
  if (ctx.block_passed_keys.empty()) return;
  CollectWakesWhileServing collect;
  server_.blocking.PassOn(state_->id, ctx.db(), ctx.block_passed_keys);
}

// Redis goes on to the next client of the key it serves from: a served
// client wakes the next waiter of the key it took from (the writes wake the
// waiters of the keys they ready), and an answer that wrote nothing (BLMOVE
// to a destination of another type answers WRONGTYPE and leaves the element)
// hands its wake-up on.
void Connection::LeaveQueues(const CommandContext& ctx, bool wrote) {
  CollectWakesWhileServing collect;
  if (!wrote || ctx.block_served_key.empty()) return server_.blocking.Unblock(state_->id);
  server_.blocking.PassOn(state_->id, ctx.db(), {ctx.block_served_key});
  server_.blocking.Served(state_->id);
}

void Connection::CompactInput() {
  // A read still in flight (one armed while the client was blocked) fills the
  // buffer at input_end_: moving the data or the offsets under it would make
  // the next pass parse old bytes again and lose the new ones.
  if (reading_) return;
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
