// A client's transactions and blocking commands, which cannot share a
// backend connection with other clients: they run on the client's own
// ("dedicated") connection to one backend. This is the pure rule that
// decides, command by command, what goes where; the session (client_session)
// does the sending.
//
// - WATCH pins the client to its keys' group; MULTI is sent there too.
// - MULTI before any key is answered here (+OK); commands without a key
//   (PING, ECHO) are queued here too, and the first command with a key
//   picks the group: MULTI and those go ahead of it. A transaction's keys
//   must all be in that group, else the command gets CROSSSLOT and EXEC
//   answers EXECABORT, as Redis does after a queueing error.
// - EXEC, DISCARD and UNWATCH end the pin.
// - A blocking command (BLPOP ...) outside a transaction runs on the
//   dedicated connection, and the client's next commands wait for it, as a
//   blocked Redis client's do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "roles/proxy/command_plan.h"

namespace kvd::proxy {

struct Step {
  // kSubscriber: the client's publish/subscribe connection (client_session).
  enum class Target { kLocal, kShared, kDedicated, kSubscriber };
  Target target = Target::kLocal;
  std::string reply;        // kLocal: the answer
  int32_t backend = RouteTable::kUnassigned;  // kDedicated: the group's backend
  // Sent first on the dedicated connection (kLocal or kDedicated), replies dropped.
  std::vector<std::vector<std::string>> preamble;
  bool blocks = false;      // the client's next command waits for this reply
};

class Pinning {
 public:
  Step Multi();
  Step Exec();
  Step Discard();
  // `keys` is the plan of WATCH's own keys (one group, or an error).
  Step Watch(const Plan& keys);
  Step Unwatch();
  // Any other command (`args`), routed by `plan`.
  Step Command(const Plan& plan, const std::vector<std::string>& args);

  bool in_multi() const { return in_multi_; }
  bool pinned() const { return multi_sent_ || watching_; }

 private:
  Step Dedicated(int32_t backend);
  // MULTI and the deferred commands, ahead of the first command sent to the group.
  Step OpenOn(int32_t backend);
  Step QueueingError(std::string reply);
  void Unpin();

  bool in_multi_ = false;
  bool multi_sent_ = false;  // MULTI is open on the dedicated connection
  bool failed_ = false;      // a command of this MULTI could not be queued: EXEC aborts
  bool watching_ = false;
  int32_t pinned_ = RouteTable::kUnassigned;
  // Keyless commands queued before the transaction has a group, and the backend any of them may go to.
  std::vector<std::vector<std::string>> deferred_;
  int32_t deferred_backend_ = RouteTable::kUnassigned;
};

}  // namespace kvd::proxy
