// Which replica a sentinel promotes when a master is objectively down: a pure
// decision over what the sentinel observed, so that every rule is testable and
// every sentinel given the same observations picks the same replica.
//
// Exclusion (a replica is never promoted when any of these holds):
//   - it is unreachable (the sentinel has no working link to it);
//   - its last valid INFO reply is older than max_reply_age_ms: we would be
//     promoting on stale facts (its offset, its priority);
//   - its link to the master is down and has been down for longer than
//     max_link_down_ms: Redis Sentinel's rule, such a replica was disconnected
//     from the master too long to hold recent writes. (Its link is expected to
//     be down once the master died; the limit covers that time, hence e.g.
//     down_after_ms * 10 + how long the master has been down.)
//   - its priority is 0 (the operator said never promote it) or negative
//     (not a valid priority).
//
// Preference among the others, first difference wins:
//   1. the LOWEST priority (Redis's meaning: a lower number is preferred;
//      redis-failover compared it the other way round, we do not);
//   2. the LARGEST replication offset (it holds the most of the master's
//      history; in kvd's sync mode it holds every acknowledged write);
//   3. the smallest run id, byte-wise; an empty (unknown) run id sorts last;
//   4. the smallest "host:port" string, so that the choice never depends on
//      the order the observations arrived in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvd::sentinel {

struct ReplicaObservation {
  std::string run_id;
  std::string host;
  uint16_t port = 0;
  bool reachable = false;
  uint64_t last_reply_age_ms = 0;    // since its last valid INFO reply
  bool link_up = false;              // its link to the master, as it reports
  uint64_t master_link_down_ms = 0;  // how long that link has been down, as it reports; 0 if up
  int priority = 100;
  uint64_t offset = 0;
};

struct SelectionPolicy {
  uint64_t max_reply_age_ms = 0;  // e.g. 5 x the monitor interval
  uint64_t max_link_down_ms = 0;  // e.g. down_after_ms * 10 + time the master is down
};

struct FailoverChoice {
  std::optional<size_t> chosen;  // index into the observations
  // One per observation, for logging: why it was excluded, empty if eligible.
  std::vector<std::string> reasons;
};

// Why `replica` may not be promoted, or "" if it may.
std::string ExclusionReason(const ReplicaObservation& replica, const SelectionPolicy& policy);

// True when `a` is preferred to `b` (both assumed eligible): rules 1-4 above.
bool PreferredForPromotion(const ReplicaObservation& a, const ReplicaObservation& b);

// Every eligible replica, most preferred first; the sentinel tries the next
// one when promoting the previous one fails. Equal observations keep their
// input order.
std::vector<size_t> RankCandidates(const std::vector<ReplicaObservation>& replicas, const SelectionPolicy& policy);

FailoverChoice ChooseReplica(const std::vector<ReplicaObservation>& replicas, const SelectionPolicy& policy);

}  // namespace kvd::sentinel
