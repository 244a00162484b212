// The queues of clients blocked on keys, without a server: who is woken by a
// write, who keeps a place in line, and where a declined wake-up goes.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "roles/server/blocking.h"

namespace kvd::server {
namespace {

// Records the order in which clients are woken.
struct Wakes {
  std::vector<uint64_t> order;
  BlockingRegistry::Wake For(uint64_t id) {
    return [this, id] { order.push_back(id); };
  }
};

storage::WrittenKeys Written(std::vector<std::string> keys) {
  storage::WrittenKeys written;
  for (auto& key : keys) written.keys.emplace_back(0, std::move(key));
  return written;
}

TEST_CASE("blocking registry: a write wakes the first waiter of the key, once") {
  BlockingRegistry registry;
  Wakes wakes;
  registry.Block(1, 0, {"k"}, wakes.For(1));
  registry.Block(2, 0, {"k"}, wakes.For(2));
  registry.Signal(Written({"k"}));
  CHECK(wakes.order == std::vector<uint64_t>{1});
  CHECK(registry.WokenBy(1) == "k");
  CHECK(registry.WokenBy(2).empty());
  // A second write while 1 has not run yet wakes the next one.
  registry.Signal(Written({"k"}));
  CHECK(wakes.order == std::vector<uint64_t>{1, 2});
  CHECK(registry.blocked_clients() == 2);  // both wait until they are served
}

TEST_CASE("blocking registry: a waiter that found nothing keeps its place in line") {
  BlockingRegistry registry;
  Wakes wakes;
  registry.Block(1, 0, {"k"}, wakes.For(1));
  registry.Block(2, 0, {"k"}, wakes.For(2));
  registry.Signal(Written({"k"}));
  registry.Block(1, 0, {"k"}, wakes.For(1));  // ran again, another client took the element
  registry.Signal(Written({"k"}));
  CHECK(wakes.order == std::vector<uint64_t>{1, 1});  // still first
  registry.Served(1);
  registry.Signal(Written({"k"}));
  CHECK(wakes.order == std::vector<uint64_t>{1, 1, 2});
  CHECK(registry.blocked_clients() == 1);
}

TEST_CASE("blocking registry: a key of another type is passed on to the waiters behind, and ends there") {
  BlockingRegistry registry;
  Wakes wakes;
  registry.Block(1, 0, {"k"}, wakes.For(1));  // waits for a list
  registry.Block(2, 0, {"k"}, wakes.For(2));  // waits for a list too
  registry.Block(3, 0, {"k"}, wakes.For(3));  // waits for a sorted set
  registry.Signal(Written({"k"}));             // k is now a sorted set
  registry.Block(1, 0, {"k"}, wakes.For(1));
  registry.PassOn(1, 0, {"k"});
  registry.Block(2, 0, {"k"}, wakes.For(2));
  registry.PassOn(2, 0, {"k"});
  CHECK(wakes.order == std::vector<uint64_t>{1, 2, 3});
  registry.Block(3, 0, {"k"}, wakes.For(3));  // say 3 found it empty after all
  registry.PassOn(3, 0, {"k"});               // the last in line: nobody after it
  CHECK(wakes.order == std::vector<uint64_t>{1, 2, 3});
}

TEST_CASE("blocking registry: a woken waiter that leaves before it ran hands the wake-up on") {
  BlockingRegistry registry;
  Wakes wakes;
  registry.Block(1, 0, {"a", "b"}, wakes.For(1));
  registry.Block(2, 0, {"b"}, wakes.For(2));
  registry.Block(3, 0, {"a"}, wakes.For(3));
  registry.Signal(Written({"a"}));
  registry.Unblock(1);  // timed out, CLIENT UNBLOCK or disconnected
  CHECK(wakes.order == std::vector<uint64_t>{1, 3});  // the key that woke it; b was not written
  // One that was never woken leaves quietly.
  Wakes more;
  BlockingRegistry other;
  other.Block(1, 0, {"a"}, more.For(1));
  other.Block(2, 0, {"a"}, more.For(2));
  other.Unblock(1);
  CHECK(more.order.empty());
  CHECK(other.blocked_clients() == 1);
}

TEST_CASE("blocking registry: a key named twice is one place, and databases are apart") {
  BlockingRegistry registry;
  Wakes wakes;
  registry.Block(1, 0, {"k", "k"}, wakes.For(1));
  registry.Block(2, 1, {"k"}, wakes.For(2));
  registry.Signal(Written({"k"}));  // database 0
  registry.Block(1, 0, {"k", "k"}, wakes.For(1));
  registry.PassOn(1, 0, {"k", "k"});  // must not come back to itself
  CHECK(wakes.order == std::vector<uint64_t>{1});
  CHECK(registry.HasWaiters(1, {"k"}));
  CHECK_FALSE(registry.HasWaiters(1, {"other"}));
  registry.Served(1);
  registry.Served(2);
  CHECK(registry.Empty());
}

}  // namespace
}  // namespace kvd::server
