#include "protocol/resp_value.h"

#include "common/numbers.h"

namespace kvd::protocol {
namespace {

constexpr size_t kIncomplete = 0;

Result<size_t> ParseAt(std::string_view input, size_t pos, RespValue* out, int depth);

Result<size_t> ParseAggregate(std::string_view input, size_t pos, int64_t count, RespValue* out, int depth) {
  out->elements.clear();
  out->elements.reserve(static_cast<size_t>(std::min<int64_t>(count, 4096)));
  for (int64_t i = 0; i < count; ++i) {
    RespValue element;
    Result<size_t> next = ParseAt(input, pos, &element, depth + 1);
    if (!next.ok() || *next == kIncomplete) return next;
    pos = *next;
    out->elements.push_back(std::move(element));
  }
  return pos;
}

// Returns the position after the value, kIncomplete, or an error.
Result<size_t> ParseAt(std::string_view input, size_t pos, RespValue* out, int depth) {
  if (depth > 64) return Status::Corruption("reply nested too deeply");
  size_t end = input.find("\r\n", pos);
  if (end == std::string_view::npos) return kIncomplete;
  char marker = input[pos];
  std::string_view line = input.substr(pos + 1, end - pos - 1);
  size_t after = end + 2;
  int64_t number = 0;
  auto need_number = [&]() { return ParseInt64(line, &number); };
  using T = RespValue::Type;
  switch (marker) {
    case '+': out->type = T::kSimple; out->str = line; return after;
    case '-': out->type = T::kError; out->str = line; return after;
    case ',': out->type = T::kDouble; out->str = line; return after;
    case '_': out->type = T::kNull; return after;
    case '#': out->type = T::kBoolean; out->integer = line == "t" ? 1 : 0; return after;
    case ':':
    case '(':
      if (!need_number()) return Status::Corruption("bad integer in reply");
      out->type = T::kInteger;
      out->integer = number;
      return after;
    case '$':
    case '=':
    case '!': {
      if (!need_number()) return Status::Corruption("bad bulk length in reply");
      if (number < 0) {
        out->type = T::kNull;
        return after;
      }
      if (input.size() - after < static_cast<size_t>(number) + 2) return kIncomplete;
      out->type = marker == '!' ? T::kError : marker == '=' ? T::kVerbatim : T::kBulk;
      out->str.assign(input.data() + after, static_cast<size_t>(number));
      if (marker == '=' && out->str.size() >= 4) out->str.erase(0, 4);
      return after + static_cast<size_t>(number) + 2;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      if (!need_number()) return Status::Corruption("bad aggregate length in reply");
      if (number < 0) {
        out->type = T::kNull;
        return after;
      }
      if (marker == '%' && number > INT64_MAX / 2) return Status::Corruption("bad aggregate length in reply");
      out->type = marker == '*' ? T::kArray : marker == '~' ? T::kSet : marker == '>' ? T::kPush : T::kMap;
      return ParseAggregate(input, after, marker == '%' ? number * 2 : number, out, depth);
    }
    default:
      return Status::Corruption(std::string("unexpected reply type byte '") + marker + "'");
  }
}

}  // namespace

Result<size_t> ParseReply(std::string_view input, RespValue* out) {
  if (input.empty()) return kIncomplete;
  return ParseAt(input, 0, out, 0);
}

std::string RespValue::ToString() const {
  using T = RespValue::Type;
  switch (type) {
    case T::kSimple:
    case T::kBulk:
    case T::kDouble:
    case T::kVerbatim: return str;
    case T::kError: return "(error) " + str;
    case T::kInteger:
    case T::kBoolean: return FormatInt64(integer);
    case T::kNull: return "(nil)";
    default: {
      std::string text = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) text += ", ";
        text += elements[i].ToString();
      }
      return text + "]";
    }
  }
}

}  // namespace kvd::protocol
