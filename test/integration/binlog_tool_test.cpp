// `kvd binlog` on the data directory of a real server: what it prints while
// the server runs, after it stopped and after kill -9, and its RESP output
// replayed into a fresh kvd (redis-cli --pipe) and into a redis-server.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

std::string BinlogCommand(const std::string& data_dir, const std::string& extra = {}) {
  return ShellQuote(KvdBinary()) + " binlog --dir " + ShellQuote(data_dir) + extra;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The index of the first line at or after `from` that contains `needle`, or lines.size().
size_t FindLine(const std::vector<std::string>& lines, const std::string& needle, size_t from = 0) {
  for (size_t i = from; i < lines.size(); ++i) {
    if (lines[i].find(needle) != std::string::npos) return i;
  }
  return lines.size();
}

uint64_t SequenceOf(const std::string& line) { return std::stoull(line.substr(0, line.find(' '))); }

// Sends the RESP commands in one go, as redis-cli --pipe does, and reads every
// reply (a final PING marks the end); returns the error replies.
std::vector<std::string> Replay(RespClient& client, const std::string& resp) {
  REQUIRE(client.SendRaw(resp + kvd::protocol::EncodeCommand({"PING"})).ok());
  std::vector<std::string> errors;
  while (true) {
    auto reply = client.ReadReply();
    REQUIRE(reply.ok());
    if (reply->type == RespValue::Type::kSimple && reply->str == "PONG") return errors;
    if (reply->IsError()) errors.push_back(reply->str);
  }
}

const std::string kQuotedValue = "line\nbreak \"q\"";

// What the commands of the first test leave behind.
void CheckRebuilt(RespClient& client) {
  CHECK(Simple(client, {"SELECT", "0"}) == "OK");  // a replay on this connection ends in the last record's db
  CHECK(Bulk(client, {"GET", "k1"}) == "v1");
  CHECK(Int(client, {"PTTL", "k1"}) > 0);
  CHECK(Bulk(client, {"HGET", "h", "f1"}) == "a");
  CHECK(Bulk(client, {"HGET", "h", "f2"}) == "b");
  CHECK(Int(client, {"EXISTS", "gone"}) == 0);
  CHECK(Bulk(client, {"GET", "t1"}) == "x");
  CHECK(Int(client, {"PTTL", "t1"}) > 0);
  CHECK(Bulk(client, {"GET", "n"}) == "1");
  CHECK(Int(client, {"DBSIZE"}) == 4);
  CHECK(Simple(client, {"SELECT", "3"}) == "OK");
  CHECK(Bulk(client, {"GET", "in3"}) == kQuotedValue);
  CHECK(Int(client, {"DBSIZE"}) == 1);
}

}  // namespace

TEST_CASE("binlog tool: a server's writes show up in kvd binlog, and --format resp rebuilds them") {
  KvdServer server;
  REQUIRE(server.Start());
  int status = -1;
  {
    auto c = server.Connect();
    CHECK(Simple(*c, {"SET", "k1", "v1"}) == "OK");
    CHECK(Int(*c, {"HSET", "h", "f1", "a", "f2", "b"}) == 2);
    CHECK(Simple(*c, {"SET", "gone", "x"}) == "OK");
    CHECK(Int(*c, {"DEL", "gone"}) == 1);
    CHECK(Int(*c, {"EXPIRE", "k1", "100000"}) == 1);
    CHECK(Simple(*c, {"MULTI"}) == "OK");
    CHECK(Simple(*c, {"SET", "t1", "x", "EX", "100000"}) == "QUEUED");
    CHECK(Simple(*c, {"INCR", "n"}) == "QUEUED");
    CHECK(Strings(*c, {"EXEC"}) == std::vector<std::string>{"OK", "1"});
    CHECK(Simple(*c, {"SELECT", "3"}) == "OK");
    CHECK(Simple(*c, {"SET", "in3", kQuotedValue}) == "OK");
    // The server is running: an acknowledged write has reached the WAL file.
    std::string live = RunShell(BinlogCommand(server.data_dir()), &status);
    CHECK(status == 0);
    CHECK_MESSAGE(live.find("db=3 \"SET\" \"in3\"") != std::string::npos, live);
  }
  CHECK(server.Stop() == 0);

  std::string text = RunShell(BinlogCommand(server.data_dir()), &status);  // stderr included: no notes expected
  CHECK(status == 0);
  std::vector<std::string> lines = Lines(text);
  const std::regex shape(R"(\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z db=\d+ "[A-Za-z]+"( ".*")*)");
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK_MESSAGE(std::regex_match(lines[i], shape), lines[i]);
    // A transaction's MULTI mark and its first command may share the batch's first sequence.
    if (i > 0) CHECK(SequenceOf(lines[i]) >= SequenceOf(lines[i - 1]));
  }
  size_t at = 0;
  for (std::string expected :
       {"db=0 \"SET\" \"k1\" \"v1\"", "db=0 \"HSET\" \"h\" \"f1\" \"a\" \"f2\" \"b\"", "db=0 \"SET\" \"gone\" \"x\"",
        "db=0 \"DEL\" \"gone\"", "db=0 \"PEXPIREAT\" \"k1\" \"", "db=0 \"MULTI\"", "db=0 \"SET\" \"t1\" \"x\" \"PXAT\" \"",
        "db=0 \"INCR\" \"n\"", "db=0 \"EXEC\"", "db=3 \"SET\" \"in3\" \"line\\nbreak \\\"q\\\"\""}) {
    at = FindLine(lines, expected, at);
    CHECK_MESSAGE(at < lines.size(), "missing, or out of order: " << expected << "\n" << text);
  }

  size_t del = FindLine(lines, "\"DEL\" \"gone\"");
  REQUIRE(del < lines.size());
  std::string from = RunShell(BinlogCommand(server.data_dir(), " --from " + std::to_string(SequenceOf(lines[del])) +
                                                                   " --limit 2"),
                              &status);
  CHECK(status == 0);
  CHECK(Lines(from) == std::vector<std::string>(lines.begin() + static_cast<long>(del),
                                                lines.begin() + static_cast<long>(std::min(del + 2, lines.size()))));

  TempDir temp;
  std::string resp_path = temp.path() + "/binlog.resp";
  RunShell(BinlogCommand(server.data_dir(), " --format resp > " + ShellQuote(resp_path)), &status);
  REQUIRE(status == 0);
  std::string resp = ReadFile(resp_path);
  CHECK(resp.rfind("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", 0) == 0);

  if (HaveRedisCli()) {
    KvdServer fresh;
    REQUIRE(fresh.Start());
    std::string piped = RunRedisCli(fresh.port(), {"--pipe"}, &status, resp_path);
    CHECK(status == 0);
    CHECK_MESSAGE(piped.find("errors: 0") != std::string::npos, piped);
    CheckRebuilt(*fresh.Connect());
  } else {
    MESSAGE("redis-cli is not installed (apt-get install redis-tools); skipping the redis-cli --pipe replay");
  }
  ReferenceRedis redis;
  if (redis.Start()) {
    auto c = redis.Connect();
    REQUIRE(c != nullptr);
    CHECK(Replay(*c, resp).empty());
    CheckRebuilt(*c);
  } else {
    MESSAGE("redis-server is not installed; skipping the replay into redis-server");
  }
}

TEST_CASE("binlog tool: reads the data directory of a server killed with kill -9") {
  KvdServer server({"--fsync", "always"});
  REQUIRE(server.Start());
  {
    auto c = server.Connect();
    for (int i = 0; i < 50; ++i) CHECK(Simple(*c, {"SET", "key" + std::to_string(i), std::string(3000, 'v')}) == "OK");
  }
  server.Kill9();
  int status = -1;
  std::string text = RunShell(BinlogCommand(server.data_dir(), " 2>/dev/null"), &status);
  CHECK(status == 0);
  std::vector<std::string> lines = Lines(text);
  for (int i = 0; i < 50; ++i) {
    CHECK_MESSAGE(FindLine(lines, "\"SET\" \"key" + std::to_string(i) + "\" ") < lines.size(), "key", i);
  }
  std::string bad = RunShell(ShellQuote(KvdBinary()) + " binlog --dir " + ShellQuote(server.data_dir() + "/nope"),
                             &status);
  CHECK(status == 1);
  CHECK(bad.find("kvd binlog: ") == 0);
}

}  // namespace kvdtest
