// LeadingGetKeys and LeadingMemberRun: the runs of point reads at the front of a client's input.
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

struct MemberRun {
  std::string key;
  Keys members;
  bool operator==(const MemberRun& other) const { return key == other.key && members == other.members; }
};

MemberRun Members(std::string_view input, size_t max = 64) {
  std::string_view key;
  std::vector<std::string_view> members;
  size_t found = LeadingMemberRun(input, max, &key, &members);
  REQUIRE(found == members.size());
  if (found == 0) return {};
  return {std::string(key), {members.begin(), members.end()}};
}

TEST_CASE("member run: one command name and one key, the member where that command has it") {
  CHECK(Members(EncodeCommand({"HSET", "h", "f1", "v"}) + EncodeCommand({"hset", "h", "f2", "w"})) ==
        MemberRun{"h", {"f1", "f2"}});
  CHECK(Members(EncodeCommand({"ZADD", "z", "1.5", "m1"}) + EncodeCommand({"ZADD", "z", "2", "m2"})) ==
        MemberRun{"z", {"m1", "m2"}});
  for (std::string name : {"SADD", "SISMEMBER", "HGET", "HEXISTS", "ZSCORE"}) {
    CAPTURE(name);
    CHECK(Members(EncodeCommand({name, "k", "a"}) + EncodeCommand({name, "k", ""})) == MemberRun{"k", {"a", ""}});
  }
}

TEST_CASE("member run: stops at another name, key or shape") {
  std::string first = EncodeCommand({"SADD", "s", "a"});
  CHECK(Members(first + EncodeCommand({"SREM", "s", "b"})) == MemberRun{"s", {"a"}});
  CHECK(Members(first + EncodeCommand({"SISMEMBER", "s", "b"})) == MemberRun{"s", {"a"}});
  CHECK(Members(first + EncodeCommand({"SADD", "t", "b"})) == MemberRun{"s", {"a"}});
  CHECK(Members(first + EncodeCommand({"SADD", "s", "b", "c"})) == MemberRun{"s", {"a"}});
  CHECK(Members(EncodeCommand({"HSET", "h", "f", "v", "g", "w"})) == MemberRun{});
  CHECK(Members(EncodeCommand({"ZADD", "z", "NX", "1", "m"})) == MemberRun{});
  CHECK(Members(EncodeCommand({"GET", "s"})) == MemberRun{});
  CHECK(Members("SADD s a\r\n") == MemberRun{});  // inline commands are left to the parser
}

TEST_CASE("member run: a command cut anywhere ends the run before it, at most max") {
  std::string first = EncodeCommand({"HSET", "h", "first", "1"});
  std::string second = EncodeCommand({"HSET", "h", "second", "2"});
  for (size_t cut = 0; cut < second.size(); ++cut) {
    CAPTURE(cut);
    CHECK(Members(first + second.substr(0, cut)) == MemberRun{"h", {"first"}});
  }
  CHECK(Members(first + second + first, 2) == MemberRun{"h", {"first", "second"}});
  CHECK(Members("*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$9\r\nx\r\n") == MemberRun{});  // length beyond the input
}

}  // namespace
}  // namespace kvd::protocol
