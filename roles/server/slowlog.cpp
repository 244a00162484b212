#include "roles/server/slowlog.h"

#include <algorithm>

#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {
constexpr size_t kMaxArgs = 32;
constexpr size_t kMaxArgBytes = 128;

bool IsPassword(const std::vector<std::string>& args, size_t index) {
  if (index == 0) return false;
  if (EqualsIgnoreCase(args[0], "AUTH")) return true;
  if (!EqualsIgnoreCase(args[0], "HELLO")) return false;
  // HELLO [protover [AUTH username password] [SETNAME clientname]]
  for (size_t i = 2; i + 2 < args.size() && i < index; ++i) {
    if (EqualsIgnoreCase(args[i], "AUTH") && (index == i + 1 || index == i + 2)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> LoggedArgs(const std::vector<std::string>& args) {
  size_t kept = std::min(args.size(), kMaxArgs);
  std::vector<std::string> shortened;
  shortened.reserve(kept);
  for (size_t i = 0; i < kept; ++i) {
    if (kept != args.size() && i == kept - 1) {
      shortened.push_back("... (" + std::to_string(args.size() - kept + 1) + " more arguments)");
      break;
    }
    const std::string& arg = IsPassword(args, i) ? "(redacted)" : args[i];
    if (arg.size() <= kMaxArgBytes) {
      shortened.push_back(arg);
    } else {
      shortened.push_back(arg.substr(0, kMaxArgBytes) + "... (" + std::to_string(arg.size() - kMaxArgBytes) +
                          " more bytes)");
    }
  }
  return shortened;
}

void SlowLog::Configure(int64_t slower_than_micros, int64_t max_len) {
  threshold_ = slower_than_micros;
  std::lock_guard lock(mutex_);
  max_len_ = static_cast<size_t>(std::max<int64_t>(max_len, 0));
  while (entries_.size() > max_len_) entries_.pop_back();
}

void SlowLog::Add(uint64_t micros, const std::vector<std::string>& args, std::string client_addr,
                  std::string client_name, uint64_t unix_seconds) {
  SlowLogEntry entry{0, unix_seconds, micros, LoggedArgs(args), std::move(client_addr), std::move(client_name)};
  std::lock_guard lock(mutex_);
  entry.id = next_id_++;
  entries_.push_front(std::move(entry));
  while (entries_.size() > max_len_) entries_.pop_back();
}

std::vector<SlowLogEntry> SlowLog::Latest(size_t count) const {
  std::lock_guard lock(mutex_);
  size_t n = std::min(count, entries_.size());
  return std::vector<SlowLogEntry>(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n));
}

size_t SlowLog::Length() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void SlowLog::Reset() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace kvd::server
