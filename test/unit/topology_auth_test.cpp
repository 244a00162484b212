// cluster/topology: set_auth_pass (SENTINEL SET <name> auth-pass).
#include <doctest/doctest.h>

#include "cluster/topology/command.h"
#include "cluster/topology/store.h"
#include "test/unit/test_support.h"

namespace kvd::test {
using namespace kvd::cluster::topology;

TEST_SUITE("topology auth pass") {
  TEST_CASE("set_auth_pass round-trips, applies, clears, and needs the group") {
    TopologyStore store;
    AddGroup add;
    add.group = "g1";
    add.master = "127.0.0.1:6380";
    Must(store.Apply(add));
    std::string json = EncodeCommand(SetAuthPass{"g1", std::string("pw")});
    CHECK(json.find("\"set_auth_pass\"") != std::string::npos);
    Must(store.Apply(json));
    REQUIRE(store.FindGroup("g1")->auth_pass.has_value());
    CHECK(*store.FindGroup("g1")->auth_pass == "pw");
    Must(store.Apply(SetAuthPass{"g1", std::nullopt}));
    CHECK_FALSE(store.FindGroup("g1")->auth_pass.has_value());
    CHECK(store.Apply(SetAuthPass{"nope", std::string("x")}).status().Is(Status::Code::kNotFound));
    CHECK_FALSE(DecodeCommand(R"({"op":"set_auth_pass","group":"g1","auth_pass":5})").ok());
  }
}

}  // namespace kvd::test
