// Incremental RESP request parser: no I/O, no allocation beyond the argument
// vector. Feed it whatever bytes have arrived; it consumes complete pieces and
// keeps its place across calls, so a large multibulk is never re-scanned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::protocol {

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;   // proto-max-bulk-len
  int64_t max_multibulk_len = 1024LL * 1024 * 1024;
  size_t max_inline_len = 64 * 1024;            // also caps a "*N" / "$N" header line
};

class RequestParser {
 public:
  enum class State { kCommand, kNeedMore, kError };
  struct Outcome {
    State state;
    size_t consumed;  // bytes of the input used; the caller drops them
  };

  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses at most one command. On kCommand, args() holds it until the next
  // call. On kError, error() holds Redis's "Protocol error: ..." text and the
  // connection should be answered and closed.
  Outcome Parse(std::string_view input);

  std::vector<std::string>& args() { return args_; }
  const std::string& error() const { return error_; }
  // True while a command is partly read (its bytes were consumed already).
  bool InsideCommand() const { return pending_args_ >= 0; }
  void set_limits(ParserLimits limits) { limits_ = limits; }

 private:
  Outcome ParseInline(std::string_view input);
  Outcome ParseMultibulk(std::string_view input);
  Outcome Fail(std::string message);

  ParserLimits limits_;
  std::vector<std::string> args_;
  int64_t pending_args_ = -1;  // args still to read in the current multibulk; -1 = none
  std::string error_;
};

// Splits an inline command line as redis-cli and telnet users type it:
// whitespace separated, "double quotes" with \n \r \t \b \a \\ \" \xHH escapes,
// 'single quotes' with \'. Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* args);

}  // namespace kvd::protocol
