// What a command handler can reach: the server's shared parts and the
// calling client. Handlers write their reply through `reply`.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/resp_writer.h"
#include "roles/server/blocking.h"
#include "roles/server/client_pause.h"
#include "roles/server/client_registry.h"
#include "roles/server/command_stats.h"
#include "roles/server/failover.h"
#include "roles/server/latency_monitor.h"
#include "roles/server/monitor.h"
#include "roles/server/pubsub.h"
#include "roles/server/watch_registry.h"
#include "roles/server/options.h"
#include "roles/server/replication/replication.h"
#include "roles/server/slowlog.h"
#include "roles/server/stats.h"
#include "storage/engine.h"
#include "storage/expiry_sweeper.h"
#include "storage/key_count_cache.h"
#include "storage/keyspace.h"
#include "storage/scan_cursors.h"
#include "storage/types/hash_store.h"
#include "storage/types/list_store.h"
#include "storage/types/set_store.h"
#include "storage/types/string_store.h"
#include "storage/types/zset_store.h"

namespace kvd::server {

// How many counter slots (commands and subcommands) CommandStats needs (command_table.cpp).
size_t CommandTableSize();

struct ServerContext {
  explicit ServerContext(storage::Engine& engine, ConfigStore& config)
      : engine(engine),
        keyspace(engine),
        strings(engine),
        hashes(engine),
        lists(engine),
        sets(engine),
        zsets(engine),
        sweeper(keyspace),
        key_counts(keyspace),
        config(config),
        command_stats(CommandTableSize()),
        replication(engine) {}

  storage::Engine& engine;
  storage::Keyspace keyspace;
  storage::StringStore strings;
  storage::HashStore hashes;
  storage::ListStore lists;
  storage::SetStore sets;
  storage::ZSetStore zsets;
  storage::ScanCursors cursors;
  storage::ExpirySweeper sweeper;
  storage::KeyCountCache key_counts;  // INFO keyspace
  ConfigStore& config;
  Stats stats;
  CommandStats command_stats;  // INFO commandstats and errorstats
  SlowLog slowlog;
  LatencyMonitor latency;  // LATENCY's events
  ClientRegistry clients;
  WatchRegistry watches;
  BlockingRegistry blocking;
  ClientPause pause;
  MonitorRegistry monitors;
  PubSub pubsub;
  replication::Replication replication;
  Failover failover{*this};  // FAILOVER: after replication, pause and clients, which it uses
  // Runs what would stall an io thread's other clients (DBSIZE of a large
  // database); one thread, so such commands cannot take more than one core.
  boost::asio::thread_pool background{1};
  std::function<void()> request_shutdown;
  std::string run_id;
  uint64_t start_time_ms = 0;
  uint16_t port = 0;
  size_t io_threads = 1;
  std::string executable;
  std::string config_file;
};

// The Redis error reply for a failed Status.
void WriteStatusError(protocol::RespWriter& reply, const Status& status);

struct CommandContext {
  ServerContext& server;
  ClientState& client;
  std::vector<std::string>& args;
  protocol::RespWriter& reply;
  PassTally& tally;
  // The shared_ptr of `client`, for registries that outlive a pass (pub/sub).
  const std::shared_ptr<ClientState>& client_ptr;
  bool close_after_reply = false;
  // Set inside EXEC: blocking commands must answer at once.
  bool in_exec = false;
  // A blocking command that found nothing asks to wait on these keys until
  // `block_deadline_ms` (0 = forever); it is run again when one is written.
  std::vector<std::string> block_keys = {};
  uint64_t block_deadline_ms = 0;
  // Set when the command runs again after its timeout: answer the empty reply.
  bool block_timed_out = false;
  // Set when a blocked command runs again (a key was written, or its time is
  // up): a key that now holds another type does not serve it and is no error;
  // such keys are listed in `block_passed_keys`, for the waiters behind it.
  bool block_retry = false;
  std::vector<std::string> block_passed_keys = {};
  // On a retry, the key whose write woke it (tried first); once served, the key it took from.
  std::string block_ready_key = {};
  std::string block_served_key = {};
  // CLIENT PAUSE covers the command until then (engine clock, ms): the
  // connection holds it, with everything after it, and runs it again then.
  uint64_t paused_until_ms = 0;
  // WAIT: the connection answers with the count of replicas that acknowledged
  // `sequence`, once `needed` did or `timeout_ms` (0 = never) passed.
  struct ReplicaWait {
    uint64_t sequence;
    size_t needed;
    uint64_t timeout_ms;
  };
  std::optional<ReplicaWait> wait_replicas = {};
  // PSYNC answered +CONTINUE: after this pass the connection's socket becomes
  // a replication link that streams the binlog from `next_sequence`.
  struct ReplicaHandOff {
    uint64_t next_sequence;
    std::string greeting;
  };
  std::optional<ReplicaHandOff> hand_off = {};
  // A command whose answer takes long to compute leaves it to the background
  // thread (ServerContext::background): this writes the reply there, and the
  // connection sends it and reads its next command after that.
  std::function<void(protocol::RespWriter&)> background_reply = {};
  // Messages to this client written ahead of its reply (PUBLISH to a channel
  // it is subscribed to): CLIENT REPLY OFF or SKIP drops the reply, not them.
  size_t pushed_bytes = 0;

  uint8_t db() const { return static_cast<uint8_t>(client.db.load(std::memory_order_relaxed)); }
  // Replies with the Redis error text for a failed Status.
  void ReplyError(const Status& status);  // WriteStatusError into `reply`
  void ReplySyntaxError();
  void ReplyWrongArgs();  // "wrong number of arguments for '<cmd>' command"
  // Records this command in the binlog as `replay` instead of its own
  // arguments, when those would not redo the same effect (relative times,
  // random picks, blocking forms).
  void Propagate(std::vector<std::string> replay) const { storage::Engine::RewriteCurrentRecord(std::move(replay)); }
};

}  // namespace kvd::server
