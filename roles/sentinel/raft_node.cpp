#include "roles/sentinel/raft_node.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "cluster/raft/codec.h"
#include "common/logging.h"
#include "protocol/resp_client.h"

namespace kvd::sentinel {

namespace asio = boost::asio;
constexpr size_t kMaxQueuedBytes = 8 << 20;  // Raft tolerates loss: drop beyond this
constexpr uint64_t kSnapshotEvery = 1000;    // applied entries between log compactions

// An outbound connection to one peer that writes queued RAFT commands and
// ignores the replies; it reconnects after errors.
class RaftNode::Peer {
 public:
  Peer(asio::io_context& io, PeerAddress address) : io_(io), address_(std::move(address)), socket_(io), retry_(io) {}
  void Send(std::string command) {
    if (queued_bytes_ + command.size() > kMaxQueuedBytes) return;
    queued_bytes_ += command.size();
    queue_.push_back(std::move(command));
    Pump();
  }

 private:
  void Pump() {
    if (busy_) return;
    if (!connected_) return Connect();
    if (queue_.empty()) return;
    busy_ = true;
    sending_.clear();
    while (!queue_.empty() && sending_.size() < (1 << 20)) {
      queued_bytes_ -= queue_.front().size();
      sending_ += queue_.front();
      queue_.pop_front();
    }
    asio::async_write(socket_, asio::buffer(sending_), [this](const boost::system::error_code& error, size_t) {
      busy_ = false;
      if (error) return Fail();
      Pump();
    });
  }
  void Connect() {
    boost::system::error_code error;
    auto address = asio::ip::make_address(address_.host, error);
    if (error) return;
    busy_ = true;
    socket_ = asio::ip::tcp::socket(io_);
    socket_.async_connect(asio::ip::tcp::endpoint(address, address_.port), [this](const boost::system::error_code& e) {
      busy_ = false;
      if (e) return Fail();
      connected_ = true;
      boost::system::error_code ignored;
      socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
      ReadAndDiscard();
      Pump();
    });
  }
  void ReadAndDiscard() {
    socket_.async_read_some(asio::buffer(discard_), [this](const boost::system::error_code& error, size_t) {
      if (error) return;
      ReadAndDiscard();
    });
  }
  void Fail() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    connected_ = false;
    queue_.clear();  // stale Raft messages are worthless: the core resends what matters
    queued_bytes_ = 0;
    busy_ = true;
    retry_.expires_after(std::chrono::milliseconds(200));
    retry_.async_wait([this](const boost::system::error_code& error) {
      busy_ = false;
      if (!error) Pump();
    });
  }

  asio::io_context& io_;
  PeerAddress address_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer retry_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::string sending_;
  char discard_[4096];
  bool connected_ = false;
  bool busy_ = false;
};

RaftNode::RaftNode(asio::io_context& io, RaftNodeOptions options, Apply apply, Restore restore,
                   TakeSnapshot snapshot)
    : io_(io),
      options_(std::move(options)),
      apply_(std::move(apply)),
      restore_(std::move(restore)),
      take_snapshot_(std::move(snapshot)),
      ticker_(io) {}

RaftNode::~RaftNode() = default;

Status RaftNode::Start() {
  raft::Membership voters;
  for (const auto& [id, address] : options_.peers) voters.voters.insert(id);
  auto storage = raft::FileStorage::Open(options_.dir, raft::PersistentState::Bootstrap(voters));
  if (!storage.ok()) return storage.status();
  storage_ = std::move(*storage);
  if (!storage_->recovery_note().empty()) KVD_LOG(kWarning) << "raft: " << storage_->recovery_note();
  raft::Config config;
  config.id = options_.id;
  config.election_tick = options_.election_ticks;
  config.heartbeat_tick = 1;
  config.random_seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                       (options_.id * 0x9e3779b97f4a7c15ULL);
  if (!storage_->state().snapshot.data.empty()) restore_(storage_->state().snapshot.data);
  auto created = raft::Raft::Create(config, storage_->state());
  if (!created.ok()) return created.status();
  raft_ = std::move(*created);
  applied_ = storage_->state().snapshot.meta.index;
  for (const auto& [id, address] : options_.peers) {
    if (id != options_.id) peers_[id] = std::make_unique<Peer>(io_, address);
  }
  ScheduleTick();
  return Status::Ok();
}

void RaftNode::ScheduleTick() {
  ticker_.expires_after(std::chrono::milliseconds(options_.tick_ms));
  ticker_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    raft_->Tick();
    ++ticks_;
    ExpireReads();
    Drain();
    ScheduleTick();
  });
}

Status RaftNode::Receive(std::string_view secret, std::string_view bytes) {
  if (secret != options_.secret) return Status::InvalidArgument("bad cluster secret");
  auto message = raft::DecodeMessage(bytes);
  if (!message.ok()) return message.status();
  Status stepped = raft_->Step(*message);
  Drain();
  return stepped;
}

Status RaftNode::Propose(std::string data, std::function<void(bool)> done) {
  auto proposed = raft_->Propose(std::move(data));
  if (!proposed.ok()) return proposed.status();
  pending_[proposed->index] = {proposed->term, std::move(done)};
  PostDrain();
  return Status::Ok();
}

// Drains once after everything already queued on the loop (the rest of a
// pipelined batch of proposals or reads): they then share one fsync.
void RaftNode::PostDrain() {
  if (drain_posted_) return;
  drain_posted_ = true;
  asio::post(io_, [this] {
    drain_posted_ = false;
    Drain();
  });
}

Status RaftNode::Read(std::function<void(bool)> done) {
  std::string context = std::to_string(options_.id) + ":" + std::to_string(++next_read_);
  KVD_RETURN_IF_ERROR(raft_->ReadIndex(context));
  reads_[context] = PendingRead{std::move(done), ticks_};
  PostDrain();
  return Status::Ok();
}

void RaftNode::ExpireReads() {
  uint64_t limit = 5000 / static_cast<uint64_t>(std::max(options_.tick_ms, 1));
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (ticks_ - it->second.started_tick <= limit) {
      ++it;
      continue;
    }
    auto done = std::move(it->second.done);
    it = reads_.erase(it);
    if (done) done(false);
  }
}

void RaftNode::SendCommand(raft::NodeId to, const std::vector<std::string>& args) {
  auto peer = peers_.find(to);
  if (peer != peers_.end()) peer->second->Send(protocol::EncodeCommand(args));
}

void RaftNode::Send(const raft::Message& message) {
  auto peer = peers_.find(message.to);
  if (peer == peers_.end()) return;
  peer->second->Send(protocol::EncodeCommand({"RAFT", options_.secret, raft::EncodeMessage(message)}));
}

// Persist, then send, then apply, then advance: the order Ready demands.
void RaftNode::Drain() {
  if (draining_) return;  // an apply callback proposed: the outer loop picks it up
  draining_ = true;
  while (raft_->HasReady()) {
    raft::Ready ready = raft_->GetReady();
    Status persisted = storage_->Persist(ready);
    if (!persisted.ok()) {
      // Sending now would break the promises votes and acks make: stop.
      KVD_LOG(kWarning) << "raft: cannot persist state, exiting: " << persisted.message();
      std::exit(1);
    }
    for (const auto& message : ready.messages) Send(message);
    if (ready.snapshot) {
      restore_(ready.snapshot->data);
      applied_ = ready.snapshot->meta.index;
    }
    for (const auto& entry : ready.committed_entries) {
      if (entry.type == raft::EntryType::kNormal) apply_(entry);
      applied_ = entry.index;
      ++applied_since_snapshot_;
      auto pending = pending_.find(entry.index);
      if (pending != pending_.end()) {
        auto done = std::move(pending->second.second);
        bool ours = pending->second.first == entry.term;
        pending_.erase(pending);
        if (done) done(ours);
      }
    }
    // Proposals below the applied index that never showed up were lost.
    while (!pending_.empty() && pending_.begin()->first <= applied_) {
      auto done = std::move(pending_.begin()->second.second);
      pending_.erase(pending_.begin());
      if (done) done(false);
    }
    // Read states come out only once this node has applied up to their index.
    for (const auto& read : ready.read_states) {
      auto found = reads_.find(read.context);
      if (found == reads_.end()) continue;
      auto done = std::move(found->second.done);
      reads_.erase(found);
      if (done) done(true);
    }
    raft_->Advance(ready);
  }
  if (applied_since_snapshot_ >= kSnapshotEvery) {
    applied_since_snapshot_ = 0;
    std::string data = take_snapshot_();
    auto meta = raft_->Compact(applied_, data);
    if (meta.ok()) {
      raft::Snapshot snapshot{*meta, std::move(data)};
      Status saved = storage_->SaveSnapshot(snapshot);
      if (!saved.ok()) KVD_LOG(kWarning) << "raft: saving a snapshot: " << saved.message();
    }
  }
  draining_ = false;
}

}  // namespace kvd::sentinel
