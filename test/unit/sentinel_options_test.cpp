// roles/sentinel/options: --masters and --peers lists, and bad values named.
#include <doctest/doctest.h>

#include "roles/sentinel/options.h"
#include "test/unit/test_support.h"

namespace kvd::test {

TEST_SUITE("sentinel options") {
  TEST_CASE("masters and peers lists parse and bad items are named") {
    auto masters = Must(sentinel::ParseMasters("a=127.0.0.1:6380,b=10.0.0.2:7000"));
    REQUIRE(masters.size() == 2);
    CHECK(masters["b"].host == "10.0.0.2");
    CHECK(masters["b"].port == 7000);
    auto peers = Must(sentinel::ParsePeers("1=127.0.0.1:26380,3=127.0.0.1:26382"));
    REQUIRE(peers.size() == 2);
    CHECK(peers[3].port == 26382);
    CHECK(sentinel::ParseMasters("a=127.0.0.1").status().message().find("'127.0.0.1' is not host:port") !=
          std::string::npos);
    CHECK_FALSE(sentinel::ParseMasters("=1.2.3.4:5").ok());
    CHECK_FALSE(sentinel::ParsePeers("0=127.0.0.1:1").ok());
    CHECK_FALSE(sentinel::ParsePeers("x=127.0.0.1:1").ok());
    CHECK_FALSE(sentinel::ParsePeers("1=127.0.0.1:70000").ok());
  }

  TEST_CASE("the id must be one of the peers, and a lone sentinel is its own peer") {
    std::vector<std::string> text = {"sentinel", "--id", "2", "--peers", "1=127.0.0.1:1,3=127.0.0.1:3"};
    std::vector<char*> argv;
    for (auto& arg : text) argv.push_back(arg.data());
    bool help = false;
    std::string help_text;
    auto config = sentinel::LoadSentinelConfig(static_cast<int>(argv.size()), argv.data(), &help, &help_text);
    CHECK(config.status().message().find("--id 2 is not one of --peers") != std::string::npos);
    std::vector<std::string> lone = {"sentinel", "--port", "26999"};
    argv.clear();
    for (auto& arg : lone) argv.push_back(arg.data());
    auto single = Must(sentinel::LoadSentinelConfig(static_cast<int>(argv.size()), argv.data(), &help, &help_text));
    REQUIRE(single.peers.size() == 1);
    CHECK(single.peers[1].port == 26999);
    CHECK(help_text.find("--down-after-ms") != std::string::npos);
  }
}

}  // namespace kvd::test
