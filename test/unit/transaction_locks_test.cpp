// LocksForTransaction: which keys EXEC locks, in which database.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "roles/server/commands/transaction_locks.h"

namespace kvd::server {
namespace {

using Keys = std::vector<std::pair<uint8_t, std::string_view>>;

TEST_CASE("transaction locks: each key in the database its command runs in") {
  std::vector<std::vector<std::string>> queued = {
      {"SET", "a", "1"},      {"SELECT", "2"},        {"INCR", "b"},
      {"MOVE", "b", "5"},     {"COPY", "a", "c", "REPLACE", "DB", "7"},
      {"SELECT", "99"},       {"SELECT", "x"},        {"set", "d", "1"},
      {"MGET", "e", "f"},
  };
  TransactionLocks locks = LocksForTransaction(queued, 0, 16);
  CHECK_FALSE(locks.every_key);
  CHECK(locks.keys == Keys{{0, "a"}, {2, "b"}, {2, "b"}, {5, "b"}, {2, "a"}, {2, "c"}, {7, "c"}, {2, "d"},
                           {2, "e"}, {2, "f"}});
}

TEST_CASE("transaction locks: a queued flush locks every key") {
  CHECK(LocksForTransaction({{"SET", "a", "1"}, {"FLUSHDB"}}, 3, 16).every_key);
  CHECK(LocksForTransaction({{"flushall", "ASYNC"}}, 0, 16).every_key);
  CHECK_FALSE(LocksForTransaction({{"PING"}}, 0, 16).every_key);
}

}  // namespace
}  // namespace kvd::server
