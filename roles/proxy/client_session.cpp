#include "roles/proxy/client_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "common/ascii.h"
#include "common/logging.h"
#include "common/redis_errors.h"
#include "common/tick_clock.h"
#include "common/version.h"
#include "protocol/resp_writer.h"
#include "roles/proxy/replies.h"
#include "roles/proxy/local_commands.h"

namespace kvd::proxy {

namespace asio = boost::asio;

namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Unparsed input a client may pile up (behind a blocked command, or past
// --max-pending-per-client) before it is disconnected: Redis's default
// client-query-buffer-limit.
constexpr size_t kMaxQueryBuffer = size_t{1} << 30;

}  // namespace

ClientSession::ClientSession(Worker& worker, asio::ip::tcp::socket socket)
    : worker_(worker), socket_(std::move(socket)) {
  local_.client_id = worker.stats().next_client_id.fetch_add(1);
  local_.requirepass = worker.config().requirepass;
  local_.authenticated = local_.requirepass.empty();
  local_.info = [this] { return InfoText(); };
  boost::system::error_code error;
  auto remote = socket_.remote_endpoint(error);
  if (!error) address_ = remote.address().to_string() + ":" + std::to_string(remote.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
  worker_.stats().connected_clients.fetch_add(1);
  worker_.stats().total_connections.fetch_add(1);
}

ClientSession::~ClientSession() { worker_.stats().connected_clients.fetch_sub(1); }

void ClientSession::Start() { ReadMore(); }

void ClientSession::ReadMore() {
  if (closed_ || reading_ || close_after_write_) return;
  // Only here, with no read in flight: a pending read writes at the offset it was given.
  if (input_begin_ == input_end_) {
    input_begin_ = input_end_ = 0;
  } else if (input_begin_ > 0 && input_begin_ >= input_.size() / 2) {
    input_.erase(0, input_begin_);
    input_end_ -= input_begin_;
    input_begin_ = 0;
  }
  if (input_.size() - input_end_ < kReadChunk) input_.resize(std::max(input_.size() * 2, input_end_ + kReadChunk));
  reading_ = true;
  socket_.async_read_some(asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
                          [self = shared_from_this()](const boost::system::error_code& error, size_t bytes) {
                            self->reading_ = false;
                            if (error == asio::error::eof && !self->closed_ && !self->blocked_) {
                              // The client is done sending (a half-close, `nc -N`): what it sent is
                              // still answered, then the connection closes. A blocked client is
                              // taken as gone, as Redis does, so its backend stops waiting for it.
                              self->close_after_write_ = true;
                              if (self->slots_.empty() && !self->writing_) self->Close();
                              return;
                            }
                            if (error) return self->Close();
                            self->input_end_ += bytes;
                            if (self->input_end_ - self->input_begin_ > kMaxQueryBuffer) {
                              KVD_LOG(kWarning) << "closing client " << self->address_ << ": query buffer over 1 GB";
                              return self->Close();
                            }
                            self->ProcessInput();
                          });
}

void ClientSession::ProcessInput() {
  size_t limit = worker_.config().max_pending_per_client;
  while (!closed_ && !close_after_write_ && !blocked_ && !awaiting_marker_ && slots_.size() < limit) {
    if (stashed_) {
      if (!slots_.empty()) break;
      Routed routed = std::move(*stashed_);
      stashed_.reset();
      Send(routed);
      continue;
    }
    if (input_begin_ == input_end_) break;
    auto outcome = parser_.Parse(std::string_view(input_).substr(input_begin_, input_end_ - input_begin_));
    input_begin_ += outcome.consumed;
    if (outcome.state == protocol::RequestParser::State::kNeedMore) break;
    if (outcome.state == protocol::RequestParser::State::kError) {
      PushReply(ErrorReply("ERR " + parser_.error()));  // Redis's "-ERR Protocol error: ..."
      close_after_write_ = true;
      break;
    }
    if (!parser_.args().empty() && !Execute(parser_.args())) break;
  }
  Deliver();
  if (slots_.size() < limit) ReadMore();
}

void ClientSession::PushReply(std::string reply) {
  auto slot = std::make_shared<Slot>();
  slots_.push_back(slot);
  Finish(slot, std::move(reply));
}

bool ClientSession::Execute(std::vector<std::string>& args) {
  worker_.stats().total_commands.fetch_add(1, std::memory_order_relaxed);
  // Routed by its lower-case name, forwarded as typed: a backend's unknown-command error quotes it.
  std::string typed_name = args[0];
  LowerInPlace(args[0]);
  const std::string& name = args[0];
  std::string reply;
  if (!local_.authenticated && name != "auth" && name != "hello" && name != "quit") {
    reply = ErrorReply(errors::kNoAuth);
  } else if (!((pinning_.in_multi() || subscribed_) && Named(name, {"ping", "echo"})) &&
             AnswerLocally(args, local_, &reply)) {
    // (Inside MULTI, PING and ECHO are queued like any command, and a
    // subscriber's go to its backend, which answers them as Redis does there.)
    if (local_.quit) close_after_write_ = true;
  } else if (worker_.routes() == nullptr || worker_.keys() == nullptr) {
    reply = ErrorReply("LOADING kvd proxy is still reading the slot map and the command table");
  }
  if (!reply.empty()) {
    PushReply(std::move(reply));
    return true;
  }
  Routed routed;
  routed.routes = pinned_routes_ ? pinned_routes_ : worker_.shared_routes();
  routed.step = Decide(args, *routed.routes, &routed.plan);
  bool pinned = pinning_.in_multi() || pinning_.pinned();
  if (pinned && !pinned_routes_) pinned_routes_ = routed.routes;
  if (!pinned) pinned_routes_.reset();
  if (routed.plan.kind == Plan::Kind::kForward) args[0] = std::move(typed_name);
  routed.args = std::move(args);
  if (MustWait(routed)) {
    stashed_ = std::move(routed);
    return false;
  }
  Send(routed);
  return true;
}

Step ClientSession::Decide(const std::vector<std::string>& args, const RouteTable& routes, Plan* plan) {
  const std::string& name = args[0];
  bool bare = args.size() == 1;
  if (subscribed_ || Named(name, {"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
                                  "sunsubscribe"})) {
    Step step;
    if (pinning_.in_multi() || pinning_.pinned()) {
      step.reply = ErrorReply("ERR '" + name + "' inside a transaction is not supported through kvd proxy");
    } else if (routes.default_backend() == RouteTable::kUnassigned) {
      step.reply = ErrorReply("CLUSTERDOWN Hash slot not served");
    } else {
      step.target = Step::Target::kSubscriber;  // the backend answers what subscribed mode refuses
    }
    return step;
  }
  if (name == "multi" && bare) return pinning_.Multi();
  if (name == "exec" && bare) return pinning_.Exec();
  if (name == "discard" && bare) return pinning_.Discard();
  if (name == "unwatch" && bare) return pinning_.Unwatch();
  if (Named(name, {"multi", "exec", "discard", "unwatch"}) || (name == "watch" && bare)) {
    Step step;
    step.reply = WrongArity(name);
    return step;
  }
  *plan = PlanCommand(args, *worker_.keys(), routes);
  if (name == "watch") {
    Step step = pinning_.Watch(*plan);
    plan->kind = Plan::Kind::kReply;  // sent by the step, never as a plain forward
    return step;
  }
  return pinning_.Command(*plan, args);
}

bool ClientSession::MustWait(const Routed& routed) {
  if (slots_.empty()) return false;
  // Subscribed mode starts once every reply before it is out.
  if (routed.step.target == Step::Target::kSubscriber) return !subscribed_;
  const auto& backends = routed.routes->backends();
  auto differs = [&](const Backend& backend, const BackendLink* target) {
    auto last = last_link_.find(backend.address);
    return last != last_link_.end() && last->second != target;
  };
  const Step& step = routed.step;
  if (step.target == Step::Target::kDedicated || (step.target == Step::Target::kLocal && !step.preamble.empty())) {
    const Backend& backend = backends[step.backend];
    bool same = dedicated_ && dedicated_->backend().address == backend.address;
    // Moving the client's own connection to another backend closes it: only once it has answered.
    if (dedicated_ && !same && dedicated_->waiting() > 0) return true;
    return differs(backend, same ? dedicated_.get() : nullptr);
  }
  if (step.target != Step::Target::kShared) return false;
  if (routed.plan.kind == Plan::Kind::kForward) {
    const Backend& backend = backends[routed.plan.backend];
    return differs(backend, &worker_.LinkTo(backend));
  }
  for (const Part& part : routed.plan.parts) {
    const Backend& backend = backends[part.backend];
    if (differs(backend, &worker_.LinkTo(backend))) return true;
  }
  return false;
}

void ClientSession::Send(Routed& routed) {
  if (routed.step.target == Step::Target::kSubscriber) return SendToSubscriber(routed.args, *routed.routes);
  auto slot = std::make_shared<Slot>();
  slots_.push_back(slot);
  const auto& backends = routed.routes->backends();
  Step& step = routed.step;
  if (!step.preamble.empty()) {
    BackendLink& link = DedicatedTo(backends[step.backend]);
    for (const auto& command : step.preamble) link.Send(command, [](const Status&, std::string_view) {});
  }
  if (step.target == Step::Target::kLocal) return Finish(slot, std::move(step.reply));
  if (step.target == Step::Target::kDedicated) {
    if (step.blocks) blocked_ = true;
    return SendOn(DedicatedTo(backends[step.backend]), routed.args, slot, step.blocks);
  }
  slot->plan = std::move(routed.plan);
  switch (slot->plan.kind) {
    case Plan::Kind::kReply:
      return Finish(slot, std::move(slot->plan.reply));
    case Plan::Kind::kForward:
      return SendOn(worker_.LinkTo(backends[slot->plan.backend]), routed.args, slot, false);
    case Plan::Kind::kSplit:
      return SendParts(slot, *routed.routes);
  }
}

// Each part to its group; the last reply in merges them all into the slot.
void ClientSession::SendParts(const std::shared_ptr<Slot>& slot, const RouteTable& routes) {
  const auto& backends = routes.backends();
  const Plan& plan = slot->plan;
  slot->parts_left = plan.parts.size();
  slot->part_replies.resize(plan.parts.size());
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    BackendLink& link = worker_.LinkTo(backends[plan.parts[p].backend]);
    last_link_[link.backend().address] = &link;
    link.Send(plan.parts[p].args, [self = shared_from_this(), slot, p](const Status& failed, std::string_view raw) {
      protocol::RespValue& reply = slot->part_replies[p];
      if (!failed.ok() || !protocol::ParseReply(raw, &reply).ok()) {
        reply.type = protocol::RespValue::Type::kError;
        reply.str = "ERR " + (failed.ok() ? std::string("bad reply from the backend") : failed.message());
      }
      if (--slot->parts_left == 0) self->Finish(slot, MergeReplies(slot->plan, slot->part_replies));
    });
  }
}

void ClientSession::SendOn(BackendLink& link, const std::vector<std::string>& args, const std::shared_ptr<Slot>& slot,
                           bool unblocks) {
  last_link_[link.backend().address] = &link;
  link.Send(args, [self = shared_from_this(), slot, unblocks](const Status& failed, std::string_view raw) {
    if (unblocks) self->blocked_ = false;
    self->Finish(slot, failed.ok() ? std::string(raw) : ErrorReply("ERR " + failed.message()));
  });
}

void ClientSession::SendToSubscriber(const std::vector<std::string>& args, const RouteTable& routes) {
  const Backend& backend = routes.backends()[routes.default_backend()];
  // A subscribed client stays on the backend that holds its subscriptions.
  if (subscriber_ && !subscribed_ && subscriber_->backend().address != backend.address) {
    subscriber_->Close("the default backend changed");
    subscriber_.reset();
  }
  if (!subscriber_) {
    subscriber_ = std::make_shared<BackendLink>(worker_.io(), backend, UINT64_MAX);
    std::weak_ptr<ClientSession> weak = shared_from_this();
    subscriber_->SetPushSink([weak](const Status& failed, std::string_view frame) {
      if (auto self = weak.lock()) self->OnPushFrame(failed, frame);
    });
  }
  subscribed_ = true;
  subscriber_->SendToPushes(args);
  if (args[0] == "reset") subscriptions_ = shard_subscriptions_ = 0;  // RESET sends no unsubscribe frames
  if (Named(args[0], {"unsubscribe", "punsubscribe", "sunsubscribe", "reset"})) {
    // How many frames answer it is the backend's business; the PING behind it
    // marks their end, and then the counts say whether the client left subscribed mode.
    subscriber_->SendToPushes({"PING"});
    awaiting_marker_ = true;
  }
}

void ClientSession::OnPushFrame(const Status& failed, std::string_view frame) {
  if (closed_) return;
  if (!failed.ok()) {
    KVD_LOG(kVerbose) << "closing subscriber " << address_ << ": " << failed.message();
    return Close();  // its subscriptions are gone: the client reconnects and subscribes again
  }
  protocol::RespValue value;
  bool decoded = protocol::ParseReply(frame, &value).ok();
  const std::string kind = decoded && !value.elements.empty() ? value.elements[0].str : value.str;
  bool pong = decoded && EqualsIgnoreCase(kind, "pong");
  if (awaiting_marker_ && pong) {
    awaiting_marker_ = false;
    if (subscriptions_ == 0 && shard_subscriptions_ == 0) subscribed_ = false;
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->ProcessInput(); });
    return;
  }
  if (decoded && value.elements.size() == 3 && value.elements[2].type == protocol::RespValue::Type::kInteger) {
    if (Named(kind, {"subscribe", "psubscribe", "unsubscribe", "punsubscribe"})) subscriptions_ = value.elements[2].integer;
    if (Named(kind, {"ssubscribe", "sunsubscribe"})) shard_subscriptions_ = value.elements[2].integer;
  }
  output_.append(frame);
  if (!writing_) WriteOut();
}

// The client's own connection to `backend`; a connection to another backend is closed first.
BackendLink& ClientSession::DedicatedTo(const Backend& backend) {
  if (dedicated_ && (dedicated_->backend().address != backend.address ||
                     dedicated_->backend().auth_pass != backend.auth_pass)) {
    last_link_.erase(dedicated_->backend().address);
    dedicated_->Close("the client moved to another backend");
    dedicated_.reset();
  }
  // No reply deadline: a blocking command may rightly wait forever.
  if (!dedicated_) dedicated_ = std::make_shared<BackendLink>(worker_.io(), backend, UINT64_MAX);
  return *dedicated_;
}

void ClientSession::Finish(const std::shared_ptr<Slot>& slot, std::string reply) {
  slot->ready = true;
  slot->reply = std::move(reply);
  slot->part_replies.clear();
  ScheduleDelivery();
}

// Replies that arrive together (one backend read) leave in one write.
void ClientSession::ScheduleDelivery() {
  if (delivery_scheduled_ || closed_) return;
  delivery_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->delivery_scheduled_ = false;
    self->Deliver();
  });
}

void ClientSession::Deliver() {
  if (closed_) return;
  bool freed = false;
  while (!slots_.empty() && slots_.front()->ready) {
    output_ += slots_.front()->reply;
    slots_.pop_front();
    freed = true;
  }
  if (!output_.empty() && !writing_) WriteOut();
  if (freed && !close_after_write_ && slots_.size() < worker_.config().max_pending_per_client) {
    if (input_begin_ < input_end_ || stashed_) {
      asio::post(socket_.get_executor(), [self = shared_from_this()] { self->ProcessInput(); });
    } else {
      ReadMore();
    }
  }
}

void ClientSession::WriteOut() {
  writing_ = true;
  sending_.swap(output_);
  output_.clear();
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const boost::system::error_code& error, size_t) {
                      self->writing_ = false;
                      self->sending_.clear();
                      if (error) return self->Close();
                      if (!self->output_.empty()) return self->WriteOut();
                      if (self->close_after_write_ && self->slots_.empty()) self->Close();
                    });
}

void ClientSession::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  // Requests still at the backends complete into slots nobody reads; the
  // last callback releases this session. Closing its own connection ends a
  // blocking command or an open transaction on the backend.
  slots_.clear();
  stashed_.reset();
  if (dedicated_) dedicated_->Close("client gone");
  if (subscriber_) subscriber_->Close("client gone");
}

std::string ClientSession::InfoText() const {
  const ProxyStats& stats = worker_.stats();
  const RouteTable* routes = worker_.routes();
  std::string text = "# Server\r\n";
  text += "redis_version:" + std::string(kRedisCompatVersion) + "\r\n";
  text += "kvd_version:" + std::string(kKvdVersion) + "\r\n";
  text += "kvd_mode:proxy\r\n";
  text += "tcp_port:" + std::to_string(worker_.config().port) + "\r\n";
  text += "uptime_in_seconds:" + std::to_string((TickMicros() / 1000 - stats.start_ms) / 1000) + "\r\n";
  text += "\r\n# Clients\r\nconnected_clients:" + std::to_string(stats.connected_clients.load()) + "\r\n";
  text += "\r\n# Stats\r\ntotal_connections_received:" + std::to_string(stats.total_connections.load()) + "\r\n";
  text += "total_commands_processed:" + std::to_string(stats.total_commands.load()) + "\r\n";
  text += "rejected_connections:" + std::to_string(stats.rejected_connections.load()) + "\r\n";
  text += "\r\n# Proxy\r\n";
  text += "topology_version:" + std::to_string(routes ? routes->version() : 0) + "\r\n";
  text += "command_table_loaded:" + std::string(worker_.keys() ? "1" : "0") + "\r\n";
  size_t count = routes ? routes->backends().size() : 0;
  text += "backends:" + std::to_string(count) + "\r\n";
  for (size_t i = 0; i < count; ++i) {
    const Backend& backend = routes->backends()[i];
    size_t slots = 0;
    for (uint16_t slot = 0; slot < cluster::kSlotCount; ++slot) slots += routes->BackendOfSlot(slot) == static_cast<int32_t>(i);
    text += "backend" + std::to_string(i) + ":group=" + backend.group + ",address=" + backend.address +
            ",slots=" + std::to_string(slots) + "\r\n";
  }
  return text;
}

}  // namespace kvd::proxy
