#include "roles/server/command_stats.h"

#include <algorithm>
#include <bit>

namespace kvd::server {
namespace {

// The only writer of a counter adds without a locked instruction.
void Bump(std::atomic<uint64_t>& counter, uint64_t amount) {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

// Redis keeps at most this many distinct error codes; later ones count only in the total.
constexpr size_t kMaxErrorCodes = 128;

std::atomic<uint64_t> g_next_id{1};

}  // namespace

CommandStats::CommandStats(size_t command_count)
    : id_(g_next_id.fetch_add(1)), command_count_(command_count), baseline_(command_count) {}

CommandStats::Block& CommandStats::ThisThreadsBlock() {
  thread_local uint64_t owner = 0;
  thread_local Block* block = nullptr;
  if (owner != id_) {
    std::lock_guard lock(blocks_mutex_);
    blocks_.push_back(std::make_unique<Block>(command_count_));
    block = blocks_.back().get();
    owner = id_;
  }
  return *block;
}

size_t CommandStats::BucketOf(uint64_t micros) {
  size_t bucket = micros <= 1 ? 0 : static_cast<size_t>(std::bit_width(micros - 1));
  return std::min(bucket, kLatencyBuckets - 1);
}

void CommandStats::Ran(size_t index, uint64_t micros, bool failed) {
  Counters& counters = ThisThreadsBlock().commands[index];
  Bump(counters.calls, 1);
  Bump(counters.micros, micros);
  Bump(counters.buckets[BucketOf(micros)], 1);
  if (failed) Bump(counters.failed, 1);
}

void CommandStats::Rejected(size_t index) { Bump(ThisThreadsBlock().commands[index].rejected, 1); }

void CommandStats::ErrorReplied(std::string_view error) {
  std::string_view code = error.substr(0, error.find_first_of(" \r\n"));
  Block& block = ThisThreadsBlock();
  std::lock_guard lock(block.errors_mutex);
  ++block.total_errors;
  auto it = block.errors.find(code);
  if (it != block.errors.end()) {
    ++it->second;
  } else if (block.errors.size() < kMaxErrorCodes) {
    block.errors.emplace(std::string(code), 1);
  }
}

std::vector<CommandStats::Totals> CommandStats::RawSums() const {
  std::vector<Totals> sums(command_count_);
  for (const auto& block : blocks_) {
    for (size_t i = 0; i < command_count_; ++i) {
      const Counters& counters = block->commands[i];
      sums[i].calls += counters.calls.load(std::memory_order_relaxed);
      sums[i].micros += counters.micros.load(std::memory_order_relaxed);
      sums[i].rejected += counters.rejected.load(std::memory_order_relaxed);
      sums[i].failed += counters.failed.load(std::memory_order_relaxed);
      for (size_t b = 0; b < kLatencyBuckets; ++b) sums[i].buckets[b] += counters.buckets[b].load(std::memory_order_relaxed);
    }
  }
  return sums;
}

std::vector<CommandStats::Totals> CommandStats::Commands() const {
  std::lock_guard lock(blocks_mutex_);
  std::vector<Totals> sums = RawSums();
  for (size_t i = 0; i < command_count_; ++i) {
    sums[i].calls -= baseline_[i].calls;
    sums[i].micros -= baseline_[i].micros;
    sums[i].rejected -= baseline_[i].rejected;
    sums[i].failed -= baseline_[i].failed;
    for (size_t b = 0; b < kLatencyBuckets; ++b) sums[i].buckets[b] -= baseline_[i].buckets[b];
  }
  return sums;
}

std::map<std::string, uint64_t> CommandStats::Errors() const {
  std::lock_guard lock(blocks_mutex_);
  std::map<std::string, uint64_t> errors;
  for (const auto& block : blocks_) {
    std::lock_guard block_lock(block->errors_mutex);
    for (const auto& [code, count] : block->errors) errors[code] += count;
  }
  return errors;
}

uint64_t CommandStats::TotalErrorReplies() const {
  std::lock_guard lock(blocks_mutex_);
  uint64_t total = 0;
  for (const auto& block : blocks_) {
    std::lock_guard block_lock(block->errors_mutex);
    total += block->total_errors;
  }
  return total;
}

void CommandStats::Reset() {
  std::lock_guard lock(blocks_mutex_);
  baseline_ = RawSums();
  for (const auto& block : blocks_) {
    std::lock_guard block_lock(block->errors_mutex);
    block->errors.clear();
    block->total_errors = 0;
  }
}

}  // namespace kvd::server
