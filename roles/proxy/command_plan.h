// What the proxy does with one client command, decided from the command, the
// key table and the routing table alone (no I/O): answer it itself, forward
// it whole to the one backend that owns its keys, or split it by backend
// (MGET, MSET, DEL, EXISTS, UNLINK, TOUCH, DBSIZE, FLUSHALL, KEYS) and merge the
// backends' replies into the one the client expects. SCAN walks the groups
// one after the other: the proxy's cursor holds the group's index in its low
// 10 bits and that group's own cursor above them, so it stays stateless.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/resp_value.h"
#include "roles/proxy/key_table.h"
#include "roles/proxy/routes.h"

namespace kvd::proxy {

enum class Merge {
  kValuesByPosition,  // MGET: each part's array, put back in the client's key order
  kSumIntegers,       // DEL, UNLINK, EXISTS, TOUCH, DBSIZE
  kAllOk,             // MSET, FLUSHALL, FLUSHDB: +OK when every part said so
  kConcatenate,       // KEYS: every part's array, one after the other
  kScanCursor,        // SCAN: one group's reply, its cursor turned into the proxy's
};

struct Part {
  int32_t backend = RouteTable::kUnassigned;
  std::vector<std::string> args;
  std::vector<size_t> positions;  // kValuesByPosition: where this part's values go
};

struct Plan {
  enum class Kind { kReply, kForward, kSplit };
  Kind kind = Kind::kReply;
  std::string reply;                           // kReply: the RESP answer
  int32_t backend = RouteTable::kUnassigned;   // kForward
  bool any_backend = false;  // kForward: no key chose the backend (TIME, an unknown command, an arity error)
  bool blocking = false;     // kForward: may block (BLPOP ...): the session sends it on its own connection
  Merge merge = Merge::kSumIntegers;           // kSplit
  std::vector<Part> parts;                     // kSplit
  size_t values = 0;                           // kSplit by position: length of the merged array
  size_t scan_group = 0;                       // kScanCursor: the group scanned, and how many there are
  size_t scan_groups = 0;
};

// `args[0]` must be in lower case. Commands the session answers itself
// (AUTH, PING, SELECT, QUIT, HELLO, INFO, CLIENT ...) and the transaction
// commands it keeps on its own connection (MULTI, EXEC, DISCARD, WATCH,
// UNWATCH) never get here.
Plan PlanCommand(const std::vector<std::string>& args, const KeyTable& keys, const RouteTable& routes);

// The client's reply from the parts' replies (one per part, in order). The
// first error reply of any part is the answer.
std::string MergeReplies(const Plan& plan, const std::vector<protocol::RespValue>& replies);

}  // namespace kvd::proxy
