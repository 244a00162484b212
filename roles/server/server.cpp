#include "roles/server/server.h"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "common/logging.h"
#include "common/redis_errors.h"
#include "common/tick_clock.h"
#include "roles/server/commands/backup.h"
#include "roles/server/connection.h"
#include "roles/server/options.h"
#include "storage/written_keys.h"

namespace kvd::server {
namespace asio = boost::asio;

namespace {

std::string RandomRunId() {
  std::random_device device;
  std::mt19937_64 random(device());
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 40; ++i) id.push_back(kHex[random() % 16]);
  return id;
}

std::string EndpointText(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// One core is left to RocksDB's flushes and compactions and to the kernel's
// network work (Redis gives the same advice for its io-threads). Measured on
// 2 cores: one io thread serves pipeline-1 SET at 0.88-0.93x redis-server
// with 9-11 µs of CPU per request, two at 0.68x with 16 µs (they run dry,
// sleep in epoll_wait and wake each other ~25,000 times a second).
size_t DefaultIoThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return cores > 2 ? cores - 1 : 1;
}

class Server {
 public:
  Server(ServerConfig config, std::unique_ptr<storage::Engine> engine)
      : config_store_(config), engine_(std::move(engine)), context_(*engine_, config_store_), acceptor_(control_),
        signals_(control_, SIGINT, SIGTERM), cron_(control_) {
    size_t threads = config.io_threads > 0 ? static_cast<size_t>(config.io_threads) : DefaultIoThreads();
    for (size_t i = 0; i < threads; ++i) io_contexts_.push_back(std::make_unique<asio::io_context>(1));
    context_.io_threads = threads;
    context_.run_id = RandomRunId();
    context_.config_file = config.config_file;
    context_.strings.set_max_size(static_cast<uint64_t>(config.proto_max_bulk_len));
    context_.start_time_ms = engine_->NowMs();
    context_.request_shutdown = [this] { asio::post(control_, [this] { Shutdown("SHUTDOWN command"); }); };
    config_store_.OnChange([this](const std::string& name, const ServerConfig& updated) { ApplyChange(name, updated); });
    context_.replication.SetIoPauser([this](const std::function<void()>& work) {
      RunWithIoPaused(work);
      context_.key_counts.ForgetAll();  // a new dataset: INFO keyspace counts it afresh
    });
    context_.sweeper.SetHold([this] { return context_.pause.WritesPaused(engine_->NowMs()); });
    context_.replication.SetRoleHook([this](bool replica) {
      // Replicas never expire keys themselves: the master's deletes arrive through the binlog.
      if (replica) {
        context_.sweeper.Stop();
      } else {
        context_.sweeper.Start();
      }
    });
    ApplyReplicationPolicy(config);
    context_.slowlog.Configure(config.slowlog_log_slower_than, config.slowlog_max_len);
    context_.latency.SetThreshold(static_cast<uint64_t>(config.latency_monitor_threshold));
    TickMicros();  // calibrates the command clock (2 ms) now, not during the first command
    engine_->SetCommitObserver([this](const rocksdb::WriteBatch& batch) {
      if (context_.watches.Empty() && context_.blocking.Empty()) return;
      storage::WrittenKeys written = storage::CollectWrittenKeys(*engine_, batch);
      context_.watches.Touch(written, [this](uint8_t db, const std::string& key) {
        auto stored = context_.keyspace.Stored(db, key);
        return !stored.ok() || *stored;  // when unsure, the watcher is made dirty
      });
      context_.blocking.Signal(written);
    });
  }

  Status Listen(const ServerConfig& config) {
    boost::system::error_code error;
    auto address = asio::ip::make_address(config.bind, error);
    if (error) return Status::InvalidArgument("bad bind address '" + config.bind + "'");
    asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(config.port));
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) return Status::IOError("cannot listen on " + EndpointText(endpoint) + ": " + error.message());
    context_.port = acceptor_.local_endpoint().port();
    return Status::Ok();
  }

  int Run() {
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> threads;
    for (auto& io : io_contexts_) {
      guards.push_back(asio::make_work_guard(*io));
      threads.emplace_back([&io] {
        storage::Engine::StopPerfCountersOfThisThread();
        io->run();
      });
    }
    if (!context_.replication.IsReplica()) context_.sweeper.Start();
    SweepAbandonedCheckpoints(context_);
    signals_.async_wait([this](const boost::system::error_code& error, int signal) {
      if (!error) Shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    });
    ScheduleCron();
    Accept();
    KVD_LOG(kNotice) << "kvd server ready to accept connections on " << EndpointText(acceptor_.local_endpoint())
                     << " with " << io_contexts_.size() << " io threads";
    control_.run();

    // Stop: the replication threads first (a database swap needs the io
    // threads), then connections close on their own threads, then the threads end.
    context_.replication.Stop();
    context_.clients.CloseAll();
    guards.clear();
    for (auto& thread : threads) thread.join();
    context_.background.stop();  // a job already running finishes; queued ones are for closed clients
    context_.background.join();
    context_.sweeper.Stop();
    Status closed = engine_->Close();
    if (!closed.ok()) {
      KVD_LOG(kWarning) << "closing storage: " << closed.message();
      return 1;
    }
    KVD_LOG(kNotice) << "kvd server stopped; data is saved";
    return 0;
  }

 private:
  void Accept() {
    asio::io_context& io = *io_contexts_[next_io_++ % io_contexts_.size()];
    acceptor_.async_accept(io, [this, &io](const boost::system::error_code& error, asio::ip::tcp::socket socket) {
      if (error) {
        if (error == asio::error::operation_aborted) return;
        KVD_LOG(kWarning) << "accept failed: " << error.message();
      } else {
        Admit(io, std::move(socket));
      }
      Accept();
    });
  }

  void Admit(asio::io_context& io, asio::ip::tcp::socket socket) {
    ServerConfig config = config_store_.Snapshot();
    boost::system::error_code error;
    auto peer = socket.remote_endpoint(error);
    if (error) return;
    auto local = socket.local_endpoint(error);
    auto state = std::make_shared<ClientState>(context_.clients.NextId(), EndpointText(peer), EndpointText(local),
                                               engine_->NowMs());
    state->authenticated = config.requirepass.empty();
    if (!context_.clients.Register(state, static_cast<size_t>(config.maxclients))) {
      context_.stats.ConnectionRejected();
      std::string message = std::string("-") + errors::kMaxClients + "\r\n";
      socket.write_some(asio::buffer(message), error);
      return;
    }
    context_.stats.ConnectionAccepted();
    ConnectionLimits limits;
    limits.parser.max_bulk_len = config.proto_max_bulk_len;
    limits.query_buffer_limit = static_cast<size_t>(config.client_query_buffer_limit);
    limits.output_buffer_limit = static_cast<size_t>(config.client_output_buffer_limit);
    auto connection = std::make_shared<Connection>(std::move(socket), context_, state, limits);
    std::weak_ptr<Connection> weak = connection;
    state->set_hooks(
        [weak, &io] {
          asio::post(io, [weak] {
            if (auto alive = weak.lock()) alive->Close();
          });
        },
        [weak, &io](std::string bytes) {
          asio::post(io, [weak, bytes = std::move(bytes)]() mutable {
            if (auto alive = weak.lock()) alive->Deliver(std::move(bytes));
          });
        },
        [weak, &io](WakeReason reason) {
          if (reason == WakeReason::kKeyWritten && Connection::TakeWakeInline(weak, io)) return;
          asio::post(io, [weak, reason] {
            if (auto alive = weak.lock()) alive->Wake(reason);
          });
        });
    asio::post(io, [connection] { connection->Start(); });
  }

  // Parks every io thread and the background thread between two handlers,
  // runs `work`, lets them go. Used to swap the database under a replica's full sync.
  void RunWithIoPaused(const std::function<void()>& work) {
    struct Gate {
      std::mutex mutex;
      std::condition_variable changed;
      size_t parked = 0;
      size_t left = 0;
      bool release = false;
    };
    auto gate = std::make_shared<Gate>();
    auto park = [gate] {
      std::unique_lock lock(gate->mutex);
      ++gate->parked;
      gate->changed.notify_all();
      gate->changed.wait(lock, [&] { return gate->release; });
      ++gate->left;
      gate->changed.notify_all();
    };
    for (auto& io : io_contexts_) asio::post(*io, park);
    asio::post(context_.background, park);
    std::unique_lock lock(gate->mutex);
    gate->changed.wait(lock, [&] { return gate->parked == io_contexts_.size() + 1; });
    lock.unlock();
    work();
    lock.lock();
    gate->release = true;
    gate->changed.notify_all();
  }

  void ApplyReplicationPolicy(const ServerConfig& config) {
    auto& policy = context_.replication.policy();
    auto mode = replication::ParseMode(config.replication_mode);
    if (mode.ok()) policy.mode = *mode;
    policy.min_acks = static_cast<size_t>(config.min_replica_acks);
    policy.ack_timeout_ms = static_cast<uint64_t>(config.replica_ack_timeout_ms);
    policy.max_lag_ms = static_cast<uint64_t>(config.min_replicas_max_lag) * 1000;
    policy.read_only = config.replica_read_only == "yes";
  }

 public:
  // Starts following the master named by the replicaof option, if any.
  Status StartReplication(const ServerConfig& config) {
    KVD_RETURN_IF_ERROR(context_.replication.Init());
    if (config.replicaof.empty()) return Status::Ok();
    replication::LinkSettings settings;
    if (!ParseHostPort(config.replicaof, &settings.host, &settings.port)) {
      return Status::InvalidArgument("bad replicaof '" + config.replicaof + "'");
    }
    settings.masterauth = config.masterauth;
    settings.listening_port = context_.port;
    settings.timeout_ms = static_cast<uint64_t>(config.repl_timeout) * 1000;
    return context_.replication.Follow(std::move(settings));
  }

 private:
  void ScheduleCron() {
    cron_.expires_after(std::chrono::seconds(1));
    cron_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      context_.stats.Sample();
      CloseIdleClients();
      ScheduleCron();
    });
  }

  void CloseIdleClients() {
    int64_t timeout_s = config_store_.Snapshot().timeout;
    if (timeout_s <= 0) return;
    uint64_t now = engine_->NowMs();
    for (const auto& client : context_.clients.List()) {
      if (client->ExemptFromIdleTimeout()) continue;
      if (now - client->last_interaction_ms.load() > static_cast<uint64_t>(timeout_s) * 1000) {
        KVD_LOG(kVerbose) << "closing idle client " << client->addr;
        client->RequestClose();
      }
    }
  }

  void ApplyChange(const std::string& name, const ServerConfig& updated) {
    if (name == "fsync") {
      auto policy = storage::ParseFsyncPolicy(updated.fsync);
      if (policy.ok()) engine_->SetFsyncPolicy(*policy);
    } else if (name == "proto-max-bulk-len") {
      context_.strings.set_max_size(static_cast<uint64_t>(updated.proto_max_bulk_len));
    } else if (name == "loglevel") {
      auto level = ParseLogLevel(updated.loglevel);
      if (level.ok()) SetLogLevel(*level);
    } else if (name.starts_with("slowlog-")) {
      context_.slowlog.Configure(updated.slowlog_log_slower_than, updated.slowlog_max_len);
    } else if (name == "latency-monitor-threshold") {
      context_.latency.SetThreshold(static_cast<uint64_t>(updated.latency_monitor_threshold));
    } else {
      ApplyReplicationPolicy(updated);
    }
  }

  void Shutdown(const char* reason) {
    if (stopping_) return;
    stopping_ = true;
    KVD_LOG(kNotice) << "shutting down (" << reason << ")";
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    signals_.cancel(ignored);
    cron_.cancel();
    control_.stop();
  }

  ConfigStore config_store_;
  std::unique_ptr<storage::Engine> engine_;
  ServerContext context_;
  // Declared before control_ so they outlive it: a pending accept queued on
  // control_ holds a socket of one of them until control_ is destroyed.
  std::vector<std::unique_ptr<asio::io_context>> io_contexts_;
  asio::io_context control_{1};
  asio::ip::tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer cron_;
  size_t next_io_ = 0;
  bool stopping_ = false;
};

}  // namespace

int RunServerCommand(int argc, char** argv) {
  bool help = false;
  Result<ServerConfig> config = LoadServerConfig(argc, argv, &help);
  if (help) {
    std::cout << "Usage: kvd server [--config FILE] [--OPTION VALUE ...]\n\n" << ServerOptionsDescription() << "\n";
    return 0;
  }
  if (!config.ok()) {
    std::cerr << "kvd server: " << config.status().message() << "\n";
    return 1;
  }
  auto level = ParseLogLevel(config->loglevel);
  Status logging = InitLogging(level.ok() ? *level : LogLevel::kNotice, config->logfile);
  if (!logging.ok()) {
    std::cerr << "kvd server: " << logging.message() << "\n";
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);

  storage::EngineOptions engine_options;
  engine_options.dir = config->dir;
  engine_options.block_cache_mb = static_cast<size_t>(config->block_cache_mb);
  engine_options.write_buffer_mb = static_cast<size_t>(config->write_buffer_mb);
  engine_options.binlog_max_size_mb = static_cast<uint64_t>(config->binlog_max_size);
  engine_options.binlog_max_age_s = static_cast<uint64_t>(config->binlog_max_age);
  engine_options.fsync = *storage::ParseFsyncPolicy(config->fsync);
  engine_options.databases = static_cast<int>(config->databases);
  auto engine = storage::Engine::Open(engine_options);
  if (!engine.ok()) {
    KVD_LOG(kWarning) << engine.status().message();
    return 1;
  }
  // The server and its io_contexts must outlive every handler, so it lives on the heap.
  auto server = std::make_unique<Server>(*config, std::move(*engine));
  Status listening = server->Listen(*config);
  if (listening.ok()) listening = server->StartReplication(*config);
  if (!listening.ok()) {
    KVD_LOG(kWarning) << listening.message();
    return 1;
  }
  return server->Run();
}

}  // namespace kvd::server
