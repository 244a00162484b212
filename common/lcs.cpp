#include "common/lcs.h"

#include <algorithm>
#include <optional>

namespace kvd {

uint64_t LcsTableBytes(uint64_t a_size, uint64_t b_size) {
  return (a_size + 1) * (b_size + 1) * sizeof(uint32_t);
}

LcsResult Lcs(std::string_view a, std::string_view b) {
  const size_t columns = b.size() + 1;
  // table[i * columns + j]: LCS length of a's first i bytes and b's first j bytes.
  std::vector<uint32_t> table((a.size() + 1) * columns, 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return table[i * columns + j]; };
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }

  LcsResult result;
  size_t unfilled = at(a.size(), b.size());
  result.sequence.resize(unfilled);
  std::optional<LcsRun> run;  // the run being extended backwards
  auto end_run = [&] {
    if (run) result.runs.push_back(*run);
    run.reset();
  };
  size_t i = a.size(), j = b.size();
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      result.sequence[--unfilled] = a[i - 1];
      --i;
      --j;
      // A match right after a match always continues the run: a mismatch in between ends it.
      if (run) {
        run->a_start = i;
        run->b_start = j;
      } else {
        run = LcsRun{i, i, j, j};
      }
      if (i == 0 || j == 0) end_run();
    } else {
      // Towards the larger sub-problem; on a tie, shorten b (as Redis does).
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      end_run();
    }
  }
  return result;
}

}  // namespace kvd
