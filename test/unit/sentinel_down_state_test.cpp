// Subjective down per instance (time passed in), objective down and the
// default quorum.
#include <doctest/doctest.h>

#include "roles/sentinel/monitor/down_state.h"

namespace kvd::sentinel {
namespace {

constexpr uint64_t kStart = 1'700'000'000'000;  // a wall-clock-like ms value
constexpr uint64_t kDownAfter = 30000;

TEST_SUITE("sentinel down state") {
  TEST_CASE("sentinel sdown: counted from the start of monitoring when nothing ever answered") {
    DownState state(kStart);
    CHECK_FALSE(state.SubjectivelyDown(kStart, kDownAfter));
    CHECK_FALSE(state.SubjectivelyDown(kStart + kDownAfter, kDownAfter));  // exactly the limit: not yet
    CHECK(state.SubjectivelyDown(kStart + kDownAfter + 1, kDownAfter));
  }

  TEST_CASE("sentinel sdown: a valid reply resets the clock and ends the down state") {
    DownState state(kStart);
    CHECK(state.SubjectivelyDown(kStart + 40000, kDownAfter));
    state.OnValidReply(kStart + 40000);
    CHECK_FALSE(state.SubjectivelyDown(kStart + 40000, kDownAfter));
    CHECK_FALSE(state.SubjectivelyDown(kStart + 40000 + kDownAfter, kDownAfter));
    CHECK(state.SubjectivelyDown(kStart + 40000 + kDownAfter + 1, kDownAfter));
    CHECK(state.last_valid_reply_ms() == kStart + 40000);
  }

  TEST_CASE("sentinel sdown: failures alone do not make an instance down before the time") {
    DownState state(kStart);
    state.OnValidReply(kStart + 1000);
    for (uint64_t t = 2000; t <= 20000; t += 1000) state.OnFailure(kStart + t);
    CHECK(state.failures_since_valid_reply() == 19);
    CHECK(state.last_failure_ms() == std::optional<uint64_t>(kStart + 20000));
    CHECK_FALSE(state.SubjectivelyDown(kStart + 20000, kDownAfter));
    CHECK(state.SubjectivelyDown(kStart + 1000 + kDownAfter + 1, kDownAfter));
    state.OnValidReply(kStart + 40000);
    CHECK(state.failures_since_valid_reply() == 0);
  }

  TEST_CASE("sentinel sdown: a late reply with an older time does not move the clock back") {
    DownState state(kStart);
    state.OnValidReply(kStart + 50000);
    state.OnValidReply(kStart + 10000);
    CHECK(state.last_valid_reply_ms() == kStart + 50000);
    CHECK_FALSE(state.SubjectivelyDown(kStart + 50000 + kDownAfter, kDownAfter));
  }

  TEST_CASE("sentinel sdown: a now before the last reply counts as no time elapsed") {
    DownState state(kStart);
    state.OnValidReply(kStart + 5000);
    CHECK(state.SilentForMs(kStart) == 0);
    CHECK_FALSE(state.SubjectivelyDown(kStart, 0));
  }

  TEST_CASE("sentinel sdown: down_after 0 means down after any silence") {
    DownState state(kStart);
    CHECK_FALSE(state.SubjectivelyDown(kStart, 0));
    CHECK(state.SubjectivelyDown(kStart + 1, 0));
  }

  TEST_CASE("sentinel odown: votes against the quorum") {
    CHECK_FALSE(ObjectivelyDown(0, 2));
    CHECK_FALSE(ObjectivelyDown(1, 2));
    CHECK(ObjectivelyDown(2, 2));
    CHECK(ObjectivelyDown(3, 2));
    CHECK(ObjectivelyDown(1, 1));
  }

  TEST_CASE("sentinel odown: a quorum of 0 still needs one vote") {
    CHECK_FALSE(ObjectivelyDown(0, 0));
    CHECK(ObjectivelyDown(1, 0));
  }

  TEST_CASE("sentinel quorum: a majority") {
    CHECK(DefaultQuorum(0) == 1);
    CHECK(DefaultQuorum(1) == 1);
    CHECK(DefaultQuorum(2) == 2);
    CHECK(DefaultQuorum(3) == 2);
    CHECK(DefaultQuorum(4) == 3);
    CHECK(DefaultQuorum(5) == 3);
    CHECK(DefaultQuorum(7) == 4);
  }
}

}  // namespace
}  // namespace kvd::sentinel
