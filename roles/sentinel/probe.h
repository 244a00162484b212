// One short exchange with a monitored server: connect, send some commands
// (pipelined), read one reply each, close — all bounded by a deadline. The
// sentinel polls INFO and sends REPLICAOF this way; a fresh connection per
// exchange keeps the state of a half-dead server out of the next probe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "protocol/resp_value.h"

namespace kvd::sentinel {

using Commands = std::vector<std::vector<std::string>>;
using ProbeDone = std::function<void(Result<std::vector<protocol::RespValue>>)>;

// `auth_pass` non-empty: an AUTH goes first (its reply is checked, not returned).
void Probe(boost::asio::io_context& io, const std::string& host, uint16_t port, const std::string& auth_pass,
           Commands commands, uint64_t timeout_ms, ProbeDone done);

}  // namespace kvd::sentinel
