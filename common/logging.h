// A small leveled logger shared by every role. Thread-safe; writes whole lines.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kvd {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Accepts Redis's level names: debug, verbose, notice, warning.
Result<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

// An empty path logs to stderr.
Status InitLogging(LogLevel level, const std::string& path);
// The same with the level by name (a role's --loglevel): an unknown name is an error.
Status InitLogging(std::string_view level_name, const std::string& path);
void SetLogLevel(LogLevel level);
LogLevel CurrentLogLevel();
void WriteLogLine(LogLevel level, std::string_view message);

namespace detail {
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine() { WriteLogLine(level_, stream_.str()); }
  template <typename T>
  LogLine& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace detail

}  // namespace kvd

// A for-statement rather than if/else so the macro is safe inside an unbraced if.
#define KVD_LOG(level)                                                                          \
  for (bool kvd_log_once_ = ::kvd::LogLevel::level >= ::kvd::CurrentLogLevel(); kvd_log_once_; \
       kvd_log_once_ = false)                                                                   \
  ::kvd::detail::LogLine(::kvd::LogLevel::level)
