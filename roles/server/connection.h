// One client connection. Each read is parsed and every complete command in it
// is executed in one pass; the replies of the pass go out in one write. While
// a write is in flight the connection does not parse more input, so a client
// that never reads holds at most one pass of replies (about kPassReplyBudget)
// plus pushed pub/sub messages, which are capped by client-output-buffer-limit.
//
// A pass that wrote data waits, before replying, until its writes are as
// durable as the fsync policy promises. Passes of all connections of one io
// thread that become ready together share that step (one WAL flush or fsync
// for all of them), as Redis does its AOF work once per event-loop turn.
//
// With replication-mode semi-sync or sync, a pass that wrote then also waits
// until enough replicas acknowledged the sequence of those writes (one wait
// for all passes of the step). WAIT parks the connection the same way.
//
// A blocking command (BLPOP...) that finds nothing parks the connection: it
// keeps reading (to notice a disconnect) but runs nothing until a write to one
// of its keys wakes it or its timeout fires; then the command runs again.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/resp_parser.h"
#include "roles/server/context.h"

namespace kvd::server {

struct CommandSpec;

struct ConnectionLimits {
  protocol::ParserLimits parser;
  size_t query_buffer_limit = 1ULL << 30;
  size_t output_buffer_limit = 256ULL << 20;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  static constexpr size_t kPassReplyBudget = 1 << 20;

  Connection(boost::asio::ip::tcp::socket socket, ServerContext& server, std::shared_ptr<ClientState> state,
             ConnectionLimits limits);
  void Start();
  // The following run on the connection's own thread.
  void Close(bool shutdown_socket = true);
  void Deliver(std::string bytes);  // a pushed message (pub/sub)
  void Wake(WakeReason reason);     // a key we are blocked on was written, or CLIENT UNBLOCK
  // A key `connection` is blocked on was written by a command running on
  // `io`'s thread, which serves such clients before its next command
  // (ServeBlockedClients): true when it takes the wake-up, false when it must be posted.
  static bool TakeWakeInline(const std::weak_ptr<Connection>& connection, boost::asio::io_context& io);

 private:
  void ReadMore();
  void OnRead(const boost::system::error_code& error, size_t bytes);
  void Process();
  void ExecutePass(PassTally& tally);
  void ServeBlockedClients(const CommandSpec& spec, const CommandContext& ctx);
  // Drops the reply the command just wrote from `reply_start` on when CLIENT REPLY says so; true if it did.
  bool ApplyReplyMode(size_t reply_start, const CommandSpec* spec);
  // When `pending` (the input from the start of the command just parsed,
  // which no read split) starts with a run of GETs, or of commands that look up
  // members of one collection (protocol/get_run.h), reads what they will
  // read at once (StringStore::ReadAheadForGets, storage::ReadAheadMembers)
  // and returns how many; 0 otherwise.
  size_t ReadAheadRun(std::string_view pending);
  void AfterCommands();
  // Queues this connection's reply behind the io thread's next durability step.
  void DeferUntilDurable();
  void DeferSending();
  static void SendQueuedReplies();
  static void MakeQueuedPassesDurable(ServerContext& server);
  static void ReplyOrDrop(const Status& durable, std::vector<std::shared_ptr<Connection>> waiting);
  // semi-sync / sync: replies once replicas acknowledged the step's writes.
  static void AwaitReplicas(std::vector<std::shared_ptr<Connection>> waiting);
  static void AfterReplicaAcks(const std::vector<std::shared_ptr<Connection>>& writers, uint64_t sequence,
                               size_t acked);
  // sync mode, acknowledgements missing: the pass's write replies become errors.
  void ReplaceWriteReplies(const std::string& error);
  // WAIT: parks until the replicas acknowledged, then appends the count.
  bool StartReplicaWait();
  void StartBackgroundReply();
  // PSYNC +CONTINUE: hands the socket to the replication feeder.
  void HandOffToReplication();
  // Sends the pass's replies, or reads more, or closes.
  void FinishPass();
  void WriteOut();
  void CompactInput();

  void Block(const CommandContext& ctx, bool again);
  // CLIENT PAUSE holds the command: the connection waits as a blocked one
  // does, until the pause's end or CLIENT UNPAUSE, and then runs it.
  void Postpone(const CommandContext& ctx);
  void ArmBlockTimer(uint64_t deadline_ms);
  // A wake-up or timeout that arrives while replies are being written or
  // wait for durability is kept until the connection is idle: running the
  // command then would start a second write beside the one in flight.
  void OnBlockedWake(bool timed_out);
  bool RunPendingWake();
  void PassOn(const CommandContext& ctx);
  void LeaveQueues(const CommandContext& ctx, bool wrote);
  void RunBlockedCommand(bool timed_out);

  boost::asio::ip::tcp::socket socket_;
  ServerContext& server_;
  std::shared_ptr<ClientState> state_;
  ConnectionLimits limits_;
  protocol::RequestParser parser_;

  std::vector<char> input_;  // bytes [input_begin_, input_end_) are unparsed
  size_t input_begin_ = 0;
  size_t input_end_ = 0;
  std::string output_;   // replies not yet handed to the socket
  std::string sending_;  // replies being written
  uint64_t unreported_input_bytes_ = 0;  // counted into the stats once per pass

  bool reading_ = false;
  bool writing_ = false;
  // The pass ended but its replies wait: for the commit group to be durable
  // (and replicated), or for the end of the io loop round (DeferSending).
  bool replies_held_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  // This pass's writes went out early to serve blocked clients: its replies
  // still wait for durability (the woken clients' commands took the thread's flag).
  bool wrote_out_for_blocked_ = false;
  bool drop_late_reply_ = false;  // CLIENT REPLY OFF/SKIP applies to a reply still to come
  bool input_waits_ = false;      // commands wait behind one whose reply comes later

  // Where in output_ the replies of this pass's writing commands are.
  std::vector<std::pair<size_t, size_t>> write_replies_;
  std::optional<CommandContext::ReplicaWait> replica_wait_;
  std::optional<CommandContext::ReplicaHandOff> hand_off_;
  std::function<void(protocol::RespWriter&)> background_reply_;

  std::vector<std::string_view> run_keys_;  // scratch for ReadAheadRun

  // Whether a blocking command parks this connection; ClientState holds the
  // flag so that CLIENT LIST, CLIENT UNBLOCK and the idle timeout see it too.
  bool blocked() const { return state_->blocked.load(std::memory_order_relaxed); }
  bool wake_pending_ = false;     // woken (or timed out) while busy
  bool timeout_pending_ = false;  // ... and the timeout has passed
  bool unblock_with_error_ = false;  // CLIENT UNBLOCK id ERROR
  bool postponed_ = false;           // blocked_args_ wait for a pause to end
  std::vector<std::string> blocked_args_;
  boost::asio::steady_timer block_timer_;
};

}  // namespace kvd::server
