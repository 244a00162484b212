#include "protocol/resp_parser.h"

#include <cctype>

#include "common/numbers.h"

namespace kvd::protocol {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char UnescapeChar(char c) {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
  }
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* args) {
  size_t i = 0;
  while (true) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) return true;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (i >= line.size()) return false;
        if (line[i] == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          current.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < line.size()) {
          current.push_back(UnescapeChar(line[++i]));
        } else if (line[i] == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < line.size() && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          done = true;
        } else {
          current.push_back(line[i]);
        }
      } else if (in_single) {
        if (i >= line.size()) return false;
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
          current.push_back('\'');
          ++i;
        } else if (line[i] == '\'') {
          if (i + 1 < line.size() && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          done = true;
        } else {
          current.push_back(line[i]);
        }
      } else {
        if (i >= line.size()) break;
        char c = line[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
          done = true;
        } else if (c == '"') {
          in_double = true;
        } else if (c == '\'') {
          in_single = true;
        } else {
          current.push_back(c);
        }
      }
      if (i < line.size()) ++i;
    }
    args->push_back(std::move(current));
  }
}

RequestParser::Outcome RequestParser::Fail(std::string message) {
  error_ = "Protocol error: " + std::move(message);
  pending_args_ = -1;
  return {State::kError, 0};
}

RequestParser::Outcome RequestParser::Parse(std::string_view input) {
  // An empty inline line or "*0" is consumed without yielding a command. Go on
  // with the rest of the input, so that kNeedMore always means "no complete
  // command left": a caller that stops reading on kNeedMore must not leave a
  // pipelined command behind in its buffer until more bytes arrive.
  size_t skipped = 0;
  while (true) {
    std::string_view rest = input.substr(skipped);
    Outcome outcome{State::kNeedMore, 0};
    if (pending_args_ < 0) {
      args_.clear();
      if (rest.empty()) return {State::kNeedMore, skipped};
      outcome = rest[0] != '*' ? ParseInline(rest) : ParseMultibulk(rest);
    } else {
      outcome = ParseMultibulk(rest);
    }
    if (outcome.state == State::kNeedMore && outcome.consumed > 0 && pending_args_ < 0) {
      skipped += outcome.consumed;
      continue;
    }
    outcome.consumed += skipped;
    return outcome;
  }
}

RequestParser::Outcome RequestParser::ParseInline(std::string_view input) {
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    if (input.size() > limits_.max_inline_len) return Fail("too big inline request");
    return {State::kNeedMore, 0};
  }
  std::string_view line = input.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!SplitInlineArgs(line, &args_)) return Fail("unbalanced quotes in request");
  // An empty line is not a command (telnet users press enter); consume it.
  return {args_.empty() ? State::kNeedMore : State::kCommand, newline + 1};
}

namespace {
// The header line every client sends: a type byte, a length in plain digits
// (no sign, no leading zero, at most 18 digits so it cannot overflow) and
// CRLF. Anything else, or a line not complete yet, returns false and goes the
// general way (ParseInt64), which decides between an error and "need more".
bool ReadPlainLength(std::string_view input, size_t type_at, int64_t* value, size_t* line_end) {
  constexpr size_t kMaxDigits = 18;
  size_t first = type_at + 1;
  if (first >= input.size() || input[first] < '0' || input[first] > '9') return false;
  int64_t parsed = input[first] - '0';
  size_t at = first + 1;
  if (parsed != 0) {
    while (at < input.size() && at - first < kMaxDigits && input[at] >= '0' && input[at] <= '9') {
      parsed = parsed * 10 + (input[at] - '0');
      ++at;
    }
  }
  if (at + 1 >= input.size() || input[at] != '\r' || input[at + 1] != '\n') return false;
  *value = parsed;
  *line_end = at + 2;
  return true;
}
}  // namespace

RequestParser::Outcome RequestParser::ParseMultibulk(std::string_view input) {
  size_t pos = 0;
  auto read_header = [&](char* kind, int64_t* value, const char* too_big) -> int {
    // Returns 1 when a header line was read, 0 when more bytes are needed, -1 on error.
    if (size_t line_end = 0; ReadPlainLength(input, pos, value, &line_end)) {
      *kind = input[pos];
      pos = line_end;
      return 1;
    }
    size_t end = input.find("\r\n", pos);
    if (end == std::string_view::npos) {
      if (input.size() - pos > limits_.max_inline_len) {
        Fail(too_big);
        return -1;
      }
      return 0;
    }
    *kind = input[pos];
    if (!ParseInt64(input.substr(pos + 1, end - pos - 1), value)) *value = INT64_MIN;
    pos = end + 2;
    return 1;
  };

  if (pending_args_ < 0) {
    char kind = 0;
    int64_t count = 0;
    int got = read_header(&kind, &count, "too big mbulk count string");
    if (got < 0) return {State::kError, 0};
    if (got == 0) return {State::kNeedMore, 0};
    if (count == INT64_MIN || count > limits_.max_multibulk_len) return Fail("invalid multibulk length");
    if (count <= 0) return {State::kNeedMore, pos};  // "*0" and "*-1" are ignored, as in Redis
    pending_args_ = count;
    args_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
  }

  while (pending_args_ > 0) {
    size_t header_start = pos;
    if (pos >= input.size()) return {State::kNeedMore, pos};
    char kind = 0;
    int64_t length = 0;
    int got = read_header(&kind, &length, "too big bulk count string");
    if (got < 0) return {State::kError, 0};
    if (got == 0) return {State::kNeedMore, header_start};
    // Checked once the header's line is complete, as Redis does: a request cut
    // short and followed by another waits for the rest instead of failing.
    if (kind != '$') return Fail(std::string("expected '$', got '") + kind + "'");
    if (length == INT64_MIN || length < 0 || length > limits_.max_bulk_len) return Fail("invalid bulk length");
    size_t needed = static_cast<size_t>(length) + 2;
    if (input.size() - pos < needed) {
      pos = header_start;  // re-read this header when the whole bulk is here
      return {State::kNeedMore, pos};
    }
    args_.emplace_back(input.data() + pos, static_cast<size_t>(length));
    pos += needed;
    --pending_args_;
  }
  pending_args_ = -1;
  return {State::kCommand, pos};
}

}  // namespace kvd::protocol
