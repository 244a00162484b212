// LeadingGetKeys: the run of GETs at the front of a client's input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocol/get_run.h"
#include "protocol/resp_client.h"

namespace kvd::protocol {
namespace {

std::vector<std::string> Run(std::string_view input, size_t max = 64) {
  std::vector<std::string_view> keys;
  size_t found = LeadingGetKeys(input, max, &keys);
  REQUIRE(found == keys.size());
  return {keys.begin(), keys.end()};
}

using Keys = std::vector<std::string>;

TEST_CASE("get run: consecutive GETs in any letter case, keys binary-safe") {
  std::string binary("b\r\n\0c", 5);
  std::string input = EncodeCommand({"GET", "a"}) + EncodeCommand({"get", binary}) +
                      EncodeCommand({"gEt", ""}) + EncodeCommand({"GET", "a"});
  CHECK(Run(input) == Keys{"a", binary, "", "a"});
}

TEST_CASE("get run: stops at the first command of another shape") {
  CHECK(Run(EncodeCommand({"GET", "a"}) + EncodeCommand({"SET", "a", "1"}) + EncodeCommand({"GET", "b"})) == Keys{"a"});
  CHECK(Run(EncodeCommand({"GET", "a", "extra"}) + EncodeCommand({"GET", "b"})).empty());
  CHECK(Run(EncodeCommand({"GETX", "a"})).empty());
  CHECK(Run(EncodeCommand({"GETDEL", "a"})).empty());
  CHECK(Run(EncodeCommand({"MGET", "a"})).empty());
  CHECK(Run("GET a\r\n").empty());  // inline commands are left to the parser
  CHECK(Run("").empty());
}

TEST_CASE("get run: a command cut anywhere ends the run before it") {
  std::string first = EncodeCommand({"GET", "first"});
  std::string second = EncodeCommand({"GET", "second"});
  for (size_t cut = 0; cut < second.size(); ++cut) {
    CAPTURE(cut);
    CHECK(Run(first + second.substr(0, cut)) == Keys{"first"});
  }
  CHECK(Run(first + second) == Keys{"first", "second"});
}

TEST_CASE("get run: malformed lengths end the run, never read past the input") {
  CHECK(Run("*2\r\n$3\r\nGET\r\n$5\r\nab\r\n").empty());        // length beyond the input
  CHECK(Run("*2\r\n$3\r\nGET\r\n$2\r\nabcd\r\n").empty());      // no CRLF where the length ends
  CHECK(Run("*2\r\n$3\r\nGET\r\n$-1\r\n").empty());
  CHECK(Run("*2\r\n$3\r\nGET\r\n$99999999999\r\nx\r\n").empty());
  CHECK(Run("*2\r\n$3\r\nGET\r\n$\r\n\r\n").empty());
  CHECK(Run("*2\r\n$4\r\nGET\r\n$1\r\na\r\n").empty());
}

TEST_CASE("get run: at most max keys") {
  std::string input;
  for (int i = 0; i < 10; ++i) input += EncodeCommand({"GET", std::to_string(i)});
  CHECK(Run(input, 3) == Keys{"0", "1", "2"});
  CHECK(Run(input, 0).empty());
}

}  // namespace
}  // namespace kvd::protocol
