// `kvd proxy`: io threads serving clients (roles/proxy/client_session.h),
// an acceptor and signal handling on the main thread, and the topology
// follower publishing new tables to every io thread.
#include "roles/proxy/proxy.h"

#include <signal.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "common/redis_errors.h"
#include "common/tick_clock.h"
#include "roles/proxy/client_session.h"
#include "roles/proxy/options.h"
#include "roles/proxy/topology_follower.h"
#include "roles/proxy/worker.h"

namespace kvd::proxy {

namespace asio = boost::asio;

namespace {

class ProxyServer {
 public:
  explicit ProxyServer(ProxyConfig config)
      : config_(std::move(config)),
        follower_(
            config_, [this](std::shared_ptr<const RouteTable> routes) { PublishRoutes(std::move(routes)); },
            [this](std::shared_ptr<const KeyTable> keys) { PublishKeys(std::move(keys)); }),
        acceptor_(control_),
        signals_(control_, SIGINT, SIGTERM) {
    stats_.start_ms = TickMicros() / 1000;
    for (size_t i = 0; i < config_.io_threads; ++i) workers_.push_back(std::make_unique<Worker>(config_, stats_));
  }

  Status Listen() {
    boost::system::error_code error;
    auto address = asio::ip::make_address(config_.bind, error);
    if (error) return Status::InvalidArgument("bad --bind address '" + config_.bind + "'");
    asio::ip::tcp::endpoint endpoint(address, config_.port);
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      return Status::IOError("cannot listen on " + config_.bind + ":" + std::to_string(config_.port) + ": " +
                             error.message());
    }
    return Status::Ok();
  }

  int Run() {
    if (!config_.slots_file.empty()) {
      Status loaded = follower_.LoadFile();
      if (!loaded.ok()) {
        KVD_LOG(kWarning) << loaded.message();
        return 1;
      }
    }
    Status listening = Listen();
    if (!listening.ok()) {
      KVD_LOG(kWarning) << listening.message();
      return 1;
    }
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> threads;
    for (auto& worker : workers_) {
      guards.push_back(asio::make_work_guard(worker->io()));
      asio::post(worker->io(), [w = worker.get()] { w->StartSweep(); });
      threads.emplace_back([w = worker.get()] { w->io().run(); });
    }
    follower_.Start();
    signals_.async_wait([this](const boost::system::error_code& error, int signal) {
      if (error) return;
      KVD_LOG(kNotice) << "shutting down (signal " << signal << ")";
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    Accept();
    KVD_LOG(kNotice) << "kvd proxy ready to accept connections on " << config_.bind << ":" << config_.port << " with "
                     << workers_.size() << " io threads";
    control_.run();
    follower_.Stop();
    for (auto& worker : workers_) worker->io().stop();
    for (auto& thread : threads) thread.join();
    KVD_LOG(kNotice) << "kvd proxy stopped";
    return 0;
  }

 private:
  void Accept() {
    Worker& worker = *workers_[next_worker_++ % workers_.size()];
    acceptor_.async_accept(worker.io(), [this, &worker](const boost::system::error_code& error,
                                                        asio::ip::tcp::socket socket) {
      if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (error) {
        KVD_LOG(kWarning) << "accept failed: " << error.message();
      } else if (stats_.connected_clients.load() >= config_.maxclients) {
        stats_.rejected_connections.fetch_add(1);
        std::string message = std::string("-") + errors::kMaxClients + "\r\n";
        boost::system::error_code ignored;
        socket.write_some(asio::buffer(message), ignored);
      } else {
        auto session = std::make_shared<ClientSession>(worker, std::move(socket));
        asio::post(worker.io(), [session] { session->Start(); });
      }
      Accept();
    });
  }

  void PublishRoutes(std::shared_ptr<const RouteTable> routes) {
    for (auto& worker : workers_) {
      asio::post(worker->io(), [w = worker.get(), routes] { w->SetRoutes(routes); });
    }
  }

  void PublishKeys(std::shared_ptr<const KeyTable> keys) {
    for (auto& worker : workers_) {
      asio::post(worker->io(), [w = worker.get(), keys] { w->SetKeys(keys); });
    }
  }

  ProxyConfig config_;
  ProxyStats stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  TopologyFollower follower_;
  asio::io_context control_{1};
  asio::ip::tcp::acceptor acceptor_;
  asio::signal_set signals_;
  size_t next_worker_ = 0;
};

}  // namespace

int RunProxyCommand(int argc, char** argv) {
  bool help = false;
  std::string help_text;
  auto config = LoadProxyConfig(argc, argv, &help, &help_text);
  if (help) {
    std::cout << "Usage: kvd proxy (--slots FILE | --sentinels host:port,...) [options]\n\n" << help_text << "\n";
    return 0;
  }
  if (!config.ok()) {
    std::cerr << "kvd proxy: " << config.status().message() << "\n";
    return 1;
  }
  Status logging = InitLogging(config->loglevel, config->logfile);
  if (!logging.ok()) {
    std::cerr << "kvd proxy: " << logging.message() << "\n";
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  // On the heap: handlers hold pointers into it until the loops end.
  auto server = std::make_unique<ProxyServer>(std::move(*config));
  return server->Run();
}

}  // namespace kvd::proxy
