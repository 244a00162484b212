// MULTI/EXEC/WATCH, pub/sub and blocking pops through the socket.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "harness.h"

namespace kvdtest {
namespace {

using kvd::protocol::EncodeCommand;
using List = std::vector<std::string>;

// Sends a command without waiting for its reply (the reply is read later).
void Send(RespClient& client, const Args& args) { REQUIRE(client.SendRaw(EncodeCommand(args)).ok()); }

RespValue Read(RespClient& client) {
  auto reply = client.ReadReply();
  REQUIRE(reply.ok());
  return *reply;
}

// 200,000 keys, so that a KEYS over them keeps the io thread busy while the
// requests of other clients arrive: they are then served in one io round.
void LoadFillerKeys(RespClient& client) {
  for (int batch = 0; batch < 200; ++batch) {
    Args mset{"MSET"};
    for (int i = 0; i < 1000; ++i) {
      mset.push_back("filler:" + std::to_string(batch * 1000 + i));
      mset.push_back("x");
    }
    REQUIRE(Simple(client, mset) == "OK");
  }
}
const Args kSlowRead{"KEYS", "no-such-key"};

// A connection the server already serves (it answered a PING): a request sent
// on it next is read in the io thread's next round, not when it is accepted.
std::unique_ptr<RespClient> ConnectServed(KvdServer& server) {
  auto client = server.Connect();
  REQUIRE(Simple(*client, {"PING"}) == "PONG");
  return client;
}

bool BlockedClientsAre(RespClient& observer, int64_t count) {
  return WaitFor([&] { return InfoInt(observer, "clients", "blocked_clients") == count; }, 10s);
}

TEST_CASE("transactions: MULTI/EXEC runs the queue; errors follow Redis's rules") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", "a", "1"}) == "QUEUED");
  CHECK(Simple(c, {"INCR", "a"}) == "QUEUED");
  CHECK(Simple(c, {"INCR", "a"}) == "QUEUED");
  CHECK(Simple(c, {"GET", "a"}) == "QUEUED");
  CHECK(Strings(c, {"EXEC"}) == List{"OK", "2", "3", "3"});

  // A runtime error inside EXEC does not stop the other commands.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", "s", "text"}) == "QUEUED");
  CHECK(Simple(c, {"INCR", "s"}) == "QUEUED");
  CHECK(Simple(c, {"SET", "t", "after"}) == "QUEUED");
  RespValue exec = Call(c, {"EXEC"});
  REQUIRE(exec.elements.size() == 3);
  CHECK(exec.elements[1].IsError());
  CHECK(Bulk(c, {"GET", "t"}) == "after");

  // A command refused while queueing aborts the whole transaction.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", "u", "1"}) == "QUEUED");
  CHECK(Err(c, {"NOSUCHCOMMAND"}).rfind("ERR unknown command", 0) == 0);
  CHECK(Err(c, {"GET"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(Err(c, {"EXEC"}) == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(Bulk(c, {"GET", "u"}) == "<nil>");

  CHECK(Err(c, {"EXEC"}) == "ERR EXEC without MULTI");
  CHECK(Err(c, {"DISCARD"}) == "ERR DISCARD without MULTI");
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Err(c, {"MULTI"}) == "ERR MULTI calls can not be nested");
  CHECK(Err(c, {"WATCH", "x"}) == "ERR WATCH inside MULTI is not allowed");
  CHECK(Simple(c, {"SET", "v", "1"}) == "QUEUED");
  CHECK(Simple(c, {"DISCARD"}) == "OK");
  CHECK(Bulk(c, {"GET", "v"}) == "<nil>");

  // An EXEC refused itself discards the transaction and says why, as Redis does (in MULTI or not).
  const std::string kExecArity = "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command";
  CHECK(Err(c, {"EXEC", "x"}) == kExecArity);
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"SET", "w", "1"}) == "QUEUED");
  CHECK(Err(c, {"EXEC", "x"}) == kExecArity);
  CHECK(Simple(c, {"MULTI"}) == "OK");  // no longer inside the old one
  CHECK(Simple(c, {"DISCARD"}) == "OK");
  CHECK(Bulk(c, {"GET", "w"}) == "<nil>");

  // Blocking commands do not block inside EXEC: BLPOP answers a null array,
  // BRPOPLPUSH and BLMOVE a null bulk (Redis's replies there).
  RawConn raw;
  REQUIRE(raw.Connect(s.server.port()));
  REQUIRE(raw.Send("MULTI\r\nBLPOP empty 0\r\nBRPOPLPUSH empty dst 0\r\nBLMOVE empty dst LEFT RIGHT 0\r\nEXEC\r\nQUIT\r\n"));
  bool closed = false;
  CHECK(raw.ReadUntilClosed(10s, &closed) ==
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n*-1\r\n$-1\r\n$-1\r\n+OK\r\n");
}

TEST_CASE("transactions: WATCH fails EXEC when the key changed, was deleted or expired") {
  ServerWithClient s;
  RespClient& a = *s.client;
  auto b = s.server.Connect();

  CHECK(Simple(a, {"SET", "k", "1"}) == "OK");
  CHECK(Simple(a, {"WATCH", "k"}) == "OK");
  CHECK(Simple(*b, {"SET", "k", "2"}) == "OK");
  CHECK(Simple(a, {"MULTI"}) == "OK");
  CHECK(Simple(a, {"SET", "k", "mine"}) == "QUEUED");
  CHECK(Call(a, {"EXEC"}).IsNull());
  CHECK(Bulk(a, {"GET", "k"}) == "2");

  CHECK(Simple(a, {"WATCH", "k"}) == "OK");
  CHECK(Int(*b, {"DEL", "k"}) == 1);
  CHECK(Simple(a, {"MULTI"}) == "OK");
  CHECK(Simple(a, {"SET", "k", "mine"}) == "QUEUED");
  CHECK(Call(a, {"EXEC"}).IsNull());

  // A field change inside a hash counts too.
  CHECK(Int(a, {"HSET", "h", "f", "1"}) == 1);
  CHECK(Simple(a, {"WATCH", "h"}) == "OK");
  CHECK(Int(*b, {"HSET", "h", "f", "2"}) == 0);
  CHECK(Simple(a, {"MULTI"}) == "OK");
  CHECK(Simple(a, {"HSET", "h", "f", "mine"}) == "QUEUED");
  CHECK(Call(a, {"EXEC"}).IsNull());

  CHECK(Simple(a, {"SET", "e", "1", "PX", "50"}) == "OK");
  CHECK(Simple(a, {"WATCH", "e"}) == "OK");
  CHECK(WaitFor([&] { return Int(*b, {"PTTL", "e"}) == -2; }, 5s));
  CHECK(Simple(a, {"MULTI"}) == "OK");
  CHECK(Simple(a, {"SET", "e", "mine"}) == "QUEUED");
  CHECK(Call(a, {"EXEC"}).IsNull());

  // A key watched after its time passed but before it was reclaimed: its
  // deletion is no change (Redis 7), bringing it back is.
  auto watch_expired = [&](const std::string& key) {
    REQUIRE(Simple(a, {"SET", key, "1", "PX", "20"}) == "OK");
    REQUIRE(WaitFor([&] { return Int(*b, {"PTTL", key}) == -2; }, 5s));
    REQUIRE(Simple(a, {"WATCH", key}) == "OK");
  };
  auto exec_ping = [&] {
    REQUIRE(Simple(a, {"MULTI"}) == "OK");
    REQUIRE(Simple(a, {"PING"}) == "QUEUED");
    return Call(a, {"EXEC"});
  };
  watch_expired("gone");
  CHECK(Int(*b, {"DEL", "gone"}) == 0);
  CHECK(exec_ping().elements.size() == 1);
  watch_expired("back");
  CHECK(Simple(*b, {"SET", "back", "2"}) == "OK");
  CHECK(exec_ping().IsNull());
  watch_expired("gone-then-back");
  CHECK(Int(*b, {"DEL", "gone-then-back"}) == 0);
  CHECK(Int(*b, {"RPUSH", "gone-then-back", "x"}) == 1);
  CHECK(exec_ping().IsNull());
  // A SET whose time has passed already stores the key again, expired: a
  // change, as for redis-server (the key is in its dictionary after the write).
  watch_expired("set-in-the-past");
  CHECK(Simple(*b, {"SET", "set-in-the-past", "2", "PXAT", "1000"}) == "OK");
  CHECK(exec_ping().IsNull());

  // Commands that change nothing are no write (Redis 7): SETBIT of a bit
  // already set, SADD of a member already there, an empty result stored
  // where there was no key.
  CHECK(Int(a, {"SETBIT", "bits", "7", "1"}) == 0);
  CHECK(Int(a, {"SADD", "members", "m"}) == 1);
  CHECK(Simple(a, {"WATCH", "bits", "members", "sorted", "combined"}) == "OK");
  CHECK(Int(*b, {"SORT", "nothing", "STORE", "sorted"}) == 0);
  CHECK(Int(*b, {"BITOP", "OR", "combined", "nothing"}) == 0);
  CHECK(Int(*b, {"SETBIT", "bits", "7", "1"}) == 1);
  CHECK(Int(*b, {"SETBIT", "bits", "0", "0"}) == 0);
  CHECK(Int(*b, {"SADD", "members", "m"}) == 0);
  CHECK(Call(*b, {"BITFIELD", "bits", "SET", "u8", "0", "1", "INCRBY", "i4", "4", "0"}).ToString() == "[1, 1]");
  CHECK(exec_ping().elements.size() == 1);
  CHECK(Simple(a, {"WATCH", "bits"}) == "OK");
  CHECK(Int(*b, {"SETBIT", "bits", "0", "1"}) == 0);
  CHECK(exec_ping().IsNull());

  // Untouched watched keys let EXEC run; UNWATCH forgets them.
  CHECK(Simple(a, {"WATCH", "calm"}) == "OK");
  CHECK(Simple(a, {"MULTI"}) == "OK");
  CHECK(Simple(a, {"SET", "calm", "1"}) == "QUEUED");
  CHECK(Strings(a, {"EXEC"}) == List{"OK"});
  CHECK(Simple(a, {"WATCH", "calm"}) == "OK");
  CHECK(Simple(*b, {"SET", "calm", "2"}) == "OK");
  CHECK(Simple(a, {"UNWATCH"}) == "OK");
  CHECK(Simple(a, {"MULTI"}) == "OK");
  CHECK(Simple(a, {"SET", "calm", "3"}) == "QUEUED");
  CHECK(Strings(a, {"EXEC"}) == List{"OK"});
}

// Another client's write served in the same io round as WATCH or EXEC waits
// in the commit group, unwritten, until the round ends.
TEST_CASE("transactions: WATCH sees a write made just before WATCH or EXEC in the same io round") {
  ServerWithClient s;
  RespClient& busy = *s.client;
  LoadFillerKeys(busy);
  for (int trial = 0; trial < 10; ++trial) {
    CAPTURE(trial);
    auto a = ConnectServed(s.server);
    auto b = ConnectServed(s.server);

    // b's SET before a's EXEC fails the transaction; after it, b's value wins.
    REQUIRE(Simple(*a, {"WATCH", "k"}) == "OK");
    REQUIRE(Simple(*a, {"MULTI"}) == "OK");
    REQUIRE(Simple(*a, {"SET", "k", "from-exec"}) == "QUEUED");
    Send(busy, kSlowRead);
    Send(*b, {"SET", "k", "from-b"});
    Send(*a, {"EXEC"});
    CHECK(Read(busy).elements.empty());
    CHECK(Read(*b).str == "OK");
    RespValue exec = Read(*a);
    CHECK(Bulk(busy, {"GET", "k"}) == "from-b");
    if (!exec.IsNull()) CHECK(exec.elements.size() == 1);

    // b's SET before a's WATCH (a's GET after WATCH sees it) lets EXEC run.
    Send(busy, kSlowRead);
    Send(*b, {"SET", "k", "before-watch"});
    REQUIRE(a->SendRaw(EncodeCommand({"WATCH", "k"}) + EncodeCommand({"GET", "k"})).ok());
    CHECK(Read(busy).elements.empty());
    CHECK(Read(*b).str == "OK");
    CHECK(Read(*a).str == "OK");
    bool set_came_first = Read(*a).str == "before-watch";
    REQUIRE(Simple(*a, {"MULTI"}) == "OK");
    REQUIRE(Simple(*a, {"SET", "k", "from-exec"}) == "QUEUED");
    RespValue after_watch = Call(*a, {"EXEC"});
    if (set_came_first) CHECK(!after_watch.IsNull());
  }
}

TEST_CASE("transactions: FLUSHDB and FLUSHALL touch only watched keys that exist, as in Redis") {
  ServerWithClient s;
  RespClient& a = *s.client;
  auto b = s.server.Connect();
  auto exec_after = [&](const Args& flush) {
    CHECK(Simple(*b, flush) == "OK");
    CHECK(Simple(a, {"MULTI"}) == "OK");
    CHECK(Simple(a, {"PING"}) == "QUEUED");
    return Call(a, {"EXEC"});
  };

  CHECK(Simple(a, {"WATCH", "missing"}) == "OK");
  CHECK(exec_after({"FLUSHDB"}).elements.size() == 1);
  CHECK(Simple(a, {"WATCH", "missing"}) == "OK");
  CHECK(exec_after({"FLUSHALL"}).elements.size() == 1);

  CHECK(Simple(a, {"SET", "present", "1"}) == "OK");
  CHECK(Simple(a, {"WATCH", "missing", "present"}) == "OK");
  CHECK(exec_after({"FLUSHDB"}).IsNull());
  CHECK(Simple(a, {"SET", "present", "1"}) == "OK");
  CHECK(Simple(a, {"WATCH", "present"}) == "OK");
  CHECK(exec_after({"FLUSHALL"}).IsNull());

  // A key created after WATCH made the watcher dirty already.
  CHECK(Simple(a, {"WATCH", "later"}) == "OK");
  CHECK(Simple(*b, {"SET", "later", "1"}) == "OK");
  CHECK(exec_after({"FLUSHDB"}).IsNull());
}

TEST_CASE("transactions: concurrent EXECs of INCR pairs stay consistent") {
  ServerWithClient s;
  const int kClients = 4, kRounds = 200;
  std::vector<std::unique_ptr<RespClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(s.server.Connect());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (auto& client : clients) {
    threads.emplace_back([&, c = client.get()] {
      for (int round = 0; round < kRounds; ++round) {
        for (const Args& args : std::vector<Args>{{"MULTI"}, {"INCR", "x"}, {"INCR", "y"}, {"EXEC"}}) {
          auto reply = c->Command(args);
          if (!reply.ok() || reply->IsError()) ++failures;
        }
      }
    });
  }
  // While they run, x and y must never be seen apart inside one transaction of ours.
  RespClient& observer = *s.client;
  for (int i = 0; i < 50; ++i) {
    CHECK(Simple(observer, {"MULTI"}) == "OK");
    CHECK(Simple(observer, {"GET", "x"}) == "QUEUED");
    CHECK(Simple(observer, {"GET", "y"}) == "QUEUED");
    List both = Strings(observer, {"EXEC"});
    REQUIRE(both.size() == 2);
    CHECK(both[0] == both[1]);
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(Bulk(observer, {"GET", "x"}) == std::to_string(kClients * kRounds));
  CHECK(Bulk(observer, {"GET", "y"}) == std::to_string(kClients * kRounds));
}

TEST_CASE("pub/sub: messages, patterns, counts and the subscribed context") {
  ServerWithClient s;
  RespClient& publisher = *s.client;
  auto subscriber = s.server.Connect();
  auto psubscriber = s.server.Connect();

  CHECK(Strings(*subscriber, {"SUBSCRIBE", "news", "sport"}) == List{"subscribe", "news", "1"});
  CHECK(Read(*subscriber).ToString() == "[subscribe, sport, 2]");
  CHECK(Strings(*psubscriber, {"PSUBSCRIBE", "n*"}) == List{"psubscribe", "n*", "1"});

  CHECK(Int(publisher, {"PUBLISH", "news", "hello"}) == 2);
  CHECK(Read(*subscriber).ToString() == "[message, news, hello]");
  CHECK(Read(*psubscriber).ToString() == "[pmessage, n*, news, hello]");
  CHECK(Int(publisher, {"PUBLISH", "nobody", "x"}) == 1);  // only the pattern matches
  CHECK(Read(*psubscriber).ToString() == "[pmessage, n*, nobody, x]");

  CHECK(Strings(publisher, {"PUBSUB", "NUMSUB", "news", "none"}) == List{"news", "1", "none", "0"});
  CHECK(Int(publisher, {"PUBSUB", "NUMPAT"}) == 1);
  CHECK(Strings(publisher, {"PUBSUB", "CHANNELS", "s*"}) == List{"sport"});
  CHECK(Err(publisher, {"PUBSUB", "CHANNELS", "a", "b"}) ==
        "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.");

  CHECK(Err(*subscriber, {"GET", "x"}) ==
        "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
        "context");
  CHECK(Err(*subscriber, {"CLIENT", "REPLY", "OFF"}) ==
        "ERR Can't execute 'client|reply': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
        "in this context");  // a subcommand by its full name, as in Redis
  CHECK(Strings(*subscriber, {"PING"}) == List{"pong", ""});
  CHECK(Strings(*subscriber, {"UNSUBSCRIBE", "news"}) == List{"unsubscribe", "news", "1"});
  CHECK(Strings(*subscriber, {"UNSUBSCRIBE"}) == List{"unsubscribe", "sport", "0"});
  CHECK(Simple(*subscriber, {"PING"}) == "PONG");

  // A subscriber that disconnects is forgotten.
  psubscriber->Close();
  CHECK(WaitFor([&] { return Int(publisher, {"PUBSUB", "NUMPAT"}) == 0; }, 10s));
}

TEST_CASE("pub/sub: sharded channels (SSUBSCRIBE, SPUBLISH) are a namespace of their own, counted apart") {
  ServerWithClient s;
  RespClient& publisher = *s.client;
  auto subscriber = s.server.Connect();
  CHECK(Strings(*subscriber, {"SSUBSCRIBE", "orders", "audit"}) == List{"ssubscribe", "orders", "1"});
  CHECK(Read(*subscriber).ToString() == "[ssubscribe, audit, 2]");
  CHECK(Strings(*subscriber, {"SUBSCRIBE", "orders"}) == List{"subscribe", "orders", "1"});  // its own count
  CHECK(Int(publisher, {"SPUBLISH", "orders", "o1"}) == 1);
  CHECK(Read(*subscriber).ToString() == "[smessage, orders, o1]");
  CHECK(Int(publisher, {"PUBLISH", "orders", "p1"}) == 1);
  CHECK(Read(*subscriber).ToString() == "[message, orders, p1]");
  CHECK(Strings(publisher, {"PUBSUB", "SHARDCHANNELS"}) == List{"audit", "orders"});
  CHECK(Strings(publisher, {"PUBSUB", "SHARDNUMSUB", "audit", "none"}) == List{"audit", "1", "none", "0"});
  CHECK(Strings(publisher, {"PUBSUB", "CHANNELS"}) == List{"orders"});
  CHECK(Err(*subscriber, {"GET", "x"}).find("ERR Can't execute 'get'") == 0);
  CHECK(Strings(*subscriber, {"UNSUBSCRIBE"}) == List{"unsubscribe", "orders", "0"});
  CHECK(Err(*subscriber, {"GET", "x"}).find("ERR Can't execute 'get'") == 0);  // still in the shard channels
  CHECK(Strings(*subscriber, {"SUNSUBSCRIBE", "audit"}) == List{"sunsubscribe", "audit", "1"});
  CHECK(Strings(*subscriber, {"SUNSUBSCRIBE"}) == List{"sunsubscribe", "orders", "0"});
  CHECK(Simple(*subscriber, {"PING"}) == "PONG");
  CHECK(Int(publisher, {"SPUBLISH", "orders", "o2"}) == 0);
}

TEST_CASE("pub/sub: a RESP3 client that publishes to its own channel gets the message before the count") {
  ServerWithClient s;
  RespClient& c = *s.client;
  auto kind = [](const RespValue& value) { return value.type; };
  REQUIRE(c.SendRaw(EncodeCommand({"HELLO", "3"}) + EncodeCommand({"SUBSCRIBE", "self"})).ok());
  REQUIRE(kind(Read(c)) == RespValue::Type::kMap);
  REQUIRE(Read(c).ToString() == "[subscribe, self, 1]");
  REQUIRE(c.SendRaw(EncodeCommand({"PUBLISH", "self", "hi"})).ok());
  RespValue message = Read(c);
  CHECK(kind(message) == RespValue::Type::kPush);
  CHECK(message.ToString() == "[message, self, hi]");
  CHECK(Read(c).integer == 1);
  // CLIENT REPLY OFF drops the count, not the message (redis-server does the same).
  REQUIRE(c.SendRaw(EncodeCommand({"CLIENT", "REPLY", "OFF"}) + EncodeCommand({"PUBLISH", "self", "quiet"}) +
                    EncodeCommand({"CLIENT", "REPLY", "ON"}))
              .ok());
  CHECK(Read(c).ToString() == "[message, self, quiet]");
  CHECK(Read(c).str == "OK");
  // PUBSUB NUMSUB is a flat array in RESP3 too (Redis 7.0).
  RespValue counts = Call(c, {"PUBSUB", "NUMSUB", "self"});
  CHECK(kind(counts) == RespValue::Type::kArray);
  CHECK(counts.ToString() == "[self, 1]");
}

TEST_CASE("blocking: BLPOP waits, is served when another client pushes, in FIFO order") {
  ServerWithClient s;
  RespClient& pusher = *s.client;
  std::vector<std::unique_ptr<RespClient>> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.push_back(s.server.Connect());
    Send(*waiters.back(), {"BLPOP", "queue", "other", "0"});
    REQUIRE(BlockedClientsAre(pusher, i + 1));  // registered in this order
  }
  CHECK(Simple(pusher, {"PING"}) == "PONG");  // a blocked client blocks no one else
  CHECK(Int(pusher, {"RPUSH", "queue", "a", "b", "c"}) == 3);
  CHECK(Read(*waiters[0]).ToString() == "[queue, a]");
  CHECK(Read(*waiters[1]).ToString() == "[queue, b]");
  CHECK(Read(*waiters[2]).ToString() == "[queue, c]");
  CHECK(BlockedClientsAre(pusher, 0));

  // The blocked client's pipeline continues after it is served.
  Send(*waiters[0], {"BRPOP", "other", "0"});
  Send(*waiters[0], {"PING"});
  REQUIRE(BlockedClientsAre(pusher, 1));
  CHECK(Int(pusher, {"LPUSH", "other", "z"}) == 1);
  CHECK(Read(*waiters[0]).ToString() == "[other, z]");
  CHECK(Read(*waiters[0]).ToString() == "PONG");
}

// As in Redis, a push serves the clients blocked on its key before any other
// command runs: a pop by another client served in the same io round finds
// nothing, and a BLMOVE served so passes the element on to the next waiter.
TEST_CASE("blocking: a push serves blocked clients before another client's pop in the same io round") {
  ServerWithClient s;
  RespClient& busy = *s.client;
  LoadFillerKeys(busy);
  for (int trial = 0; trial < 5; ++trial) {
    CAPTURE(trial);
    auto waiter = s.server.Connect();
    auto chained = s.server.Connect();
    auto pusher = ConnectServed(s.server);
    auto popper = ConnectServed(s.server);
    for (RespClient* client : {waiter.get(), chained.get()}) client->SetTimeout(10s);  // a regression fails, not hangs
    Send(*waiter, {"BLMOVE", "src", "dst", "LEFT", "LEFT", "0"});
    REQUIRE(BlockedClientsAre(busy, 1));
    Send(*chained, {"BLPOP", "dst", "0"});
    REQUIRE(BlockedClientsAre(busy, 2));
    Send(busy, kSlowRead);
    Send(*pusher, {"LPUSH", "src", "v"});
    Send(*popper, {"LPOP", "src"});
    Send(*popper, {"LPOP", "dst"});
    CHECK(Read(busy).elements.empty());
    CHECK(Read(*pusher).integer == 1);
    CHECK(Read(*popper).IsNull());
    CHECK(Read(*popper).IsNull());
    CHECK(Read(*waiter).str == "v");
    RespValue popped = Read(*chained);
    REQUIRE(popped.elements.size() == 2);
    CHECK(popped.elements[0].str == "dst");
    CHECK(popped.elements[1].str == "v");
    CHECK(Int(busy, {"EXISTS", "src", "dst"}) == 0);
  }
}

// Each push wakes a client while the other one's new BLPOP may still wait to
// be answered in the same round; a client that finds nothing blocks again and
// must keep its connection (it once lost the read that owned it).
TEST_CASE("blocking: clients served one push at a time block again and stay connected") {
  ServerWithClient s;
  RespClient& pusher = *s.client;
  std::vector<std::unique_ptr<RespClient>> consumers;
  for (int i = 0; i < 2; ++i) {
    consumers.push_back(s.server.Connect());
    consumers.back()->SetTimeout(10s);
    Send(*consumers.back(), {"BLPOP", "queue", "0"});
  }
  REQUIRE(BlockedClientsAre(pusher, 2));
  for (int push = 0; push < 40; ++push) {
    CAPTURE(push);
    REQUIRE(Int(pusher, {"LPUSH", "queue", "job"}) >= 1);
    bool served = WaitFor([&] {
      for (auto& consumer : consumers) {
        auto readable = consumer->WaitReadable(std::chrono::milliseconds(0));
        if (!readable.ok() || !*readable) continue;
        RespValue popped = Read(*consumer);
        CHECK(popped.elements.size() == 2);
        Send(*consumer, {"BLPOP", "queue", "0"});
        return true;
      }
      return false;
    }, 10s);
    REQUIRE(served);
  }
  CHECK(BlockedClientsAre(pusher, 2));
  CHECK(Int(pusher, {"LLEN", "queue"}) == 0);
}

// The replies ahead of the pop are written first; the connection must then
// keep a read armed while it waits (it once lost its last owner there and
// closed). A client library that sends SELECT before BLPOP does this.
TEST_CASE("blocking: a blocking pop pipelined behind other commands waits and is served") {
  ServerWithClient s;
  auto waiter = s.server.Connect();
  waiter->SetTimeout(10s);  // a regression fails, not hangs
  REQUIRE(waiter->SendRaw(EncodeCommand({"SELECT", "3"}) + EncodeCommand({"PING"}) +
                          EncodeCommand({"BLPOP", "jobs", "0"})).ok());
  CHECK(Read(*waiter).str == "OK");
  CHECK(Read(*waiter).str == "PONG");
  REQUIRE(BlockedClientsAre(*s.client, 1));
  CHECK(Simple(*s.client, {"SELECT", "3"}) == "OK");
  CHECK(Int(*s.client, {"LPUSH", "jobs", "job-1"}) == 1);
  RespValue popped = Read(*waiter);
  REQUIRE(popped.elements.size() == 2);
  CHECK(popped.elements[1].str == "job-1");
  CHECK(Simple(*waiter, {"PING"}) == "PONG");
}

// Elements a reply says were taken out of the lists (BLMOVE moves, so none).
int64_t ElementsPopped(const Args& command, const RespValue& reply) {
  if (reply.IsNull()) return 0;
  if (command[0] == "BLMPOP") return reply.elements.size() == 2 ? static_cast<int64_t>(reply.elements[1].elements.size()) : 0;
  return command[0] == "LPOP" || command[0] == "BLPOP" || command[0] == "BRPOP" ? 1 : 0;
}

// Clients send random pipelines of pushes, pops and blocking pops (short
// timeouts, or none) while another client keeps CLIENT UNBLOCKing them and
// some reconnect: every request is answered, and no element is lost or made.
TEST_CASE("blocking: random pipelines of pushes and blocking pops, with CLIENT UNBLOCK and reconnects") {
  ServerWithClient s;
  const int kClients = 8, kRounds = 150;
  const std::vector<std::string> keys = {"q0", "q1", "q2"};
  const std::vector<std::string> timeouts = {"0.01", "0.05", "0.1", "0"};
  std::atomic<int64_t> pushed{0}, popped{0};
  std::mutex mutex;  // guards failures and ids
  std::vector<std::string> failures;
  std::vector<int64_t> ids(kClients, 0);
  auto worker = [&](int n) {
    std::mt19937 random(1000 + n);
    auto pick = [&](size_t choices) { return static_cast<size_t>(random() % choices); };
    auto fail = [&](const std::string& what) {
      std::lock_guard lock(mutex);
      failures.push_back("client " + std::to_string(n) + ": " + what);
    };
    std::unique_ptr<RespClient> client;
    auto connect = [&] {
      client = s.server.Connect();
      client->SetTimeout(20s);
      auto id = client->Command({"CLIENT", "ID"});
      std::lock_guard lock(mutex);
      ids[n] = id.ok() ? id->integer : 0;
    };
    connect();
    for (int round = 0; round < kRounds; ++round) {
      std::vector<Args> pipeline;
      std::string bytes;
      for (size_t i = 0, count = 1 + pick(4); i < count; ++i) {
        const std::string& a = keys[pick(keys.size())];
        const std::string& b = keys[pick(keys.size())];
        const std::string& timeout = timeouts[pick(timeouts.size())];
        switch (pick(8)) {
          case 0:
          case 1: pipeline.push_back({"LPUSH", a, "v", "v"}); break;
          case 2: pipeline.push_back({"LPOP", a}); break;
          case 3: pipeline.push_back({"BLPOP", a, b, timeout}); break;
          case 4: pipeline.push_back({"BRPOP", a, timeout}); break;
          case 5: pipeline.push_back({"BLMOVE", a, b, "LEFT", "RIGHT", timeout}); break;
          case 6: pipeline.push_back({"BLMPOP", timeout, "2", a, b, "LEFT", "COUNT", "2"}); break;
          default: pipeline.push_back({"PING"}); break;
        }
        bytes += EncodeCommand(pipeline.back());
      }
      if (!client->SendRaw(bytes).ok()) return fail("send failed");
      for (const Args& command : pipeline) {
        auto reply = client->ReadReply();
        if (!reply.ok()) return fail(reply.status().message() + " waiting for " + command[0] + " " + command[1]);
        if (reply->IsError() && reply->str.rfind("UNBLOCKED", 0) != 0) return fail("error reply " + reply->str);
        if (command[0] == "LPUSH" && !reply->IsError()) pushed += 2;
        if (!reply->IsError()) popped += ElementsPopped(command, *reply);
      }
      if (pick(30) == 0) connect();
    }
  };
  std::vector<std::thread> workers;
  for (int n = 0; n < kClients; ++n) workers.emplace_back(worker, n);
  // Unblocks one client after another until every worker is done (a pop
  // without timeout may wait for it).
  std::atomic<bool> done{false};
  std::thread unblocker([&] {
    auto client = s.server.Connect();
    client->SetTimeout(20s);
    for (size_t turn = 0; !done; ++turn) {
      int64_t id = 0;
      {
        std::lock_guard lock(mutex);
        id = ids[turn % ids.size()];
      }
      if (id != 0 && !client->Command({"CLIENT", "UNBLOCK", std::to_string(id), turn % 2 ? "TIMEOUT" : "ERROR"}).ok()) return;
    }
  });
  for (auto& thread : workers) thread.join();
  done = true;
  unblocker.join();
  CHECK(failures.empty());
  for (const std::string& failure : failures) MESSAGE(failure);
  int64_t remaining = 0;
  for (const std::string& key : keys) remaining += Int(*s.client, {"LLEN", key});
  CHECK(pushed.load() == popped.load() + remaining);
  CHECK(pushed.load() > 0);
}

TEST_CASE("blocking: timeouts, BLMOVE, BZPOPMIN, inside MULTI, and errors") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Call(c, {"BLPOP", "empty", "0.05"}).IsNull());
  CHECK(Call(c, {"BZPOPMIN", "empty", "0.05"}).IsNull());
  CHECK(Err(c, {"BLPOP", "k", "-1"}) == "ERR timeout is negative");
  CHECK(Err(c, {"BLPOP", "k", "abc"}) == "ERR timeout is not a float or out of range");
  CHECK(Simple(c, {"SET", "str", "x"}) == "OK");
  CHECK(Err(c, {"BLPOP", "str", "0"}) == "WRONGTYPE Operation against a key holding the wrong kind of value");

  auto waiter = s.server.Connect();
  Send(*waiter, {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  CHECK(Int(c, {"RPUSH", "src", "v"}) == 1);
  CHECK(Read(*waiter).ToString() == "v");
  CHECK(Strings(c, {"LRANGE", "dst", "0", "-1"}) == List{"v"});

  Send(*waiter, {"BZPOPMIN", "z", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  CHECK(Int(c, {"ZADD", "z", "2", "b", "1", "a"}) == 2);
  CHECK(Read(*waiter).ToString() == "[z, a, 1]");

  // Inside MULTI a blocking pop answers at once.
  CHECK(Simple(c, {"MULTI"}) == "OK");
  CHECK(Simple(c, {"BLPOP", "nothing", "0"}) == "QUEUED");
  RespValue exec = Call(c, {"EXEC"});
  REQUIRE(exec.elements.size() == 1);
  CHECK(exec.elements[0].IsNull());

  // A blocked client that disconnects is forgotten.
  auto leaver = s.server.Connect();
  Send(*leaver, {"BLPOP", "never", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  leaver->Close();
  CHECK(BlockedClientsAre(c, 0));
}

// Redis serves a blocked client only from a key of the type it waits for, and
// goes on to the next client of a key when one cannot use it.
TEST_CASE("blocking: a key written with another type leaves its waiters blocked and serves the next in line") {
  ServerWithClient s;
  RespClient& c = *s.client;
  auto list_waiter = s.server.Connect();
  auto zset_waiter = s.server.Connect();
  int64_t list_id = Int(*list_waiter, {"CLIENT", "ID"});

  // A sorted set where a BLPOP waits: no WRONGTYPE, the BLPOP keeps waiting,
  // and the BZPOPMIN behind it is served.
  Send(*list_waiter, {"BLPOP", "k", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  Send(*zset_waiter, {"BZPOPMIN", "k", "0"});
  REQUIRE(BlockedClientsAre(c, 2));
  CHECK(Int(c, {"ZADD", "k", "1", "m"}) == 1);
  CHECK(Read(*zset_waiter).ToString() == "[k, m, 1]");
  CHECK(BlockedClientsAre(c, 1));
  CHECK(Simple(c, {"SET", "k", "string"}) == "OK");
  CHECK(Int(c, {"CLIENT", "UNBLOCK", std::to_string(list_id)}) == 1);  // still waiting: released as on timeout
  CHECK(Read(*list_waiter).IsNull());

  // BLMOVE to a destination of another type: WRONGTYPE, the element stays,
  // and the next client of the source gets it.
  CHECK(Simple(c, {"SET", "dst", "string"}) == "OK");
  Send(*list_waiter, {"BLMOVE", "src", "dst", "LEFT", "LEFT", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  Send(*zset_waiter, {"BLPOP", "src", "0"});
  REQUIRE(BlockedClientsAre(c, 2));
  CHECK(Int(c, {"RPUSH", "src", "v"}) == 1);
  CHECK(Read(*list_waiter).ToString() == "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(Read(*zset_waiter).ToString() == "[src, v]");
  CHECK(BlockedClientsAre(c, 0));

  // A client waiting on two keys is served from the key that was pushed to
  // by a BLMOVE chain: the one whose push woke it.
  Send(*list_waiter, {"BRPOPLPUSH", "a", "b", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  Send(*zset_waiter, {"BLMPOP", "0", "2", "b", "a", "LEFT"});
  REQUIRE(BlockedClientsAre(c, 2));
  CHECK(Int(c, {"LPUSH", "a", "x", "y"}) == 2);
  CHECK(Read(*list_waiter).ToString() == "x");      // moved from a's right end to b
  CHECK(Read(*zset_waiter).ToString() == "[a, [y]]");  // Redis: still serving the clients of a
  CHECK(Strings(c, {"LRANGE", "b", "0", "-1"}) == List{"x"});
}

// While a client is blocked its connection keeps a read armed (to notice a
// disconnect). A pass after the wake-up once moved the input buffer under that
// read: the next request then re-ran the old pipeline and was itself lost.
TEST_CASE("blocking: commands pipelined behind a blocking pop run once, in order, and later requests are read") {
  ServerWithClient s;
  RespClient& c = *s.client;
  for (int round = 1; round <= 3; ++round) {
    Send(c, {"BLPOP", "empty", "0.01"});  // times out
    Send(c, {"INCR", "counter"});
    CHECK(Read(c).IsNull());
    CHECK(Read(c).integer == round);
    CHECK(Simple(c, {"SET", "after" + std::to_string(round), "x"}) == "OK");
  }
  CHECK(Bulk(c, {"GET", "counter"}) == "3");
  CHECK(Int(c, {"EXISTS", "after1", "after2", "after3"}) == 3);

  auto waiter = s.server.Connect();
  for (int round = 1; round <= 3; ++round) {
    Send(*waiter, {"BLPOP", "queue", "0"});  // served by a push
    Send(*waiter, {"INCR", "served"});
    REQUIRE(BlockedClientsAre(c, 1));
    CHECK(Int(c, {"RPUSH", "queue", "v" + std::to_string(round)}) == 1);
    CHECK(Read(*waiter).ToString() == "[queue, v" + std::to_string(round) + "]");
    CHECK(Read(*waiter).integer == round);
    CHECK(Simple(*waiter, {"SET", "next" + std::to_string(round), "x"}) == "OK");
  }
  CHECK(Bulk(c, {"GET", "served"}) == "3");
  CHECK(Int(c, {"EXISTS", "next1", "next2", "next3"}) == 3);
}

// A blocked client keeps a read armed. When its wake-up's pass then waited
// for a commit group that another client's writes had opened, a request that
// arrived meanwhile was read but never run: the client hung. Writers on other
// connections keep such groups open; each round checks that the next request
// after a served pop is answered.
TEST_CASE("blocking: requests right after a served pop are answered while other clients write") {
  ServerWithClient s({"--io-threads", "2", "--fsync", "always"});
  RespClient& c = *s.client;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      auto writer = s.server.Connect();
      for (int i = 0; !stop.load() && writer; ++i) {
        if (!writer->Command({"SET", "w" + std::to_string(w), std::to_string(i)}).ok()) return;
      }
    });
  }
  auto waiter = s.server.Connect();
  waiter->SetTimeout(10s);  // a hang fails the read instead of the whole run
  for (int round = 1; round <= 1000; ++round) {
    CAPTURE(round);
    Send(*waiter, {"BRPOPLPUSH", "src", "dst", "0"});
    REQUIRE(BlockedClientsAre(c, 1));
    REQUIRE(Int(c, {"RPUSH", "src", "v"}) == 1);
    auto served = waiter->ReadReply();
    REQUIRE(served.ok());
    REQUIRE(served->str == "v");
    Send(*waiter, {"INCR", "rounds"});
    auto counted = waiter->ReadReply();
    REQUIRE(counted.ok());
    REQUIRE(counted->integer == round);
  }
  stop = true;
  for (auto& writer : writers) writer.join();
}

// Many clients pipelining blocking pops (which time out or are served) among
// pushes and other writes, on one and on two io threads: every command gets
// exactly one reply, in order (an ECHO after each one checks the order), and
// no client hangs. The three bugs above were found this way.
TEST_CASE("blocking: clients pipelining blocking pops among other commands get every reply in order") {
  for (std::string io_threads : {"1", "2"}) {
    CAPTURE(io_threads);
    ServerWithClient s({"--io-threads", io_threads});
    std::atomic<int> failures{0};
    std::vector<std::thread> clients;
    for (int id = 0; id < 6; ++id) {
      clients.emplace_back([&, id] {
        std::mt19937 random(1000 + id);
        auto client = s.server.Connect();
        if (!client) return void(++failures);
        client->SetTimeout(10s);
        auto key = [&] { return std::string("list") + std::to_string(random() % 3); };
        for (int round = 0; round < 60; ++round) {
          std::vector<Args> commands;
          size_t count = 1 + random() % 12;
          for (size_t i = 0; i < count; ++i) {
            switch (random() % 6) {
              case 0: commands.push_back({"BLPOP", key(), key(), "0.01"}); break;
              case 1: commands.push_back({"BRPOPLPUSH", key(), key(), "0.01"}); break;
              case 2: commands.push_back({"RPUSH", key(), "v"}); break;
              case 3: commands.push_back({"LPOP", key()}); break;
              case 4: commands.push_back({"INCR", "n" + std::to_string(id)}); break;
              default: commands.push_back({"SET", "k" + std::to_string(id), "v"}); break;
            }
          }
          std::string pipeline;
          for (size_t i = 0; i < count; ++i) {
            pipeline += EncodeCommand(commands[i]);
            pipeline += EncodeCommand({"ECHO", "t" + std::to_string(i)});
          }
          if (!client->SendRaw(pipeline).ok()) return void(++failures);
          for (size_t i = 0; i < count; ++i) {
            auto reply = client->ReadReply();
            auto token = client->ReadReply();
            if (!reply.ok() || !token.ok() || token->str != "t" + std::to_string(i)) return void(++failures);
          }
        }
      });
    }
    for (auto& client : clients) client.join();
    CHECK(failures.load() == 0);
    CHECK(Simple(*s.client, {"PING"}) == "PONG");
  }
}

TEST_CASE("blocking: CLIENT UNBLOCK answers as a timeout or with -UNBLOCKED; CLIENT LIST TYPE") {
  ServerWithClient s;
  RespClient& c = *s.client;
  auto waiter = s.server.Connect();
  std::string id = std::to_string(Int(*waiter, {"CLIENT", "ID"}));

  Send(*waiter, {"BLPOP", "queue", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  CHECK(Bulk(c, {"CLIENT", "LIST", "TYPE", "normal"}).find("flags=b ") != std::string::npos);
  CHECK(Int(c, {"CLIENT", "UNBLOCK", id}) == 1);
  CHECK(Read(*waiter).IsNull());

  Send(*waiter, {"BRPOPLPUSH", "queue", "dst", "0"});
  REQUIRE(BlockedClientsAre(c, 1));
  CHECK(Err(c, {"CLIENT", "UNBLOCK", id, "bogus"}) == "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  CHECK(Int(c, {"CLIENT", "UNBLOCK", id, "ERROR"}) == 1);
  CHECK(Read(*waiter).ToString().find("UNBLOCKED client unblocked via CLIENT UNBLOCK") != std::string::npos);
  CHECK(BlockedClientsAre(c, 0));

  // Unblocked clients are forgotten: a push now stays in the list.
  CHECK(Int(c, {"RPUSH", "queue", "job"}) == 1);
  CHECK(Int(c, {"LLEN", "queue"}) == 1);
  CHECK(Int(c, {"CLIENT", "UNBLOCK", id}) == 0);  // not blocked
  CHECK(Int(c, {"CLIENT", "UNBLOCK", "999999"}) == 0);
  CHECK(Err(c, {"CLIENT", "UNBLOCK", "abc"}) == "ERR value is not an integer or out of range");
  CHECK(Simple(*waiter, {"PING"}) == "PONG");

  Send(*waiter, {"SUBSCRIBE", "news"});
  CHECK(Read(*waiter).ToString() == "[subscribe, news, 1]");
  std::string pubsub = Bulk(c, {"CLIENT", "LIST", "TYPE", "pubsub"});
  CHECK(pubsub.find("id=" + id + " ") != std::string::npos);
  CHECK(pubsub.find("flags=P ") != std::string::npos);
  CHECK(Bulk(c, {"CLIENT", "LIST", "TYPE", "normal"}).find("id=" + id + " ") == std::string::npos);
  CHECK(Bulk(c, {"CLIENT", "LIST", "TYPE", "replica"}).empty());
  CHECK(Err(c, {"CLIENT", "LIST", "TYPE", "bogus"}) == "ERR Unknown client type 'bogus'");
  CHECK(Int(c, {"CLIENT", "KILL", "TYPE", "pubsub"}) == 1);
  CHECK(WaitFor([&] { return Bulk(c, {"CLIENT", "LIST", "TYPE", "pubsub"}).empty(); }, 10s));
}

// A pop that blocks in a pass whose earlier replies are still being written
// and times out meanwhile once started a second write beside the first: its
// reply landed in the middle of the others. A 4 KB receive buffer makes this
// client drain the 900 KB reply ahead of the pop far slower than 1 ms.
TEST_CASE("blocking: a pop that times out while replies ahead of it are still being written answers after them") {
  ServerWithClient s;
  RespClient& c = *s.client;
  const std::string big(900 * 1024, 'v');
  CHECK(Simple(c, {"SET", "big", big}) == "OK");
  for (int round = 0; round < 5; ++round) {
    RawConn slow;
    REQUIRE(slow.Connect(s.server.port(), 4096));
    constexpr int kGets = 7;
    std::string pipeline;
    for (int i = 0; i < kGets; ++i) pipeline += EncodeCommand({"GET", "big"});
    pipeline += EncodeCommand({"BLPOP", "empty", "0.001"});
    pipeline += EncodeCommand({"PING"});
    REQUIRE(slow.Send(pipeline, 60s, false));
    for (int i = 0; i < kGets; ++i) {
      auto reply = slow.ReadReply();
      REQUIRE(reply.has_value());
      CHECK(reply->str == big);
    }
    auto timed_out = slow.ReadReply();
    REQUIRE(timed_out.has_value());
    CHECK(timed_out->IsNull());
    auto pong = slow.ReadReply();
    REQUIRE(pong.has_value());
    CHECK(pong->str == "PONG");
  }
}

}  // namespace
}  // namespace kvdtest
