#include "roles/sentinel/monitor/failover_choice.h"

#include <algorithm>
#include <numeric>

namespace kvd::sentinel {
namespace {

std::string Address(const ReplicaObservation& replica) {
  return replica.host + ":" + std::to_string(replica.port);
}

// Run ids compare byte-wise, but an unknown (empty) one loses to any known
// one: a replica we could not identify is the less certain choice.
// Returns <0, 0, >0 like a three-way compare.
int CompareRunIds(const std::string& a, const std::string& b) {
  if (a.empty() != b.empty()) return a.empty() ? 1 : -1;
  return a.compare(b);
}

}  // namespace

std::string ExclusionReason(const ReplicaObservation& replica, const SelectionPolicy& policy) {
  if (!replica.reachable) return "unreachable";
  if (replica.last_reply_age_ms > policy.max_reply_age_ms) {
    return "last valid reply " + std::to_string(replica.last_reply_age_ms) + " ms ago (limit " +
           std::to_string(policy.max_reply_age_ms) + " ms)";
  }
  if (!replica.link_up && replica.master_link_down_ms > policy.max_link_down_ms) {
    return "link to master down for " + std::to_string(replica.master_link_down_ms) + " ms (limit " +
           std::to_string(policy.max_link_down_ms) + " ms)";
  }
  if (replica.priority == 0) return "priority 0 (never promote)";
  if (replica.priority < 0) return "invalid priority " + std::to_string(replica.priority);
  return {};
}

bool PreferredForPromotion(const ReplicaObservation& a, const ReplicaObservation& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  if (a.offset != b.offset) return a.offset > b.offset;
  if (int order = CompareRunIds(a.run_id, b.run_id); order != 0) return order < 0;
  return Address(a) < Address(b);
}

std::vector<size_t> RankCandidates(const std::vector<ReplicaObservation>& replicas, const SelectionPolicy& policy) {
  std::vector<size_t> eligible;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (ExclusionReason(replicas[i], policy).empty()) eligible.push_back(i);
  }
  // Stable: fully equal observations stay in input order, so the result is
  // the same on every run.
  std::stable_sort(eligible.begin(), eligible.end(),
                   [&](size_t a, size_t b) { return PreferredForPromotion(replicas[a], replicas[b]); });
  return eligible;
}

FailoverChoice ChooseReplica(const std::vector<ReplicaObservation>& replicas, const SelectionPolicy& policy) {
  FailoverChoice choice;
  choice.reasons.reserve(replicas.size());
  for (const auto& replica : replicas) choice.reasons.push_back(ExclusionReason(replica, policy));
  auto ranked = RankCandidates(replicas, policy);
  if (!ranked.empty()) choice.chosen = ranked.front();
  return choice;
}

}  // namespace kvd::sentinel
