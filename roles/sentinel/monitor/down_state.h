// Whether a monitored instance is down: subjectively (this sentinel's own
// view) and objectively (enough sentinels agree). Time is always passed in, so
// the rules are testable without clocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace kvd::sentinel {

// Subjective down: no valid reply for longer than down_after_ms, counted from
// the last valid reply, or from when monitoring started if there was none.
//
// Only valid replies reset the clock. A failure (no reply, an error reply, a
// timeout) does not by itself make an instance down: one lost reply must not
// trigger a failover, only silence that lasts down_after_ms does. Failures are
// counted for logging.
//
// Times may arrive out of order (replies handled late): the clock keeps the
// newest valid reply, and a `now` earlier than it counts as no time elapsed.
class DownState {
 public:
  explicit DownState(uint64_t monitoring_started_ms) : last_valid_reply_ms_(monitoring_started_ms) {}

  void OnValidReply(uint64_t now_ms);
  void OnFailure(uint64_t now_ms);

  // Strictly longer than down_after_ms, as Redis Sentinel counts.
  bool SubjectivelyDown(uint64_t now_ms, uint64_t down_after_ms) const;

  uint64_t SilentForMs(uint64_t now_ms) const;
  uint64_t last_valid_reply_ms() const { return last_valid_reply_ms_; }
  uint64_t failures_since_valid_reply() const { return failures_since_valid_reply_; }
  std::optional<uint64_t> last_failure_ms() const { return last_failure_ms_; }

 private:
  uint64_t last_valid_reply_ms_;
  uint64_t failures_since_valid_reply_ = 0;
  std::optional<uint64_t> last_failure_ms_;
};

// At least `quorum` sentinels (this one included) see the master subjectively
// down. A quorum of 0 is treated as 1: a master is never objectively down
// while nobody, not even this sentinel, says so.
bool ObjectivelyDown(size_t down_votes, size_t quorum);

// A majority of `sentinels`: with it, two disjoint groups of sentinels can
// never both declare the same master down. 1 for 0 or 1 sentinel.
size_t DefaultQuorum(size_t sentinels);

}  // namespace kvd::sentinel
