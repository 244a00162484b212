// Finds where each complete RESP reply ends in a byte stream, without
// decoding it and without stepping over the same bytes twice: a proxy
// forwards replies as they came, and a large one (an LRANGE of a million
// elements) arrives over many reads. RESP2 and RESP3 types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kvd::protocol {

class ReplyScanner {
 public:
  // `input` holds the unconsumed bytes: what the last call saw plus more.
  // Returns the length of the first complete reply (the caller consumes it,
  // and the next call starts after it), 0 while it is incomplete, or an
  // error for bytes that are not RESP.
  Result<size_t> Scan(std::string_view input);
  // Forgets a partly scanned reply (the stream was dropped).
  void Reset() {
    offset_ = 0;
    pending_.clear();
  }

 private:
  // One element complete: closes the aggregates it completes; true when the whole reply is.
  bool ElementDone();

  size_t offset_ = 0;              // bytes of the current reply already stepped over
  std::vector<int64_t> pending_;   // elements still due at each open aggregate
};

}  // namespace kvd::protocol
