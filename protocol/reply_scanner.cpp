#include "protocol/reply_scanner.h"

#include <charconv>

namespace kvd::protocol {

namespace {
constexpr size_t kMaxLine = 64 * 1024;
constexpr int64_t kMaxBulk = 512LL * 1024 * 1024;
constexpr int64_t kMaxElements = 1LL << 32;
}  // namespace

bool ReplyScanner::ElementDone() {
  while (!pending_.empty()) {
    if (--pending_.back() > 0) return false;
    pending_.pop_back();  // that aggregate is complete: one element of its parent
  }
  return true;
}

Result<size_t> ReplyScanner::Scan(std::string_view input) {
  while (true) {
    size_t line_end = input.find("\r\n", offset_);
    if (line_end == std::string_view::npos) {
      if (input.size() - offset_ > kMaxLine) return Status::InvalidArgument("reply line too long");
      return size_t{0};
    }
    char type = input[offset_];
    std::string_view text = input.substr(offset_ + 1, line_end - offset_ - 1);
    size_t next = line_end + 2;
    int64_t number = 0;
    bool numeric = type == '$' || type == '=' || type == '!' || type == '*' || type == '~' || type == '>' ||
                   type == '%' || type == '|';
    if (numeric) {
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (error != std::errc() || end != text.data() + text.size() || number < -1) {
        return Status::InvalidArgument("bad length in a reply");
      }
    }
    bool element_done = true;
    switch (type) {
      case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        break;
      case '$': case '=': case '!':
        if (number > kMaxBulk) return Status::InvalidArgument("bulk reply too large");
        if (number >= 0) {
          if (input.size() < next + static_cast<size_t>(number) + 2) return size_t{0};
          next += static_cast<size_t>(number) + 2;
        }
        break;
      case '*': case '~': case '>': case '%': case '|': {
        if (number > kMaxElements) return Status::InvalidArgument("aggregate reply too large");
        int64_t elements = (type == '%' || type == '|') ? number * 2 : number;
        if (type == '|') elements += 1;  // an attribute precedes the reply it describes
        if (elements > 0) {
          pending_.push_back(elements);
          element_done = false;
        }
        break;
      }
      default:
        return Status::InvalidArgument(std::string("unknown reply type '") + type + "'");
    }
    offset_ = next;
    if (element_done && ElementDone()) {
      size_t length = offset_;
      offset_ = 0;
      return length;
    }
  }
}

}  // namespace kvd::protocol
