// The longest common subsequence of two byte strings, as Redis's LCS command
// reports it: the subsequence, its length, and the runs of consecutive
// matching bytes, found by walking the dynamic-programming table back from
// the ends of both strings (so the last run comes first).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvd {

struct LcsRun {
  // Inclusive byte positions in the first and the second string.
  uint64_t a_start, a_end, b_start, b_end;
  uint64_t length() const { return a_end - a_start + 1; }
};

struct LcsResult {
  std::string sequence;
  std::vector<LcsRun> runs;
};

// Bytes of the table Lcs() builds for strings of these sizes: callers refuse
// what is too large before asking.
uint64_t LcsTableBytes(uint64_t a_size, uint64_t b_size);

LcsResult Lcs(std::string_view a, std::string_view b);

}  // namespace kvd
