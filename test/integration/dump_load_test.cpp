// Online dump and load: `kvd dump` of a running server, `kvd load` into a
// server (kvd or redis-server) or a data directory, refusal of damaged dumps,
// a dump that cannot be written, SAVE / BGSAVE / LASTSAVE and the CHECKPOINT
// commands underneath.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

namespace fs = std::filesystem;

struct KvdRun {
  int status = -1;
  std::string output;
};

KvdRun RunKvd(const Args& args) {
  std::string command = ShellQuote(KvdBinary());
  for (const auto& arg : args) command += " " + ShellQuote(arg);
  KvdRun run;
  run.output = RunShell(command, &run.status);
  return run;
}

std::string Addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Raw bulk contents of an array reply.
std::vector<std::string> Items(RespClient& client, const Args& args) {
  RespValue reply = Call(client, args);
  std::vector<std::string> items;
  for (const auto& element : reply.elements) items.push_back(element.str);
  return items;
}

std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += std::to_string(item.size()) + ":" + item + ",";
  return text;
}

std::string ValueOf(RespClient& client, const std::string& key, const std::string& type) {
  if (type == "string") return Bulk(client, {"GET", key});
  if (type == "list") return Join(Items(client, {"LRANGE", key, "0", "-1"}));
  if (type == "zset") return Join(Items(client, {"ZRANGE", key, "0", "-1", "WITHSCORES"}));
  std::vector<std::string> items = Items(client, {type == "set" ? "SMEMBERS" : "HGETALL", key});
  if (type == "set") {
    std::sort(items.begin(), items.end());
    return Join(items);
  }
  std::vector<std::string> pairs;
  for (size_t i = 0; i + 1 < items.size(); i += 2) pairs.push_back(items[i] + "=" + items[i + 1]);
  std::sort(pairs.begin(), pairs.end());
  return Join(pairs);
}

// "db/key" -> "type|value|absolute expiry" of every key in `dbs`.
using Snapshot = std::map<std::string, std::string>;

Snapshot TakeSnapshot(RespClient& client, const std::vector<int>& dbs) {
  Snapshot all;
  for (int db : dbs) {
    REQUIRE(Simple(client, {"SELECT", std::to_string(db)}) == "OK");
    for (const auto& key : Items(client, {"KEYS", "*"})) {
      std::string type = Simple(client, {"TYPE", key});
      std::string expiry = std::to_string(Int(client, {"PEXPIRETIME", key}));
      all[std::to_string(db) + "/" + key] = type + "|" + ValueOf(client, key, type) + "|" + expiry;
    }
  }
  REQUIRE(Simple(client, {"SELECT", "0"}) == "OK");
  return all;
}

Args Numbered(Args head, const std::string& prefix, int count, bool with_values) {
  for (int i = 0; i < count; ++i) {
    head.push_back(prefix + std::to_string(i));
    if (with_values) head.push_back("value-" + std::to_string(i * 7));
  }
  return head;
}

// Every type, binary data, collections larger than one load batch, TTLs.
void FillDb(RespClient& c, int db, int64_t expire_at_ms) {
  std::string tag = std::to_string(db);
  REQUIRE(Simple(c, {"SELECT", tag}) == "OK");
  REQUIRE(Simple(c, {"SET", "str:plain", "hello " + tag}) == "OK");
  REQUIRE(Simple(c, {"SET", std::string("str:\0bin", 8), std::string("\0\r\n\xff", 4) + tag}) == "OK");
  REQUIRE(Simple(c, {"SET", "str:empty", ""}) == "OK");
  REQUIRE(Simple(c, {"SET", "str:ttl", "soon"}) == "OK");
  REQUIRE(Simple(c, {"SET", "only-in-" + tag, "yes"}) == "OK");
  CHECK(Int(c, Numbered({"HSET", "hash:big"}, "field-", 1200, true)) == 1200);
  CHECK(Int(c, {"HSET", "hash:ttl", "a", "1", "b", ""}) == 2);
  CHECK(Int(c, Numbered({"RPUSH", "list:big"}, "element-", 1500, false)) == 1500);
  CHECK(Int(c, {"RPUSH", "list:dup", "x", "x", "y", "x", ""}) == 5);
  CHECK(Int(c, Numbered({"SADD", "set:big"}, "member-", 700, false)) == 700);
  CHECK(Int(c, {"SADD", "set:small", "a"}) == 1);
  Args zadd = {"ZADD", "zset:big"};
  for (int i = 0; i < 1000; ++i) {
    zadd.push_back(std::to_string(i * 0.37 - 100));
    zadd.push_back("m" + std::to_string(i));
  }
  CHECK(Int(c, zadd) == 1000);
  CHECK(Int(c, {"ZADD", "zset:edge", "inf", "top", "-inf", "bottom", "0", "zero", "1e-300", "tiny", "-3.25", "neg",
                "0.1", "tenth"}) == 6);
  for (const char* key : {"str:ttl", "hash:ttl", "list:dup", "zset:edge"}) {
    CHECK(Int(c, {"PEXPIREAT", key, std::to_string(expire_at_ms + db)}) == 1);
  }
  REQUIRE(Simple(c, {"SELECT", "0"}) == "OK");
}

Snapshot FillTwoDbs(RespClient& c) {
  int64_t expire_at_ms = NowMs() + 3'600'000;
  FillDb(c, 0, expire_at_ms);
  FillDb(c, 5, expire_at_ms);
  return TakeSnapshot(c, {0, 5});
}

// The TTLs of a restored snapshot are its absolute expiry times: check they
// are also plausible remaining times, within the hour they were set to.
void CheckTtlsRemain(RespClient& c) {
  int64_t ttl = Int(c, {"PTTL", "zset:edge"});
  CHECK(ttl > 0);
  CHECK(ttl <= 3'600'000);
}

KvdRun Dump(uint16_t port, const std::string& out, const std::string& password = {}) {
  Args args = {"dump", "--addr", Addr(port), "--out", out};
  if (!password.empty()) args.insert(args.end(), {"--password", password});
  return RunKvd(args);
}

KvdRun LoadAddr(uint16_t port, const std::string& in, const std::string& password = {}) {
  Args args = {"load", "--in", in, "--addr", Addr(port)};
  if (!password.empty()) args.insert(args.end(), {"--password", password});
  return RunKvd(args);
}

}  // namespace

TEST_CASE("dump/load: dump, FLUSHALL, load --addr restores every key, type, value and TTL") {
  ServerWithClient s({"--requirepass", "secret"});
  RespClient& c = *s.client;
  REQUIRE(Simple(c, {"AUTH", "secret"}) == "OK");
  Snapshot before = FillTwoDbs(c);
  REQUIRE(before.size() == 2 * 13);

  TempDir out;
  std::string file = out.path() + "/backup.kvddump";
  KvdRun dumped = Dump(s.server.port(), file, "secret");
  REQUIRE_MESSAGE(dumped.status == 0, dumped.output);
  CHECK(DirEntries(out.path()) == std::vector<std::string>{"backup.kvddump"});
  CHECK(Items(c, {"CHECKPOINT", "LIST"}).empty());  // the tool dropped its checkpoint

  REQUIRE(Simple(c, {"FLUSHALL"}) == "OK");
  REQUIRE(TakeSnapshot(c, {0, 5}).empty());
  KvdRun loaded = LoadAddr(s.server.port(), file, "secret");
  REQUIRE_MESSAGE(loaded.status == 0, loaded.output);
  CHECK(loaded.output.find("loaded 26 keys") != std::string::npos);
  CHECK(TakeSnapshot(c, {0, 5}) == before);
  CheckTtlsRemain(c);
  CHECK(DirEntries(out.path()) == std::vector<std::string>{"backup.kvddump"});  // scratch space is gone

  KvdRun no_password = Dump(s.server.port(), out.path() + "/other.kvddump");
  CHECK(no_password.status == 1);
  CHECK(no_password.output.find("NOAUTH") != std::string::npos);
  CHECK(DirEntries(out.path()) == std::vector<std::string>{"backup.kvddump"});
}

TEST_CASE("dump/load: a dump taken under writes is one consistent point in time") {
  ServerWithClient s;
  Snapshot before = FillTwoDbs(*s.client);
  // Each MSET writes both keys in one batch: a consistent copy has them equal.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> rounds{0};
  auto w = s.server.Connect();  // here: Connect() REQUIREs, which only the test's thread may do
  std::thread writer([&] {
    for (int64_t i = 1; !stop.load(); ++i) {
      auto reply = w->Command({"MSET", "pair:a", std::to_string(i), "pair:b", std::to_string(i)});
      if (!reply.ok()) return;
      rounds = i;
    }
  });
  REQUIRE(WaitFor([&] { return rounds.load() > 0; }, 10s));
  TempDir out;
  std::string file = out.path() + "/busy.kvddump";
  KvdRun dumped = Dump(s.server.port(), file);
  stop = true;
  writer.join();
  REQUIRE_MESSAGE(dumped.status == 0, dumped.output);

  KvdServer fresh;
  REQUIRE(fresh.Start());
  KvdRun loaded = LoadAddr(fresh.port(), file);
  REQUIRE_MESSAGE(loaded.status == 0, loaded.output);
  auto c = fresh.Connect();
  std::string a = Bulk(*c, {"GET", "pair:a"});
  CHECK(a != "<nil>");
  CHECK(Bulk(*c, {"GET", "pair:b"}) == a);
  CHECK(Int(*c, {"DEL", "pair:a", "pair:b"}) == 2);
  CHECK(TakeSnapshot(*c, {0, 5}) == before);
}

TEST_CASE("dump/load: load --dir restores a data directory a server then serves") {
  ServerWithClient s;
  Snapshot before = FillTwoDbs(*s.client);
  TempDir out;
  std::string file = out.path() + "/backup.kvddump";
  KvdRun dumped = Dump(s.server.port(), file);
  REQUIRE_MESSAGE(dumped.status == 0, dumped.output);

  KvdServer restored;
  KvdRun loaded = RunKvd({"load", "--in", file, "--dir", restored.data_dir()});
  REQUIRE_MESSAGE(loaded.status == 0, loaded.output);
  CHECK(DirEntries(restored.data_dir()) == std::vector<std::string>{"db"});
  REQUIRE(restored.Start());
  auto c = restored.Connect();
  CHECK(TakeSnapshot(*c, {0, 5}) == before);
  CheckTtlsRemain(*c);

  // A directory that holds a database (here: a running server's) is refused.
  KvdRun again = RunKvd({"load", "--in", file, "--dir", restored.data_dir()});
  CHECK(again.status == 1);
  CHECK(again.output.find("already holds a database") != std::string::npos);
  CHECK(TakeSnapshot(*c, {0, 5}) == before);
}

TEST_CASE("dump/load: truncated, corrupted and newer-version dumps are refused and nothing is loaded") {
  ServerWithClient s;
  FillTwoDbs(*s.client);
  TempDir out;
  std::string file = out.path() + "/backup.kvddump";
  REQUIRE(Dump(s.server.port(), file).status == 0);
  const std::string good = ReadFile(file);
  REQUIRE(good.size() > 1000);

  REQUIRE(Simple(*s.client, {"FLUSHALL"}) == "OK");
  REQUIRE(Simple(*s.client, {"SET", "marker", "untouched"}) == "OK");
  Snapshot target = TakeSnapshot(*s.client, {0, 5});

  std::string newer = good;
  newer[10] = static_cast<char>(newer[10] + 1);  // low byte of the big-endian version
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x20);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.size() / 2), "truncated"},
      {good.substr(0, good.size() - 1), "truncated"},
      {flipped, "corrupted"},
      {good + "junk", "unexpected bytes"},
      {newer, "dump format version 2 is newer than this kvd supports"},
      {"not a dump at all", "not a kvd dump file"},
  };
  std::string bad = out.path() + "/bad.kvddump";
  for (const auto& [bytes, complaint] : cases) {
    CAPTURE(complaint);
    WriteFile(bad, bytes);
    KvdRun loaded = LoadAddr(s.server.port(), bad);
    CHECK(loaded.status == 1);
    CHECK(loaded.output.find(complaint) != std::string::npos);
    CHECK(loaded.output.find("nothing was loaded") != std::string::npos);
    CHECK(TakeSnapshot(*s.client, {0, 5}) == target);

    std::string dir = out.path() + "/restore";
    KvdRun into_dir = RunKvd({"load", "--in", bad, "--dir", dir});
    CHECK(into_dir.status == 1);
    CHECK(into_dir.output.find(complaint) != std::string::npos);
    CHECK_FALSE(fs::exists(dir));
  }
  CHECK(DirEntries(out.path()) == std::vector<std::string>{"backup.kvddump", "bad.kvddump"});
}

TEST_CASE("dump/load: a dump that cannot be written fails, leaves no file, and the server is unaffected") {
  ServerWithClient s;
  uint64_t noise = 88172645463325252ULL;  // incompressible values, so the dump is surely past the limit
  for (int i = 0; i < 200; ++i) {
    std::string value;
    for (int j = 0; j < 2000; ++j) {
      noise ^= noise << 13, noise ^= noise >> 7, noise ^= noise << 17;
      value.push_back(static_cast<char>(noise));
    }
    REQUIRE(Simple(*s.client, {"SET", "noise:" + std::to_string(i), value}) == "OK");
  }
  Snapshot before = FillTwoDbs(*s.client);
  TempDir out;
  std::string file = out.path() + "/backup.kvddump";
  // A 16-block file-size limit makes the writes fail part-way, as a full disk would.
  int status = 0;
  std::string output = RunShell("ulimit -f 16; exec " + ShellQuote(KvdBinary()) + " dump --addr " +
                                    Addr(s.server.port()) + " --out " + ShellQuote(file),
                                &status);
  CHECK(status == 1);
  CHECK(output.find("no dump was written") != std::string::npos);
  CHECK(DirEntries(out.path()).empty());
  CHECK(Simple(*s.client, {"PING"}) == "PONG");
  CHECK(Items(*s.client, {"CHECKPOINT", "LIST"}).empty());
  CHECK(TakeSnapshot(*s.client, {0, 5}) == before);

  KvdRun unwritable = Dump(s.server.port(), out.path() + "/no/such/dir/backup.kvddump");
  CHECK(unwritable.status == 1);
  CHECK(DirEntries(out.path()).empty());

  KvdRun unreachable = Dump(FreePort(), file);
  CHECK(unreachable.status == 1);
  CHECK(unreachable.output.find("connect") != std::string::npos);
}

TEST_CASE("dump/load: the tools' usage, --help and bad arguments") {
  KvdRun help = RunKvd({"dump", "--help"});
  CHECK(help.status == 0);
  for (const char* option : {"--addr", "--password", "--out"}) CHECK(help.output.find(option) != std::string::npos);
  help = RunKvd({"load", "--help"});
  CHECK(help.status == 0);
  for (const char* option : {"--in", "--addr", "--dir", "--password"}) {
    CHECK(help.output.find(option) != std::string::npos);
  }
  CHECK(RunKvd({"dump"}).status == 1);                                     // no --out
  CHECK(RunKvd({"dump", "--out", "/tmp/x", "--addr", "nocolon"}).status == 1);
  CHECK(RunKvd({"load", "--in", "/tmp/x"}).status == 1);                   // neither --addr nor --dir
  CHECK(RunKvd({"load", "--in", "x", "--addr", "a:1", "--dir", "d"}).status == 1);
  CHECK(RunKvd({"load", "--bogus"}).status == 1);
  KvdRun missing = RunKvd({"load", "--in", "/nonexistent/file.kvddump", "--dir", "/nonexistent/dir"});
  CHECK(missing.status == 1);
  CHECK(missing.output.find("No such file") != std::string::npos);
}

TEST_CASE("dump/load: load --addr into a plain redis-server") {
  ReferenceRedis redis;
  if (!redis.Start()) {
    MESSAGE("redis-server is not installed; skipped");
    return;
  }
  ServerWithClient s;
  Snapshot before = FillTwoDbs(*s.client);
  TempDir out;
  std::string file = out.path() + "/backup.kvddump";
  REQUIRE(Dump(s.server.port(), file).status == 0);
  auto r = redis.Connect();
  REQUIRE(r != nullptr);
  std::vector<std::string> port = Items(*r, {"CONFIG", "GET", "port"});
  REQUIRE(port.size() == 2);
  KvdRun loaded = RunKvd({"load", "--in", file, "--addr", "127.0.0.1:" + port[1]});
  REQUIRE_MESSAGE(loaded.status == 0, loaded.output);
  CHECK(TakeSnapshot(*r, {0, 5}) == before);
}

TEST_CASE("save: SAVE, BGSAVE and LASTSAVE write a checkpoint into the data dir") {
  ServerWithClient s;
  RespClient& c = *s.client;
  int64_t started = Int(c, {"LASTSAVE"});
  CHECK(started <= NowMs() / 1000);
  CHECK(started > NowMs() / 1000 - 600);
  Snapshot before = FillTwoDbs(c);

  // A SAVE pipelined after a write includes it.
  REQUIRE(c.SendRaw(kvd::protocol::EncodeCommand({"SET", "just-before", "1"}) +
                    kvd::protocol::EncodeCommand({"SAVE"}))
              .ok());
  CHECK(c.ReadReply()->str == "OK");
  CHECK(c.ReadReply()->str == "OK");
  std::string saved = s.server.data_dir() + "/checkpoints/save";
  CHECK(fs::exists(saved + "/db/CURRENT"));
  CHECK(fs::exists(saved + "/manifest"));
  int64_t after_save = Int(c, {"LASTSAVE"});
  CHECK(after_save >= started);
  CHECK(after_save <= NowMs() / 1000);
  CHECK(Items(c, {"CHECKPOINT", "LIST"}) == std::vector<std::string>{"save"});

  // The saved checkpoint is a data directory a server can start on (use a copy).
  KvdServer copy;
  fs::create_directories(copy.data_dir());
  fs::copy(saved + "/db", copy.data_dir() + "/db", fs::copy_options::recursive);
  REQUIRE(copy.Start());
  auto cc = copy.Connect();
  CHECK(Bulk(*cc, {"GET", "just-before"}) == "1");
  CHECK(Int(*cc, {"DEL", "just-before"}) == 1);
  CHECK(TakeSnapshot(*cc, {0, 5}) == before);

  REQUIRE(Simple(c, {"SET", "after-first-save", "x"}) == "OK");
  CHECK(Simple(c, {"BGSAVE"}) == "Background saving started");
  CHECK(Simple(c, {"BGSAVE", "SCHEDULE"}) == "Background saving started");
  CHECK(Err(c, {"BGSAVE", "NOW"}).find("syntax error") != std::string::npos);
  CHECK(Err(c, {"SAVE", "extra"}).find("wrong number of arguments") != std::string::npos);
  CHECK(Items(c, {"CHECKPOINT", "LIST"}) == std::vector<std::string>{"save"});  // replaced, not added
  CHECK(Int(c, {"LASTSAVE"}) >= after_save);

  // The save survives a restart; LASTSAVE then starts from the new start time.
  REQUIRE(s.server.Restart());
  auto c2 = s.server.Connect();
  CHECK(Int(*c2, {"LASTSAVE"}) >= after_save);
  CHECK(Items(*c2, {"CHECKPOINT", "LIST"}) == std::vector<std::string>{"save"});
}

TEST_CASE("checkpoint: CREATE, READ, DROP and LIST over RESP, with their errors") {
  ServerWithClient s;
  RespClient& c = *s.client;
  FillTwoDbs(c);
  RespValue made = Call(c, {"CHECKPOINT", "CREATE"});
  REQUIRE(made.type == RespValue::Type::kArray);
  REQUIRE(made.elements.size() >= 4);
  REQUIRE(made.elements.size() % 2 == 0);
  const std::string id = made.elements[0].str;
  CHECK(made.elements[1].type == RespValue::Type::kInteger);
  CHECK(made.elements[1].integer > 0);
  CHECK(Items(c, {"CHECKPOINT", "LIST"}) == std::vector<std::string>{id});

  std::string dir = s.server.data_dir() + "/checkpoints/" + id + "/db/";
  for (size_t i = 2; i < made.elements.size(); i += 2) {
    std::string name = made.elements[i].str;
    int64_t size = made.elements[i + 1].integer;
    CAPTURE(name);
    std::string whole;
    for (int64_t offset = 0; offset < size; offset += 4096) {
      whole += Bulk(c, {"CHECKPOINT", "READ", id, name, std::to_string(offset), "4096"});
    }
    CHECK(static_cast<int64_t>(whole.size()) == size);
    CHECK(whole == ReadFile(dir + name));
    CHECK(Bulk(c, {"CHECKPOINT", "READ", id, name, std::to_string(size), "10"}).empty());
    CHECK(Err(c, {"CHECKPOINT", "READ", id, name, std::to_string(size + 1), "10"}).find("beyond") !=
          std::string::npos);
    // Lengths above the 8 MB cap are cut down, not refused.
    CHECK(Bulk(c, {"CHECKPOINT", "READ", id, name, "0", "1000000000000"}) == whole);
  }
  std::string first_file = made.elements[2].str;
  CHECK(Err(c, {"CHECKPOINT", "READ", "nope", first_file, "0", "1"}).find("no such checkpoint") != std::string::npos);
  CHECK(Err(c, {"CHECKPOINT", "READ", id, "../manifest", "0", "1"}).find("has no file") != std::string::npos);
  CHECK(Err(c, {"CHECKPOINT", "READ", "../" + id, first_file, "0", "1"}).find("no such checkpoint") !=
        std::string::npos);
  CHECK(Err(c, {"CHECKPOINT", "READ", id, first_file, "-1", "1"}).find("non-negative") != std::string::npos);
  CHECK(Err(c, {"CHECKPOINT", "READ", id, first_file, "0"}).find("wrong number of arguments") != std::string::npos);
  CHECK(Err(c, {"CHECKPOINT", "FROB"}).find("unknown subcommand") != std::string::npos);
  CHECK(Err(c, {"CHECKPOINT"}).find("wrong number of arguments") != std::string::npos);
  CHECK(Items(c, {"CHECKPOINT", "HELP"}).size() > 4);

  CHECK(Simple(c, {"CHECKPOINT", "DROP", id}) == "OK");
  CHECK(Err(c, {"CHECKPOINT", "DROP", id}).find("no such checkpoint") != std::string::npos);
  CHECK(Items(c, {"CHECKPOINT", "LIST"}).empty());
  CHECK_FALSE(fs::exists(s.server.data_dir() + "/checkpoints/" + id));
}

TEST_CASE("checkpoint: a checkpoint left by an earlier run is removed when the server starts again") {
  ServerWithClient s;
  FillTwoDbs(*s.client);
  std::string left = Call(*s.client, {"CHECKPOINT", "CREATE"}).elements.at(0).str;
  REQUIRE(s.server.Restart());
  auto c = s.server.Connect();
  CHECK(Items(*c, {"CHECKPOINT", "LIST"}).empty());
  CHECK_FALSE(fs::exists(s.server.data_dir() + "/checkpoints/" + left));
  std::string fresh = Call(*c, {"CHECKPOINT", "CREATE"}).elements.at(0).str;
  CHECK(Items(*c, {"CHECKPOINT", "LIST"}) == std::vector<std::string>{fresh});
  CHECK_FALSE(fs::exists(s.server.data_dir() + "/checkpoints/" + left));
}

TEST_CASE("checkpoint: SAVE, BGSAVE and CHECKPOINT need authentication") {
  ServerWithClient s({"--requirepass", "pw"});
  RespClient& c = *s.client;
  for (const Args& command : {Args{"SAVE"}, Args{"BGSAVE"}, Args{"CHECKPOINT", "CREATE"}, Args{"CHECKPOINT", "LIST"},
                              Args{"CHECKPOINT", "READ", "a", "b", "0", "1"}}) {
    CAPTURE(command[0]);
    CHECK(Err(c, command).rfind("NOAUTH", 0) == 0);
  }
  CHECK_FALSE(fs::exists(s.server.data_dir() + "/checkpoints"));
  REQUIRE(Simple(c, {"AUTH", "pw"}) == "OK");
  CHECK(Simple(c, {"SAVE"}) == "OK");
}

}  // namespace kvdtest
