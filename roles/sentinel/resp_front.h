// A small RESP server for roles that answer a handful of commands on one
// io_context thread (the sentinel): accepts connections, parses requests,
// hands each to a handler, writes the replies of one read in one write, and
// delivers pushed pub/sub messages.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/resp_writer.h"

namespace kvd::sentinel {

struct FrontClient {
  uint64_t id = 0;
  std::string addr;
  std::set<std::string> channels;
  std::set<std::string> patterns;
  bool close_after_reply = false;
  // Sends bytes later (a reply the handler deferred); a no-op once the client is gone.
  std::function<void(std::string)> send;
};

class RespFront {
 public:
  using Handler = std::function<void(FrontClient&, std::vector<std::string>& args, protocol::RespWriter& reply)>;
  RespFront(boost::asio::io_context& io, Handler handler);
  ~RespFront();
  Status Listen(const std::string& bind, uint16_t port);
  uint16_t port() const { return port_; }
  // Sends a pub/sub message to every client subscribed to `channel` (or a matching pattern).
  void Publish(const std::string& channel, const std::string& message);
  void CloseAll();

 private:
  class Connection;
  void Accept();

  boost::asio::io_context& io_;
  Handler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;
  uint16_t port_ = 0;
};

}  // namespace kvd::sentinel
