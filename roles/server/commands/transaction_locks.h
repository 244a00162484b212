// Which key stripes EXEC locks before it runs its queued commands: every key
// they write, each in the database it will be written in, so that no command
// inside has to lock more stripes later, out of order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvd::server {

struct TransactionLocks {
  bool every_key = false;  // a queued FLUSHDB or FLUSHALL deletes keys it cannot name
  std::vector<std::pair<uint8_t, std::string_view>> keys;  // views into the queued arguments
};

// `db` is the client's database at EXEC and `databases` the configured count:
// a queued SELECT moves the commands after it to another database, and MOVE
// and COPY ... DB also write their key in the database they name. Bad
// indexes change nothing here; the commands report them when they run.
TransactionLocks LocksForTransaction(const std::vector<std::vector<std::string>>& queued, uint8_t db,
                                     int databases);

}  // namespace kvd::server
