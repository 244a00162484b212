// The queues of clients blocked on keys, without a server: who is woken by a
// write, who keeps a place in line, and where a declined wake-up goes.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "roles/server/blocking.h"

namespace kvd::server {
namespace {

// A registry whose clients record the order in which they are woken.
struct Queues {
  BlockingRegistry registry;
  std::vector<uint64_t> woken;

  void Wait(uint64_t id, std::vector<std::string> keys, uint8_t db = 0) {
    registry.Block(id, db, keys, [this, id] { woken.push_back(id); });
  }
  void Write(std::vector<std::string> keys) {
    storage::WrittenKeys written;
    for (auto& key : keys) written.keys.emplace_back(0, std::move(key));
    registry.Signal(written);
  }
};

TEST_CASE("blocking registry: a write wakes the first waiter of the key, once") {
  Queues q;
  q.Wait(1, {"k"});
  q.Wait(2, {"k"});
  q.Write({"k"});
  CHECK(q.woken == std::vector<uint64_t>{1});
  CHECK(q.registry.WokenBy(1) == "k");
  CHECK(q.registry.WokenBy(2).empty());
  // A second write while 1 has not run yet wakes the next one.
  q.Write({"k"});
  CHECK(q.woken == std::vector<uint64_t>{1, 2});
  CHECK(q.registry.blocked_clients() == 2);  // both wait until they are served
}

TEST_CASE("blocking registry: a waiter that found nothing keeps its place in line") {
  Queues q;
  q.Wait(1, {"k"});
  q.Wait(2, {"k"});
  q.Write({"k"});
  q.Wait(1, {"k"});  // ran again, another client took the element
  q.Write({"k"});
  CHECK(q.woken == std::vector<uint64_t>{1, 1});  // still first
  q.registry.Served(1);
  q.Write({"k"});
  CHECK(q.woken == std::vector<uint64_t>{1, 1, 2});
  CHECK(q.registry.blocked_clients() == 1);
}

TEST_CASE("blocking registry: a key of another type is passed on to the waiters behind, and ends there") {
  Queues q;
  q.Wait(1, {"k"});  // waits for a list
  q.Wait(2, {"k"});  // waits for a list too
  q.Wait(3, {"k"});  // waits for a sorted set
  q.Write({"k"});    // k is now a sorted set
  q.Wait(1, {"k"});
  q.registry.PassOn(1, 0, {"k"});
  q.Wait(2, {"k"});
  q.registry.PassOn(2, 0, {"k"});
  CHECK(q.woken == std::vector<uint64_t>{1, 2, 3});
  q.Wait(3, {"k"});  // say 3 found it empty after all
  q.registry.PassOn(3, 0, {"k"});  // the last in line: nobody after it
  CHECK(q.woken == std::vector<uint64_t>{1, 2, 3});
}

TEST_CASE("blocking registry: a woken waiter that leaves before it ran hands the wake-up on") {
  Queues q;
  q.Wait(1, {"a", "b"});
  q.Wait(2, {"b"});
  q.Wait(3, {"a"});
  q.Write({"a"});
  q.registry.Unblock(1);  // timed out, CLIENT UNBLOCK or disconnected
  CHECK(q.woken == std::vector<uint64_t>{1, 3});  // the key that woke it; b was not written
  // One that was never woken leaves quietly.
  Queues other;
  other.Wait(1, {"a"});
  other.Wait(2, {"a"});
  other.registry.Unblock(1);
  CHECK(other.woken.empty());
  CHECK(other.registry.blocked_clients() == 1);
}

TEST_CASE("blocking registry: a key named twice is one place, and databases are apart") {
  Queues q;
  q.Wait(1, {"k", "k"});
  q.Wait(2, {"k"}, 1);
  q.Write({"k"});  // database 0
  q.Wait(1, {"k", "k"});
  q.registry.PassOn(1, 0, {"k", "k"});  // must not come back to itself
  CHECK(q.woken == std::vector<uint64_t>{1});
  CHECK(q.registry.HasWaiters(1, {"k"}));
  CHECK_FALSE(q.registry.HasWaiters(1, {"other"}));
  q.registry.Served(1);
  q.registry.Served(2);
  CHECK(q.registry.Empty());
}

}  // namespace
}  // namespace kvd::server
