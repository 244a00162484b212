// Runs the pure Raft core (cluster/raft) for one sentinel: ticks it from a
// timer, persists each Ready in cluster/raft/file_storage before sending its
// messages, sends them to peers over their RESP ports as
//   RAFT <cluster secret> <encoded message>
// and applies committed entries through a callback. Everything runs on one
// io_context thread, so no state here needs a lock.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cluster/raft/file_storage.h"
#include "cluster/raft/raft.h"
#include "common/status.h"

namespace kvd::sentinel {

namespace raft = kvd::cluster::raft;

struct PeerAddress {
  std::string host;
  uint16_t port = 0;
};

struct RaftNodeOptions {
  raft::NodeId id = 0;
  std::map<raft::NodeId, PeerAddress> peers;  // every member, this one included
  std::string dir;
  std::string secret;
  int tick_ms = 100;
  int election_ticks = 10;
};

class RaftNode {
 public:
  using Apply = std::function<void(const raft::Entry& entry)>;
  using Restore = std::function<void(const std::string& snapshot_data)>;
  using TakeSnapshot = std::function<std::string()>;

  RaftNode(boost::asio::io_context& io, RaftNodeOptions options, Apply apply, Restore restore, TakeSnapshot snapshot);
  ~RaftNode();
  Status Start();

  // A linearizable read (ReadIndex): `done(true)` once this node has applied
  // everything committed when the read began, so serving it from the local
  // state then is linearizable; `done(false)` when it failed or took over 5 s.
  Status Read(std::function<void(bool)> done);
  // A RAFT command from a peer. Wrong secret or garbage: an error, ignored.
  Status Receive(std::string_view secret, std::string_view bytes);
  // Leader only; `done(ok)` runs once the entry is applied (ok) or lost.
  Status Propose(std::string data, std::function<void(bool)> done);

  // Sends a command to peer `to` over the Raft connection (replies are ignored).
  void SendCommand(raft::NodeId to, const std::vector<std::string>& args);

  bool IsLeader() const { return raft_ && raft_->is_leader(); }
  raft::NodeId leader() const { return raft_ ? raft_->leader() : 0; }
  raft::Term term() const { return raft_ ? raft_->term() : 0; }
  raft::NodeId id() const { return options_.id; }
  const RaftNodeOptions& options() const { return options_; }
  uint64_t applied() const { return applied_; }

 private:
  class Peer;
  void ScheduleTick();
  void Drain();
  void PostDrain();
  void ExpireReads();
  void Send(const raft::Message& message);

  boost::asio::io_context& io_;
  RaftNodeOptions options_;
  Apply apply_;
  Restore restore_;
  TakeSnapshot take_snapshot_;
  std::unique_ptr<raft::FileStorage> storage_;
  std::unique_ptr<raft::Raft> raft_;
  boost::asio::steady_timer ticker_;
  std::map<raft::NodeId, std::unique_ptr<Peer>> peers_;
  std::map<raft::Index, std::pair<raft::Term, std::function<void(bool)>>> pending_;
  struct PendingRead {
    std::function<void(bool)> done;
    uint64_t started_tick = 0;
  };
  std::map<std::string, PendingRead> reads_;
  uint64_t next_read_ = 0;
  uint64_t ticks_ = 0;
  uint64_t applied_ = 0;
  uint64_t applied_since_snapshot_ = 0;
  bool draining_ = false;
  bool drain_posted_ = false;
};

}  // namespace kvd::sentinel
