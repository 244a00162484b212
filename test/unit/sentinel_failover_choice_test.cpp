// The failover decision: every exclusion rule at its boundary, every
// preference rule and tie-break, ranking for retries, and the edge cases.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "roles/sentinel/monitor/failover_choice.h"

namespace kvd::sentinel {
namespace {

constexpr SelectionPolicy kPolicy{5000, 100000};

// An eligible replica: reachable, fresh reply, link down for a short while
// (as after a master failure), priority 100.
ReplicaObservation Replica(std::string host, uint16_t port, uint64_t offset, std::string run_id = "") {
  ReplicaObservation replica;
  replica.run_id = std::move(run_id);
  replica.host = std::move(host);
  replica.port = port;
  replica.reachable = true;
  replica.last_reply_age_ms = 1000;
  replica.link_up = false;
  replica.master_link_down_ms = 3000;
  replica.priority = 100;
  replica.offset = offset;
  return replica;
}

std::optional<size_t> Chosen(const std::vector<ReplicaObservation>& replicas) {
  return ChooseReplica(replicas, kPolicy).chosen;
}

bool Eligible(const ReplicaObservation& replica) { return ExclusionReason(replica, kPolicy).empty(); }

TEST_SUITE("sentinel failover choice") {
  TEST_CASE("sentinel failover: an ordinary replica is eligible") { CHECK(Eligible(Replica("a", 1, 10))); }

  TEST_CASE("sentinel failover: unreachable replicas are excluded") {
    auto replica = Replica("a", 1, 10);
    replica.reachable = false;
    CHECK(ExclusionReason(replica, kPolicy) == "unreachable");
  }

  TEST_CASE("sentinel failover: a stale last reply excludes, at the limit it does not") {
    auto replica = Replica("a", 1, 10);
    replica.last_reply_age_ms = kPolicy.max_reply_age_ms;
    CHECK(Eligible(replica));
    replica.last_reply_age_ms = kPolicy.max_reply_age_ms + 1;
    CHECK(ExclusionReason(replica, kPolicy).find("last valid reply 5001 ms ago") != std::string::npos);
  }

  TEST_CASE("sentinel failover: a link to the master down too long excludes, at the limit it does not") {
    auto replica = Replica("a", 1, 10);
    replica.master_link_down_ms = kPolicy.max_link_down_ms;
    CHECK(Eligible(replica));
    replica.master_link_down_ms = kPolicy.max_link_down_ms + 1;
    CHECK(ExclusionReason(replica, kPolicy).find("link to master down for 100001 ms") != std::string::npos);
  }

  TEST_CASE("sentinel failover: link-down time counts only while the link is down") {
    auto replica = Replica("a", 1, 10);
    replica.link_up = true;
    replica.master_link_down_ms = kPolicy.max_link_down_ms * 2;  // stale report; the link is up now
    CHECK(Eligible(replica));
  }

  TEST_CASE("sentinel failover: priority 0 never, a negative priority is invalid") {
    auto replica = Replica("a", 1, 10);
    replica.priority = 0;
    CHECK(ExclusionReason(replica, kPolicy) == "priority 0 (never promote)");
    replica.priority = -3;
    CHECK(ExclusionReason(replica, kPolicy) == "invalid priority -3");
  }

  TEST_CASE("sentinel failover: reasons line up with the observations") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10), Replica("b", 1, 20), Replica("c", 1, 30)};
    replicas[0].reachable = false;
    replicas[2].priority = 0;
    auto choice = ChooseReplica(replicas, kPolicy);
    REQUIRE(choice.reasons.size() == 3);
    CHECK(choice.reasons[0] == "unreachable");
    CHECK(choice.reasons[1].empty());
    CHECK(choice.reasons[2] == "priority 0 (never promote)");
    CHECK(choice.chosen == std::optional<size_t>(1));
  }

  TEST_CASE("sentinel failover: the lowest priority wins over a larger offset") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 1000), Replica("b", 1, 10), Replica("c", 1, 500)};
    replicas[0].priority = 100;
    replicas[1].priority = 10;
    replicas[2].priority = 50;
    CHECK(Chosen(replicas) == std::optional<size_t>(1));
    CHECK(RankCandidates(replicas, kPolicy) == std::vector<size_t>{1, 2, 0});
  }

  TEST_CASE("sentinel failover: equal priority, the largest offset wins") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10, "r1"), Replica("b", 1, 30, "r3"),
                                                Replica("c", 1, 20, "r2")};
    CHECK(Chosen(replicas) == std::optional<size_t>(1));
    CHECK(RankCandidates(replicas, kPolicy) == std::vector<size_t>{1, 2, 0});
  }

  TEST_CASE("sentinel failover: equal priority and offset, the smallest run id wins") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10, "bbbb"), Replica("b", 1, 10, "aaaa"),
                                                Replica("c", 1, 10, "aaab")};
    CHECK(Chosen(replicas) == std::optional<size_t>(1));
    CHECK(RankCandidates(replicas, kPolicy) == std::vector<size_t>{1, 2, 0});
  }

  TEST_CASE("sentinel failover: an empty run id sorts after any known one") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10, ""), Replica("b", 1, 10, "zzzz")};
    CHECK(Chosen(replicas) == std::optional<size_t>(1));
    CHECK(PreferredForPromotion(replicas[1], replicas[0]));
    CHECK_FALSE(PreferredForPromotion(replicas[0], replicas[1]));
  }

  TEST_CASE("sentinel failover: all else equal, the smallest host:port string wins") {
    std::vector<ReplicaObservation> replicas = {Replica("10.0.0.2", 6380, 10), Replica("10.0.0.10", 6380, 10),
                                                Replica("10.0.0.2", 6379, 10)};
    // Byte-wise on the string: "10.0.0.10:6380" < "10.0.0.2:6379" < "10.0.0.2:6380".
    CHECK(RankCandidates(replicas, kPolicy) == std::vector<size_t>{1, 2, 0});
  }

  TEST_CASE("sentinel failover: the choice does not depend on input order") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10, "r1"), Replica("b", 2, 50, "r2"),
                                                Replica("c", 3, 50, "r0"), Replica("d", 4, 50, "")};
    std::sort(replicas.begin(), replicas.end(), [](const auto& x, const auto& y) { return x.host < y.host; });
    do {
      auto chosen = Chosen(replicas);
      REQUIRE(chosen.has_value());
      CHECK(replicas[*chosen].host == "c");
    } while (std::next_permutation(replicas.begin(), replicas.end(),
                                   [](const auto& x, const auto& y) { return x.host < y.host; }));
  }

  TEST_CASE("sentinel failover: ranking skips excluded replicas") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 90), Replica("b", 1, 80), Replica("c", 1, 70),
                                                Replica("d", 1, 60)};
    replicas[0].reachable = false;
    replicas[2].last_reply_age_ms = kPolicy.max_reply_age_ms + 1;
    CHECK(RankCandidates(replicas, kPolicy) == std::vector<size_t>{1, 3});
  }

  TEST_CASE("sentinel failover: no replicas") {
    auto choice = ChooseReplica({}, kPolicy);
    CHECK_FALSE(choice.chosen.has_value());
    CHECK(choice.reasons.empty());
    CHECK(RankCandidates({}, kPolicy).empty());
  }

  TEST_CASE("sentinel failover: all excluded") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10), Replica("b", 1, 10), Replica("c", 1, 10)};
    replicas[0].reachable = false;
    replicas[1].last_reply_age_ms = 60000;
    replicas[2].master_link_down_ms = 10'000'000;
    auto choice = ChooseReplica(replicas, kPolicy);
    CHECK_FALSE(choice.chosen.has_value());
    for (const auto& reason : choice.reasons) CHECK_FALSE(reason.empty());
  }

  TEST_CASE("sentinel failover: priority 0 only") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10), Replica("b", 1, 99)};
    replicas[0].priority = 0;
    replicas[1].priority = 0;
    CHECK_FALSE(Chosen(replicas).has_value());
    CHECK(RankCandidates(replicas, kPolicy).empty());
  }

  TEST_CASE("sentinel failover: fully equal observations keep input order") {
    std::vector<ReplicaObservation> replicas = {Replica("a", 1, 10, "r"), Replica("a", 1, 10, "r"),
                                                Replica("a", 1, 10, "r")};
    CHECK(Chosen(replicas) == std::optional<size_t>(0));
    CHECK(RankCandidates(replicas, kPolicy) == std::vector<size_t>{0, 1, 2});
    CHECK_FALSE(PreferredForPromotion(replicas[0], replicas[1]));
  }
}

}  // namespace
}  // namespace kvd::sentinel
