// One client of the proxy. Every complete command of a read is routed at
// once (forwarded to its backend, split across several, or answered here);
// replies go back strictly in request order, as many as are ready in one
// write. A client with too many unanswered requests is not read from until
// the backends catch up. Transactions and blocking commands run on the
// client's own backend connection (pinning.h); a command that switches
// between that connection and the shared one to the same backend waits until
// everything before it is answered, so the backend sees the client's order.
// Publish/subscribe uses the default backend (the first group): SUBSCRIBE
// and its kin go over a connection of the client's own, and PUBLISH and
// PUBSUB are forwarded there too, so every channel lives in one place.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/resp_parser.h"
#include "protocol/resp_value.h"
#include "roles/proxy/command_plan.h"
#include "roles/proxy/local_commands.h"
#include "roles/proxy/pinning.h"
#include "roles/proxy/worker.h"

namespace kvd::proxy {

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(Worker& worker, boost::asio::ip::tcp::socket socket);
  ~ClientSession();
  void Start();

 private:
  // The reply to one request, in request order; a split request fills it
  // when its last part is answered.
  struct Slot {
    bool ready = false;
    std::string reply;
    Plan plan;
    std::vector<protocol::RespValue> part_replies;
    size_t parts_left = 0;
  };

  // A command with its route decided, ready to send.
  struct Routed {
    std::vector<std::string> args;
    Plan plan;
    Step step;
    // The routing table the plan was made with: its backend indexes refer to
    // it, even if a new table arrives while the command waits.
    std::shared_ptr<const RouteTable> routes;
  };

  void ReadMore();
  void ProcessInput();
  // Answers or routes one command; false when it must wait (kept in stashed_).
  bool Execute(std::vector<std::string>& args);
  Step Decide(const std::vector<std::string>& args, const RouteTable& routes, Plan* plan);
  bool MustWait(const Routed& routed);
  void Send(Routed& routed);
  void SendParts(const std::shared_ptr<Slot>& slot, const RouteTable& routes);
  BackendLink& DedicatedTo(const Backend& backend);
  void SendToSubscriber(const std::vector<std::string>& args, const RouteTable& routes);
  void OnPushFrame(const Status& failed, std::string_view frame);
  void SendOn(BackendLink& link, const std::vector<std::string>& args, const std::shared_ptr<Slot>& slot,
              bool unblocks);
  void PushReply(std::string reply);
  void Finish(const std::shared_ptr<Slot>& slot, std::string reply);
  void ScheduleDelivery();
  void Deliver();
  void WriteOut();
  void Close();
  std::string InfoText() const;

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  std::string address_;
  protocol::RequestParser parser_;
  std::string input_;
  size_t input_begin_ = 0;
  size_t input_end_ = 0;
  std::deque<std::shared_ptr<Slot>> slots_;
  std::string output_;
  std::string sending_;
  bool reading_ = false;
  bool writing_ = false;
  bool delivery_scheduled_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  LocalState local_;  // AUTH, CLIENT SETNAME, QUIT: what the commands answered here change
  Pinning pinning_;
  // While a transaction or WATCH is open, its commands are routed with the
  // table it began with, so its group (an index into that table) stays its own.
  std::shared_ptr<const RouteTable> pinned_routes_;
  std::shared_ptr<BackendLink> dedicated_;  // this client's own connection, made on first need
  bool blocked_ = false;                     // a blocking command is waiting for its reply
  // Publish/subscribe runs on one more connection of the client's own, to
  // the default backend, whose frames go to the client as they come.
  std::shared_ptr<BackendLink> subscriber_;
  bool subscribed_ = false;       // the client is in subscribed mode
  int64_t subscriptions_ = 0;     // channels and patterns, from the backend's frames
  int64_t shard_subscriptions_ = 0;
  bool awaiting_marker_ = false;  // after an unsubscribe: until the PING sent behind it answers
  std::optional<Routed> stashed_;            // routed, waiting for the replies before it
  // Per backend address: the connection this client last sent to.
  std::unordered_map<std::string, const BackendLink*> last_link_;
};

}  // namespace kvd::proxy
