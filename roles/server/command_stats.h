// Per-command counters for INFO commandstats and errorstats, as Redis keeps
// them: calls, microseconds, calls refused before running (rejected) and
// calls that answered an error (failed), and error replies by their code.
//
// Each io thread counts in a block of its own with plain stores (one writer
// per block, no lock prefix on the path every command takes); INFO adds the
// blocks up. CONFIG RESETSTAT keeps the sums as a baseline that later sums
// subtract, so it never races a writer.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::server {

class CommandStats {
 public:
  explicit CommandStats(size_t command_count);

  // Command `index` (its position in the command table) ran for `micros`.
  void Ran(size_t index, uint64_t micros, bool failed);
  // Command `index` was refused before it ran (arity, NOAUTH, READONLY...).
  void Rejected(size_t index);
  // An error reply: `error` is its text without the '-'; its code is the first word.
  void ErrorReplied(std::string_view error);

  // LATENCY HISTOGRAM's buckets: bucket b counts calls of at most 2^b
  // microseconds (and more than 2^(b-1)).
  static constexpr size_t kLatencyBuckets = 40;
  static size_t BucketOf(uint64_t micros);

  struct Totals {
    uint64_t calls = 0;
    uint64_t micros = 0;
    uint64_t rejected = 0;
    uint64_t failed = 0;
    std::array<uint64_t, kLatencyBuckets> buckets{};
  };
  // Indexed like the command table, since the last Reset.
  std::vector<Totals> Commands() const;
  // Error code -> count, since the last Reset.
  std::map<std::string, uint64_t> Errors() const;
  uint64_t TotalErrorReplies() const;
  void Reset();

 private:
  struct Counters {
    std::atomic<uint64_t> calls{0}, micros{0}, rejected{0}, failed{0};
    std::array<std::atomic<uint64_t>, kLatencyBuckets> buckets{};
  };
  struct Block {
    explicit Block(size_t count) : commands(count) {}
    std::vector<Counters> commands;
    std::mutex errors_mutex;                  // taken by the owner on an error, and by readers
    std::map<std::string, uint64_t, std::less<>> errors;  // guarded by errors_mutex
    uint64_t total_errors = 0;                // guarded by errors_mutex
  };
  Block& ThisThreadsBlock();
  std::vector<Totals> RawSums() const;

  uint64_t id_;  // tells this instance's thread-local blocks from an earlier one's at the same address
  size_t command_count_;
  mutable std::mutex blocks_mutex_;
  std::vector<std::unique_ptr<Block>> blocks_;  // guarded by blocks_mutex_; never shrinks
  std::vector<Totals> baseline_;                // guarded by blocks_mutex_
};

}  // namespace kvd::server
