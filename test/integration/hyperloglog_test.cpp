// PFADD, PFCOUNT and PFMERGE against a real redis-server: the same elements
// must give the same answers, sparse values and dense ones alike.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

class RandomHllCommands {
 public:
  explicit RandomHllCommands(uint32_t seed) : random_(seed) {}

  Args Next() {
    switch (Pick(10)) {
      case 0: case 1: case 2: case 3: {
        Args command = {"PFADD", Key()};
        // Mostly a few elements; now and then thousands, which makes a value dense.
        int count = Pick(20) == 0 ? 2000 + Pick(3000) : Pick(30);
        for (int i = 0; i < count; ++i) command.push_back(Element());
        return command;
      }
      case 4: case 5: case 6: {
        Args command = {"PFCOUNT", Key()};
        for (int more = Pick(3); more > 0; --more) command.push_back(Key());
        return command;
      }
      case 7: {
        Args command = {"PFMERGE", Key()};
        for (int more = Pick(4); more > 0; --more) command.push_back(Key());
        return command;
      }
      case 8: return {"TYPE", Key()};
      default: return {"DEL", Key()};
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }
  std::string Key() {
    static const char* kKeys[] = {"h1", "h2", "h3", "{t}h4", "text", "list", "missing"};
    return kKeys[Pick(7)];
  }
  std::string Element() { return "e" + std::to_string(Pick(200000)); }
  std::mt19937 random_;
};

}  // namespace

TEST_CASE("hyperloglog: random PFADD, PFCOUNT and PFMERGE answer as redis-server does") {
  SideBySide pair;
  if (!pair.ready()) return;
  for (RespClient* client : {&pair.kvd(), &pair.reference()}) {
    REQUIRE(ExactCall(*client, {"SET", "text", "not an hll"}) == "+OK");
    REQUIRE(ExactCall(*client, {"RPUSH", "list", "a"}) == ":1");
  }
  RandomHllCommands commands(20261127);
  auto next = [&] {
    Args command = commands.Next();
    // DEL of the two non-HLL keys would leave nothing to refuse.
    if (command[0] == "DEL" && (command[1] == "text" || command[1] == "list")) return Args{"EXISTS", command[1]};
    return command;
  };
  CompareWithReference(pair.reference(), pair.kvd(), {1500, next, {}, {}});
}

TEST_CASE("hyperloglog: errors and edge cases in Redis's words") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Int(c, {"PFADD", "h"}) == 1);  // creates an empty HLL
  CHECK(Int(c, {"PFADD", "h"}) == 0);
  CHECK(Int(c, {"PFCOUNT", "h"}) == 0);
  CHECK(Int(c, {"PFADD", "h", "a", "b", "c", "a"}) == 1);
  CHECK(Int(c, {"PFADD", "h", "a"}) == 0);
  CHECK(Int(c, {"PFCOUNT", "h", "missing"}) == 3);
  CHECK(Simple(c, {"SET", "s", "plain"}) == "OK");
  CHECK(Err(c, {"PFADD", "s", "x"}) == "WRONGTYPE Key is not a valid HyperLogLog string value.");
  CHECK(Err(c, {"PFCOUNT", "h", "s"}) == "WRONGTYPE Key is not a valid HyperLogLog string value.");
  CHECK(Int(c, {"RPUSH", "l", "x"}) == 1);
  CHECK(Err(c, {"PFMERGE", "l", "h"}) == "WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(Simple(c, {"SET", "broken", std::string("HYLL\x01", 5) + std::string(11, '\0') + "\x3f"}) == "OK");
  CHECK(Err(c, {"PFCOUNT", "broken"}) == "INVALIDOBJ Corrupted HLL object detected");
  CHECK(Err(c, {"PFADD"}) == "ERR wrong number of arguments for 'pfadd' command");
  // PFMERGE keeps the destination's TTL and takes it as a source.
  CHECK(Int(c, {"PFADD", "dest", "z"}) == 1);
  CHECK(Int(c, {"EXPIRE", "dest", "1000"}) == 1);
  CHECK(Simple(c, {"PFMERGE", "dest", "h"}) == "OK");
  CHECK(Int(c, {"PFCOUNT", "dest"}) == 4);
  CHECK(Int(c, {"TTL", "dest"}) > 0);
  CHECK(Simple(c, {"PFMERGE", "fresh"}) == "OK");
  CHECK(Int(c, {"EXISTS", "fresh"}) == 1);
}

}  // namespace kvdtest
