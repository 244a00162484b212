#include "roles/server/monitor.h"

#include <cctype>
#include <cstdio>

#include "roles/server/client_registry.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

bool Redacted(const std::vector<std::string>& args, size_t index) {
  return index > 0 && (EqualsIgnoreCase(args[0], "AUTH") || EqualsIgnoreCase(args[0], "HELLO"));
}

// Redis's quoting of a monitored argument: printable bytes as they are,
// the usual escapes, \xHH for the rest.
void AppendQuoted(std::string* out, const std::string& arg) {
  out->push_back('"');
  for (unsigned char c : arg) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '"': *out += "\\\""; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\a': *out += "\\a"; break;
      case '\b': *out += "\\b"; break;
      default:
        if (std::isprint(c)) {
          out->push_back(static_cast<char>(c));
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", c);
          *out += hex;
        }
    }
  }
  out->push_back('"');
}

}  // namespace

std::string FormatMonitorLine(uint64_t unix_micros, int db, const std::string& address,
                              const std::vector<std::string>& args) {
  char stamp[48];
  std::snprintf(stamp, sizeof(stamp), "+%llu.%06llu [%d ", static_cast<unsigned long long>(unix_micros / 1000000),
                static_cast<unsigned long long>(unix_micros % 1000000), db);
  std::string line = stamp;
  line += address;
  line.push_back(']');
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    AppendQuoted(&line, Redacted(args, i) ? std::string("(redacted)") : args[i]);
  }
  line += "\r\n";
  return line;
}

void MonitorRegistry::Add(const std::shared_ptr<ClientState>& client) {
  std::lock_guard lock(mutex_);
  monitors_[client->id] = client;
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void MonitorRegistry::Remove(uint64_t client_id) {
  std::lock_guard lock(mutex_);
  monitors_.erase(client_id);
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void MonitorRegistry::Feed(const std::string& line) {
  std::lock_guard lock(mutex_);
  for (auto it = monitors_.begin(); it != monitors_.end();) {
    std::shared_ptr<ClientState> client = it->second.lock();
    if (client == nullptr) {  // closed without telling us
      it = monitors_.erase(it);
      continue;
    }
    client->Push(line);
    ++it;
  }
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

}  // namespace kvd::server
