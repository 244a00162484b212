#include "roles/sentinel/resp_front.h"

#include <boost/asio/write.hpp>

#include "common/glob.h"
#include "common/logging.h"
#include "protocol/resp_parser.h"

namespace kvd::sentinel {

namespace asio = boost::asio;
constexpr size_t kMaxInput = 64 << 20;

class RespFront::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(RespFront& front, asio::ip::tcp::socket socket, uint64_t id)
      : front_(front), socket_(std::move(socket)) {
    client_.id = id;
    boost::system::error_code error;
    auto peer = socket_.remote_endpoint(error);
    if (!error) client_.addr = peer.address().to_string() + ":" + std::to_string(peer.port());
    socket_.set_option(asio::ip::tcp::no_delay(true), error);
  }
  void Start() {
    std::weak_ptr<Connection> weak = shared_from_this();
    client_.send = [weak](std::string bytes) {
      if (auto self = weak.lock()) self->Push(bytes);
    };
    Read();
  }
  void Push(const std::string& bytes) {
    output_ += bytes;
    Flush();
  }
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  FrontClient& client() { return client_; }

 private:
  void Read() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const boost::system::error_code& error,
                                                                              size_t bytes) {
      if (error) return self->Gone();
      self->input_.append(self->chunk_, bytes);
      if (self->input_.size() > kMaxInput) return self->Gone();
      self->Process();
      if (!self->closing_) self->Read();
    });
  }
  void Process() {
    protocol::RespWriter writer(&output_);
    size_t used = 0;
    while (!closing_) {
      auto outcome = parser_.Parse(std::string_view(input_).substr(used));
      used += outcome.consumed;
      if (outcome.state == protocol::RequestParser::State::kNeedMore) break;
      if (outcome.state == protocol::RequestParser::State::kError) {
        writer.Error("ERR " + parser_.error());
        closing_ = true;
        break;
      }
      if (parser_.args().empty()) continue;
      front_.handler_(client_, parser_.args(), writer);
      if (client_.close_after_reply) closing_ = true;
    }
    input_.erase(0, used);
    Flush();
  }
  void Flush() {
    if (writing_ || output_.empty()) {
      if (!writing_ && closing_) Gone();
      return;
    }
    writing_ = true;
    sending_.swap(output_);
    output_.clear();
    asio::async_write(socket_, asio::buffer(sending_), [self = shared_from_this()](const boost::system::error_code& error,
                                                                                   size_t) {
      self->writing_ = false;
      if (error) return self->Gone();
      self->Flush();
    });
  }
  void Gone() {
    Close();
    front_.connections_.erase(client_.id);
  }

  RespFront& front_;
  asio::ip::tcp::socket socket_;
  FrontClient client_;
  protocol::RequestParser parser_;
  std::string input_;
  std::string output_;
  std::string sending_;
  char chunk_[16384];
  bool writing_ = false;
  bool closing_ = false;
};

RespFront::RespFront(asio::io_context& io, Handler handler) : io_(io), handler_(std::move(handler)), acceptor_(io) {}

RespFront::~RespFront() { CloseAll(); }

Status RespFront::Listen(const std::string& bind, uint16_t port) {
  boost::system::error_code error;
  auto address = asio::ip::make_address(bind, error);
  if (error) return Status::InvalidArgument("bad bind address '" + bind + "'");
  asio::ip::tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) return Status::IOError("cannot listen on " + bind + ":" + std::to_string(port) + ": " + error.message());
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return Status::Ok();
}

void RespFront::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      uint64_t id = next_id_++;
      auto connection = std::make_shared<Connection>(*this, std::move(socket), id);
      connections_[id] = connection;
      connection->Start();
    }
    Accept();
  });
}

void RespFront::Publish(const std::string& channel, const std::string& message) {
  for (auto& [id, connection] : connections_) {
    FrontClient& client = connection->client();
    std::string bytes;
    protocol::RespWriter writer(&bytes);
    if (client.channels.count(channel)) {
      writer.ArrayHeader(3);
      writer.Bulk("message");
      writer.Bulk(channel);
      writer.Bulk(message);
    }
    for (const auto& pattern : client.patterns) {
      if (!GlobMatch(pattern, channel)) continue;
      writer.ArrayHeader(4);
      writer.Bulk("pmessage");
      writer.Bulk(pattern);
      writer.Bulk(channel);
      writer.Bulk(message);
    }
    if (!bytes.empty()) connection->Push(bytes);
  }
}

void RespFront::CloseAll() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto connections = connections_;
  for (auto& [id, connection] : connections) connection->Close();
  connections_.clear();
}

}  // namespace kvd::sentinel
