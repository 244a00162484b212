#include "common/logging.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace kvd {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kNotice};
std::mutex g_mutex;
FILE* g_out = nullptr;  // nullptr means stderr

char LevelMark(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return '.';
    case LogLevel::kVerbose: return '-';
    case LogLevel::kNotice: return '*';
    case LogLevel::kWarning: return '#';
  }
  return '?';
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "verbose") return LogLevel::kVerbose;
  if (name == "notice") return LogLevel::kNotice;
  if (name == "warning") return LogLevel::kWarning;
  return Status::InvalidArgument("log level must be one of debug, verbose, notice, warning");
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kVerbose: return "verbose";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kWarning: return "warning";
  }
  return "notice";
}

Status InitLogging(std::string_view level_name, const std::string& path) {
  auto level = ParseLogLevel(level_name);
  if (!level.ok()) return level.status();
  return InitLogging(*level, path);
}

Status InitLogging(LogLevel level, const std::string& path) {
  g_level = level;
  if (path.empty()) return Status::Ok();
  FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) return Status::IOError("cannot open log file " + path);
  std::lock_guard lock(g_mutex);
  if (g_out != nullptr) std::fclose(g_out);
  g_out = file;
  return Status::Ok();
}

void SetLogLevel(LogLevel level) { g_level = level; }
LogLevel CurrentLogLevel() { return g_level; }

void WriteLogLine(LogLevel level, std::string_view message) {
  // Redis's log line shape: "pid:role dd Mon yyyy hh:mm:ss.mmm * message".
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char stamp[64];
  std::strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S", &tm);
  std::lock_guard lock(g_mutex);
  FILE* out = g_out != nullptr ? g_out : stderr;
  std::fprintf(out, "%d:M %s.%03d %c %.*s\n", static_cast<int>(getpid()), stamp, static_cast<int>(millis),
               LevelMark(level), static_cast<int>(message.size()), message.data());
  std::fflush(out);
}

}  // namespace kvd
