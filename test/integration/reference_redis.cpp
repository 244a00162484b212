#include "reference_redis.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace kvdtest {

std::string Exact(const RespValue& value) {
  using T = RespValue::Type;
  switch (value.type) {
    case T::kInteger: return ":" + std::to_string(value.integer);
    case T::kBulk: return "\"" + value.str + "\"";
    case T::kDouble: return "," + value.str;
    case T::kSimple: return "+" + value.str;
    case T::kError: return "-" + value.str;
    case T::kNull: return "nil";
    default: {
      std::string text = value.type == T::kSet ? "~[" : value.type == T::kMap ? "%[" : "[";
      for (size_t i = 0; i < value.elements.size(); ++i) text += (i > 0 ? ", " : "") + Exact(value.elements[i]);
      return text + "]";
    }
  }
}

std::string ExactCall(RespClient& client, const Args& args) { return Exact(Call(client, args)); }

std::string Joined(const Args& args) {
  std::string text;
  for (const auto& arg : args) text += (text.empty() ? "" : " ") + arg;
  return text;
}

SideBySide::SideBySide() {
  if (!redis_.Start()) {
    MESSAGE("redis-server is not installed; skipping the comparison");
    return;
  }
  reference_ = redis_.Connect();
  REQUIRE(reference_ != nullptr);
  kvd_ = std::make_unique<ServerWithClient>();
}

void CompareWithReference(RespClient& reference, RespClient& kvd, const RandomComparison& comparison) {
  auto comparable = [&](const Args& command, const RespValue& reply) {
    return comparison.comparable ? comparison.comparable(command, reply) : Exact(reply);
  };
  int mismatches = 0;
  for (int step = 0; step < comparison.steps && mismatches < 5; ++step) {
    if (comparison.before_step) comparison.before_step(step);
    Args command = comparison.next_command();
    std::string expected = comparable(command, Call(reference, command));
    std::string got = comparable(command, Call(kvd, command));
    if (got != expected) {
      ++mismatches;
      FAIL_CHECK("step " << step << ": " << Joined(command) << "\n  redis: " << expected << "\n  kvd:   " << got);
    }
  }
}

ReferenceRedis::~ReferenceRedis() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

void ReferenceRedis::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool ReferenceRedis::Restart(Args extra_args) {
  extra_args_ = std::move(extra_args);
  return Start();
}

bool ReferenceRedis::Start() {
  const char* binary = "/usr/bin/redis-server";
  if (::access(binary, X_OK) != 0) return false;
  if (port_ == 0) port_ = FreePort();
  Args argv_text = {binary, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", dir_.path()};
  argv_text.insert(argv_text.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  int spawned = ::posix_spawn(&pid_, binary, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    pid_ = -1;
    return false;
  }
  return WaitFor([&] { return Connect() != nullptr; }, 10s);
}

std::unique_ptr<RespClient> ReferenceRedis::Connect() {
  auto client = std::make_unique<RespClient>();
  if (!client->Connect("127.0.0.1", port_).ok() || !client->Command({"PING"}).ok()) return nullptr;
  return client;
}

}  // namespace kvdtest
