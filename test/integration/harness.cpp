#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace kvdtest {
namespace {

constexpr auto kStartTimeout = 20s;
constexpr auto kStopTimeout = 20s;
// A single server process may live this long before the watchdog kills it.
constexpr auto kWatchdogBudget = 600s;

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(left, INT_MAX));
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "'";
}

std::string KvdBinary() {
  // KVD_TEST_BINARY runs the suite against another build of kvd.
  const char* other = std::getenv("KVD_TEST_BINARY");
  return other != nullptr && *other != '\0' ? other : KVD_BINARY;
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

TempDir::TempDir() {
  char pattern[] = "/tmp/kvd-it-XXXXXX";
  char* made = ::mkdtemp(pattern);
  REQUIRE(made != nullptr);
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

// ---------------------------------------------------------------------------

KvdServer::KvdServer(Args extra_args)
    : extra_args_(std::move(extra_args)), data_dir_(temp_.path() + "/data"), log_path_(temp_.path() + "/kvd.log") {
  watchdog_ = std::thread([this] { Watchdog(); });
}

std::unique_ptr<KvdServer> KvdServer::Sentinel(Args extra_args) {
  auto sentinel = std::make_unique<KvdServer>(std::move(extra_args));
  sentinel->role_ = "sentinel";
  return sentinel;
}

std::unique_ptr<KvdServer> KvdServer::Proxy(Args extra_args) {
  auto proxy = std::make_unique<KvdServer>(std::move(extra_args));
  proxy->role_ = "proxy";
  proxy->pass_dir_ = false;
  return proxy;
}

uint16_t KvdServer::AssignPort() {
  if (port_ == 0) port_ = FreePort();
  return port_;
}

KvdServer::~KvdServer() {
  Stop();
  {
    std::lock_guard lock(mutex_);
    exiting_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
}

void KvdServer::Watchdog() {
  std::unique_lock lock(mutex_);
  auto deadline = Clock::now() + kWatchdogBudget;
  cv_.wait_until(lock, deadline, [this] { return exiting_; });
  if (!exiting_ && pid_ > 0) {
    // The pid is ours and not reaped yet: reaping happens under mutex_.
    std::fprintf(stderr, "kvd integration watchdog: killing server pid %d after %lld s\n", static_cast<int>(pid_),
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(kWatchdogBudget).count()));
    ::kill(pid_, SIGKILL);
  }
}

bool KvdServer::ReapNoHang(int* code) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t got = ::waitpid(pid_, &status, WNOHANG);
  if (got == pid_ || (got < 0 && errno == ECHILD)) {
    if (code) *code = got == pid_ ? ExitCode(status) : -1;
    pid_ = -1;
    return true;
  }
  return false;
}

bool KvdServer::running() {
  std::lock_guard lock(mutex_);
  return !ReapNoHang(nullptr);
}

bool KvdServer::Start() {
  // The port comes from FreePort, so another process may grab it first: a
  // fresh server that dies at start-up gets a new port and another try.
  bool fresh = port_ == 0;
  for (int attempt = 0; attempt < (fresh ? 3 : 1); ++attempt) {
    if (fresh) port_ = FreePort();
    if (SpawnAndWait()) return true;
  }
  MESSAGE("kvd server did not start; its log:\n" << Log());
  return false;
}

bool KvdServer::SpawnAndWait() {
  Args argv_text = {KvdBinary(), role_, "--port", std::to_string(port_)};
  if (pass_dir_) argv_text.insert(argv_text.end(), {"--dir", data_dir_});
  argv_text.insert(argv_text.end(), {"--bind", "127.0.0.1"});
  argv_text.insert(argv_text.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // fork + exec rather than posix_spawn, for PR_SET_PDEATHSIG: if this test
  // binary dies (a crash, or a CTest timeout's SIGKILL) the server dies too
  // instead of lingering. Only async-signal-safe calls happen in the child.
  pid_t parent = ::getpid();
  const char* log_path = log_path_.c_str();
  pid_t child = ::fork();
  if (child < 0) {
    MESSAGE("fork: " << std::strerror(errno));
    return false;
  }
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    // Test sockets must not leak into the server (a leaked copy keeps a "closed" connection open).
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  {
    std::lock_guard lock(mutex_);
    pid_ = child;
  }

  std::optional<int> exit_code;
  bool answered = false;
  WaitFor(
      [&] {
        {
          std::lock_guard lock(mutex_);
          int code = 0;
          if (ReapNoHang(&code)) exit_code = code;
        }
        if (exit_code) return true;
        RespClient probe;
        answered = probe.Connect("127.0.0.1", port_).ok() && probe.Command({"PING"}).ok();
        return answered;
      },
      kStartTimeout);
  if (answered) return true;
  if (exit_code) {
    MESSAGE("kvd server exited during start-up with code " << *exit_code);
    return false;
  }
  MESSAGE("kvd server did not answer PING within the start deadline");
  Kill9();
  return false;
}

std::optional<int> KvdServer::WaitForExit(std::chrono::milliseconds timeout) {
  std::optional<int> result;
  WaitFor(
      [&] {
        std::lock_guard lock(mutex_);
        int code = -1;
        if (pid_ <= 0) return true;
        if (ReapNoHang(&code)) {
          result = code;
          return true;
        }
        return false;
      },
      timeout);
  return result;
}

int KvdServer::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
  }
  std::optional<int> code = WaitForExit(kStopTimeout);
  if (code) return *code;
  MESSAGE("kvd server ignored SIGTERM for the stop deadline; sending SIGKILL");
  Kill9();
  return 128 + SIGKILL;
}

void KvdServer::Kill9() {
  std::unique_lock lock(mutex_);
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);  // SIGKILL cannot be ignored: this returns promptly
  pid_ = -1;
}

std::string KvdServer::Log() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::unique_ptr<RespClient> KvdServer::Connect() {
  auto client = std::make_unique<RespClient>();
  auto status = client->Connect("127.0.0.1", port_);
  REQUIRE_MESSAGE(status.ok(), "connect to kvd on port " << port_ << ": " << status.message());
  return client;
}

ServerWithClient::ServerWithClient(Args extra_args) : server(std::move(extra_args)) {
  REQUIRE(server.Start());
  client = server.Connect();
}

// ---------------------------------------------------------------------------

std::string Describe(const RespValue& value) {
  using T = RespValue::Type;
  switch (value.type) {
    case T::kInteger: return "(integer) " + std::to_string(value.integer);
    case T::kBulk: return "\"" + value.str + "\"";
    case T::kSimple: return "+" + value.str;
    case T::kError: return "-" + value.str;
    default: return value.ToString();
  }
}

RespValue Call(RespClient& client, const Args& args) {
  auto reply = client.Command(args);
  std::string name = args.empty() ? "" : args[0];
  REQUIRE_MESSAGE(reply.ok(), "command " << name << " failed: " << reply.status().message());
  return std::move(reply).value();
}

PipelinedAgainstOneByOne::PipelinedAgainstOneByOne() {
  REQUIRE(pipelined_server.Start());
  REQUIRE(one_by_one_server.Start());
  pipelined = pipelined_server.Connect();
  one_by_one = one_by_one_server.Connect();
}

void PipelinedAgainstOneByOne::Check(const std::vector<Args>& commands) {
  std::string pipeline;
  for (const auto& command : commands) pipeline += kvd::protocol::EncodeCommand(command);
  REQUIRE(pipelined->SendRaw(pipeline).ok());
  for (const auto& command : commands) {
    auto got = pipelined->ReadReply();
    REQUIRE(got.ok());
    RespValue expected = Call(*one_by_one, command);
    CAPTURE(command[0]);
    REQUIRE(got->ToString() == expected.ToString());
  }
}

std::string Simple(RespClient& client, const Args& args) {
  RespValue value = Call(client, args);
  if (value.type == RespValue::Type::kSimple) return value.str;
  return "<unexpected " + Describe(value) + ">";
}

std::string Bulk(RespClient& client, const Args& args) {
  RespValue value = Call(client, args);
  if (value.type == RespValue::Type::kBulk || value.type == RespValue::Type::kVerbatim) return value.str;
  if (value.type == RespValue::Type::kNull) return "<nil>";
  return "<unexpected " + Describe(value) + ">";
}

int64_t Int(RespClient& client, const Args& args) {
  RespValue value = Call(client, args);
  if (value.type == RespValue::Type::kInteger) return value.integer;
  FAIL_CHECK("expected an integer reply to " << args[0] << ", got " << Describe(value));
  return INT64_MIN;
}

std::string Err(RespClient& client, const Args& args) {
  RespValue value = Call(client, args);
  if (value.type == RespValue::Type::kError) return value.str;
  return "<not an error: " + Describe(value) + ">";
}

std::vector<std::string> Strings(RespClient& client, const Args& args) {
  RespValue value = Call(client, args);
  if (value.type != RespValue::Type::kArray && value.type != RespValue::Type::kSet &&
      value.type != RespValue::Type::kMap) {
    return {"<unexpected " + Describe(value) + ">"};
  }
  std::vector<std::string> out;
  for (const auto& element : value.elements) out.push_back(element.ToString());
  return out;
}

std::string InfoField(const std::string& info, const std::string& field) {
  std::istringstream lines(info);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':') {
      return line.substr(field.size() + 1);
    }
  }
  return "";
}

int64_t InfoInt(RespClient& client, const std::string& section, const std::string& field) {
  std::string info = Bulk(client, {"INFO", section});
  std::string text = InfoField(info, field);
  if (text.empty()) {
    FAIL_CHECK("INFO " << section << " has no field " << field);
    return INT64_MIN;
  }
  return std::stoll(text);
}

// ---------------------------------------------------------------------------

RawConn::~RawConn() { Close(); }

void RawConn::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConn::Connect(uint16_t port, int receive_buffer) {
  Close();
  eof_ = false;
  buffer_.clear();
  consumed_ = 0;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    Close();
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  return true;
}

bool RawConn::ReadSome(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  while (true) {
    pollfd entry{fd_, POLLIN, 0};
    int ready = ::poll(&entry, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char chunk[65536];
    ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got > 0) {
      buffer_.append(chunk, static_cast<size_t>(got));
      return true;
    }
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    eof_ = true;  // orderly close or reset
    return false;
  }
}

bool RawConn::Send(std::string_view bytes, std::chrono::milliseconds timeout, bool read_while_sending) {
  auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    if (fd_ < 0) return false;
    pollfd entry{fd_, static_cast<short>(POLLOUT | (eof_ || !read_while_sending ? 0 : POLLIN)), 0};
    int ready = ::poll(&entry, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    if (entry.revents & POLLIN) {
      char chunk[65536];
      ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (got > 0) {
        buffer_.append(chunk, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        eof_ = true;
      }
    }
    if (entry.revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t wrote = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (wrote > 0) {
        sent += static_cast<size_t>(wrote);
      } else if (wrote < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
      }
    }
  }
  return true;
}

std::optional<RespValue> RawConn::ReadReply(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    RespValue value;
    auto used = kvd::protocol::ParseReply(std::string_view(buffer_).substr(consumed_), &value);
    if (!used.ok()) return std::nullopt;
    if (*used > 0) {
      consumed_ += *used;
      if (consumed_ > (1 << 20) && consumed_ * 2 > buffer_.size()) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
      }
      return value;
    }
    if (!ReadSome(deadline)) return std::nullopt;
  }
}

std::string RawConn::ReadUntilClosed(std::chrono::milliseconds timeout, bool* closed) {
  auto deadline = Clock::now() + timeout;
  while (!eof_ && ReadSome(deadline)) {
  }
  *closed = eof_;
  std::string data = buffer_.substr(consumed_);
  buffer_.clear();
  consumed_ = 0;
  return data;
}

void RawConn::ShutdownWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

// ---------------------------------------------------------------------------

bool HaveRedisCli() { return std::system("command -v redis-cli >/dev/null 2>&1") == 0; }

std::string RunRedisCli(uint16_t port, const Args& args, int* status, const std::string& input_file) {
  // `timeout` bounds a hung redis-cli; it only ever signals the redis-cli it started.
  std::string command = "redis-cli -h 127.0.0.1 -p " + std::to_string(port);
  for (const auto& arg : args) command += " " + ShellQuote(arg);
  if (!input_file.empty()) command += " < " + ShellQuote(input_file);
  return RunShell(command, status);
}

std::string RunShell(const std::string& command, int* status) {
  // `timeout` bounds a hung command; it only ever signals the process it started.
  std::string bounded = "timeout 120 sh -c " + ShellQuote(command) + " 2>&1";
  FILE* pipe = ::popen(bounded.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char chunk[4096];
  size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) output.append(chunk, got);
  int raw = ::pclose(pipe);
  *status = raw == -1 ? -1 : ExitCode(raw);
  return output;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

}  // namespace kvdtest
