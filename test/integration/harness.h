// Integration-test harness: starts `kvd server` processes on free loopback
// ports with temporary data directories, talks to them, and stops them again.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "protocol/resp_client.h"
#include "protocol/resp_value.h"
#include "test/wait_for.h"

namespace kvdtest {

using Clock = std::chrono::steady_clock;
using kvd::protocol::RespClient;
using kvd::protocol::RespValue;
using Args = std::vector<std::string>;
using namespace std::chrono_literals;

// Path of the kvd executable under test (the build's, or $KVD_TEST_BINARY).
std::string KvdBinary();

using kvd::test::WaitFor;

// A loopback port that was free a moment ago (bind to port 0 and ask the kernel).
uint16_t FreePort();

// A directory made with mkdtemp under /tmp and removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One `kvd server` child process. The destructor stops it (SIGTERM, then
// SIGKILL after a deadline) and removes its temporary directory.
class KvdServer {
 public:
  explicit KvdServer(Args extra_args = {});
  // A `kvd sentinel` process instead (the same --port, --dir and --bind flags).
  static std::unique_ptr<KvdServer> Sentinel(Args extra_args = {});
  // A `kvd proxy` process instead: --port and --bind only (it has no data
  // directory); give it --slots FILE or --sentinels in `extra_args`.
  static std::unique_ptr<KvdServer> Proxy(Args extra_args = {});
  // Picks the port now (normally Start does), so peers can be told it first.
  uint16_t AssignPort();
  void AddArgs(const Args& args) { extra_args_.insert(extra_args_.end(), args.begin(), args.end()); }
  ~KvdServer();
  KvdServer(const KvdServer&) = delete;
  KvdServer& operator=(const KvdServer&) = delete;

  // Spawns the process and waits (up to 20 s) until it answers PING (any
  // reply counts, so a server with requirepass is ready on NOAUTH). The
  // server is killed when the thread that started it exits (PR_SET_PDEATHSIG),
  // so start servers from the test's own thread, not from a short-lived one.
  bool Start();
  // SIGTERM and wait; returns the exit code (128+signal when killed by one).
  int Stop();
  // SIGKILL and reap.
  void Kill9();
  // Waits for the process to exit on its own; returns its exit code.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  bool Restart() {
    Stop();
    return Start();
  }
  bool running();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string Log() const;  // the server's stdout/stderr so far

  // A connected RespClient (the test fails if it cannot connect).
  std::unique_ptr<RespClient> Connect();

 private:
  bool SpawnAndWait();
  bool ReapNoHang(int* code);  // true when the child is gone; caller holds mutex_
  void Watchdog();

  Args extra_args_;
  std::string role_ = "server";
  bool pass_dir_ = true;  // false for the proxy role, which has no --dir
  TempDir temp_;
  std::string data_dir_;
  std::string log_path_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;

  // The watchdog kills a server that outlives its budget, so a test that
  // hangs in a blocking read fails instead of hanging the whole suite.
  std::mutex mutex_;
  std::condition_variable cv_;
  bool exiting_ = false;
  std::thread watchdog_;
};

// A started server and one connected client, for the common test shape.
struct ServerWithClient {
  explicit ServerWithClient(Args extra_args = {});
  KvdServer server;
  std::unique_ptr<RespClient> client;
};

// Thin helpers over RespClient that turn transport failures into test failures.
RespValue Call(RespClient& client, const Args& args);
// Two fresh servers: Check() sends commands to one in one write and to the
// other one round trip each, and requires the same replies (what the
// server reads ahead for a pipeline must not change what it answers).
struct PipelinedAgainstOneByOne {
  PipelinedAgainstOneByOne();
  void Check(const std::vector<Args>& commands);
  KvdServer pipelined_server;
  KvdServer one_by_one_server;
  std::unique_ptr<RespClient> pipelined;
  std::unique_ptr<RespClient> one_by_one;
};
// The text of a simple-string reply, or "<unexpected ...>".
std::string Simple(RespClient& client, const Args& args);
// The text of a bulk reply, "<nil>" for a null reply, or "<unexpected ...>".
std::string Bulk(RespClient& client, const Args& args);
// An integer reply (INT64_MIN and a failed check otherwise).
int64_t Int(RespClient& client, const Args& args);
// The text of an error reply, or "<not an error: ...>".
std::string Err(RespClient& client, const Args& args);
// Array elements as text (ToString of each element); a non-array is one "<unexpected ...>" element.
std::vector<std::string> Strings(RespClient& client, const Args& args);
// Describes a reply for messages: "(integer) 1", "\"abc\"", ...
std::string Describe(const RespValue& value);

// The value of `field` in an INFO text ("" when absent).
std::string InfoField(const std::string& info, const std::string& field);
int64_t InfoInt(RespClient& client, const std::string& section, const std::string& field);

// A raw, non-blocking loopback socket with deadlines, for protocol abuse tests.
class RawConn {
 public:
  RawConn() = default;
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  // receive_buffer > 0 shrinks SO_RCVBUF first: a slow reader whose replies back up in the server.
  bool Connect(uint16_t port, int receive_buffer = 0);
  // Sends everything while also reading whatever the server answers (so a
  // server that writes replies never deadlocks against us). False on error or
  // timeout. With read_while_sending=false it never reads (a stuck client).
  bool Send(std::string_view bytes, std::chrono::milliseconds timeout = 60s, bool read_while_sending = true);
  // Parses the next reply, reading as needed; nullopt on EOF, error or timeout.
  std::optional<RespValue> ReadReply(std::chrono::milliseconds timeout = 30s);
  // Reads until the peer closes. `closed` tells whether it did before the deadline.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout, bool* closed);
  void ShutdownWrite();
  void Close();
  bool eof() const { return eof_; }
  // Unparsed bytes received so far.
  std::string_view pending() const { return std::string_view(buffer_).substr(consumed_); }

 private:
  // Reads what is available within the deadline; false on EOF/error/timeout.
  bool ReadSome(Clock::time_point deadline);

  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
  size_t consumed_ = 0;
};

// Runs a shell command (bounded by `timeout`) and returns its stdout and
// stderr; `status` gets the exit code.
std::string RunShell(const std::string& command, int* status);
// Whole-file read and write (binary); WriteFile fails the test if it cannot write.
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& bytes);
std::string ShellQuote(const std::string& text);

// Whether redis-cli is installed, and a way to run it against a port.
bool HaveRedisCli();
// Runs `redis-cli -h 127.0.0.1 -p PORT <args>` (args are shell-quoted) with
// optional stdin from `input_file`; returns its stdout and sets `status`.
std::string RunRedisCli(uint16_t port, const Args& args, int* status, const std::string& input_file = {});

}  // namespace kvdtest
